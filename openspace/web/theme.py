"""The colour theme: light, dark, or the device's (automatic), chosen with a plain form.

The choice is a cookie the server reads, so every page is rendered with <html data-theme=...>
from its first byte: no flash of the wrong theme, and no script (the Content-Security-Policy
allows no inline script). Automatic sends no data-theme: the stylesheet follows the device's
prefers-color-scheme (static/css/tokens.css).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, current_app, redirect, request, url_for

from ..domain.errors import ValidationFailed
from ..i18n import _
from .pages import safe_next

COOKIE = "openspace_theme"
COOKIE_AGE = timedelta(days=365)
THEMES = ("light", "dark")

bp = Blueprint("theme", __name__)


def chosen_theme() -> str:
    """The viewer's choice: "light", "dark", or "" (follow the device)."""
    value = request.cookies.get(COOKIE, "")
    return value if value in THEMES else ""


@bp.post("/theme")
def set_theme():
    """Choose light, dark or automatic (empty), then back to the page it was chosen on."""
    theme = request.form.get("theme", "")
    target = safe_next(request.form.get("next")) or url_for("events.index")
    if theme and theme not in THEMES:
        raise ValidationFailed(_("That theme is not offered here."),
                               fields={"theme": _("must be light, dark or empty")})
    response = redirect(target, 303)
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    if theme:
        response.set_cookie(COOKIE, theme, max_age=COOKIE_AGE, httponly=True, samesite="Lax",
                            secure=secure)
    else:
        response.delete_cookie(COOKIE, httponly=True, samesite="Lax", secure=secure)
    return response


def register(app: Flask) -> None:
    app.context_processor(lambda: {"theme_choice": chosen_theme()})
    app.register_blueprint(bp)

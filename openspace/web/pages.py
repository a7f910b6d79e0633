"""Shared pieces of the server-rendered pages (not the JSON API).

A form base that shows domain errors next to the fields that caused them, safe `next` targets,
a login guard that also works for POST forms, and permission probes that ask the domain
whether to show a button (the domain still decides when the button is pressed).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..domain.errors import DomainError
from ..i18n import _


class DomainForm(FlaskForm):
    """A form that only collects input: the rules (required, lengths, shapes) live in the domain.

    Its fields carry no validators, so validate_on_submit() checks the CSRF token only.
    """

    # Domain field name -> form field name, where the form names a field differently.
    field_aliases: dict[str, str] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.problem: str | None = None

    def posted(self) -> bool:
        return self.validate_on_submit()

    def values(self, *names: str) -> dict:
        """The typed values of these fields, for a domain function's `data`."""
        return {name: self._fields[name].data for name in names}

    def show_error(self, error: DomainError) -> None:
        """Put the domain's per-field messages under the fields; the rest goes on top."""
        loose = []
        for name, message in error.fields.items():
            field = self._fields.get(self.field_aliases.get(name, name))
            if field is None or name == "csrf_token":
                loose.append(f"{name}: {message}")
            else:
                field.errors = [message]
        self.problem = " ".join([error.message, *loose])


def me():
    """The logged-in user object (not the proxy), or None."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def safe_next(target: object) -> str | None:
    """A redirect target only if it is a path on this site ("/..."), never another host."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def back(default: str):
    """Redirect to the form's (or query's) safe `next`, else to default."""
    return redirect(safe_next(request.values.get("next")) or default)


def login_required(view: Callable) -> Callable:
    """Like flask_login.login_required, but a POST sends the user back to its page, not to
    the POST-only URL, after logging in."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated:
            return view(*args, **kwargs)
        if request.method in ("GET", "HEAD"):
            return current_app.login_manager.unauthorized()
        flash(_("Log in first."), "info")
        return redirect(url_for("auth.login", next=safe_next(request.form.get("next"))))

    return wrapped


def allowed(check: Callable, *args) -> bool:
    """Ask a domain permission check (one that raises) whether it would pass."""
    try:
        check(*args)
    except DomainError:
        return False
    return True

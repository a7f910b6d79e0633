"""Which language a request is answered in, the language switch, the browser's catalogs, and
the template helpers for languages and dates. The one place the language is chosen:

1. the viewer's choice: saved on their account, else the cookie (anonymous readers);
2. on pages shown to a room (the projector, the summary): the event's language;
3. the browser's Accept-Language, among the languages offered;
4. the event's language, on a page that belongs to an event the viewer may see;
5. English.

Socket handlers answer in 1, 3 or 5 (a message names no page). Texts made for the event
rather than for the viewer (a new note's report template, the exports' headings, the
calendar feed) are spoken in the event's language by the domain (i18n.in_language).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_login import current_user

from .. import i18n
from ..domain import accounts, validation
from ..domain.errors import ValidationFailed
from ..domain.permissions import can_view_event
from ..extensions import babel, db
from ..i18n import _, catalogs, formats
from ..models import Event, Topic
from .pages import me, safe_next

COOKIE = "openspace_language"
COOKIE_AGE = timedelta(days=365)
# Pages that speak to a room rather than to one reader: the event's language unless the viewer
# chose one (their browser's language does not decide for the wall).
EVENT_LANGUAGE_FIRST = frozenset({"projector.show", "summary.show"})

bp = Blueprint("i18n", __name__)


# Choosing --------------------------------------------------------------------------------------

def chosen_language() -> str | None:
    """What the viewer chose: the account's choice, else the cookie's (if still offered)."""
    try:
        user = current_user if current_user.is_authenticated else None
    except sa.exc.SQLAlchemyError:  # the database is down: the error page needs no user
        user = None
    if user is not None and i18n.supported(getattr(user, "locale", None)):
        return user.locale
    cookie = request.cookies.get(COOKIE)
    return cookie if i18n.supported(cookie) else None


def _event_of_page() -> Event | None:
    args = request.view_args or {}
    query = None
    slug = validation.lookup_key(args.get("slug"), max_len=validation.SLUG_MAX)
    if slug is not None:
        query = sa.select(Event).where(Event.slug == slug)
    elif isinstance(args.get("topic_id"), int):
        query = sa.select(Event).join(Topic, Topic.event_id == Event.id).where(
            Topic.id == args["topic_id"])
    return db.session.scalar(query) if query is not None else None


def event_language() -> str | None:
    """The language of the event this page belongs to, if the viewer may see the event (a
    private event's language must not tell outsiders that it exists)."""
    if "i18n_event_language" not in g:
        language = None
        try:
            event = _event_of_page()
            user = current_user if current_user.is_authenticated else None
            if event is not None and can_view_event(user, event):
                language = event.language
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
        g.i18n_event_language = language if i18n.supported(language) else None
    return g.i18n_event_language


def select_language() -> str:
    """The language this request is answered in (the order is the module's docstring)."""
    if not has_request_context():
        return i18n.DEFAULT
    choice = chosen_language()
    if choice:
        return choice
    if request.endpoint in EVENT_LANGUAGE_FIRST and event_language():
        return event_language()
    browser = request.accept_languages.best_match(list(i18n.available()))
    return browser or event_language() or i18n.DEFAULT


def _locale_selector() -> str:
    return i18n.babel_id(select_language())


# The switch ------------------------------------------------------------------------------------

def here() -> str:
    """Where the language switch sends the viewer back to: this page."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return request.path


@bp.post("/language")
def set_language():
    """Choose the language (saved on the account when logged in, and in a cookie); an empty
    choice goes back to the browser's or the event's. Back to the page it was chosen on."""
    language = request.form.get("language", "")
    target = safe_next(request.form.get("next")) or url_for("events.index")
    if language and not i18n.supported(language):
        raise ValidationFailed(_("That language is not offered here."),
                               fields={"language": _("must be one of: %(values)s",
                                                     values=", ".join(i18n.available()))})
    user = me()
    if user is not None:
        accounts.set_language(user=user, language=language or None)
    response = redirect(target, 303)
    if language:
        response.set_cookie(COOKIE, language, max_age=COOKIE_AGE, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    else:
        response.delete_cookie(COOKIE, httponly=True, samesite="Lax",
                               secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


# The browser's catalogs ------------------------------------------------------------------------

def _catalog(tag: str) -> tuple[str, str]:
    if not i18n.supported(tag):
        abort(404)
    return catalogs.browser_catalog(tag)


def _cached(response: Response, digest: str) -> Response:
    """Immutable when asked for by its content hash (the URL pages use); revalidated else."""
    if request.args.get("v") == digest:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.set_etag(digest)
    return response.make_conditional(request)


@bp.get("/i18n/<tag>.json")
def catalog_json(tag):
    body, digest = _catalog(tag)
    return _cached(current_app.response_class(body, mimetype="application/json"), digest)


@bp.get("/i18n/<tag>.js")
def catalog_script(tag):
    """The same catalog as a script the page loads before its own (no inline script under our
    Content-Security-Policy, and no wait: the texts are there when the page's code runs)."""
    body, digest = _catalog(tag)
    script = f"window.openspaceCatalog={body};\n"
    return _cached(current_app.response_class(script, mimetype="text/javascript"), digest)


def catalog_url() -> str:
    tag = i18n.current()
    _body, digest = catalogs.browser_catalog(tag)
    return url_for("i18n.catalog_script", tag=tag, v=digest)


# Templates -------------------------------------------------------------------------------------

FILTERS = {
    "format_time": formats.format_time,  # 14:30 / 2:30 PM
    "format_time_range": formats.format_time_range,  # {{ start|format_time_range(end) }}
    "format_weekday": formats.format_weekday,  # Mon / lun.
    "format_day": formats.format_day,  # Monday, November 23 / lundi 23 novembre
    "format_day_short": formats.format_day_short,  # Mon, Nov 23
    "format_date": formats.format_date,  # Nov 23, 2026 (medium)
    "format_date_range": formats.format_date_range,  # {{ start|format_date_range(end) }}
    # {{ note.updated_at|format_datetime(tz=event.timezone, utc=True) }}
    "format_datetime": formats.format_datetime,
    "format_number": formats.format_number,  # 1,234.5 / 1.234,5
}


def _template_globals() -> dict:
    return {
        "current_language": i18n.current(),
        "text_direction": i18n.direction(),
        "languages": i18n.available(),
        "language_choice": chosen_language() or "",
        "language_next": here,
        "catalog_url": catalog_url,
    }


def register(app: Flask) -> None:
    babel.init_app(app, default_locale=i18n.babel_id(i18n.DEFAULT),
                   default_translation_directories=str(catalogs.DIRECTORY),
                   locale_selector=_locale_selector)
    catalogs.ensure_compiled(pseudo=app.config.get("PSEUDO_LOCALE", False))
    # Flask-Babel's own date filters read naive times as UTC and move them to one zone per
    # request; ours keep the event's clock (openspace/i18n/formats.py). Its number filters stay.
    for name in ("datetimeformat", "dateformat", "timeformat", "timedeltaformat"):
        app.jinja_env.filters.pop(name, None)
    app.jinja_env.filters.update(FILTERS)
    app.context_processor(_template_globals)
    app.register_blueprint(bp)

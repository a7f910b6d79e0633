"""The per-user rate limit of every HTTP request that changes something, pages and JSON API alike.

One gate for the whole app (`charge`, a before_request of the pages and the last step of the
API's authentication): a logged-in user's POST, PUT, PATCH or DELETE
spends from the user's bucket for what the endpoint does, the same bucket the Socket.IO
handlers spend from (sockets.py), so a proposal, an interest toggle or a placement costs the
same by form, API or socket. The buckets and their sizes are domain/ratelimit.py's. Anonymous
requests (logging in, signing up, quick join, join codes) have per-address budgets in the
domain functions they call, which see the client address (see register_proxy_fix).
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from ..domain import ratelimit
from ..domain.errors import RateLimited
from ..extensions import db, socketio

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Endpoints whose bucket is not "board". Joining with a code has its own (codes must not be
# guessable by trying many); photos theirs (each costs about a second of CPU); the schedule
# advisor's suggestions theirs (each keeps cores busy for seconds).
ACTIONS = {
    "api.join_event": "join",
    "auth.quick_join": "join",
    "notes.upload_photo": "photo",
    # Ticking an action item writes the note, like typing in it.
    "notes.tick_action": "note",
    "api.tick_action_item": "note",
    "events.invite": "invite",
    "events.add_organizer": "invite",  # an invitation too (with the organizer role)
    # A logged-in person asking for a mail (adding an address): per person, not per address,
    # which a whole venue shares.
    "auth.add_email": "mail_request",
    "events.restore": "restore",
    "events.confirm_restore": "restore",
    "api.advisor_suggest": "advisor",
    "advisor.suggest": "advisor",
}


def charge() -> None:
    """Spend from the logged-in user's bucket for this request, if it changes something."""
    if request.method in UNSAFE_METHODS and current_user.is_authenticated:
        ratelimit.spend(current_user._get_current_object(),
                        ACTIONS.get(request.endpoint or "", "board"))


def _charge_pages() -> None:
    # After CSRFProtect's check (registered earlier). The API calls charge() itself, after its
    # own authentication and CSRF check: a refused request costs nothing.
    if request.blueprint != "api":
        charge()


def malformed_key() -> str:
    """Whose budget of malformed bodies a request spends: the user's, else its address's."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"addr:{request.remote_addr}"


def count_malformed() -> None:
    """A malformed body (errors.Malformed) arrived: spend from its sender's budget."""
    ratelimit.malformed(malformed_key())


def _refuse_unread() -> None:
    """A sender past its malformed budget gets a large body refused before anything reads it
    (CSRF, forms, JSON): 429, and the connection closed instead of the body drained."""
    if request.method not in UNSAFE_METHODS:
        return
    length = request.content_length
    if (length or 0) <= ratelimit.UNREAD_BODY and "chunked" not in request.headers.get(
            "Transfer-Encoding", "").lower():
        return
    try:
        ratelimit.hit(malformed_key(), "malformed", cost=0)  # only looks
    except RateLimited:
        g.unread_body = True
        raise


def _close_unread(response: Response) -> Response:
    if g.get("unread_body"):
        response.headers["Connection"] = "close"  # eventlet then closes, never drains it
    return response


def slow_down(retry_after: float | None) -> None:
    """Hold a refusal back for RATELIMIT_DELAY seconds (at most the wait it announces): a green
    sleep costs the server nothing, while a flooding client's connection stays busy."""
    delay = min(current_app.config.get("RATELIMIT_DELAY", 0.0), retry_after or 1.0)
    if delay > 0:
        db.session.close()  # the answer is made: no database connection waits with it
        socketio.sleep(delay)


def _slow_refusals(response: Response) -> Response:
    if response.status_code == 429:
        slow_down(float(response.headers.get("Retry-After") or 1))
    return response


def register_proxy_fix(app: Flask) -> None:
    """Behind OPENSPACE_TRUSTED_PROXIES reverse proxies, the client address is the one the
    nearest of them put into X-Forwarded-For; with 0 (the default: a client could write that
    header itself) it is the connection's address. Wraps everything, Socket.IO included."""
    trusted = app.config.get("TRUSTED_PROXIES", 0)
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted)  # type: ignore[method-assign]


def register(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_unread)  # before CSRF
    app.before_request(_charge_pages)
    app.after_request(_slow_refusals)
    app.after_request(_close_unread)
    register_proxy_fix(app)

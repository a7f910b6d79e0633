"""How a request is authenticated: the session cookie, or an `Authorization: Bearer` token."""

from __future__ import annotations

from flask import current_app, g, request, session

from .domain.accounts import load_session_user, upgrade_legacy_login, user_for_token
from .extensions import login_manager


@login_manager.user_loader
def _load_user(session_id: str):
    user = load_session_user(session_id)
    if user is None and session_id.count(":") == 1:
        # A cookie from before logins had rows: this browser gets a login of its own, and a
        # new remember cookie naming it if it had one.
        upgraded = upgrade_legacy_login(session_id)
        if upgraded is not None:
            user, session["_user_id"] = upgraded
            if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") \
                    in request.cookies:
                session["_remember"] = "set"
    return user


@login_manager.request_loader
def _load_from_header(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    user = user_for_token(token.strip())
    if user is not None:
        g.token_auth = True  # CSRF does not apply to token-authenticated calls
    return user

"""How a request is authenticated: the session cookie, or an `Authorization: Bearer` token."""

from __future__ import annotations

from flask import g

from .domain.accounts import load_session_user, user_for_token
from .extensions import login_manager


@login_manager.user_loader
def _load_user(session_id: str):
    return load_session_user(session_id)


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

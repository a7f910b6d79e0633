"""The JSON API, /api/v1: parse the JSON body, call one domain function, serialize the result.

Authentication is the browser's session cookie or `Authorization: Bearer <token>`. Every
endpoint needs a user unless it is marked @public. Cookie-authenticated unsafe requests must
carry the CSRF token in `X-CSRFToken` (from GET /csrf); token-authenticated ones need none.
Domain errors become {"error": {code, message, fields?}} through the app's error handler.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from flask import current_app, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import BadRequest

from ...domain import accounts, board, events, notes, ratelimit, serialize
from ...domain import validation as v
from ...domain.errors import NotAuthenticated, RateLimited, ValidationFailed
from ...domain.validation import only_known
from ...extensions import csrf, db
from ...models import User
from . import bp
from .openapi import document

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Endpoints limited by the join-code bucket rather than the board bucket: codes must not be
# guessable by trying many.
JOIN_ENDPOINTS = frozenset({"api.join_event"})


def public(view: Callable) -> Callable:
    """Mark a view that anonymous callers may use (the default is: a user is required)."""
    view.public = True  # type: ignore[attr-defined]
    return view


def _bearer_sent() -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


@bp.before_request
def _authenticate():
    """401 (never a redirect) without a user; CSRF for cookie auth; per-user rate limits."""
    authenticated = current_user.is_authenticated  # runs the cookie, then the token loader
    if _bearer_sent() and not authenticated:
        raise NotAuthenticated("That API token is not valid (revoked or mistyped).")
    view = current_app.view_functions.get(request.endpoint or "")
    if not authenticated:
        if not getattr(view, "public", False):
            raise NotAuthenticated()
        return
    if request.method in UNSAFE_METHODS:
        if not g.get("token_auth") and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # raises CSRFError -> {"error": {"code": "csrf_failed", ...}}
        action = "join" if request.endpoint in JOIN_ENDPOINTS else "board"
        ratelimit.hit(f"user:{current_user.id}", action)


@bp.errorhandler(RateLimited)
def _rate_limited(error: RateLimited):
    db.session.rollback()
    wait = error.extra.get("retry_after") or 1
    return jsonify(error=error.to_dict()), error.status, {"Retry-After": str(math.ceil(wait))}


def _user() -> User | None:
    """The real user object (domain functions get no proxies), or None when anonymous."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def _body(*allowed: str) -> dict:
    """The request's JSON object; with `allowed`, any other key is a 400 naming it."""
    if not request.is_json:
        raise ValidationFailed("Send a JSON object with Content-Type: application/json.")
    try:
        data = request.get_json()
    except BadRequest:
        raise ValidationFailed("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ValidationFailed("The request body must be a JSON object.")
    if allowed:
        only_known(data, allowed)
    return data


# Accounts ----------------------------------------------------------------------------------------

@bp.post("/users")
@public
def create_user():
    data = _body("email", "password", "name")
    user = accounts.register_user(email=data.get("email"), password=data.get("password"),
                                  name=data.get("name"))
    return jsonify(serialize.account_dict(user)), 201


@bp.post("/tokens")
@public
def create_token():
    data = _body("email", "password", "label")
    token = accounts.login_token(email=data.get("email"), password=data.get("password"),
                                 label=data.get("label", ""))
    return jsonify(token=token), 201


@bp.delete("/tokens")
def revoke_tokens():
    """Revoke every API token of the current user (the one making this call too)."""
    return jsonify(revoked=accounts.revoke_tokens(user=_user()))


@bp.get("/me")
def me():
    return jsonify(serialize.me_dict(_user()))


@bp.get("/csrf")
@public
def csrf_token():
    """For cookie clients: the token to send as X-CSRFToken on POST/PUT/PATCH/DELETE."""
    return jsonify(csrf_token=generate_csrf())


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(document())


# Events ------------------------------------------------------------------------------------------

@bp.post("/events")
def create_event():
    user = _user()
    event = events.create_event(user=user, data=_body())
    return jsonify(serialize.event_for(user, event)), 201


@bp.get("/events")
@public
def list_events():
    user = _user()
    return jsonify(events=[serialize.event_for(user, e) for e in events.visible_events(user)])


@bp.get("/events/<slug>")
@public
def get_event(slug):
    user = _user()
    return jsonify(serialize.event_for(user, events.get_event(slug, user)))


@bp.patch("/events/<slug>")
def update_event(slug):
    user = _user()
    event = events.update_event(event=events.get_event(slug, user), user=user, data=_body())
    return jsonify(serialize.event_for(user, event))


@bp.get("/events/<slug>/board")
@public
def get_board(slug):
    return jsonify(board.board_snapshot(events.get_event(slug, _user())))


# Rooms and slots -----------------------------------------------------------------------------

@bp.post("/events/<slug>/rooms")
def add_room(slug):
    user = _user()
    room = events.add_room(event=events.get_event(slug, user), user=user, data=_body())
    return jsonify(serialize.room_dict(room)), 201


@bp.patch("/events/<slug>/rooms/<int:room_id>")
def update_room(slug, room_id):
    user = _user()
    room = events.get_room(events.get_event(slug, user), room_id)
    return jsonify(serialize.room_dict(events.update_room(room=room, user=user, data=_body())))


@bp.delete("/events/<slug>/rooms/<int:room_id>")
def delete_room(slug, room_id):
    user = _user()
    events.delete_room(room=events.get_room(events.get_event(slug, user), room_id), user=user)
    return "", 204


@bp.post("/events/<slug>/slots")
def add_slot(slug):
    user = _user()
    slot = events.add_slot(event=events.get_event(slug, user), user=user, data=_body())
    return jsonify(serialize.slot_dict(slot)), 201


@bp.patch("/events/<slug>/slots/<int:slot_id>")
def update_slot(slug, slot_id):
    user = _user()
    slot = events.get_slot(events.get_event(slug, user), slot_id)
    return jsonify(serialize.slot_dict(events.update_slot(slot=slot, user=user, data=_body())))


@bp.delete("/events/<slug>/slots/<int:slot_id>")
def delete_slot(slug, slot_id):
    user = _user()
    events.delete_slot(slot=events.get_slot(events.get_event(slug, user), slot_id), user=user)
    return "", 204


# Members -------------------------------------------------------------------------------------

@bp.post("/events/<slug>/members")
def join_event(slug):
    """Join with the join code: 201 when new, 200 when already a member (nothing changes)."""
    data = _body("join_code")
    membership, created = events.join_by_code(slug=slug, user=_user(),
                                              join_code=data.get("join_code"))
    return jsonify(serialize.member_dict(membership)), 201 if created else 200


@bp.get("/events/<slug>/members")
def list_members(slug):
    user = _user()
    people = events.list_members(event=events.get_event(slug, user), user=user)
    return jsonify(members=[serialize.member_dict(m) for m in people])


@bp.put("/events/<slug>/members/<int:user_id>/role")
def set_role(slug, user_id):
    user = _user()
    data = _body("role")
    membership = events.set_role(event=events.get_event(slug, user), user=user,
                                 member_id=user_id, role=data.get("role"))
    return jsonify(serialize.member_dict(membership))


# Topics --------------------------------------------------------------------------------------

@bp.post("/events/<slug>/topics")
def propose_topic(slug):
    user = _user()
    topic = board.propose_topic(event=events.get_event(slug, user), user=user, data=_body())
    return jsonify(serialize.topic_dict(topic)), 201


@bp.get("/topics/<int:topic_id>")
@public
def get_topic(topic_id):
    return jsonify(serialize.topic_dict(board.get_topic(topic_id, _user())))


@bp.patch("/topics/<int:topic_id>")
def update_topic(topic_id):
    user = _user()
    topic = board.update_topic(topic=board.get_topic(topic_id, user), user=user, data=_body())
    return jsonify(serialize.topic_dict(topic))


@bp.delete("/topics/<int:topic_id>")
def withdraw_topic(topic_id):
    user = _user()
    topic = board.withdraw_topic(topic=board.get_topic(topic_id, user), user=user)
    return jsonify(serialize.topic_dict(topic))


@bp.put("/topics/<int:topic_id>/placement")
def place_topic(topic_id):
    user = _user()
    data = _body("room_id", "slot_id")
    topic = board.place_topic(topic=board.get_topic(topic_id, user), user=user,
                              room_id=data.get("room_id"), slot_id=data.get("slot_id"))
    return jsonify(serialize.topic_dict(topic))


@bp.delete("/topics/<int:topic_id>/placement")
def release_topic(topic_id):
    user = _user()
    topic = board.release_topic(topic=board.get_topic(topic_id, user), user=user)
    return jsonify(serialize.topic_dict(topic))


@bp.put("/topics/<int:topic_id>/interest")
def add_interest(topic_id):
    user = _user()
    topic = board.set_interest(topic=board.get_topic(topic_id, user), user=user, interested=True)
    return jsonify(serialize.topic_dict(topic))


@bp.delete("/topics/<int:topic_id>/interest")
def remove_interest(topic_id):
    user = _user()
    topic = board.set_interest(topic=board.get_topic(topic_id, user), user=user,
                               interested=False)
    return jsonify(serialize.topic_dict(topic))


@bp.post("/topics/<int:topic_id>/swap")
def swap_topics(topic_id):
    user = _user()
    other_id = v.identifier("with", _body("with").get("with"), what="a topic id")
    first, second = board.swap_topics(first=board.get_topic(topic_id, user),
                                      second=board.get_topic(other_id, user), user=user)
    return jsonify(topics=[serialize.topic_dict(first), serialize.topic_dict(second)])


@bp.post("/topics/<int:topic_id>/merge")
def merge_topics(topic_id):
    user = _user()
    into_id = v.identifier("into", _body("into").get("into"), what="a topic id")
    survivor = board.merge_topics(duplicate=board.get_topic(topic_id, user),
                                  survivor=board.get_topic(into_id, user), user=user)
    return jsonify(serialize.topic_dict(survivor))


@bp.get("/topics/<int:topic_id>/notes")
@public
def get_notes(topic_id):
    """The session's shared note as Markdown: {markdown, updated_at}."""
    return jsonify(notes.note_dict(board.get_topic(topic_id, _user())))

"""Socket.IO handlers: authenticate, call one domain function, ack the result.

Every handler acks {"ok": true, ...} or {"ok": false, "error": {code, message}}. Board changes
reach clients through realtime.py after the domain function commits, never from here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import join_room, leave_room

from .domain import accounts, board, events, ratelimit
from .domain.errors import DomainError, NotAuthenticated, ValidationFailed
from .domain.serialize import topic_dict
from .extensions import db, socketio
from .models import User
from .realtime import event_room

# sid -> the Flask-Login id ("<user id>:<epoch>") it connected with, or None for anonymous.
_identities: dict[str, str | None] = {}


def _user() -> User | None:
    """The connection's user, re-read for every event so a logout or password change cuts it."""
    identity = _identities.get(request.sid)
    return accounts.load_session_user(identity) if identity else None


def _member() -> User:
    user = _user()
    if user is None:
        raise NotAuthenticated()
    ratelimit.hit(f"user:{user.id}", "board")
    return user


def _payload(data: Any, *required: str) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed("The message must be an object.")
    missing = [name for name in required if name not in data]
    if missing:
        raise ValidationFailed(fields={name: "is required" for name in missing})
    return data


def handler(name: str) -> Callable:
    """Register a handler whose result becomes the ack and whose DomainError becomes an error ack."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(data: Any = None) -> dict:
            try:
                return {"ok": True, **(fn(data) or {})}
            except DomainError as error:
                db.session.rollback()
                return {"ok": False, "error": error.to_dict()}

        socketio.on_event(name, run)
        return run

    return wrap


@socketio.on("connect")
def on_connect(auth: Any = None):
    identity = None
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        user = accounts.user_for_token(auth["token"])
        if user is None:
            return False  # a wrong token is refused outright
        identity = user.get_id()
    elif current_user.is_authenticated:
        identity = current_user.get_id()
    _identities[request.sid] = identity
    return True


@socketio.on("disconnect")
def on_disconnect(*_args):
    _identities.pop(request.sid, None)


@handler("event:join")
def on_event_join(data):
    data = _payload(data, "slug")
    event = events.get_event(data["slug"], _user())
    join_room(event_room(event.id))
    return {"version": event.board_version}


@handler("event:leave")
def on_event_leave(data):
    data = _payload(data, "slug")
    event = events.get_event(data["slug"], _user())
    leave_room(event_room(event.id))
    return {}


@handler("board:propose")
def on_propose(data):
    data = _payload(data, "slug", "topic")
    user = _member()
    event = events.get_event(data["slug"], user)
    topic_data = data["topic"] if isinstance(data["topic"], dict) else None
    if topic_data is None:
        raise ValidationFailed(fields={"topic": "must be an object"})
    return {"topic": topic_dict(board.propose_topic(event=event, user=user, data=topic_data))}


@handler("board:place")
def on_place(data):
    data = _payload(data, "topic_id", "room_id", "slot_id")
    user = _member()
    topic = board.get_topic(data["topic_id"], user)
    placed = board.place_topic(topic=topic, user=user, room_id=data["room_id"],
                               slot_id=data["slot_id"])
    return {"topic": topic_dict(placed)}


@handler("board:release")
def on_release(data):
    data = _payload(data, "topic_id")
    user = _member()
    return {"topic": topic_dict(board.release_topic(topic=board.get_topic(data["topic_id"], user),
                                                    user=user))}


@handler("board:withdraw")
def on_withdraw(data):
    data = _payload(data, "topic_id")
    user = _member()
    return {"topic": topic_dict(board.withdraw_topic(
        topic=board.get_topic(data["topic_id"], user), user=user))}


@handler("board:swap")
def on_swap(data):
    data = _payload(data, "topic_id", "with")
    user = _member()
    first, second = board.swap_topics(first=board.get_topic(data["topic_id"], user),
                                      second=board.get_topic(data["with"], user), user=user)
    return {"topics": [topic_dict(first), topic_dict(second)]}


@handler("board:interest")
def on_interest(data):
    data = _payload(data, "topic_id", "interested")
    user = _member()
    if not isinstance(data["interested"], bool):
        raise ValidationFailed(fields={"interested": "must be true or false"})
    topic = board.set_interest(topic=board.get_topic(data["topic_id"], user), user=user,
                               interested=data["interested"])
    return {"topic": topic_dict(topic)}

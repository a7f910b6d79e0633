"""The JSON API, /api/v1: parse the JSON body, call one domain function, serialize the result.

Authentication is the browser's session cookie or `Authorization: Bearer <token>`. Every
endpoint needs a user unless it is marked @public. Cookie-authenticated unsafe requests must
carry the CSRF token in `X-CSRFToken` (from GET /csrf); token-authenticated ones need none.
Domain errors become {"error": {code, message, fields?}} through the app's error handler.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from flask import current_app, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import BadRequest

from ...domain import (
    accounts,
    actions,
    advisor,
    board,
    checkins,
    events,
    notes,
    pitches,
    serialize,
)
from ...domain import validation as v
from ...domain.errors import Malformed, NotAuthenticated, RateLimited, ValidationFailed
from ...domain.validation import JSON_DEPTH_MAX, InvalidJSON, only_known
from ...extensions import csrf, db
from ...i18n import _
from ...models import User
from .. import limits
from ..board import cache as board_cache
from . import bp
from .openapi import document

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def public(view: Callable) -> Callable:
    """Mark a view that anonymous callers may use (the default is: a user is required)."""
    view.public = True  # type: ignore[attr-defined]
    return view


def _bearer_sent() -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


@bp.before_request
def _authenticate():
    """401 (never a redirect) without a user; CSRF for cookie auth; then the per-user rate
    limit, web/limits.py's for pages and API alike."""
    authenticated = current_user.is_authenticated  # runs the cookie, then the token loader
    if _bearer_sent() and not authenticated:
        raise NotAuthenticated(_("That API token is not valid (revoked or mistyped)."))
    view = current_app.view_functions.get(request.endpoint or "")
    if not authenticated:
        if not getattr(view, "public", False):
            raise NotAuthenticated()
        return
    if request.method in UNSAFE_METHODS:
        if not g.get("token_auth") and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # raises CSRFError -> {"error": {"code": "csrf_failed", ...}}
    limits.charge()


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
        raise ValidationFailed(_("Send a JSON object with Content-Type: application/json."))
    try:
        data = request.get_json()
    except BadRequest as error:
        limits.count_malformed()
        cause = error.__cause__ or error.__context__
        while cause is not None and not isinstance(cause, InvalidJSON):
            cause = cause.__cause__ or cause.__context__
        if cause is not None and cause.too_deep:
            raise Malformed(_("The request body nests deeper than %(num)d levels.",
                              num=JSON_DEPTH_MAX)) from None
        raise Malformed(_("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        limits.count_malformed()
        raise Malformed(_("The request body must be a JSON object."))
    if allowed:
        only_known(data, allowed)
    return data


# Accounts ----------------------------------------------------------------------------------------

@bp.post("/users")
@public
def create_user():
    data = _body("email", "password", "name")
    user = accounts.register_user(email=data.get("email"), password=data.get("password"),
                                  name=data.get("name"), client=request.remote_addr)
    return jsonify(serialize.account_dict(user)), 201


@bp.post("/tokens")
@public
def create_token():
    data = _body("email", "password", "label")
    token = accounts.login_token(email=data.get("email"), password=data.get("password"),
                                 label=data.get("label", ""), client=request.remote_addr)
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
    """The board, with an ETag of what it holds: a client that reconnects with the board it
    has (If-None-Match) gets 304 and no body (a thousand phones after a wifi blip); the others
    get it from the per-version cache (web/board/cache.py)."""
    event = events.get_event(slug, _user())  # who may see it first: a private board 404s
    return board_cache.respond(
        board_cache.tag("board.json", event),
        lambda: json.dumps(board.board_snapshot(event), ensure_ascii=False,
                           separators=(",", ":")).encode(),
        "application/json")


# The schedule advisor (organizers) -------------------------------------------------------------

@bp.post("/events/<slug>/advisor/suggest")
def advisor_suggest(slug):
    """Moves and swaps that lower clashes and over-capacity (computes up to a few seconds)."""
    user = _user()
    return jsonify(advisor.suggest(event=events.get_event(slug, user), user=user,
                                   data=_body()))


@bp.post("/events/<slug>/advisor/apply")
def advisor_apply(slug):
    user = _user()
    return jsonify(advisor.apply_moves(event=events.get_event(slug, user), user=user,
                                       data=_body()))


# Rooms and slots -----------------------------------------------------------------------------

@bp.post("/events/<slug>/rooms")
def add_room(slug):
    user = _user()
    room = events.add_room(event=events.get_event(slug, user), user=user, data=_body())
    return jsonify(serialize.room_dict(room)), 201


@bp.patch("/events/<slug>/rooms/<id:room_id>")
def update_room(slug, room_id):
    user = _user()
    room = events.get_room(events.get_event(slug, user), room_id)
    return jsonify(serialize.room_dict(events.update_room(room=room, user=user, data=_body())))


@bp.delete("/events/<slug>/rooms/<id:room_id>")
def delete_room(slug, room_id):
    user = _user()
    events.delete_room(room=events.get_room(events.get_event(slug, user), room_id), user=user)
    return "", 204


@bp.post("/events/<slug>/slots")
def add_slot(slug):
    user = _user()
    slot = events.add_slot(event=events.get_event(slug, user), user=user, data=_body())
    return jsonify(serialize.slot_dict(slot)), 201


@bp.patch("/events/<slug>/slots/<id:slot_id>")
def update_slot(slug, slot_id):
    user = _user()
    slot = events.get_slot(events.get_event(slug, user), slot_id)
    return jsonify(serialize.slot_dict(events.update_slot(slot=slot, user=user, data=_body())))


@bp.delete("/events/<slug>/slots/<id:slot_id>")
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
                                              join_code=data.get("join_code"),
                                              client=request.remote_addr)
    return jsonify(serialize.member_dict(membership)), 201 if created else 200


@bp.get("/events/<slug>/members")
def list_members(slug):
    user = _user()
    people = events.list_members(event=events.get_event(slug, user), user=user)
    return jsonify(members=[serialize.member_dict(m) for m in people])


@bp.put("/events/<slug>/members/<id:user_id>/role")
def set_role(slug, user_id):
    user = _user()
    data = _body("role")
    membership = events.set_role(event=events.get_event(slug, user), user=user,
                                 member_id=user_id, role=data.get("role"))
    return jsonify(serialize.member_dict(membership))


@bp.delete("/events/<slug>/members/<id:user_id>")
def remove_member(slug, user_id):
    user = _user()
    events.remove_member(event=events.get_event(slug, user), user=user, member_id=user_id)
    return "", 204


# Topics --------------------------------------------------------------------------------------

@bp.post("/events/<slug>/topics")
def propose_topic(slug):
    user = _user()
    topic = board.propose_topic(event=events.get_event(slug, user), user=user, data=_body())
    return jsonify(serialize.topic_dict(topic)), 201


@bp.get("/topics/<id:topic_id>")
@public
def get_topic(topic_id):
    return jsonify(serialize.topic_dict(board.get_topic(topic_id, _user())))


@bp.patch("/topics/<id:topic_id>")
def update_topic(topic_id):
    user = _user()
    topic = board.update_topic(topic=board.get_topic(topic_id, user), user=user, data=_body())
    return jsonify(serialize.topic_dict(topic))


@bp.delete("/topics/<id:topic_id>")
def withdraw_topic(topic_id):
    user = _user()
    topic = board.withdraw_topic(topic=board.get_topic(topic_id, user), user=user)
    return jsonify(serialize.topic_dict(topic))


@bp.put("/topics/<id:topic_id>/placement")
def place_topic(topic_id):
    user = _user()
    data = _body("room_id", "slot_id")
    topic = board.place_topic(topic=board.get_topic(topic_id, user), user=user,
                              room_id=data.get("room_id"), slot_id=data.get("slot_id"))
    return jsonify(serialize.topic_dict(topic))


@bp.delete("/topics/<id:topic_id>/placement")
def release_topic(topic_id):
    user = _user()
    topic = board.release_topic(topic=board.get_topic(topic_id, user), user=user)
    return jsonify(serialize.topic_dict(topic))


@bp.put("/topics/<id:topic_id>/interest")
def add_interest(topic_id):
    user = _user()
    topic = board.set_interest(topic=board.get_topic(topic_id, user), user=user, interested=True)
    return jsonify(serialize.topic_dict(topic))


@bp.delete("/topics/<id:topic_id>/interest")
def remove_interest(topic_id):
    user = _user()
    topic = board.set_interest(topic=board.get_topic(topic_id, user), user=user,
                               interested=False)
    return jsonify(serialize.topic_dict(topic))


# The law of two feet: who is where now --------------------------------------------------------

def _here(event, user) -> dict:
    return {"checked_in": checkins.current(user, event),
            "headcounts": [count.as_dict() for count in checkins.headcounts(event)]}


@bp.get("/events/<slug>/here")
@public
def get_here(slug):
    """The sessions running now (or about to) with who is here, and where you are checked in."""
    user = _user()
    return jsonify(_here(events.get_event(slug, user), user))


@bp.put("/topics/<id:topic_id>/here")
def check_in(topic_id):
    """ "I'm here": into this running session, out of the previous one (members)."""
    user = _user()
    topic = board.get_topic(topic_id, user)
    checkins.check_in(topic=topic, user=user)
    return jsonify(_here(topic.event, user))


@bp.delete("/events/<slug>/here")
def check_out(slug):
    """Leave wherever you are checked in, in this event (members)."""
    user = _user()
    event = events.get_event(slug, user)
    checkins.check_out(event=event, user=user)
    return jsonify(_here(event, user))


@bp.post("/topics/<id:topic_id>/swap")
def swap_topics(topic_id):
    user = _user()
    other_id = v.identifier("with", _body("with").get("with"), what="a topic id")
    first, second = board.swap_topics(first=board.get_topic(topic_id, user),
                                      second=board.get_topic(other_id, user), user=user)
    return jsonify(topics=[serialize.topic_dict(first), serialize.topic_dict(second)])


@bp.post("/topics/<id:topic_id>/merge")
def merge_topics(topic_id):
    user = _user()
    into_id = v.identifier("into", _body("into").get("into"), what="a topic id")
    survivor = board.merge_topics(duplicate=board.get_topic(topic_id, user),
                                  survivor=board.get_topic(into_id, user), user=user)
    return jsonify(serialize.topic_dict(survivor))


@bp.get("/topics/<id:topic_id>/notes")
@public
def get_notes(topic_id):
    """The session's shared note as Markdown: {markdown, updated_at}."""
    return jsonify(notes.note_dict(board.get_topic(topic_id, _user())))


# Action items ----------------------------------------------------------------------------------

def _flag(name: str) -> bool:
    value = request.args.get(name, "")
    if value not in ("", "0", "1", "true", "false"):
        raise ValidationFailed(fields={name: _("must be 1 or 0")})
    return value in ("1", "true")


@bp.get("/events/<slug>/action-items")
@public
def list_action_items(slug):
    """The event's action items, owners resolved; ?mine=1, ?open=1, ?topic_id=N filter."""
    user = _user()
    event = events.get_event(slug, user)
    mine = _flag("mine")
    if mine and user is None:
        raise NotAuthenticated(_("Log in to see your own action items."))
    topic_id = request.args.get("topic_id")
    topic = v.identifier("topic_id", topic_id, what="a topic id") if topic_id else None
    items = actions.filter_items(actions.event_action_items(event),
                                 owner=user if mine else None, open_only=_flag("open"),
                                 topic_id=topic)
    return jsonify(items=[item.as_dict() for item in items])


@bp.put("/topics/<id:topic_id>/action-items/<int(max=262144):index>")
def tick_action_item(topic_id, index):
    """Tick or untick the note's index-th action item (owners, organizers): {text, done}."""
    user = _user()
    data = _body("text", "done")
    item = actions.set_done(topic=board.get_topic(topic_id, user), user=user, index=index,
                            text=data.get("text"), done=data.get("done"))
    return jsonify(item.as_dict())


@bp.get("/events/<slug>/mentions")
def list_mentions(slug):
    """Who "@" offers in the notes editor: members by name and handle (members only)."""
    user = _user()
    return jsonify(members=actions.mentionable(event=events.get_event(slug, user), user=user))


# The opening marketplace's pitch queue ---------------------------------------------------------

def _queue_answer(event, user, state: dict) -> dict:
    """The queue's state plus the caller's own places in it (`mine`)."""
    return {**state, "mine": [{"pitch_id": m["pitch"].id, "topic_id": m["pitch"].topic_id,
                               "state": str(m["pitch"].state), "place": m["place"],
                               "minutes": m["minutes"]}
                              for m in pitches.mine(event, user, state)]}


@bp.get("/events/<slug>/pitches")
@public
def get_pitches(slug):
    """The queue: who announces now (and until when), the next three, how many wait."""
    user = _user()
    event = events.get_event(slug, user)
    return jsonify(_queue_answer(event, user, pitches.queue_state(event)))


@bp.post("/events/<slug>/pitches")
def join_pitches(slug):
    """Queue a topic of yours to announce it: {topic_id}."""
    user = _user()
    event = events.get_event(slug, user)
    data = _body("topic_id")
    topic = board.get_topic(data.get("topic_id"), user)
    pitch, state = pitches.join_queue(event=event, user=user, topic=topic)
    return jsonify(pitch=pitches.pitch_dict(pitch, event),
                   queue=_queue_answer(event, user, state)), 201


@bp.patch("/events/<slug>/pitches")
def update_pitches(slug):
    """Organizers open or close the queue, set the pitch seconds: {open?, seconds?}."""
    user = _user()
    event = events.get_event(slug, user)
    state = pitches.update_queue(event=event, user=user, data=_body(*pitches.SETTINGS))
    return jsonify(_queue_answer(event, user, state))


@bp.post("/events/<slug>/pitches/next")
def next_pitch(slug):
    """The facilitator's "next": {current_id?} (the pitch you saw announcing; null: nobody)."""
    user = _user()
    event = events.get_event(slug, user)
    data = _body("current_id")
    kwargs = {"current_id": data["current_id"]} if "current_id" in data else {}
    state = pitches.next_pitch(event=event, user=user, **kwargs)
    return jsonify(_queue_answer(event, user, state))


@bp.post("/events/<slug>/pitches/<id:pitch_id>/done")
def finish_pitch(slug, pitch_id):
    """The convener announcing now says "done"; the next in line starts."""
    user = _user()
    event = events.get_event(slug, user)
    pitch = pitches.get_pitch(event, pitch_id, user)
    state = pitches.finish_pitch(event=event, user=user, pitch=pitch)
    return jsonify(_queue_answer(event, user, state))


@bp.delete("/events/<slug>/pitches/<id:pitch_id>")
def leave_pitches(slug, pitch_id):
    """Leave the queue (the convener, organizers)."""
    user = _user()
    event = events.get_event(slug, user)
    pitch = pitches.get_pitch(event, pitch_id, user)
    state = pitches.leave_queue(event=event, user=user, pitch=pitch)
    return jsonify(_queue_answer(event, user, state))

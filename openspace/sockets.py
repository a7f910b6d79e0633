"""Socket.IO handlers: authenticate, call one domain function, ack the result.

Every handler acks {"ok": true, ...} or {"ok": false, "error": {code, message}}. Board changes
reach clients through realtime.py after the domain function commits, never from here.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import join_room, leave_room

from . import grants
from .domain import accounts, board, events, notes, permissions, pitches, ratelimit, tx
from .domain import validation as v
from .domain.errors import (
    DomainError,
    Malformed,
    NotAuthenticated,
    OutOfSync,
    RateLimited,
    ValidationFailed,
)
from .domain.serialize import topic_dict
from .domain.signals import sessions_ended
from .extensions import db, socketio
from .i18n import _
from .jsonwire import TOO_DEEP
from .models import Event, Topic, User, Visibility
from .realtime import (
    BoardDelivery,
    batch_room,
    event_room,
    note_room,
    presence_total,
    recheck_rooms,
)
from .web import limits

log = logging.getLogger(__name__)
INTERNAL_ERROR = {"code": "internal_error",
                  "message": "The server could not do that; nothing was changed. Try again."}


@dataclass(frozen=True)
class Identity:
    """Who a connection authenticated as, and with what, so that it can be cut when that ends:
    a browser login (the Flask-Login id "<user id>:<epoch>:<key>" and that login's key) or an
    API token.
    """

    user_id: int
    session_id: str | None = None
    login: str | None = None
    token: str | None = None
    epoch: int | None = None  # the session epoch of a browser login


# sid -> how the connection authenticated (absent: anonymous).
_identities: dict[str, Identity] = {}
# Presence, per process: event id -> sids joined, and sid -> event ids it joined.
_present: dict[int, set[str]] = {}
_joined: dict[str, set[int]] = {}
# sid -> topic id -> a note's write check kept for the connection's next messages, and the
# generations it was made under (grants.py says when it ends).
_grants: dict[str, dict[int, tuple[notes.NoteWriter, grants.Stamp]]] = {}
GRANTS_PER_CONNECTION = 16  # notes one connection writes at once: one per open tab or so
# sid -> the counter of its user's logins when its login was last checked in full (grants.py):
# while it holds, a message loads the user by id instead of checking the login again.
_logins: dict[str, grants.Stamp] = {}


def presence(event_id: int) -> int:
    return len(_present.get(event_id, ()))


def forget_connections() -> None:
    """Drop this process's bookkeeping of connections, which outlives an app: for a new app
    in the same process (the tests make one per test; ids repeat across their databases)."""
    _identities.clear()
    _logins.clear()
    _present.clear()
    _joined.clear()
    _grants.clear()


_presence_pending: set[int] = set()
PRESENCE_EVERY = 2.0  # seconds; 1,000 phones joining must not cost 1,000,000 presence messages


def _announce_presence(event_id: int) -> None:
    """Broadcast the presence count at most once per PRESENCE_EVERY per event."""
    if event_id in _presence_pending:
        return
    _presence_pending.add(event_id)

    def flush() -> None:
        socketio.sleep(PRESENCE_EVERY)
        _presence_pending.discard(event_id)
        socketio.emit("presence", {"count": presence_total(event_id, presence(event_id))},
                      to=event_room(event_id))

    socketio.start_background_task(flush)


def _leave(sid: str, event_id: int) -> None:
    _present.get(event_id, set()).discard(sid)
    _joined.get(sid, set()).discard(event_id)
    _announce_presence(event_id)


def _forget(sid: str) -> None:
    """What this process kept for a connection that ends (or whose login did): its identity,
    its kept login and its kept note write checks."""
    _identities.pop(sid, None)
    _logins.pop(sid, None)
    _grants.pop(sid, None)


def _cut(sid: str) -> None:
    """Disconnect a connection whose login ended; it leaves every room with it."""
    _forget(sid)
    socketio.server.disconnect(sid, namespace="/")


@sessions_ended.connect
def _cut_ended_sessions(user_id: int, *, login: str | None, tokens: bool) -> None:
    """A logout, password change, "log out everywhere" or token revocation in this process
    disconnects the user's live connections that relied on it, here and now."""
    for sid, identity in list(_identities.items()):
        if identity.user_id != user_id:
            continue
        if tokens:
            ended = identity.token is not None
        elif login is None:
            ended = identity.token is None
        else:
            ended = identity.token is None and (identity.login or "") == login
        if ended:
            _cut(sid)


# With a message queue, other processes end logins too (a password change handled there): each
# process re-checks its own logged-in connections this often and cuts those whose login ended,
# and who is in the rooms of private and deleted events (an access change's message through
# Redis may have been lost).
SWEEP_EVERY = 5.0
_sweeping: set[int] = set()  # id() of the Socket.IO servers that have their sweep


def _start_sweep() -> None:
    server = socketio.server
    if id(server) in _sweeping or not current_app.config.get("MESSAGE_QUEUE"):
        return
    _sweeping.add(id(server))
    socketio.start_background_task(_sweep_forever, current_app._get_current_object(), server)


def _sweep_forever(app, server) -> None:
    """Sweep for as long as `server` serves: a new app in the same process (the tests make one
    per test) gets a new server and its own sweep; this one must not look at the new app's
    connections with the old app's database (event ids repeat across databases)."""
    while True:
        socketio.sleep(SWEEP_EVERY)
        if socketio.server is not server:
            _sweeping.discard(id(server))
            return
        with app.app_context():
            try:
                sweep()
                recheck_all()
            except sa.exc.SQLAlchemyError as error:  # a database outage: try again later
                log.warning("session sweep failed: %s", error)
            finally:
                db.session.remove()


def sweep() -> int:
    """Disconnect this process's connections whose login ended; returns how many."""
    current = dict(_identities)
    ended = accounts.ended_logins(
        sessions={i.session_id for i in current.values() if i.session_id},
        tokens={i.token for i in current.values() if i.token})
    cut = [sid for sid, i in current.items() if (i.token or i.session_id) in ended]
    for sid in cut:
        _cut(sid)
    return len(cut)


@recheck_rooms.connect
def recheck(event_id: int, *, topic_ids: list[int], deleted: bool) -> int:
    """Who may see the event changed (or it is gone): this process's connections in its room
    and its notes' rooms that may no longer see it hear `access:ended` and leave those rooms;
    returns how many connections left."""
    manager = socketio.server.manager
    rooms = [event_room(event_id), batch_room(event_id),
             *(note_room(topic_id) for topic_id in topic_ids)]
    inside: dict[str, list[str]] = {}
    for room in rooms:
        for sid, _eio_sid in list(manager.get_participants("/", room)):
            inside.setdefault(sid, []).append(room)
    if not inside:
        return 0
    members = permissions.viewers(None if deleted else db.session.get(Event, event_id))

    def allowed(sid: str) -> bool:
        # (A disabled account's connections are cut whole: sessions_ended and the sweep.)
        identity = _identities.get(sid)
        return members is None or (identity is not None and identity.user_id in members)

    gone = [sid for sid in inside if not allowed(sid)]
    for sid in gone:
        socketio.server.emit("access:ended", {"reason": "deleted" if deleted else "access"},
                             to=sid, namespace="/", ignore_queue=True)
        for room in inside[sid]:
            manager.leave_room(sid, "/", room)
        if event_id in _joined.get(sid, ()):
            _leave(sid, event_id)
    return len(gone)


def recheck_all() -> int:
    """The re-check of every event this process has connections in (a private or deleted
    event's rooms), for an access change whose message was lost on its way through Redis;
    the sweep runs it. Returns how many connections left rooms."""
    rooms = dict(socketio.server.manager.rooms.get("/", {}))
    events_here: set[int] = set()
    notes_here: set[int] = set()
    for room, inside in rooms.items():
        if not (isinstance(room, str) and inside):
            continue
        kind, _, number = room.partition(":")
        if number.isdigit() and kind in ("event", "note"):
            (events_here if kind == "event" else notes_here).add(int(number))
    topics: dict[int, list[int]] = {}
    for topic_id, event_id in db.session.execute(
            sa.select(Topic.id, Topic.event_id).where(Topic.id.in_(sorted(notes_here)))):
        topics.setdefault(event_id, []).append(topic_id)
    wanted = events_here | set(topics)
    visible = dict(db.session.execute(sa.select(Event.id, Event.visibility).where(
        Event.id.in_(sorted(wanted)))).all())
    left = 0
    for event_id in sorted(wanted):
        if event_id not in visible or visible[event_id] == Visibility.PRIVATE:
            left += recheck(event_id, topic_ids=topics.get(event_id, []),
                            deleted=event_id not in visible)
    return left


def _user() -> User | None:
    """The connection's user, for every message: a connection whose login ended (in another
    process, say) is refused and disconnected rather than served as anonymous. The login is
    checked in full once and kept while nothing can have ended it (grants.py: the user's
    counter, bumped by every logout, password change, token revocation or disabling, on any
    process; at most GRANT_TTL): meanwhile the user is loaded by id, and their row's disabling
    and session epoch are checked all the same."""
    sid = request.sid
    identity = _identities.get(sid)
    if identity is None:
        return None
    kept = _logins.get(sid)
    if kept is not None and grants.holds(kept):
        user = db.session.get(User, identity.user_id)
        # What the row says is checked anyway: a disabled account, a password change or "log
        # out everywhere" (the epoch) is refused even when no counter moved for it.
        if user is not None and not user.is_disabled and (
                identity.epoch is None or user.session_epoch == identity.epoch):
            return user
    stamp = grants.login_stamp(identity.user_id)  # before the check: a change during it shows
    if identity.token is not None:
        user = accounts.user_for_token(identity.token)
    else:
        user = accounts.load_session_user(identity.session_id or "")
    if user is not None:
        if stamp is not None and _identities.get(sid) is identity:
            _logins[sid] = stamp
        return user
    _forget(sid)
    # After this message's error ack has gone out.
    socketio.start_background_task(socketio.server.disconnect, sid, namespace="/")
    raise NotAuthenticated(_("Your login has ended; log in again."))


def _member() -> User:
    user = _user()
    if user is None:
        raise NotAuthenticated()
    ratelimit.spend(user, "board")  # the same gate as the pages' and the API's (web/limits.py)
    return user


def _payload(data: Any, *required: str) -> dict:
    if data is TOO_DEEP:
        raise Malformed(_("The message nests deeper than %(num)d levels.", num=v.JSON_DEPTH_MAX))
    if not isinstance(data, dict):
        raise Malformed(_("The message must be an object."))
    missing = [name for name in required if name not in data]
    if missing:
        raise ValidationFailed(fields={name: _("is required") for name in missing})
    return data


def _malformed_key(sid: str | None = None) -> str:
    """Whose budget of malformed messages a connection spends: its user's (all their sockets
    together), or, anonymous, the connection's own."""
    sid = sid or request.sid
    identity = _identities.get(sid)
    return f"user:{identity.user_id}" if identity is not None else f"sid:{sid}"


def _cut_after_ack(sid: str) -> None:
    """Past the malformed budget: the connection is cut, once this message's ack has gone."""
    log.warning("socket %s cut: too many malformed messages", sid)
    _forget(sid)
    socketio.start_background_task(socketio.server.disconnect, sid, namespace="/")


def handler(name: str) -> Callable:
    """Register a handler: its result becomes the ack, a DomainError an error ack."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(data: Any = None) -> dict:
            try:
                return {"ok": True, **(fn(data) or {})}
            except DomainError as error:
                db.session.rollback()
                if isinstance(error, RateLimited):
                    limits.slow_down(error.extra.get("retry_after"))  # as web/limits.py does
                elif isinstance(error, Malformed | OutOfSync) and ratelimit.malformed(
                        _malformed_key()):
                    _cut_after_ack(request.sid)
                return {"ok": False, "error": error.to_dict()}
            except sa.exc.SQLAlchemyError as error:
                if tx.unreachable(error):
                    raise  # the app's socket error handler answers `unavailable`
                # The database refused the write (a failed commit): nothing was stored or sent.
                db.session.rollback()
                log.exception("socket event %s failed in the database", name)
                return {"ok": False, "error": INTERNAL_ERROR}

        socketio.on_event(name, run)
        return run

    return wrap


@socketio.on("connect")
def on_connect(auth: Any = None):
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        # (A token names no user before it is looked up: its first message checks it again.)
        user = accounts.user_for_token(auth["token"])
        if user is None:
            return False  # a wrong token is refused outright
        if not ratelimit.may_send(f"user:{user.id}"):
            return False  # cut for malformed messages a moment ago: not again yet
        _identities[request.sid] = Identity(user_id=user.id, token=auth["token"])
    else:
        # Read before Flask-Login checks the login (current_user), as _user() does; a login
        # only a remember cookie names is in the session after that check.
        named = accounts.login_parts(session.get("_user_id"))
        stamp = grants.login_stamp(named[0]) if named is not None else None
        if current_user.is_authenticated:
            if not ratelimit.may_send(f"user:{current_user.id}"):
                return False
            session_id = session.get("_user_id") or ""
            parts = accounts.login_parts(session_id)
            _identities[request.sid] = Identity(user_id=current_user.id, session_id=session_id,
                                                login=accounts.login_key(session_id),
                                                epoch=parts[1] if parts is not None else None)
            if stamp is not None and named[0] == current_user.id:
                _logins[request.sid] = stamp  # the check just made holds for the next messages
    _start_sweep()
    return True


@socketio.on("disconnect")
def on_disconnect(*_args):
    _forget(request.sid)
    notes.release_awareness(request.sid)
    for event_id in list(_joined.pop(request.sid, ())):
        _leave(request.sid, event_id)


@handler("event:join")
def on_event_join(data):
    data = _payload(data, "slug")
    # batch: true asks for the board's changes as board:batch (realtime.BoardDelivery); the
    # ack says whether this server sends them so (not with a message queue other than Redis).
    asked = data.get("batch", False)
    if not isinstance(asked, bool):
        raise ValidationFailed(fields={"batch": _("must be true or false")})
    event = events.get_event(data["slug"], _user())
    join_room(event_room(event.id))
    batching = asked and isinstance(socketio.server.manager, BoardDelivery)
    if batching:  # the version it starts from: the next one may go out at once
        socketio.server.manager.expect(event.id, event.board_version)
    # A join replaces the last one's choice (a client that joins again without it).
    (join_room if batching else leave_room)(batch_room(event.id))
    _present.setdefault(event.id, set()).add(request.sid)
    _joined.setdefault(request.sid, set()).add(event.id)
    _announce_presence(event.id)
    return {"version": event.board_version, **({"batch": batching} if "batch" in data else {})}


@handler("event:leave")
def on_event_leave(data):
    data = _payload(data, "slug")
    event = events.get_event(data["slug"], _user())
    leave_room(event_room(event.id))
    leave_room(batch_room(event.id))
    _leave(request.sid, event.id)
    return {}


@handler("board:propose")
def on_propose(data):
    data = _payload(data, "slug", "topic")
    user = _member()
    event = events.get_event(data["slug"], user)
    topic_data = data["topic"] if isinstance(data["topic"], dict) else None
    if topic_data is None:
        raise ValidationFailed(fields={"topic": _("must be an object")})
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
                                      second=board.get_topic(data["with"], user, field="with"),
                                      user=user)
    return {"topics": [topic_dict(first), topic_dict(second)]}


@handler("board:interest")
def on_interest(data):
    data = _payload(data, "topic_id", "interested")
    user = _member()
    if not isinstance(data["interested"], bool):
        raise ValidationFailed(fields={"interested": _("must be true or false")})
    topic = board.set_interest(topic=board.get_topic(data["topic_id"], user), user=user,
                               interested=data["interested"])
    return {"topic": topic_dict(topic)}


# The opening marketplace's pitch queue: the new state reaches everyone as pitch:changed
# (realtime.py); the ack carries it too.

@handler("pitch:join")
def on_pitch_join(data):
    data = _payload(data, "slug", "topic_id")
    user = _member()
    event = events.get_event(data["slug"], user)
    pitch, state = pitches.join_queue(event=event, user=user,
                                      topic=board.get_topic(data["topic_id"], user))
    return {"pitch": pitches.pitch_dict(pitch, event), "queue": state}


@handler("pitch:leave")
def on_pitch_leave(data):
    data = _payload(data, "slug", "pitch_id")
    user = _member()
    event = events.get_event(data["slug"], user)
    pitch = pitches.get_pitch(event, data["pitch_id"], user)
    return {"queue": pitches.leave_queue(event=event, user=user, pitch=pitch)}


@handler("pitch:next")
def on_pitch_next(data):
    data = _payload(data, "slug")
    user = _member()
    event = events.get_event(data["slug"], user)
    kwargs = {"current_id": data["current_id"]} if "current_id" in data else {}
    return {"queue": pitches.next_pitch(event=event, user=user, **kwargs)}


@handler("pitch:done")
def on_pitch_done(data):
    data = _payload(data, "slug", "pitch_id")
    user = _member()
    event = events.get_event(data["slug"], user)
    pitch = pitches.get_pitch(event, data["pitch_id"], user)
    return {"queue": pitches.finish_pitch(event=event, user=user, pitch=pitch)}


# Notes: one Yjs document per topic; updates and state vectors travel as binary. -------------

def _note_writer(topic_id: Any, *, kept: bool = True) -> tuple[notes.NoteWriter, Topic | None]:
    """The connection's right to write this note (notes.note_writer), and the topic when it
    was loaded. Kept from an earlier message while nothing it rests on has changed (grants.py:
    the login, the membership and role, the topic on the board), else checked in full now, as
    every message was before; a refusal is never kept."""
    sid = request.sid
    identity = _identities.get(sid)
    if identity is None:
        raise NotAuthenticated()
    topic_id = v.identifier("topic_id", topic_id, what="a topic id")
    mine = _grants.get(sid)
    grant = mine.get(topic_id) if mine is not None and kept else None
    if grant is not None and grant[0].user_id == identity.user_id and grants.holds(grant[1]):
        # Its own bucket, as below: typing must not eat the board's.
        ratelimit.spend_for(identity.user_id, "note")
        return grant[0], None
    if mine is not None:
        mine.pop(topic_id, None)
    # The generations are read before the check, so a change committed during it is seen by
    # the next message. A topic never moves to another event: its event id can be read first.
    found = db.session.get(Topic, topic_id)
    stamp = grants.stamp(identity.user_id, found.event_id) if found is not None else None
    user = _user()
    if user is None:
        raise NotAuthenticated()
    ratelimit.spend(user, "note")
    topic = board.get_topic(topic_id, user)
    writer = notes.note_writer(user, topic)
    if stamp is not None and _identities.get(sid) is identity:
        mine = _grants.setdefault(sid, {})
        if len(mine) >= GRANTS_PER_CONNECTION:
            mine.clear()
        mine[topic_id] = (writer, stamp)
    return writer, topic


@handler("note:join")
def on_note_join(data):
    data = _payload(data, "topic_id")
    user = _user()
    # Each join answers with the whole note to a client that sends no state vector.
    if user is not None:
        ratelimit.spend(user, "note_join")
    else:
        ratelimit.from_client(request.remote_addr, "note_read")
    topic = board.get_topic(data["topic_id"], user)
    # Join the room before reading the note: an update committed after the read is relayed to
    # us, one committed before is in the answer (one in both is harmless: Yjs ignores dupes).
    room = note_room(topic.id)
    join_room(room)
    try:
        update, state_vector = notes.join_note(topic=topic, user=user,
                                               state_vector=data.get("state_vector"))
    except DomainError:
        leave_room(room)
        raise
    return {"update": update, "state_vector": state_vector}


@handler("note:leave")
def on_note_leave(data):
    data = _payload(data, "topic_id")
    leave_room(note_room(v.identifier("topic_id", data["topic_id"], what="a topic id")))
    return {}


@handler("note:update")
def on_note_update(data):
    data = _payload(data, "topic_id", "update")
    writer, topic = _note_writer(data["topic_id"])
    # Returns after the commit, so the ack means "durably stored"; the relay to the note's
    # other readers goes through the note_updated signal (realtime.py), skipping this sid.
    notes.write_update(writer=writer, update=data["update"], origin=request.sid, topic=topic)
    return {}


@handler("note:awareness")
def on_note_awareness(data):
    data = _payload(data, "topic_id", "update")
    writer, topic = _note_writer(data["topic_id"])
    try:
        notes.relay_awareness_as(writer=writer, update=data["update"], origin=request.sid)
    except ValidationFailed:
        if topic is not None:
            raise
        # A kept grant carries the name the user had then: they may have renamed themselves
        # since (no signal for that). Refused by what was kept: check again in full, once.
        writer, _topic = _note_writer(data["topic_id"], kept=False)
        notes.relay_awareness_as(writer=writer, update=data["update"], origin=request.sid)
    return {}

"""Domain signals -> Socket.IO broadcasts (event rooms, note rooms), sent after the commit.

With several server processes the broadcasts travel through Redis (`RedisQueue`). A message
lost on the way (Redis restarted, a process died between its commit and its publish) would
leave clients behind without their knowing, since they notice a gap only when the next change
arrives. So each process also watches the versions it has delivered to its own clients against
the database, and where the database is ahead for longer than a message takes, it tells them
(`board:changed` with kind "resync" and the current version): they refetch the board.

Clients that ask for it (`event:join` with `batch: true`) get the board's changes in batches:
`BoardDelivery`, the process's Socket.IO manager, holds them for a short window after they
reach the process (from this process's own commits or through Redis) and sends them as one
`board:batch` message, in version order. The window lives where the changes are delivered, not
where they are committed: every process sends its clients what it received, in the order Redis
gave it, so each recipient's versions stay consecutive whichever process committed them.

Presence ("N people online") is counted per process, where the sockets are; with several
processes each keeps its counts in Redis too, so every announcement carries the total.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
import socketio as python_socketio
import sqlalchemy as sa
from blinker import Namespace
from flask import Flask
from pycrdt import merge_updates
from redis.backoff import NoBackoff
from redis.retry import Retry

from .domain.signals import (
    access_changed,
    announcement_changed,
    board_changed,
    headcount_changed,
    note_awareness,
    note_updated,
    pitch_changed,
    projector_changed,
)
from .extensions import db, socketio
from .models import Event

log = logging.getLogger(__name__)

# Who may see an event changed (domain/signals.py access_changed): every process must re-check
# its own connections in the event's rooms. With Redis the news travels as an emit to a room
# no client is ever in; RedisQueue._handle_emit runs the check instead of delivering it.
ACCESS_EVENT = "openspace:access"
ACCESS_ROOM = "openspace:access"
# Sent in each process for its own connections: sockets.py removes those no longer allowed.
# sender: the event id; kwargs: topic_ids, deleted (as access_changed).
recheck_rooms = Namespace().signal("recheck-rooms")

EVENT_ROOM = "event:"
# The sockets of an event that take its board changes in batches (they are in its event room
# too, for everything else the event sends).
BATCH_ROOM = "board-batch:"
RESYNC_EVERY = 2.0  # seconds between two looks at the database; a lag is acted on at the second
PRESENCE_STALE = 5 * RESYNC_EVERY  # a process's count not refreshed for this long is gone


def event_room(event_id: int) -> str:
    return f"{EVENT_ROOM}{event_id}"


def batch_room(event_id: int) -> str:
    return f"{BATCH_ROOM}{event_id}"


def note_room(topic_id: int) -> str:
    return f"note:{topic_id}"


def presence_total(event_id: int, local: int) -> int:
    """Sockets joined to the event on every server process, given this process's count."""
    manager = getattr(socketio.server, "manager", None)
    if isinstance(manager, RedisQueue):
        return manager.presence_total(event_id, local)
    return local


@board_changed.connect
def _broadcast_board_change(event_id: int, *, version: int, kind: str, **payload) -> None:
    socketio.emit(
        "board:changed", {"version": version, "kind": kind, **payload}, to=event_room(event_id)
    )


@announcement_changed.connect
def _broadcast_announcement(event_id: int, *, kind: str, announcement: dict) -> None:
    socketio.emit("announcement", {"kind": kind, "announcement": announcement},
                  to=event_room(event_id))


@projector_changed.connect
def _broadcast_projector_change(event_id: int, *, kind: str, mode: str) -> None:
    # Projectors re-render what they show (phones ignore it); a projector that misses this
    # catches up at its next refresh (news.js, every minute) or reconnect.
    socketio.emit("projector:changed", {"kind": kind, "mode": mode}, to=event_room(event_id))


@headcount_changed.connect
def _broadcast_headcounts(event_id: int, *, counts: list[dict]) -> None:
    # Now & Next, the organizers' rooms view and the projector show who is where.
    socketio.emit("headcount:changed", {"counts": counts}, to=event_room(event_id))


@pitch_changed.connect
def _broadcast_pitch_queue(event_id: int, *, queue: dict) -> None:
    # The whole (small) state: the marketplace phones, the facilitator's page and the projector
    # patch themselves from it; a newer version replaces an older one, so a lost message is
    # made good by the next (and a reconnect refetches the page).
    socketio.emit("pitch:changed", queue, to=event_room(event_id))


@access_changed.connect
def _recheck_every_process(event_id: int, *, topic_ids: list[int], deleted: bool) -> None:
    change = {"event_id": event_id, "topic_ids": list(topic_ids), "deleted": bool(deleted)}
    if isinstance(getattr(socketio.server, "manager", None), RedisQueue):
        socketio.emit(ACCESS_EVENT, change, to=ACCESS_ROOM)  # this process too, at once
    else:  # one process (or a queue other than Redis: docs/deploy.md)
        recheck_rooms.send(event_id, topic_ids=change["topic_ids"], deleted=change["deleted"])


class NoteRelay:
    """Relays a note's committed updates to its room, at most one message per recipient and
    `window`.

    Thirty people typing into one note send ~100 updates a second, and each would go to every
    reader of the note. The first update after a quiet spell goes out at once; updates that
    follow within the window are merged into one (Yjs updates merge losslessly, and applying one
    twice changes nothing) and go out when the window ends, per recipient: the note's readers
    get the whole merge in one message (encoded once for all), each sender of the window that
    is connected here gets the merge of the others' updates only (nothing, if it was alone), so
    nobody is sent back what they wrote. Updates without a sender (a page, the CLI) go to all.
    """

    def __init__(self, window: float) -> None:
        self.window = window
        self._lock = threading.Lock()  # green under eventlet/gevent; held for dict work only
        self._last: dict[int, float] = {}  # topic id -> when its last message went out
        self._pending: dict[int, list[tuple[bytes, str | None]]] = {}
        self._scheduled = 0  # flushes scheduled and not yet sent

    @property
    def idle(self) -> bool:
        """No merged message is waiting or on its way (what went out at once is sent)."""
        return self._scheduled == 0

    def relay(self, topic_id: int, update: bytes, origin: str | None) -> None:
        with self._lock:
            pending = self._pending.get(topic_id)
            if pending is not None:  # a flush is scheduled: ride along
                pending.append((update, origin))
                return
            now = time.monotonic()
            wait = self._last.get(topic_id, 0.0) + self.window - now
            if wait <= 0:
                self._last[topic_id] = now
            else:
                self._pending[topic_id] = [(update, origin)]
                self._scheduled += 1
        if wait <= 0:
            self._send(topic_id, [(update, origin)])
        else:
            socketio.start_background_task(self._flush_later, topic_id, wait)

    def _flush_later(self, topic_id: int, wait: float) -> None:
        try:
            socketio.sleep(wait)
            with self._lock:
                batch = self._pending.pop(topic_id, [])
                self._last[topic_id] = time.monotonic()
                if len(self._last) > 10_000:  # forget notes nobody typed in for a while
                    cutoff = time.monotonic() - 60
                    self._last = {t: at for t, at in self._last.items() if at > cutoff}
            self._send(topic_id, batch)
        finally:
            with self._lock:
                self._scheduled -= 1

    def _send(self, topic_id: int, batch: list[tuple[bytes, str | None]]) -> None:
        if not batch:
            return
        room = note_room(topic_id)
        senders = list(dict.fromkeys(origin for _, origin in batch if origin is not None))
        update = batch[0][0] if len(batch) == 1 else merge_updates(*(u for u, _ in batch))
        socketio.emit("note:update", {"topic_id": topic_id, "update": update}, to=room,
                      skip_sid=senders or None)
        # The senders wrote here (their handlers ran in this process), so they are connected
        # here if anywhere: a local delivery, to those still in the room.
        here = socketio.server.manager.rooms.get("/", {}).get(room) or {}
        for sender in senders:
            if sender not in here:
                continue
            others = [u for u, origin in batch if origin != sender]
            if not others:
                continue  # it sent all of it
            socketio.server.emit(
                "note:update", {"topic_id": topic_id, "update": others[0] if len(others) == 1
                                else merge_updates(*others)},
                to=sender, namespace="/", ignore_queue=True)


note_relay = NoteRelay(window=0.05)


@note_updated.connect
def _relay_note_update(topic_id: int, *, update: bytes, origin: str | None = None) -> None:
    # The origin is the sender's sid: it has its own update already.
    note_relay.relay(topic_id, update, origin)


@note_awareness.connect
def _relay_note_awareness(topic_id: int, *, update: bytes, origin: str | None = None) -> None:
    socketio.emit("note:awareness", {"topic_id": topic_id, "update": update},
                  to=note_room(topic_id), skip_sid=origin)


class _Skipping(list):
    """The `skip_sid` list Manager.emit is given, looked up as a set: it asks `sid not in
    skip_sid` for every recipient, and a thousand batching sockets would make that quadratic."""

    def __init__(self, sids) -> None:
        super().__init__()
        self._sids = set(sids)

    def __contains__(self, sid: object) -> bool:
        return sid in self._sids


class BoardDelivery(python_socketio.Manager):
    """Delivers to this process's sockets; `board:changed` to an event's room goes at once to
    the sockets that take single changes, and is held for the window for those in the event's
    batch room, which get everything the window collected as one `board:batch`
    {changes: [...]}, each version once, in order.

    The window opens with the first change and closes `batch_window` seconds later; when the
    process is busy the timer fires late and the batch grows, which is when merging saves most
    (one websocket message per socket instead of several). Sent after the commit like every
    broadcast: what reaches the manager was committed.
    """

    batch_window = 0.05

    def __init__(self, *args, batch_window: float | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if batch_window is not None:
            self.batch_window = batch_window
        self._batch_lock = threading.Lock()  # green under eventlet/gevent; dict work only
        self._batches: dict[int, list[dict]] = {}  # event id -> changes held for its window

    def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None,
             to=None, **kwargs):
        room = to or room
        event_id = None
        if event == "board:changed" and isinstance(room, str) and room.startswith(EVENT_ROOM) \
                and room[len(EVENT_ROOM):].isdigit() and namespace == "/" and skip_sid is None \
                and callback is None and isinstance(data, dict):
            event_id = int(room[len(EVENT_ROOM):])
        batching = self.rooms.get("/", {}).get(batch_room(event_id)) \
            if event_id is not None else None
        if not batching:
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                                callback=callback, **kwargs)
        super().emit(event, data, namespace, room=room, skip_sid=_Skipping(batching))
        self._hold(event_id, data)

    def _hold(self, event_id: int, change: dict) -> None:
        with self._batch_lock:
            batch = self._batches.get(event_id)
            if batch is not None:  # the window is open: ride along
                batch.append(change)
                return
            self._batches[event_id] = [change]
        self.server.start_background_task(self._send_batch, event_id)

    def _send_batch(self, event_id: int) -> None:
        self.server.sleep(self.batch_window)
        with self._batch_lock:
            held = self._batches.pop(event_id, [])
        # Within a window the versions are put in order: changes committed by two processes
        # may reach a third in the other order.
        by_version = {c["version"]: c for c in held if isinstance(c.get("version"), int)}
        if by_version:
            super().emit("board:batch", {"changes": [by_version[v] for v in sorted(by_version)]},
                         "/", room=batch_room(event_id))


class RedisQueue(python_socketio.RedisManager, BoardDelivery):
    """Flask-SocketIO's Redis fan-out, plus the resync watch described above. Local delivery
    (PubSubManager's own `super().emit`) is BoardDelivery's, after the queue."""

    def __init__(self, url: str, *, channel: str, app: Flask,
                 batch_window: float | None = None) -> None:
        # Connecting fails fast when Redis is gone (a request that broadcasts must not hang);
        # no read timeout, which would break the listener's blocking wait for messages.
        super().__init__(url, channel=channel, redis_options={"socket_connect_timeout": 2})
        if batch_window is not None:
            self.batch_window = batch_window
        self.app = app
        self.delivered: dict[int, int] = {}  # event id -> highest version delivered here
        self.behind: dict[int, int] = {}  # event id -> a database version not yet delivered
        self._counts: redis.Redis | None = None  # for presence counts, made on first use

    def initialize(self) -> None:
        super().initialize()
        if not self.write_only:
            self.server.start_background_task(self._watch)

    def _handle_emit(self, message: dict) -> None:
        # Every local delivery passes here: this process's own emits and those from the queue.
        room = message.get("room")
        if message.get("event") == ACCESS_EVENT and room == ACCESS_ROOM:
            self._recheck(message.get("data"))
            return
        super()._handle_emit(message)
        if message.get("event") == "board:changed" and isinstance(room, str) \
                and room.startswith(EVENT_ROOM):
            data = message.get("data")
            change = data[0] if isinstance(data, list) and data else data
            if isinstance(change, dict) and isinstance(change.get("version"), int):
                self._delivered(int(room[len(EVENT_ROOM):]), change["version"])

    def _recheck(self, data: object) -> None:
        # In the listener's own thread, not a background task: a board change published after
        # the access change is delivered only once the check has removed whom it must.
        change = data[0] if isinstance(data, list) and data else data
        if not (isinstance(change, dict) and isinstance(change.get("event_id"), int)):
            return
        with self.app.app_context():
            try:
                recheck_rooms.send(change["event_id"],
                                   topic_ids=[t for t in change.get("topic_ids") or ()
                                              if isinstance(t, int)],
                                   deleted=change.get("deleted") is True)
            finally:
                db.session.remove()

    def _delivered(self, event_id: int, version: int) -> None:
        if version > self.delivered.get(event_id, -1):
            self.delivered[event_id] = version

    def _watch(self) -> None:
        while True:
            self.server.sleep(RESYNC_EVERY)
            try:
                self.check()
            except Exception as error:  # the database may be down too: look again next time
                log.warning("resync watch: could not compare board versions: %r", error)

    def local_events(self) -> list[int]:
        """The events some client of this process has joined."""
        rooms = self.rooms.get("/", {})
        return [int(room[len(EVENT_ROOM):]) for room, members in list(rooms.items())
                if isinstance(room, str) and room.startswith(EVENT_ROOM) and members]

    def check(self) -> None:
        """Resync the local clients of every event the database is (still) ahead on."""
        rooms = self.rooms.get("/", {})
        try:
            self.store_presence({event_id: len(rooms.get(event_room(event_id)) or ())
                                 for event_id in self.local_events()})
        except Exception as error:
            log.warning("presence: could not store this process's counts: %r", error)
        ids = self.local_events()
        for gone in set(self.delivered) - set(ids):
            self.delivered.pop(gone, None)
            self.behind.pop(gone, None)
        if not ids:
            return
        with self.app.app_context():
            versions = dict(db.session.execute(
                sa.select(Event.id, Event.board_version).where(Event.id.in_(ids))).all())
        for event_id, version in versions.items():
            delivered = self.delivered.get(event_id)
            if delivered is None or version < delivered:  # first look, or a reset database
                self.delivered[event_id] = version
                continue
            if version == delivered:
                self.behind.pop(event_id, None)
            elif self.behind.get(event_id, -1) > delivered:
                # Ahead at the last look too: longer than any message takes, so it was lost.
                log.warning("event %s: clients here missed board changes (%s < %s); resync",
                            event_id, delivered, version)
                self.behind.pop(event_id, None)
                self.delivered[event_id] = version
                self.server.emit("board:changed", {"version": version, "kind": "resync"},
                                 to=event_room(event_id), ignore_queue=True)
            else:
                self.behind[event_id] = version

    # Presence across processes: a hash per event, {host id: "count:unix time"} ------------

    def _presence_key(self, event_id: int) -> str:
        return f"{self.channel}:presence:{event_id}"

    def _client(self) -> redis.Redis:
        if self._counts is None:
            self._counts = redis.Redis.from_url(self.redis_url, socket_connect_timeout=1,
                                                socket_timeout=1, retry=Retry(NoBackoff(), 0))
        return self._counts

    def store_presence(self, counts: dict[int, int]) -> None:
        if not counts:
            return
        pipe = self._client().pipeline(transaction=False)
        now = time.time()
        for event_id, count in counts.items():
            pipe.hset(self._presence_key(event_id), self.host_id, f"{count}:{now}")
            pipe.expire(self._presence_key(event_id), int(PRESENCE_STALE * 6))
        pipe.execute()

    def presence_total(self, event_id: int, local: int) -> int:
        try:
            self.store_presence({event_id: local})
            fields = self._client().hgetall(self._presence_key(event_id))
        except Exception:  # Redis is down: this process's own count is what we know
            log.warning("presence: Redis unreachable, counting this process only")
            return local
        total, now = local, time.time()
        for host, value in fields.items():
            count, _, at = value.decode().partition(":")
            if host.decode() != self.host_id and now - float(at) <= PRESENCE_STALE:
                total += int(count)
        return total

"""Domain signals -> Socket.IO broadcasts (event rooms, note rooms), sent after the commit.

With several server processes the broadcasts travel through Redis (`RedisQueue`). A message
lost on the way (Redis restarted, a process died between its commit and its publish) would
leave clients behind without their knowing, since they notice a gap only when the next change
arrives. So each process also watches the versions it has delivered to its own clients against
the database, and where the database is ahead for longer than a message takes, it tells them
(`board:changed` with kind "resync" and the current version): they refetch the board.

Clients that ask for it (`event:join` with `batch: true`) get the board's changes in batches:
`BoardDelivery`, the process's Socket.IO manager, sends the first change after a quiet spell at
once (a `board:batch` of one) and holds those that follow within a short window of that send,
as they reach the process (from this process's own commits or through Redis), for one
`board:batch` message in version order when the window ends (the `Throttle` rule, which note
updates follow too). The window lives where the changes are delivered, not where they are
committed: every process sends its clients what it received, in the order Redis gave it, so
each recipient's versions stay consecutive whichever process committed them.

Presence ("N people online") is counted per process, where the sockets are; with several
processes each keeps its counts in Redis too, so every announcement carries the total.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable

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


class Throttle:
    """One send per key and `window` on average, at most `burst` within one window: the rule
    NoteRelay (per note) and BoardDelivery (per event) share.

    An item that finds its key with a send to spare goes out at once, alone, so the first after
    a quiet spell waits for nothing; an item that finds none spare is held, and the items that
    follow ride along with it, until the key has one again, in one send. Each send takes one;
    they come back one per window (a token bucket of `burst`, kept as the time the key has them
    all back, GCRA's "theoretical arrival time"). With a burst of 1: at most one send per window
    (the note relay). A burst of 2 lets an item that comes a little early go at once too: items
    about one window apart (the marketplace rush, 20 claims a second against a 50 ms window)
    cannot merge anyway, and holding each for what is left of the window, plus the late timer of
    a loop busy with the last fan-out, only made them late (measured: batches of 1.01 changes,
    p50 +18 ms against single changes); items that keep coming faster than one per window still
    merge, after two.

    The windows keep their pace: a held send counts as made when it was due, not when a busy
    loop got to run its timer (counting from then pushed every later window back, and the items
    that came about one window apart each waited for most of one alone). Items that come while a
    held send is late ride along with it.

    `send(key, items)` sends, outside the lock; `spawn(fn, *args)` and `sleep(seconds)` are the
    server's (green under eventlet), `clock()` the time. `leads(key, item)`, if given, sees
    every item offered, in order, under the lock, and may keep one that would go out at once
    for a window instead (by returning False): BoardDelivery's, for a version that does not
    follow the last one.
    """

    keep = 10_000  # keys remembered before those quiet for `forget_after` are forgotten
    forget_after = 60.0

    def __init__(self, window: float, send: Callable[[Hashable, list], None], *,
                 spawn: Callable[..., object], sleep: Callable[[float], object],
                 leads: Callable[[Hashable, object], bool] | None = None, burst: int = 1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.burst = burst
        self._clock = clock
        self.lock = threading.Lock()  # green under eventlet/gevent; held for dict work only
        self._send, self._spawn, self._sleep, self._leads = send, spawn, sleep, leads
        self._full: dict[Hashable, float] = {}  # key -> when it has all its sends back
        self._pending: dict[Hashable, list] = {}  # key -> items held for its next send
        self._scheduled = 0  # flushes scheduled and not yet sent

    @property
    def idle(self) -> bool:
        """Nothing is held or on its way (what went out at once is sent)."""
        return self._scheduled == 0

    def offer(self, key: Hashable, item: object) -> None:
        with self.lock:
            leads = self._leads is None or self._leads(key, item)
            pending = self._pending.get(key)
            if pending is not None:  # a flush is scheduled: ride along
                pending.append(item)
                return
            now = self._clock()
            # The earliest a send is one to spare: `burst - 1` windows before all are back.
            due = self._full.get(key, float("-inf")) - self.window * (self.burst - 1)
            at_once = due <= now and leads
            if at_once:
                self._sent(key, now)
            else:  # none to spare, or kept: held until one is (a window, if kept)
                self._pending[key] = [item]
                self._scheduled += 1
                due = due if due > now else now + self.window
        if at_once:
            self._send(key, [item])
        else:
            self._spawn(self._flush_later, key, due)

    def _flush_later(self, key: Hashable, due: float) -> None:
        try:
            self._sleep(max(0.0, due - self._clock()))
            with self.lock:
                items = self._pending.pop(key, [])
                self._sent(key, due)  # when it was due, however late the timer ran
            self._send(key, items)
        finally:
            with self.lock:
                self._scheduled -= 1

    def _sent(self, key: Hashable, at: float) -> None:
        # Under the lock: one send taken, back a window after the others.
        self._full[key] = max(self._full.get(key, float("-inf")), at) + self.window
        if len(self._full) > self.keep:  # forget the keys nothing was sent for in a while
            cutoff = at - self.forget_after
            self._full = {k: full for k, full in self._full.items() if full > cutoff}


class NoteRelay:
    """Relays a note's committed updates to its room, at most one message per recipient and
    `window` (a `Throttle` per note).

    Thirty people typing into one note send ~100 updates a second, and each would go to every
    reader of the note. The first update after a quiet spell goes out at once; updates that
    follow within the window are merged into one (Yjs updates merge losslessly, and applying one
    twice changes nothing) and go out when the window ends, per recipient: the note's readers
    get the whole merge in one message (encoded once for all), each sender of the window that
    is connected here gets the merge of the others' updates only (nothing, if it was alone), so
    nobody is sent back what they wrote. Updates without a sender (a page, the CLI) go to all.
    """

    def __init__(self, window: float) -> None:
        self._throttle = Throttle(window, self._send, spawn=socketio.start_background_task,
                                  sleep=socketio.sleep)

    @property
    def window(self) -> float:
        return self._throttle.window

    @property
    def idle(self) -> bool:
        """No merged message is waiting or on its way (what went out at once is sent)."""
        return self._throttle.idle

    def relay(self, topic_id: int, update: bytes, origin: str | None) -> None:
        self._throttle.offer(topic_id, (update, origin))

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
    the sockets that take single changes, and through a `Throttle` per event to those in the
    event's batch room, which get it as a `board:batch` {changes: [...]}, each version once,
    in order.

    The throttle's rule (a burst of 2): a change that finds the event with a batch to spare (one
    per `batch_window` on average, at most two within one) goes out at once, a batch of one
    (the first change after a quiet spell waits for nothing, nor does one that comes a little
    early); the changes that follow when none is spare ride along and go out together as soon
    as one is. When the process is busy that timer fires late and the batch grows, which is
    when merging saves most (one websocket message per socket instead of several). Within a batch
    the versions are put in order: changes committed by two processes may reach a third in the
    other order. So a change that does not follow the last version offered here (the one
    before it is still on its way, or was lost) is not sent at once even after a quiet spell:
    a window opens with it, for the one before to catch up and be sorted in. Sent after the
    commit like every broadcast: what reaches the manager was committed.
    """

    def __init__(self, *args, batch_window: float | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._versions: dict[int, int] = {}  # event id -> highest version offered to its batches
        self._throttle = Throttle(
            0.05 if batch_window is None else batch_window, self._send_batch,
            spawn=lambda *args: self.server.start_background_task(*args),
            sleep=lambda seconds: self.server.sleep(seconds), leads=self._follows, burst=2)

    @property
    def batch_window(self) -> float:
        return self._throttle.window

    @batch_window.setter
    def batch_window(self, seconds: float) -> None:
        self._throttle.window = seconds

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
        self._throttle.offer(event_id, data)

    def expect(self, event_id: int, version: int) -> None:
        """A socket is about to join the event's batches, having been told `version` (the
        database's): if no other socket here takes them (what was offered before went to
        nobody still here) or nothing was offered yet, the next change may go out at once when
        it is version + 1."""
        with self._throttle.lock:
            if event_id not in self._versions \
                    or not self.rooms.get("/", {}).get(batch_room(event_id)):
                self._remember(event_id, version)

    def _follows(self, event_id: int, change: dict) -> bool:
        # The throttle's `leads`, under its lock, for every change in the order it arrived.
        version = change.get("version")
        if not isinstance(version, int):
            return True  # not sent (see _send_batch): nothing to keep it for
        last = self._versions.get(event_id)
        if last is None or version > last:
            self._remember(event_id, version)
        return last is None or version == last + 1

    def _remember(self, event_id: int, version: int) -> None:
        # Under the throttle's lock.
        if event_id not in self._versions and len(self._versions) >= Throttle.keep:
            # Forget the events nobody here takes batches of (a joiner tells us its version).
            rooms = self.rooms.get("/", {})
            self._versions = {e: v for e, v in self._versions.items()
                              if rooms.get(batch_room(e))}
        self._versions[event_id] = version

    def _send_batch(self, event_id: int, held: list[dict]) -> None:
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

"""Grants: what a connection's messages rest on, checked once and kept while it holds.

Every socket message rests on the connection's login; sockets.py keeps that its login was
checked (under the `user:<id>` counter below) and, on the next message, loads the user by id
instead of checking the session or token again, until the counter moves or GRANT_TTL passes.

A `note:update` or `note:awareness` is allowed while the connection's login holds (its session
epoch and login row, or its API token; the account enabled), its user is a member of the
topic's event and the topic is on the board. Checking that costs several queries per message
(docs/performance.md, Notes); sockets.py keeps what the check found (a notes.NoteWriter) per
connection and note, and checks again only when something it rests on may have changed.

Generations say when. Every change that may end a grant bumps a counter after its commit and
before its request answers (the receivers below, on the signals the session sweep and the
access re-check already act on):

- `user:<id>`: sessions_ended (a logout, "log out everywhere", a password change, a token
  revoked, the account disabled);
- `event:<id>`: access_changed (visibility, a membership or a role changed, the event deleted)
  and a board change that may take a topic off the board (withdrawn, merged, or any kind not
  known to leave every topic as it was).

A kept grant carries the counters it was checked under, read *before* the check; a message
compares them with the current ones and re-checks on any difference. One process: the counters
are a dict in memory. Several processes (a Redis message queue): they are Redis keys beside the
queue's channel (`<channel>:grant:user:<id>`), bumped with INCR by the process that committed
and read with one MGET per message by every process, so the very next message after the change
is checked again on any process: nothing travels through the queue, so nothing can be late.

A grant is also checked again once it is GRANT_TTL old: a bump can be lost (a process dying
between its commit and its INCR, Redis unreachable at that moment, a change made by a process
without the queue, like the CLI on SQLite), and this bounds how long. (An ended login is cut
sooner anyway, by the session sweep every few seconds.) Not much shorter: at 2 messages a
second, every tenth would be checked in full with 5 s (measured: 15 % of the server's time in
bench/notes.py --scenario slot). Redis unreachable when a message reads the counters: that
message is checked in full.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from .domain.signals import access_changed, board_changed, sessions_ended

log = logging.getLogger(__name__)

GRANT_TTL = 30.0  # seconds
KEY_LIFETIME = 3600  # seconds a Redis counter outlives its last bump (>> GRANT_TTL)

# Board changes after which every topic of the event is as it was for note writing (active or
# not): they keep the event's grants. Any other kind (withdrawn, merged, one added later)
# bumps the event's counter.
KEEPS_GRANTS = frozenset({
    "proposed", "updated", "placed", "moved", "released", "swapped", "interest", "unmerged",
    "board_state", "room_added", "room_changed", "room_removed", "slot_added", "slot_changed",
    "slot_removed", "resync",
})


@dataclass(frozen=True)
class Stamp:
    """The counters a grant was checked under, and when."""

    keys: tuple[str, ...]
    values: tuple[int, ...]
    at: float


class LocalCounters:
    """One process: the counters in memory."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def read(self, keys: tuple[str, ...]) -> tuple[int, ...] | None:
        return tuple(self.counts.get(key, 0) for key in keys)

    def bump(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1


class RedisCounters:
    """Several processes: the counters in Redis, under `<prefix>:grant:`."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis  # only deployments with a Redis queue load the client
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.prefix = f"{prefix}:grant:"
        # Fail fast, never retry inside a message: the answer to an outage is the full check.
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1,
                                          retry=Retry(NoBackoff(), 0))
        self.errors = (redis.RedisError, OSError)

    def read(self, keys: tuple[str, ...]) -> tuple[int, ...] | None:
        try:
            values = self.redis.mget([self.prefix + key for key in keys])
        except self.errors as error:
            log.warning("grants: Redis unreachable (%s); checking every message", error)
            return None
        return tuple(int(value) if value else 0 for value in values)

    def bump(self, key: str) -> None:
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.incr(self.prefix + key)
            pipe.expire(self.prefix + key, KEY_LIFETIME)
            pipe.execute()
        except self.errors as error:  # kept grants end at GRANT_TTL at the latest
            log.warning("grants: could not bump %s (%s)", key, error)


_counters: LocalCounters | RedisCounters = LocalCounters()


def configure(url: str | None, *, prefix: str = "openspace") -> None:
    """Where this process keeps the counters: in Redis with a Redis message queue (every
    process must see every bump), else in memory."""
    global _counters
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        _counters = RedisCounters(url, prefix)
    else:
        _counters = LocalCounters()


def _user_key(user_id: int) -> str:
    return f"user:{user_id}"


def _keys(user_id: int, event_id: int) -> tuple[str, ...]:
    return (_user_key(user_id), f"event:{event_id}")


def _stamp(keys: tuple[str, ...]) -> Stamp | None:
    values = _counters.read(keys)
    return None if values is None else Stamp(keys, values, time.monotonic())


def stamp(user_id: int, event_id: int) -> Stamp | None:
    """The counters now, to be read before the check a grant keeps (None: unknown, keep
    nothing)."""
    return _stamp(_keys(user_id, event_id))


def login_stamp(user_id: int) -> Stamp | None:
    """The user's counter now, to be read before the login check a connection keeps (every
    socket message rests on its login; sockets._user)."""
    return _stamp((_user_key(user_id),))


def holds(kept: Stamp) -> bool:
    """Nothing a grant checked under `kept` rests on has changed since (as far as the counters
    tell), and it is younger than GRANT_TTL."""
    if time.monotonic() - kept.at >= GRANT_TTL:
        return False
    return _counters.read(kept.keys) == kept.values


def bump_user(user_id: int) -> None:
    _counters.bump(_user_key(user_id))


def bump_event(event_id: int) -> None:
    _counters.bump(f"event:{event_id}")


@sessions_ended.connect
def _login_ended(user_id: int, **_kwargs) -> None:
    bump_user(user_id)


@access_changed.connect
def _access_changed(event_id: int, **_kwargs) -> None:
    bump_event(event_id)


@board_changed.connect
def _board_changed(event_id: int, *, kind: str, **_payload) -> None:
    if kind not in KEEPS_GRANTS:
        bump_event(event_id)

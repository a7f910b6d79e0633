"""Rate limits: per user for what logged-in people do, per client address (generously: a whole
venue shares one address) and for everyone together for what anonymous requests cost.

A token bucket per (key, action): `burst` actions at once, refilled at `rate` per second.
LIMITS is the one table of buckets; `hit()` is the one way to spend from them, `spend()` the
per-user gate every transport (pages and API: web/limits.py; sockets: sockets.py) passes
before it calls the domain, so an action costs the same by form, API or socket.
docs/security.md explains the numbers.

Where the buckets live is a setting (OPENSPACE_RATELIMIT_STORAGE, see config.py):
- `memory://` (the default): in this process, right for one server process;
- `redis://...`: in Redis, shared by every process of a deployment, each hit one atomic Lua
  script on Redis's own clock (so processes and their clocks never disagree about a bucket).
If Redis cannot be reached, hits fall back to this process's memory for a moment rather than
fail: a Redis restart must not stop the event, and a per-process limit still stops a runaway
script.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from ..i18n import _l
from ..models import User, utcnow
from .errors import RateLimited

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    rate: float  # tokens per second
    burst: int


# Generous enough for a convener tapping fast, tight enough to stop a runaway script.
LIMITS = {
    "board": Limit(rate=5, burst=30),
    "join": Limit(rate=2, burst=20),
    # Note edits and carets: a typist's client sends ~10 batched updates a second, plus awareness.
    "note": Limit(rate=30, burst=120),
    # What those updates write, in bytes of Yjs update (a typed batch is ~20-50 bytes, a
    # character of text 1-4), per user, over all notes: 256 KiB at once (a whole note pasted,
    # a long report typed offline and sent on reconnect), then 2 KiB a second (120 KiB a
    # minute: a fast typist writes ~1 KiB). The update that empties it is still taken whole
    # (hit() spends its cost from the first token), then the next waits for the debt to refill.
    "note_bytes": Limit(rate=2048, burst=256 * 1024),
    # Opening a note (`note:join`): its answer may be the whole note (up to MAX_NOTE_CHARS).
    # Per user: 30 at once, then one a second (a page load or a reconnect each); anonymous
    # readers per client address: 300 at once, then 5 a second (a venue reading along).
    "note_join": Limit(rate=1, burst=30),
    "note_read": Limit(rate=5, burst=300),
    # Password checks per account (login page, API tokens, password change), right or wrong:
    # 20 at once, then 10 a minute. Scripts that fetch a token per run and people who mistype
    # never notice; guessing gets at most ~14,000 tries a day at one account.
    "login": Limit(rate=1 / 6, burst=20),
    # Photo uploads per user: each costs ~1 s of CPU to clean up. 10 at once, then 10 a minute.
    "photo": Limit(rate=1 / 6, burst=10),
    # A quick-join account's first FRESH_FOR: its board, photo and join actions also spend from
    # this (5, then one per 12 s), so identities minted in bulk cannot each fire a full burst.
    "fresh": Limit(rate=1 / 12, burst=5),
    # Anonymous requests that check or set a password (~0.1 s of CPU each: scrypt), per client
    # address: logins and API tokens (100 at once, then 180 a minute), sign-ups (30, then 60 a
    # minute); and all addresses together (200, then 8 a second, about one core's worth).
    "signin": Limit(rate=3, burst=100),
    "signup": Limit(rate=1, burst=30),
    "passwords": Limit(rate=8, burst=200),
    # Quick joins (a name, no password), per client address (300 at once, then 300 a minute:
    # a venue behind one address joins in the minutes after the opening) and per event.
    "quick_join": Limit(rate=5, burst=300),
    "quick_join_event": Limit(rate=10, burst=1000),
    # Wrong join codes, per client address and per user: 20, then 6 a minute. Right codes
    # (a QR code scanned by a whole venue) cost nothing.
    "join_code": Limit(rate=1 / 10, burst=20),
    # Mail (domain/mail/): asking for a reset or sign-in link, per client address, and for an
    # address confirmation, per logged-in user (30 at once, then 6 a minute); mails to one
    # address, whoever asks (3, then one per 5 minutes: nobody's inbox is flooded through us);
    # invitations per organizer (100 at once for a list of attendees, then 6 a minute).
    # Malformed messages and bodies (errors.Malformed: not JSON, nested too deeply, not an
    # object), which no working client sends: 20, then 6 a minute, per user, or per client
    # address (HTTP) and per connection (Socket.IO) when anonymous. Past that a socket is cut
    # (and a user's new ones refused), and a body over UNREAD_BODY is refused unread.
    "malformed": Limit(rate=1 / 10, burst=20),
    "mail_request": Limit(rate=1 / 10, burst=30),
    "mail_address": Limit(rate=1 / 300, burst=3),
    "invite": Limit(rate=1 / 10, burst=100),
    # Schedule advisor suggestions per organizer (each keeps up to ADVISOR_WORKERS cores busy
    # for up to ADVISOR_TIME_LIMIT seconds): 5 at once, then 2 a minute.
    "advisor": Limit(rate=1 / 30, burst=5),
    # Restoring an event from an uploaded export, per user (each may decode many photos).
    "restore": Limit(rate=1 / 60, burst=5),
    # Printed signs and cards as PDF, per user: each costs up to a few seconds of CPU (WeasyPrint).
    # 10 at once (every room's sign, one by one), then 6 a minute.
    "print": Limit(rate=1 / 10, burst=10),
}

# What a refusal says, per action (others: "Too many changes ...").
MESSAGES = {
    "signin": _l("Too many sign-ins from your network right now; try again in %(seconds)d s."),
    "signup": _l("Too many new accounts from your network right now; try again in "
                 "%(seconds)d s."),
    "passwords": _l("Too many sign-ins right now; try again in %(seconds)d s."),
    "quick_join": _l("Too many people joining from your network right now; try again in "
                     "%(seconds)d s."),
    "quick_join_event": _l("Too many people joining this event right now; try again in "
                           "%(seconds)d s."),
    "join_code": _l("Too many wrong join codes; try again in %(seconds)d s."),
    "photo": _l("Too many photos; try again in %(seconds)d s."),
    "note_bytes": _l("Too much written into notes in a short time; try again in %(seconds)d s."),
    "mail_request": _l("Too many mail requests from your network right now; try again in "
                       "%(seconds)d s."),
    "mail_address": _l("Too many mails to that address lately; try again in %(seconds)d s."),
    "invite": _l("Too many invitations; try again in %(seconds)d s."),
    "restore": _l("Too many restores; try again in %(seconds)d s."),
    "print": _l("Too many PDFs; try again in %(seconds)d s."),
    "malformed": _l("Too many malformed requests; try again in %(seconds)d s."),
}
# Past the "malformed" budget, bodies larger than this are refused without being read; smaller
# ones (a login, a quick join: a few hundred bytes) cost little, so a venue behind one address
# is never locked out of logging in by one bad client there.
UNREAD_BODY = 16 * 1024
TOO_MANY_CHANGES = _l("Too many changes; try again in %(seconds)d s.")

# The per-user actions a fresh quick-join account also pays for in its first minute (note
# typing is not among them: joining to take notes is what newcomers do, and it reaches one
# note's readers). Accounts with a password are never fresh: an organizer sets up the event
# right after signing up, and sign-ups have their own, tighter budget per address.
FRESH_FOR = timedelta(minutes=1)
FRESH_ACTIONS = frozenset({"board", "photo", "join"})


class Storage(Protocol):
    def take(self, bucket: str, limit: Limit, now: float | None, cost: int = 1) -> float:
        """Spend `cost` tokens (0: only look) if there is a whole one; return the tokens left
        after spending one (< 0: none was there, and nothing is spent)."""

    def reset(self) -> None:
        """Forget every bucket (tests)."""


class MemoryStorage:
    """Buckets in this process, behind one lock: per bucket (tokens, last refill, the time it is
    full again), least recently used first.

    Past `max_buckets`, full buckets are forgotten first (a full bucket and a missing one are
    the same), then the least recently used: never all at once, so nobody can empty everyone's
    buckets by making many new ones (which the per-address and global buckets slow down too).
    The reset() of tests and of a Redis fallback empties everything.
    """

    MAX_BUCKETS = 100_000  # ~20 MB

    def __init__(self, max_buckets: int = MAX_BUCKETS) -> None:
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float, float]] = OrderedDict()
        self.max_buckets = max_buckets

    def take(self, bucket: str, limit: Limit, now: float | None, cost: int = 1) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            if cost == 0 and bucket not in self._buckets:
                return limit.burst - 1  # looking at a full bucket need not remember it
            tokens, last, _ = self._buckets.get(bucket, (float(limit.burst), now, now))
            tokens = min(float(limit.burst), tokens + (now - last) * limit.rate)
            left = tokens - 1  # < 0: refused, and nothing is spent
            if left >= 0:
                tokens -= cost
            self._buckets[bucket] = (tokens, now, now + (limit.burst - tokens) / limit.rate)
            self._buckets.move_to_end(bucket)
            self._forget(now)
            return left

    def _forget(self, now: float) -> None:
        """Past max_buckets: drop every full bucket, then the least recently used down to 90%
        (so this scan runs at most once per 10% of max_buckets new buckets)."""
        if len(self._buckets) <= self.max_buckets:
            return
        for key in [key for key, (_, _, full_at) in self._buckets.items() if full_at <= now]:
            del self._buckets[key]
        while len(self._buckets) > self.max_buckets * 0.9:
            self._buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


# KEYS[1]: the bucket; ARGV: rate, burst, now (seconds; empty = Redis's clock), cost.
# Returns the tokens left after this hit as a string (Lua numbers become integers in replies);
# negative means refused. The key expires once a full bucket would have refilled anyway.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local last = tonumber(state[2])
if tokens == nil or last == nil then
  tokens = burst
  last = now
end
tokens = math.min(burst, tokens + (now - last) * rate)
local left = tokens - 1
if tokens >= 1 then
  tokens = tokens - tonumber(ARGV[4])
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(left)
"""


class RedisStorage:
    """Buckets in Redis under `<prefix>:ratelimit:`, shared by every server process."""

    RETRY_AFTER_FAILURE = 1.0  # seconds spent on the memory fallback before trying Redis again

    def __init__(self, url: str, prefix: str) -> None:
        import redis  # only deployments that configure Redis need the client loaded
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.prefix = f"{prefix}:ratelimit:"
        # Fail fast, never retry inside a request: the fallback below is the answer to an outage.
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1,
                                          retry=Retry(NoBackoff(), 0))
        self.script = self.redis.register_script(_TAKE)
        self.errors = (redis.RedisError, OSError)
        self.fallback = MemoryStorage()
        self._down_until = 0.0

    def take(self, bucket: str, limit: Limit, now: float | None, cost: int = 1) -> float:
        if time.monotonic() >= self._down_until:
            try:
                left = self.script(keys=[self.prefix + bucket],
                                   args=[limit.rate, limit.burst, "" if now is None else now,
                                         cost])
                return float(left)
            except self.errors as error:
                self._down_until = time.monotonic() + self.RETRY_AFTER_FAILURE
                log.warning("rate limits: Redis unreachable (%s); per-process limits for now",
                            error)
        return self.fallback.take(bucket, limit, now, cost)

    def reset(self) -> None:
        self.fallback.reset()
        keys = list(self.redis.scan_iter(match=self.prefix + "*", count=1000))
        if keys:
            self.redis.delete(*keys)


_storage: Storage = MemoryStorage()


def configure(url: str | None, *, prefix: str = "openspace") -> Storage:
    """Choose where buckets live for this process: memory:// (default) or redis://..."""
    global _storage
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        _storage = RedisStorage(url, prefix)
    elif not url or url.startswith("memory://"):
        _storage = MemoryStorage()
    else:
        raise ValueError(f"rate-limit storage must be memory:// or redis://..., not {url!r}")
    return _storage


def hit(key: str, action: str, *, now: float | None = None, cost: int = 1) -> None:
    """Spend one token for this key (a user, a client address, ...) and action, or raise
    RateLimited; with cost=0, only check that there is one."""
    limit = LIMITS[action]
    left = _storage.take(f"{action}:{key}", limit, now, cost)
    if left < 0:
        wait = max(-left / limit.rate, 0.1)  # until one whole token has refilled
        message = MESSAGES.get(action, TOO_MANY_CHANGES)
        raise RateLimited(str(message) % {"seconds": math.ceil(wait)},
                          retry_after=round(wait, 1))


def spend(user: User, action: str) -> None:
    """The per-user gate of every transport: one token of `action` for this user, and, in a
    quick-join account's first minute, one of its "fresh" bucket for board, photo and join."""
    created = user.created_at
    if (action in FRESH_ACTIONS and user.is_quick and created is not None
            and utcnow() - created < FRESH_FOR):
        hit(f"user:{user.id}", "fresh")
    hit(f"user:{user.id}", action)


def spend_for(user_id: int, action: str) -> None:
    """spend() for a caller that holds the user's id only (a socket's kept grant, sockets.py),
    for an action without a "fresh" bucket."""
    if action in FRESH_ACTIONS:
        raise ValueError(f"{action} has a fresh bucket: spend() it with the user")
    hit(f"user:{user_id}", action)


def from_client(client: str | None, action: str, *, overall: str | None = None) -> None:
    """Spend from the client address's bucket of `action`, then (with `overall`) from the one
    bucket all addresses share. Without an address (the CLI, scripts calling the domain
    directly) nothing is spent: only requests from the network are counted."""
    if client is None:
        return
    hit(f"addr:{client}", action)
    if overall is not None:
        hit("all", overall)


def malformed(key: str) -> bool:
    """Count one malformed message or body from `key` ("user:<id>", "addr:<address>",
    "sid:<socket>"); True when its budget is used up (the sender is to be cut off)."""
    return _storage.take(f"malformed:{key}", LIMITS["malformed"], None) < 1


def may_send(key: str) -> bool:
    """Has `key` a token of its malformed budget left (it is not cut off)? Only looks."""
    try:
        hit(key, "malformed", cost=0)
    except RateLimited:
        return False
    return True


def reset() -> None:
    _storage.reset()

"""Rate limits per user (never per IP: a whole venue shares one address).

A token bucket per (user, action): `burst` actions at once, refilled at `rate` per second.
LIMITS is the one table of buckets; `hit()` is the one way to spend from them.

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
import threading
import time
from dataclasses import dataclass
from typing import Protocol

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
    # Password checks per account (login page, API tokens, password change), right or wrong:
    # 20 at once, then 10 a minute. Scripts that fetch a token per run and people who mistype
    # never notice; guessing gets at most ~14,000 tries a day at one account.
    "login": Limit(rate=1 / 6, burst=20),
}


class Storage(Protocol):
    def take(self, bucket: str, limit: Limit, now: float | None) -> float:
        """Spend one token if there is one; return the tokens left (< 0: none was there)."""

    def reset(self) -> None:
        """Forget every bucket (tests)."""


class MemoryStorage:
    """Buckets in this process: (tokens, last refill) per bucket, behind one lock."""

    MAX_BUCKETS = 100_000  # forget idle users rather than grow without bound

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, bucket: str, limit: Limit, now: float | None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(bucket, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - last) * limit.rate)
            left = tokens - 1  # < 0: refused, and nothing is spent
            self._buckets[bucket] = (left if left >= 0 else tokens, now)
            if len(self._buckets) > self.MAX_BUCKETS:
                self._buckets.clear()
            return left

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


# KEYS[1]: the bucket; ARGV: rate, burst, now (seconds; empty = Redis's clock).
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
  tokens = tokens - 1
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

    def take(self, bucket: str, limit: Limit, now: float | None) -> float:
        if time.monotonic() >= self._down_until:
            try:
                left = self.script(keys=[self.prefix + bucket],
                                   args=[limit.rate, limit.burst, "" if now is None else now])
                return float(left)
            except self.errors as error:
                self._down_until = time.monotonic() + self.RETRY_AFTER_FAILURE
                log.warning("rate limits: Redis unreachable (%s); per-process limits for now",
                            error)
        return self.fallback.take(bucket, limit, now)

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


def hit(key: str, action: str, *, now: float | None = None) -> None:
    """Spend one token for this user and action, or raise RateLimited."""
    limit = LIMITS[action]
    left = _storage.take(f"{action}:{key}", limit, now)
    if left < 0:
        wait = -left / limit.rate  # until one whole token has refilled
        raise RateLimited(f"Too many changes; try again in {wait:.0f} s.",
                          retry_after=round(wait, 1))


def reset() -> None:
    _storage.reset()

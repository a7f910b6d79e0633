"""Rate limits per user (never per IP: a whole venue shares one address).

A token bucket per (user, action): `burst` actions at once, refilled at `rate` per second.
Kept in process memory, which is right for one server process; several processes share
Redis (see the scale-out work).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .errors import RateLimited


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
    # Password attempts per account (login page, API tokens, password change): 10 at once,
    # then one every 30 s, so guessing a password is hopeless while a typo costs nothing.
    "login": Limit(rate=1 / 30, burst=10),
}

_lock = threading.Lock()
_buckets: dict[tuple[str, str], tuple[float, float]] = {}


def hit(key: str, action: str, *, now: float | None = None) -> None:
    """Spend one token for this user and action, or raise RateLimited."""
    limit = LIMITS[action]
    now = time.monotonic() if now is None else now
    with _lock:
        tokens, last = _buckets.get((key, action), (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + (now - last) * limit.rate)
        if tokens < 1:
            _buckets[(key, action)] = (tokens, now)
            wait = (1 - tokens) / limit.rate
            raise RateLimited(f"Too many changes; try again in {wait:.0f} s.",
                              retry_after=round(wait, 1))
        _buckets[(key, action)] = (tokens - 1, now)
        if len(_buckets) > 100_000:  # forget idle users rather than grow without bound
            _buckets.clear()


def reset() -> None:
    with _lock:
        _buckets.clear()

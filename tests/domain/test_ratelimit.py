"""The in-process bucket store: bounded, without ever forgetting everyone's buckets at once."""

from __future__ import annotations

import pytest

from openspace.domain import ratelimit
from openspace.domain.errors import RateLimited
from openspace.domain.ratelimit import Limit, MemoryStorage

LIMIT = Limit(rate=1, burst=3)


def _spend(storage: MemoryStorage, bucket: str, times: int, now: float) -> list[bool]:
    return [storage.take(bucket, LIMIT, now) >= 0 for _ in range(times)]


def test_many_new_buckets_do_not_refill_one_in_use():
    storage = MemoryStorage(max_buckets=100)
    assert _spend(storage, "board:user:flooder", 4, now=0.0) == [True] * 3 + [False]

    # The flooder makes buckets by the thousand (a fresh email per login, say) to get its own
    # spent bucket forgotten (before: past the maximum, every bucket was), trying it as it goes.
    for n in range(5000):
        storage.take(f"login:email:{n}@example.org", LIMIT, 0.5)
        if n % 50 == 0:
            assert storage.take("board:user:flooder", LIMIT, 0.5) < 0

    assert len(storage) <= 100


def test_full_buckets_are_forgotten_before_spent_ones():
    storage = MemoryStorage(max_buckets=10)
    _spend(storage, "spent", 3, now=0.0)  # empty until t=3
    for n in range(9):
        _spend(storage, f"full-again-{n}", 1, now=0.0)  # full again at t=1

    storage.take("newcomer", LIMIT, 2.0)  # the 11th bucket, at t=2

    assert len(storage) == 2  # the nine full ones went, LRU or not
    assert storage.take("spent", LIMIT, 2.0) >= 0  # two of three tokens back: it was kept
    assert storage.take("spent", LIMIT, 2.0) >= 0
    assert storage.take("spent", LIMIT, 2.0) < 0


def test_without_full_buckets_the_least_recently_used_go():
    storage = MemoryStorage(max_buckets=10)
    for n in range(11):
        _spend(storage, f"user-{n}", 3, now=0.0)  # all empty until t=3

    assert len(storage) == 9  # down to 90%, oldest first
    assert storage.take("user-10", LIMIT, 0.0) < 0  # the newest are still spent
    assert storage.take("user-2", LIMIT, 0.0) < 0
    assert storage.take("user-0", LIMIT, 0.0) >= 0  # forgotten: a full bucket again


def test_looking_spends_nothing():
    storage = MemoryStorage()
    assert storage.take("join_code:addr:x", LIMIT, 0.0, cost=0) >= 0
    assert len(storage) == 0  # a glance at a full bucket remembers nothing
    assert _spend(storage, "join_code:addr:x", 3, now=0.0) == [True] * 3
    assert storage.take("join_code:addr:x", LIMIT, 0.0, cost=0) < 0


def test_a_look_at_an_empty_bucket_is_refused_like_a_hit():
    ratelimit.configure("memory://")
    for _ in range(ratelimit.LIMITS["join_code"].burst):
        ratelimit.hit("addr:192.0.2.1", "join_code", now=1.0)
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit("addr:192.0.2.1", "join_code", now=1.0, cost=0)
    assert refused.value.message.startswith("Too many wrong join codes")
    ratelimit.hit("addr:192.0.2.2", "join_code", now=1.0, cost=0)
    ratelimit.reset()

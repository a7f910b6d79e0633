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


# The budget of bytes written into notes (issue 11, 2): what people do passes, a flood does not.

NOTE_BYTES = ratelimit.LIMITS["note_bytes"]
MAX_UPDATE = 64 * 1024  # notes.MAX_UPDATE: the largest single note:update


def _write(size: int, now: float, who: str = "user:1") -> float | None:
    """One note update of `size` bytes at `now`: None when taken, else the announced wait."""
    try:
        ratelimit.hit(who, "note_bytes", now=now, cost=size)
    except RateLimited as refused:
        return refused.extra["retry_after"]
    return None


def test_typing_for_an_hour_with_long_pastes_is_never_refused():
    ratelimit.configure("memory://")
    refused = []
    # A whole note at its size limit (256 KiB) pasted at once, cut into the largest updates
    # the editor sends ...
    refused += [_write(MAX_UPDATE, now=0.0) for _ in range(4)]
    # ... then an hour of fast typing (ten batches a second, ~60 bytes each: more than anyone
    # types), with a 60 KiB report pasted every ten minutes.
    for tick in range(1, 36_000):
        now = tick / 10
        refused.append(_write(60, now=now))
        if tick % 6_000 == 0:
            refused.append(_write(60 * 1024, now=now))
    assert set(refused) == {None}
    ratelimit.reset()


def test_repeated_large_writes_are_refused_until_the_budget_refills():
    ratelimit.configure("memory://")
    size = 60_000  # bench/abuse.py's note-bloat updates
    taken = 0
    while _write(size, now=0.0) is None:
        taken += 1
    # Each is taken while a byte of budget is left, so the last one overdraws it.
    assert taken == -(-NOTE_BYTES.burst // size)
    wait = _write(size, now=0.0)
    debt = taken * size - NOTE_BYTES.burst
    assert wait == pytest.approx((debt + 1) / NOTE_BYTES.rate, abs=0.1)
    assert _write(10, now=0.0, who="user:2") is None  # everyone else writes as before
    assert _write(10, now=wait - 1) is not None  # typing waits too, until the debt is paid
    assert _write(size, now=wait) is None
    # Sustained, a flood gets the rate and no more: over ten minutes, its 600 s of refill.
    start, taken = wait, 0
    for tick in range(6_000):
        if _write(size, now=start + tick / 10) is None:
            taken += 1
    assert taken <= 600 * NOTE_BYTES.rate / size + 1
    ratelimit.reset()

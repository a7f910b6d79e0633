"""Rate limits in Redis: one bucket per user and action, shared by every server process."""

from __future__ import annotations

import os

import pytest
import redis

from openspace.domain import ratelimit
from openspace.domain.errors import RateLimited
from openspace.domain.ratelimit import LIMITS, MemoryStorage, RedisStorage
from tests.live import free_port
from tests.scaleout.services import unique_channel

SHARED_REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_url():
    try:
        redis.Redis.from_url(SHARED_REDIS, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    return SHARED_REDIS


@pytest.fixture
def prefix(redis_url):
    prefix = unique_channel()
    yield prefix
    RedisStorage(redis_url, prefix).reset()
    ratelimit.configure("memory://")


def _spend(storage, action: str, count: int, now: float) -> list[bool]:
    limit = LIMITS[action]
    return [storage.take(f"{action}:user:1", limit, now) >= 0 for _ in range(count)]


def test_two_processes_share_one_bucket(redis_url, prefix):
    first, second = RedisStorage(redis_url, prefix), RedisStorage(redis_url, prefix)
    burst = LIMITS["board"].burst

    spent = _spend(first, "board", burst // 2, now=1000.0) + _spend(second, "board", burst,
                                                                     now=1000.0)

    assert spent.count(True) == burst
    assert spent[burst:] == [False] * (burst // 2)


def test_the_bucket_refills_at_its_rate(redis_url, prefix):
    storage = RedisStorage(redis_url, prefix)
    limit = LIMITS["join"]
    assert _spend(storage, "join", limit.burst + 1, now=50.0)[-1] is False

    # Two seconds later: rate x 2 tokens are back, no more.
    refilled = _spend(storage, "join", int(limit.rate * 2) + 1, now=52.0)

    assert refilled == [True] * int(limit.rate * 2) + [False]


def test_hit_raises_rate_limited_with_the_wait(redis_url, prefix):
    ratelimit.configure(redis_url, prefix=prefix)
    for _ in range(LIMITS["board"].burst):
        ratelimit.hit("user:7", "board", now=10.0)

    with pytest.raises(RateLimited) as raised:
        ratelimit.hit("user:7", "board", now=10.0)

    assert raised.value.extra["retry_after"] == pytest.approx(1 / LIMITS["board"].rate)
    ratelimit.hit("user:8", "board", now=10.0)  # per user
    ratelimit.hit("user:7", "note", now=10.0)  # per action


def test_buckets_live_under_the_deployment_prefix_and_expire(redis_url, prefix):
    storage = RedisStorage(redis_url, prefix)
    _spend(storage, "board", 1, now=None)
    client = redis.Redis.from_url(redis_url)

    keys = [key.decode() for key in client.scan_iter(match=f"{prefix}:*")]

    assert keys == [f"{prefix}:ratelimit:board:user:1"]
    assert 0 < client.pttl(keys[0]) <= (LIMITS["board"].burst / LIMITS["board"].rate + 1) * 1000


def test_without_redis_hits_fall_back_to_this_process():
    storage = RedisStorage(f"redis://127.0.0.1:{free_port()}/0", unique_channel())

    spent = _spend(storage, "board", LIMITS["board"].burst + 1, now=5.0)

    assert spent == [True] * LIMITS["board"].burst + [False]


def test_the_storage_is_chosen_by_url(redis_url, prefix):
    assert isinstance(ratelimit.configure("memory://"), MemoryStorage)
    assert isinstance(ratelimit.configure(None), MemoryStorage)
    assert isinstance(ratelimit.configure(redis_url, prefix=prefix), RedisStorage)
    with pytest.raises(ValueError):
        ratelimit.configure("memcached://127.0.0.1")


def test_a_look_spends_nothing_and_is_refused_once_the_bucket_is_empty(redis_url, prefix):
    storage = RedisStorage(redis_url, prefix)
    limit = LIMITS["join_code"]

    looks = [storage.take("join_code:user:1", limit, 70.0, cost=0) >= 0 for _ in range(50)]
    spent = _spend(storage, "join_code", limit.burst, now=70.0)

    assert looks == [True] * 50
    assert spent == [True] * limit.burst
    assert storage.take("join_code:user:1", limit, 70.0, cost=0) < 0

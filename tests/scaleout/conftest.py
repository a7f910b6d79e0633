"""Two `openspace serve` processes sharing PostgreSQL and Redis (the shared test servers, with
a Redis channel and key prefix of their own), for the tests that do not stop anything."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.scaleout.clients import start_servers
from tests.scaleout.services import empty_database, postgres_url, unique_channel

SHARED_REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def channel() -> str:
    return unique_channel()


def running_pair(directory, channel: str, **env: str) -> Iterator[list]:
    """Two fresh processes on an emptied database and the shared Redis under `channel`,
    stopped and their Redis keys removed afterwards."""
    url = postgres_url()
    empty_database(url)
    servers = start_servers(directory, 2, OPENSPACE_DATABASE_URL=url,
                            OPENSPACE_MESSAGE_QUEUE=SHARED_REDIS,
                            OPENSPACE_MESSAGE_QUEUE_CHANNEL=channel, **env)
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()
        client = redis.Redis.from_url(SHARED_REDIS)
        keys = list(client.scan_iter(match=f"{channel}:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture(scope="module")
def pair(tmp_path_factory, channel):
    """Processes A and B on one database and one message queue."""
    yield from running_pair(tmp_path_factory.mktemp("pair"), channel)

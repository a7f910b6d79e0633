"""An eventlet and a gevent process serving one event together (DESIGN.md keeps gevent as the
way off eventlet: a deployment can move over one process at a time)."""

from __future__ import annotations

from tests.live import wait_for
from tests.scaleout.clients import Phone, board, propose, start_servers, token
from tests.scaleout.conftest import SHARED_REDIS
from tests.scaleout.services import empty_database, postgres_url


def test_an_eventlet_and_a_gevent_process_serve_one_event_together(tmp_path, channel):
    url = postgres_url()
    empty_database(url)
    servers = start_servers(tmp_path, 2, OPENSPACE_DATABASE_URL=url,
                            OPENSPACE_MESSAGE_QUEUE=SHARED_REDIS,
                            OPENSPACE_MESSAGE_QUEUE_CHANNEL=f"{channel}-mixed",
                            each=[{"OPENSPACE_ASYNC_MODE": "eventlet"},
                                  {"OPENSPACE_ASYNC_MODE": "gevent"}])
    a, b = servers
    on_a = Phone(a.url, token(a.url, "roel@example.org"))
    on_b = Phone(b.url, token(b.url, "mark@example.org"))
    try:
        start = board(a.url)["version"]
        propose(on_a, "From eventlet")
        propose(on_b, "From gevent")
        for phone in (on_a, on_b):
            wait_for(lambda p=phone: p.version == start + 2, timeout=20)
            assert phone.kinds() == ["proposed", "proposed"]
            assert phone.refetches == 0
    finally:
        on_a.close()
        on_b.close()
        for server in servers:
            server.stop()

"""The way off eventlet: the same server under gevent, with real sockets."""

from __future__ import annotations

import pytest

from tests.live import LiveServer
from tests.sockets.test_live_server import SLUG, Listener, _board, _free_cell, wait_for


@pytest.fixture(scope="module")
def gevent_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("gevent"), OPENSPACE_ASYNC_MODE="gevent")
    server.prepare(("db", "upgrade"), ("demo",))
    server.start()
    yield server
    server.stop()


def test_gevent_server_relays_board_changes(gevent_server):
    token = gevent_server.token("roel@example.org")
    phone, projector = Listener(gevent_server.url, token), Listener(gevent_server.url)
    try:
        topic = phone.call("board:propose", {"slug": SLUG, "topic": {"title": "On gevent"}})
        assert topic["ok"] is True
        convener_id = topic["topic"]["convener"]["id"]
        room_id, slot_id = _free_cell(_board(gevent_server, token), convener_id)
        assert phone.call("board:place", {"topic_id": topic["topic"]["id"], "room_id": room_id,
                                          "slot_id": slot_id})["ok"] is True
        wait_for(lambda: [c["kind"] for c in projector.changes] == ["proposed", "placed"])
    finally:
        phone.close()
        projector.close()

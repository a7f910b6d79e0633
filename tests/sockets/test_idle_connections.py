"""Connections that go quiet are closed by the server (OPENSPACE_SOCKET_TIMEOUT, the Socket.IO
heartbeat), tested with raw sockets against a real `openspace serve`, eventlet and gevent: a
connection that never sends a request, one that stops in the middle of its headers, a keep-alive
connection left idle after its answer, and a WebSocket that stops answering pings. A live
client that answers the pings stays connected well past the timeout.

The server's timeouts are set short here (1 s ping interval and timeout, a 3 s socket timeout);
the client side waits up to WAIT for the server to close, so a server that never does fails the
test instead of hanging it.
"""

from __future__ import annotations

import base64
import os
import socket
import time

import pytest
import socketio

from tests.live import LiveServer

pytestmark = pytest.mark.slow

WAIT = 30.0
SETTINGS = {"OPENSPACE_PING_INTERVAL": "1", "OPENSPACE_PING_TIMEOUT": "1",
            "OPENSPACE_SOCKET_TIMEOUT": "3"}


@pytest.fixture(scope="module", params=["eventlet", "gevent"])
def server(request, tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp(request.param),
                        OPENSPACE_ASYNC_MODE=request.param, **SETTINGS)
    server.prepare(("db", "upgrade"))
    server.start()
    yield server
    server.stop()


def _connect(server) -> socket.socket:
    raw = socket.create_connection(("127.0.0.1", server.port))
    raw.settimeout(WAIT)
    return raw


def _read_until_closed(raw: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (TimeoutError if it never
    does within WAIT)."""
    received = b""
    while chunk := raw.recv(65536):
        received += chunk
    return received


def test_a_connection_that_sends_nothing_is_closed(server):
    with _connect(server) as raw:
        assert _read_until_closed(raw) == b""


def test_a_request_that_stops_halfway_is_closed(server):
    with _connect(server) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow")
        answer = _read_until_closed(raw)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")  # never a page


def test_an_idle_keep_alive_connection_is_closed_after_its_answer(server):
    with _connect(server) as raw:
        raw.sendall(b"GET /api/v1/csrf HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = _read_until_closed(raw)
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.count(b"HTTP/1.1 ") == 1


def _websocket(server) -> socket.socket:
    raw = _connect(server)
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                 "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    return raw


def test_a_websocket_that_stops_answering_pings_is_closed(server):
    with _websocket(server) as raw:
        received = _read_until_closed(raw)
    assert received.startswith(b"HTTP/1.1 101")
    assert b'0{"sid":' in received  # the Engine.IO open packet
    assert b"\x81\x012" in received  # a ping (text frame "2"), never answered
    assert b"\x88" in received  # then the server's close frame


def test_a_client_that_answers_pings_stays_connected(server):
    client = socketio.Client(reconnection=False)
    ends: list[str] = []
    client.on("disconnect", lambda *reason: ends.append(str(reason)))
    client.connect(server.url, transports=["websocket"], wait_timeout=10)
    try:
        # Three socket timeouts' worth of quiet on the client's side: only pings and pongs.
        deadline = time.monotonic() + 3 * float(SETTINGS["OPENSPACE_SOCKET_TIMEOUT"])
        while time.monotonic() < deadline:
            time.sleep(0.5)
        assert client.connected and ends == []
        assert client.call("note:leave", {"topic_id": 1}, timeout=10) == {"ok": True}
    finally:
        client.disconnect()

"""Real python-socketio clients against a real `openspace serve` process."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import socketio

from tests.live import wait_for

SLUG = "drupal-cxo-brussels"


class Listener:
    """A real Socket.IO client that records board changes."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.changes: list[dict] = []
        self.presence: list[int] = []
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=True, reconnection_delay=0.2,
                                      reconnection_delay_max=1)
        self.client.on("board:changed", self._on_change)
        self.client.on("presence", lambda data: self.presence.append(data["count"]))
        self.client.on("connect", self._on_connect)
        self.joins: list[dict] = []
        self.client.connect(url, transports=["websocket"],
                            auth={"token": token} if token else None, wait_timeout=10)
        wait_for(lambda: self.joins)

    def _on_connect(self):
        # Like the browser: (re)join on every connect and learn the current version.
        self.client.emit("event:join", {"slug": SLUG}, callback=self.joins.append)

    def _on_change(self, data):
        with self.lock:
            self.changes.append(data)

    def call(self, name: str, data: dict) -> dict:
        return self.client.call(name, data, timeout=10)

    def close(self) -> None:
        self.client.disconnect()


def _board(server, token):
    return server.api("GET", f"/events/{SLUG}/board", token).json()


def _free_cell(board, *convener_ids):
    """A free session cell in a slot where these conveners hold nothing."""
    taken = {(t["room_id"], t["slot_id"]) for t in board["topics"] if t["room_id"]}
    busy = {t["slot_id"] for t in board["topics"] if t["convener"]["id"] in convener_ids}
    for slot in board["slots"]:
        if slot["kind"] != "session" or slot["id"] in busy:
            continue
        for room in board["rooms"]:
            if (room["id"], slot["id"]) not in taken:
                return room["id"], slot["id"]
    raise AssertionError("no free cell")


def test_changes_from_sockets_and_the_api_reach_every_client_in_order(live_server):
    roel = live_server.token("roel@example.org")
    mark = live_server.token("mark@example.org")
    board = _board(live_server, roel)
    phones = [Listener(live_server.url, roel), Listener(live_server.url, mark),
              Listener(live_server.url)]  # the projector: anonymous, public event
    try:
        assert [p.joins[0] for p in phones] == [{"ok": True, "version": board["version"]}] * 3
        mine = phones[0].call("board:propose", {"slug": SLUG, "topic": {
            "title": "Live from a socket"}})["topic"]
        room_id, slot_id = _free_cell(_board(live_server, roel), mine["convener"]["id"])
        ack = phones[0].call("board:place", {"topic_id": mine["id"], "room_id": room_id,
                                             "slot_id": slot_id})
        assert ack["ok"] is True, ack
        # A change through the JSON API is broadcast the same way.
        response = live_server.api("PUT", f"/topics/{mine['id']}/interest", mark)
        assert response.status_code == 200, response.text
        final = _board(live_server, roel)["version"]
        for phone in phones:
            wait_for(lambda p=phone: p.changes and p.changes[-1]["version"] == final)
            versions = [c["version"] for c in phone.changes]
            assert versions == list(range(board["version"] + 1, final + 1))
            placed = next(c for c in phone.changes if c["kind"] == "placed")
            assert (placed["topic"]["room_id"], placed["topic"]["slot_id"]) == (room_id, slot_id)
            assert phone.changes[-1]["kind"] == "interest"
        wait_for(lambda: phones[2].presence and phones[2].presence[-1] == 3)
    finally:
        for phone in phones:
            phone.close()


def test_the_loser_of_a_socket_race_gets_slot_taken(live_server):
    roel = live_server.token("roel@example.org")
    dries = live_server.token("dries@example.org")
    a, b = Listener(live_server.url, roel), Listener(live_server.url, dries)
    try:
        first = a.call("board:propose", {"slug": SLUG, "topic": {"title": "Race A"}})["topic"]
        second = b.call("board:propose", {"slug": SLUG, "topic": {"title": "Race B"}})["topic"]
        room_id, slot_id = _free_cell(_board(live_server, roel), first["convener"]["id"],
                                      second["convener"]["id"])
        results: dict[str, dict] = {}
        threads = [
            threading.Thread(target=lambda: results.__setitem__("a", a.call("board:place", {
                "topic_id": first["id"], "room_id": room_id, "slot_id": slot_id}))),
            threading.Thread(target=lambda: results.__setitem__("b", b.call("board:place", {
                "topic_id": second["id"], "room_id": room_id, "slot_id": slot_id}))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=15)
        oks = sorted(r["ok"] for r in results.values())
        assert oks == [False, True]
        loser = next(r for r in results.values() if not r["ok"])
        assert loser["error"]["code"] == "slot_taken"
    finally:
        a.close()
        b.close()


def test_clients_reconnect_and_resync_after_a_server_restart(live_server):
    roel = live_server.token("roel@example.org")
    phone = Listener(live_server.url, roel)
    try:
        before = phone.joins[-1]["version"]
        live_server.stop(kill=True)
        wait_for(lambda: not phone.client.connected, timeout=10)
        # While the server is down a change lands through the CLI's database (a restart
        # with new state): the client must notice the new version when it rejoins.
        live_server.start()
        topic = live_server.api("POST", f"/events/{SLUG}/topics", roel,
                                json={"title": "Proposed while you were away"}).json()
        assert topic["title"] == "Proposed while you were away"
        wait_for(lambda: len(phone.joins) >= 2, timeout=20)
        assert phone.joins[-1]["ok"] is True
        # It rejoined either after the change (its ack carries the new version) or before it
        # (then the change arrives as a broadcast): either way it learns of it.
        wait_for(lambda: phone.joins[-1]["version"] >= before + 1 or phone.changes, timeout=10)
    finally:
        phone.close()


def test_a_foreign_origin_cannot_open_a_socket(live_server):
    client = socketio.Client(reconnection=False)
    try:
        client.connect(live_server.url, transports=["websocket"],
                       headers={"Origin": "http://evil.example"}, wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        refused = True
    else:
        refused = False
        client.disconnect()
    assert refused


def test_a_cli_change_reaches_clients_through_the_message_queue(tmp_path):
    """With OPENSPACE_MESSAGE_QUEUE set, a command run in another process broadcasts too."""
    import redis

    from tests.live import LiveServer

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    # Pub/sub channels span Redis's database numbers: one of this test's own.
    server = LiveServer(tmp_path, OPENSPACE_MESSAGE_QUEUE=url,
                        OPENSPACE_MESSAGE_QUEUE_CHANNEL=f"openspace-test-{uuid.uuid4().hex}")
    server.prepare(("db", "upgrade"), ("demo",))
    server.start()
    projector = Listener(server.url)
    try:
        out = server.command("board", "lock", SLUG, "--as", "kristof@example.org")
        assert "board locked" in out
        wait_for(lambda: projector.changes and projector.changes[-1]["kind"] == "board_state")
        change = projector.changes[-1]
        assert change["board_state"] == "locked"
        assert change["version"] == projector.joins[0]["version"] + 1
    finally:
        projector.close()
        server.stop()


def test_an_oversized_message_is_refused_and_the_server_stays_up(live_server):
    token = live_server.token("roel@example.org")
    big = Listener(live_server.url, token)
    try:
        big.client.emit("board:propose", {"slug": SLUG, "topic": {"title": "x" * 400_000}})
        wait_for(lambda: not big.client.connected, timeout=10)
    finally:
        big.client.reconnection = False
        big.close()
    titles = [t["title"] for t in _board(live_server, token)["topics"]]
    assert not any(len(title) > 200 for title in titles)
    other = Listener(live_server.url, token)
    try:
        ack = other.call("board:propose", {"slug": SLUG, "topic": {"title": "x" * 121}})
        assert ack["ok"] is False and "title" in ack["error"]["fields"]
    finally:
        other.close()

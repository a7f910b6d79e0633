"""Faults against a real `openspace serve`: kill -9 in the middle of a burst of board changes and
note edits loses nothing that was acknowledged; 1,000 clients reconnecting at once after a
restart all resync."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import threading

import aiohttp
import pytest
import socketio
from pycrdt import Doc, Text

from tests.live import LiveServer, close_socket, wait_for

SLUG = "drupal-cxo-brussels"
pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path):
    server = LiveServer(tmp_path)
    server.prepare(("db", "upgrade"), ("demo",))
    server.start()
    yield server
    server.stop()


class Writer:
    """A real client that proposes topics and types into a note as fast as acks come back,
    recording what the server acknowledged."""

    def __init__(self, url: str, token: str, name: str, topic_id: int) -> None:
        self.name, self.topic_id = name, topic_id
        self.acked_topics: list[str] = []
        self.acked_marks: list[str] = []
        self.client = socketio.Client(reconnection=False)
        self.client.connect(url, transports=["websocket"], auth={"token": token},
                            wait_timeout=10)
        joined = self.client.call("note:join", {"topic_id": topic_id}, timeout=10)
        assert joined["ok"] is True, joined
        self.doc = Doc()
        self.text = self.doc.get("markdown", type=Text)
        self.doc.apply_update(joined["update"])
        self.thread = threading.Thread(target=self._burst, daemon=True)

    def _burst(self) -> None:
        for n in itertools.count():
            try:
                title = f"{self.name} topic {n}"
                ack = self.client.call("board:propose", {"slug": SLUG, "topic": {"title": title}},
                                       timeout=5)
                if ack.get("ok"):
                    self.acked_topics.append(title)
                mark = f"[{self.name}-{n}]"
                before = self.doc.get_state()
                self.text.insert(len(self.text), mark)
                ack = self.client.call("note:update", {"topic_id": self.topic_id,
                                                       "update": self.doc.get_update(before)},
                                       timeout=5)
                if ack.get("ok"):
                    self.acked_marks.append(mark)
            except Exception:  # the server died under us: that is the point
                return

    def acked(self) -> int:
        return len(self.acked_topics) + len(self.acked_marks)

    def close(self) -> None:
        """After a kill -9 the client may not have closed its socket itself: close it here."""
        close_socket(self.client)


def test_kill_9_during_a_burst_loses_no_acknowledged_change(server):
    emails = ["roel@example.org", "dries@example.org", "eric@example.org"]
    tokens = [server.token(email) for email in emails]
    topic = server.api("POST", f"/events/{SLUG}/topics", tokens[0],
                       json={"title": "Notes under fire"}).json()
    writers = [Writer(server.url, token, f"w{i}", topic["id"])
               for i, token in enumerate(tokens)]
    for writer in writers:
        writer.thread.start()
    wait_for(lambda: sum(w.acked() for w in writers) >= 60, timeout=60)
    server.stop(kill=True)  # SIGKILL: no shutdown, no flush, whatever was in flight is lost
    for writer in writers:
        writer.thread.join(timeout=30)
        writer.close()
    gc.collect()  # anything left unclosed shows up here, in this test

    server.start()
    board = server.api("GET", f"/events/{SLUG}/board", tokens[0]).json()
    titles = {t["title"] for t in board["topics"]}
    markdown = server.api("GET", f"/topics/{topic['id']}/notes", tokens[0]).json()["markdown"]
    for writer in writers:
        assert set(writer.acked_topics) <= titles
        missing = [m for m in writer.acked_marks if m not in markdown]
        assert missing == [], f"acknowledged note edits lost: {missing}"
    assert sum(len(w.acked_marks) for w in writers) > 0


# 1,000 clients --------------------------------------------------------------------------------

class Lean:
    """A minimal Socket.IO client on one websocket (Engine.IO 4), cheap enough to run 1,000."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url.replace("http", "ws", 1)
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.versions: list[int] = []  # from join acks and board:changed
        self.ids = itertools.count()
        self.pending: dict[int, asyncio.Future] = {}

    async def connect_and_join(self) -> dict:
        self.ws = await self.session.ws_connect(
            self.url + "/socket.io/?EIO=4&transport=websocket", heartbeat=None)
        opened = await self.ws.receive_str(timeout=30)
        assert opened.startswith("0"), opened
        await self.ws.send_str("40")
        connected = await self.ws.receive_str(timeout=30)
        assert connected.startswith("40"), connected
        self.reader = asyncio.ensure_future(self._read())
        ack = await self.call("event:join", {"slug": SLUG})
        self.versions.append(ack["version"])
        return ack

    async def call(self, event: str, data) -> dict:
        ack_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[ack_id] = future
        await self.ws.send_str(f"42{ack_id}" + json.dumps([event, data]))
        return await asyncio.wait_for(future, 30)

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = message.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith("43"):
                digits = "".join(itertools.takewhile(str.isdigit, data[2:]))
                future = self.pending.pop(int(digits), None)
                if future and not future.done():
                    future.set_result(json.loads(data[2 + len(digits):])[0])
            elif data.startswith("42"):
                name, payload = json.loads(data[2:])[:2]
                if name == "board:changed":
                    self.versions.append(payload["version"])

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def _connect_all(session, url: str, count: int) -> list[Lean]:
    clients = [Lean(session, url) for _ in range(count)]

    async def connect(client: Lean) -> None:
        for _attempt in range(60):  # the whole venue retries at once, as phones do
            try:
                await client.connect_and_join()
                return
            except (TimeoutError, aiohttp.ClientError, AssertionError):
                await client.close()
                await asyncio.sleep(0.5)
        raise AssertionError("a client never got back in")

    await asyncio.gather(*(connect(c) for c in clients))
    return clients


def test_1000_clients_reconnecting_at_once_after_a_restart_all_resync(server):
    count = 1000
    token = server.token("kristof@example.org")
    before = server.api("GET", f"/events/{SLUG}/board", token).json()["version"]

    async def scenario() -> None:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            first = await _connect_all(session, server.url, count)
            assert {c.versions[-1] for c in first} == {before}
            server.stop(kill=True)
            await asyncio.gather(*(c.close() for c in first))
            # While the server is down, the board changes (the CLI writes to its database).
            server.command("board", "lock", SLUG, "--as", "kristof@example.org")
            server.start()
            again = await _connect_all(session, server.url, count)
            # Every client learns the version it missed from its join ack...
            assert [c.versions[-1] for c in again] == [before + 1] * count
            # ...and every one of them gets the next change, in order.
            changed = server.api("PATCH", f"/events/{SLUG}", token, json={"board_state": "open"})
            assert changed.status_code == 200
            deadline = asyncio.get_running_loop().time() + 60
            while any(c.versions[-1] != before + 2 for c in again):
                assert asyncio.get_running_loop().time() < deadline, "not every client resynced"
                await asyncio.sleep(0.2)
            await asyncio.gather(*(c.close() for c in again))

    asyncio.run(scenario())

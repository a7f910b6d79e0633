"""Real python-socketio clients for the scale-out tests: a phone on the board, a note editor."""

from __future__ import annotations

import threading

import requests

from tests.live import DEMO_PASSWORD, LiveServer, wait_for
from tests.notes.conftest import Editor
from tests.notes.peers import InOrderClient

SLUG = "drupal-cxo-brussels"


def token(url: str, email: str) -> str:
    response = requests.post(url + "/api/v1/tokens", timeout=10,
                             json={"email": email, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return response.json()["token"]


def api(url: str, method: str, path: str, token: str | None = None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, url + "/api/v1" + path, timeout=10, headers=headers,
                            **kwargs)


def board(url: str, token: str | None = None) -> dict:
    response = api(url, "GET", f"/events/{SLUG}/board", token)
    assert response.status_code == 200, response.text
    return response.json()


class Phone:
    """A client on the live board: joins the event on every (re)connect, records the changes,
    applies them like the browser does (the next version, or a refetch on anything else).
    batch: joins asking for batches, as the browser does; `batches` holds what each brought."""

    def __init__(self, url: str, token: str | None = None, *,
                 transports: list[str] | None = None, batch: bool = False) -> None:
        self.url, self.token, self.batch = url, token, batch
        self.lock = threading.Lock()
        self.changes: list[dict] = []
        self.batches: list[list[dict]] = []
        self.joins: list[dict] = []
        self.notes: list[dict] = []
        self.version = -1
        self.refetches = 0
        self.client = InOrderClient(reconnection=True, reconnection_delay=0.2,
                                    reconnection_delay_max=1)
        self.client.on("connect", self._on_connect)
        self.client.on("board:changed", self._on_change)
        self.client.on("board:batch", self._on_batch)
        self.client.on("note:update", self._on_note)
        self.presence: list[int] = []
        self.client.on("presence", lambda data: self.presence.append(data["count"]))
        self.client.connect(url, transports=transports or ["websocket"],
                            auth={"token": token} if token else None, wait_timeout=10)
        wait_for(lambda: self.joins, timeout=20)

    def _on_connect(self) -> None:
        self.client.emit("event:join", {"slug": SLUG, **({"batch": True} if self.batch else {})},
                         callback=self._joined)

    def _joined(self, ack: dict) -> None:
        with self.lock:
            self.joins.append(ack)
            if ack.get("ok"):
                self.version = ack["version"]

    def _on_change(self, change: dict) -> None:
        with self.lock:
            self.changes.append(change)
            if change["version"] <= self.version:
                return
            if change["version"] != self.version + 1 or change.get("kind") == "resync":
                self.refetches += 1  # missed something: the browser refetches the board
                self.version = board(self.url, self.token)["version"]
            else:
                self.version = change["version"]

    def _on_batch(self, batch: dict) -> None:
        with self.lock:
            self.batches.append(list(batch["changes"]))
        for change in batch["changes"]:
            self._on_change(change)

    def _on_note(self, data: dict) -> None:
        with self.lock:
            self.notes.append(data)

    def call(self, name: str, data: dict) -> dict:
        return self.client.call(name, data, timeout=20)

    def kinds(self) -> list[str]:
        with self.lock:
            return [change["kind"] for change in self.changes]

    def close(self) -> None:
        self.client.disconnect()


def free_cell(state: dict, *convener_ids: int) -> tuple[int, int]:
    """A free session cell in a slot where these conveners hold nothing."""
    taken = {(t["room_id"], t["slot_id"]) for t in state["topics"] if t["room_id"]}
    busy = {t["slot_id"] for t in state["topics"] if t["convener"]["id"] in convener_ids}
    for slot in state["slots"]:
        if slot["kind"] != "session" or slot["id"] in busy:
            continue
        for room in state["rooms"]:
            if (room["id"], slot["id"]) not in taken:
                return room["id"], slot["id"]
    raise AssertionError("no free cell")


def propose(phone: Phone, title: str) -> dict:
    ack = phone.call("board:propose", {"slug": SLUG, "topic": {"title": title}})
    assert ack["ok"] is True, ack
    return ack["topic"]


def join_note(phone: Phone, topic_id: int, editor: Editor) -> None:
    ack = phone.call("note:join", {"topic_id": topic_id, "state_vector": editor.doc.get_state()})
    assert ack["ok"] is True, ack
    editor.apply(ack["update"])


def type_into(phone: Phone, topic_id: int, editor: Editor, words: str) -> dict:
    editor.text.insert(len(str(editor.text).encode()), words)  # pycrdt offsets: UTF-8 bytes
    return phone.call("note:update", {"topic_id": topic_id, "update": editor.take()})


def start_servers(tmp_path, count: int, *, each: list[dict] | None = None,
                  **env: str) -> list[LiveServer]:
    """`count` openspace serve processes on one database and message queue (`each`: more
    settings per process); the first one migrates the empty database and creates the demo
    event."""
    each = each or [{}] * count
    servers = [LiveServer(tmp_path / f"p{n}", **env, **each[n]) for n in range(count)]
    servers[0].command("db", "upgrade")
    servers[0].command("demo")
    started = []
    try:
        for server in servers:
            started.append(server.start())
    except BaseException:
        for server in started:
            server.stop()
        raise
    return servers


def race(claims: list[tuple[Phone, dict]], cell: tuple[int, int]) -> list[dict]:
    """Every phone places its topic into the same cell at the same moment; their acks."""
    room_id, slot_id = cell
    results: list[dict | None] = [None] * len(claims)
    go = threading.Barrier(len(claims))

    def claim(n: int, phone: Phone, topic: dict) -> None:
        go.wait()
        results[n] = phone.call("board:place", {"topic_id": topic["id"], "room_id": room_id,
                                                "slot_id": slot_id})

    threads = [threading.Thread(target=claim, args=(n, phone, topic))
               for n, (phone, topic) in enumerate(claims)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def assert_one_winner(acks: list[dict], url: str, cell: tuple[int, int]) -> dict:
    """Exactly one ack won; every other one lost with slot_taken naming it; the board agrees."""
    assert sorted(ack["ok"] for ack in acks) == [False] * (len(acks) - 1) + [True], acks
    winner = next(ack for ack in acks if ack["ok"])["topic"]
    for ack in acks:
        if not ack["ok"]:
            assert ack["error"]["code"] == "slot_taken", ack
            assert ack["error"]["holder"]["id"] == winner["id"], ack
    in_cell = [t["id"] for t in board(url)["topics"] if (t["room_id"], t["slot_id"]) == cell]
    assert in_cell == [winner["id"]]
    return winner

"""Notes against real `openspace serve` processes (eventlet) with real python-socketio clients:
convergence, a second process on the same database, and kill -9 after acknowledged updates."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path

import requests
import socketio
from pycrdt import Doc, get_update

from tests.live import LiveServer, wait_for
from tests.notes.conftest import Editor, fresh_text
from tests.notes.peers import LiveLink, Peer, close, converge

SLUG = "drupal-cxo-brussels"


def _new_topic(server: LiveServer, token: str, title: str) -> int:
    response = server.api("POST", f"/events/{SLUG}/topics", token, json={"title": title})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _markdown(server: LiveServer, topic_id: int) -> str:
    response = requests.get(f"{server.url}/api/v1/topics/{topic_id}/notes", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["markdown"]


def _join(link: LiveLink, topic_id: int, editor: Editor) -> dict:
    ack = link.call("note:join", {"topic_id": topic_id, "state_vector": editor.doc.get_state()})
    assert ack["ok"] is True, ack
    editor.apply(ack["update"])
    return ack


def _fresh(server: LiveServer, token: str, topic_id: int) -> str:
    """What a brand-new tab sees: join with an empty state vector."""
    link = LiveLink(server.url, token)
    try:
        ack = link.call("note:join", {"topic_id": topic_id, "state_vector": Doc().get_state()})
    finally:
        link.close()
    assert ack["ok"] is True, ack
    return fresh_text(ack["update"])


def _type(editor: Editor, words: str) -> bytes:
    editor.text.insert(len(str(editor.text).encode()), words)  # pycrdt offsets are UTF-8 bytes
    return editor.take()


def _send(link: LiveLink, topic_id: int, update: bytes) -> None:
    ack = link.call("note:update", {"topic_id": topic_id, "update": update})
    assert ack == {"ok": True}, ack


def test_real_clients_typing_at_once_with_offline_spells_converge(live_server):
    tokens = {name: live_server.token(f"{name}@example.org") for name in ("roel", "mark", "dries")}
    topic_id = _new_topic(live_server, tokens["roel"], "Live notes")
    owners = ["roel", "mark", "dries", "roel"]  # Roel in two tabs
    peers = [Peer(f"{owner}{i}", topic_id,
                  lambda owner=owner: LiveLink(live_server.url, tokens[owner]))
             for i, owner in enumerate(owners)]
    try:
        converge(peers, random.Random(21), steps=250)
    finally:
        close(peers)

    texts = {str(peer.editor) for peer in peers}
    assert texts == {_markdown(live_server, topic_id)} == {
        _fresh(live_server, tokens["mark"], topic_id)}
    assert sum(peer.delivered for peer in peers) > 0  # relays crossed the real sockets


def _sqlite(server: LiveServer, topic_id: int) -> tuple[int, int]:
    """(snapshot_seq, rows in the log) straight from the server's SQLite file."""
    path = server.env["OPENSPACE_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        seq = conn.execute("SELECT snapshot_seq FROM notes WHERE topic_id = ?",
                           (topic_id,)).fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM note_updates WHERE topic_id = ?",
                            (topic_id,)).fetchone()[0]
    return seq, rows


def test_a_second_server_process_on_the_same_database_sees_and_extends_a_note(live_server):
    other = LiveServer(Path(live_server.env["OPENSPACE_INSTANCE_DIR"])).start()
    steph, dan = live_server.token("stephanie@example.org"), other.token("dan@example.org")
    kristof = live_server.token("kristof@example.org")
    topic_id = _new_topic(live_server, steph, "Two processes, one note")
    here, there = LiveLink(live_server.url, steph), LiveLink(other.url, dan)
    # Typing 210 updates quickly: spread over three people's rate-limit buckets.
    helpers = [LiveLink(live_server.url, kristof),
               LiveLink(live_server.url, live_server.token("mark@example.org"))]
    mine, theirs = Editor("here"), Editor("there")
    try:
        _join(here, topic_id, mine)
        for i in range(10):
            _send(here, topic_id, _type(mine, f"here {i}\n"))
        _join(there, topic_id, theirs)  # the other process reads what this one wrote
        assert str(theirs) == str(mine)
        for i in range(10):
            _send(there, topic_id, _type(theirs, f"there {i}\n"))
        # This process holds the note's Doc in memory: it must catch up from the database.
        _join(here, topic_id, mine)
        assert str(mine) == str(theirs)
        for i in range(5):
            _send(here, topic_id, _type(mine, f"here again {i}\n"))
        assert _markdown(other, topic_id) == _markdown(live_server, topic_id) == str(mine)

        # Enough updates here for this process to compact the log while the other one's Doc
        # is behind: the rows it would catch up from are gone, folded into the snapshot.
        for i in range(210):
            _send([here, *helpers][i % 3], topic_id, _type(mine, f"{i} "))
        snapshot_seq, rows = _sqlite(live_server, topic_id)
        assert snapshot_seq > 0 and rows < 100  # folded once past 200
        _join(there, topic_id, theirs)
        assert str(theirs) == str(mine)
        for i in range(3):
            _send(there, topic_id, _type(theirs, f" there after {i}"))
        _join(here, topic_id, mine)
        assert str(mine) == str(theirs) == _markdown(live_server, topic_id) == _markdown(
            other, topic_id)
        assert _fresh(live_server, kristof, topic_id) == str(mine)
    finally:
        for link in (here, there, *helpers):
            link.close()
        other.stop()


def test_every_acknowledged_update_survives_kill_9(live_server):
    token = live_server.token("eric@example.org")
    topic_id = _new_topic(live_server, token, "Durable notes")
    link = LiveLink(live_server.url, token)
    editor = Editor()
    acks: list[dict] = []
    lock = threading.Lock()
    kill_after: list[int] = []  # kill the server from the ack handler, right at that ack
    killed = threading.Event()

    def record(ack: dict) -> None:
        with lock:
            acks.append(ack)
            if kill_after and len(acks) == kill_after[0]:
                live_server.process.kill()
                killed.set()

    def burst(count: int, label: str, pause: float = 0.0) -> list[bytes]:
        updates = []
        for i in range(count):
            update = _type(editor, f"{label} {i}\n")
            updates.append(update)
            if killed.is_set():
                continue  # killed: the rest is typed but never reaches the server
            try:
                link.client.emit("note:update", {"topic_id": topic_id, "update": update},
                                 callback=record)
            except socketio.exceptions.BadNamespaceError:
                assert killed.is_set()  # the connection went down with the server
            time.sleep(pause)
        return updates

    try:
        _join(link, topic_id, editor)
        # A burst, every update acknowledged, then kill -9: all of it must be there.
        burst(80, "acked")
        wait_for(lambda: len(acks) == 80, timeout=30)
        assert acks == [{"ok": True}] * 80
        expected = str(editor)
        live_server.stop(kill=True)
    finally:
        link.close()
    live_server.start()
    assert _fresh(live_server, token, topic_id) == expected == _markdown(live_server, topic_id)

    # A burst killed midway: whatever was acknowledged is there (the rest may be too).
    link = LiveLink(live_server.url, token)
    acks.clear()
    kill_after.append(20)
    try:
        _join(link, topic_id, editor)
        # Paced like a typist, so updates are still on their way when the 20th ack kills it.
        updates = burst(100, "midway", pause=0.002)
        live_server.process.wait(timeout=30)
        live_server.stop(kill=True)
        with lock:
            acknowledged = len(acks)
        assert all(ack == {"ok": True} for ack in acks[:acknowledged])
    finally:
        link.close()
    live_server.start()
    state_link = LiveLink(live_server.url, token)
    try:
        ack = state_link.call("note:join", {"topic_id": topic_id,
                                            "state_vector": Doc().get_state()})
    finally:
        state_link.close()
    server = Doc()
    server.apply_update(ack["update"])
    state = server.get_state()
    for update in updates[:acknowledged]:
        assert get_update(update, state)[:1] == b"\x00"  # no struct the server lacks
    text = fresh_text(ack["update"])
    assert text.startswith(expected + "".join(f"midway {i}\n" for i in range(acknowledged)))
    assert 20 <= acknowledged < 100

"""Convergence scenarios: several editors type into one note at once, over any Socket.IO link.

A Peer plays a browser tab: it edits its own pycrdt Doc, sends what it typed (merged), applies
what the server relays when it gets round to it (in any order), goes offline and keeps typing,
and on reconnect joins with its state vector, applies what it lacks and sends what the server
lacks — the protocol of assets/note-editor.js.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Protocol

import engineio
import socketio

from openspace.extensions import socketio as app_socketio
from tests.notes.conftest import Editor


class Link(Protocol):
    def call(self, name: str, data: dict) -> dict: ...
    def received(self) -> list[dict]: ...
    def close(self) -> None: ...


class FlaskTestLink:
    """Flask-SocketIO's test client (relays land in its queue synchronously)."""

    def __init__(self, app, token: str) -> None:
        self.client = app_socketio.test_client(app, auth={"token": token})
        assert self.client.is_connected()

    def call(self, name: str, data: dict) -> dict:
        return self.client.emit(name, data, callback=True)

    def received(self) -> list[dict]:
        return [m["args"][0] for m in self.client.get_received() if m["name"] == "note:update"]

    def close(self) -> None:
        self.client.disconnect()


class _InOrderEngineIO(engineio.Client):
    # python-engineio's threaded client hands every message to a new thread, so a binary
    # event's header and its attachment can be parsed out of order ("invalid literal for
    # int()", python-socketio issues #403/#436). A browser's client is single-threaded: so is
    # this one, handling messages in the reading thread, in order.
    def _trigger_event(self, event, *args, **kwargs):
        kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)


class InOrderClient(socketio.Client):
    def _engineio_client_class(self):
        return _InOrderEngineIO


class LiveLink:
    """A real python-socketio client over a websocket."""

    def __init__(self, url: str, token: str) -> None:
        self.lock = threading.Lock()
        self.inbox: list[dict] = []
        self.client = InOrderClient(reconnection=False)
        self.client.on("note:update", self._on_update)
        self.client.connect(url, transports=["websocket"], auth={"token": token},
                            wait_timeout=10)

    def _on_update(self, data: dict) -> None:
        with self.lock:
            self.inbox.append(data)

    def call(self, name: str, data: dict) -> dict:
        return self.client.call(name, data, timeout=15)

    def received(self) -> list[dict]:
        with self.lock:
            out, self.inbox = self.inbox, []
        return out

    def close(self) -> None:
        self.client.disconnect()
        # After the server died (kill -9) engineio's read loop ends without closing its socket.
        ws = getattr(self.client.eio, "ws", None)
        if ws is not None:
            ws.close()


class Peer:
    def __init__(self, name: str, topic_id: int, connect: Callable[[], Link]) -> None:
        self.editor = Editor(name)
        self.topic_id = topic_id
        self.connect = connect
        self.link: Link | None = None
        self.inbox: list[bytes] = []
        self.delivered = 0

    @property
    def online(self) -> bool:
        return self.link is not None

    def go_online(self) -> None:
        self.link = self.connect()
        ack = self.link.call("note:join", {"topic_id": self.topic_id,
                                           "state_vector": self.editor.doc.get_state()})
        assert ack["ok"] is True, ack
        self.editor.apply(ack["update"])
        # Everything the server lacks (typed offline, or sent but never acknowledged).
        missing = self.editor.doc.get_update(ack["state_vector"])
        self.editor.outbox.clear()
        if len(missing) > 2:
            self._send(missing)

    def go_offline(self) -> None:
        self.link.close()
        self.link = None
        self.inbox.clear()  # what was on its way is lost with the connection

    def flush(self) -> None:
        if self.online:
            update = self.editor.take()
            if update is not None:
                self._send(update)

    def _send(self, update: bytes) -> None:
        ack = self.link.call("note:update", {"topic_id": self.topic_id, "update": update})
        assert ack == {"ok": True}, ack

    def deliver(self, rng: random.Random, *, everything: bool = False) -> None:
        """Apply some of what the server relayed, sometimes out of order."""
        if not self.online:
            return
        self.inbox.extend(m["update"] for m in self.link.received()
                          if m["topic_id"] == self.topic_id)
        count = len(self.inbox) if everything else rng.randint(0, len(self.inbox))
        batch, self.inbox = self.inbox[:count], self.inbox[count:]
        if rng.random() < 0.3:
            rng.shuffle(batch)
        for update in batch:
            self.editor.apply(update)
        self.delivered += len(batch)


def converge(peers: list[Peer], rng: random.Random, steps: int) -> None:
    """Random interleavings of typing, sending, receiving and dropping off; then settle.

    After it, every peer has joined once more with its state vector (as after a reconnect),
    so all of them must hold the server's text."""
    for peer in peers:
        peer.go_online()
    for _ in range(steps):
        peer = rng.choice(peers)
        roll = rng.random()
        if not peer.online and roll < 0.15:
            peer.go_online()
        elif roll < 0.55:
            peer.editor.edit(rng)  # offline, it keeps typing locally
            if peer.online and rng.random() < 0.7:
                peer.flush()
        elif roll < 0.7:
            peer.flush()
        elif roll < 0.95:
            peer.deliver(rng)
        elif peer.online and sum(p.online for p in peers) > 1:
            peer.go_offline()
    for peer in peers:
        if not peer.online:
            peer.go_online()
        peer.flush()
    for peer in peers:
        peer.deliver(rng, everything=True)
        peer.go_offline()
        peer.go_online()  # the final resync: whatever a relay has not brought yet


def close(peers: list[Peer]) -> None:
    for peer in peers:
        if peer.online:
            peer.go_offline()

"""Notes benchmark: editors typing into ONE shared note, readers watching it, openspace against a
bare python-socketio relay (the floor, bench/floor_relay.py), in the same run.

    .venv/bin/python bench/notes.py --rounds 3 --nice -10 --pin

For each round and each server in turn (the floor, then openspace):

1. prepare and start the server as bench/fanout.py does: openspace gets a fresh SQLite database
   seeded by bench/seed_openspace.py (a public event; --editors member accounts with API tokens,
   each proposing one topic; the note is topic 1's) and runs as `python -m openspace serve`;
2. connect --editors editors (API tokens) and --readers anonymous readers as real Socket.IO
   clients (websocket transport, Socket.IO 5 binary packets, see NoteClient) from separate
   processes, and `note:join` them all, as docs/api.md says: join with the state vector, apply
   what the server sends, send what it lacks;
3. every editor writes its own line ("E07: ") at the end of the note, and then, for --duration
   seconds, types characters at the end of its line at about --rate characters a second
   (random gaps), each keystroke a pycrdt transaction on its own Doc. Like the browser editor
   (assets/note-editor.js), an editor sends its keystrokes merged (pycrdt.merge_updates) at most
   every --send-every seconds, with one `note:update` in flight until it is acknowledged, and
   applies the updates the server relays from the others;
4. measure:
   - keystroke-to-peers latency: from the moment an editor made the edit to the moment the
     *last* other client (every other editor and every reader) has received the update that
     carries it (CLOCK_MONOTONIC, shared by all processes on the box); p50 / p99 over
     keystrokes. The same per (keystroke, client) pair is reported too;
   - server CPU share: utime + stime of the server process (/proc/<pid>/stat) over the typing
     phase, divided by its wall time (1.0 = one core busy all the time);
   - lost updates: every acknowledged update must reach every other client; expected minus
     received (after waiting up to --collect-timeout);
   - convergence: every client's text at the end (readers apply everything they received to a
     fresh Doc) must be equal, contain every editor's typed line, and for openspace equal
     the note the JSON API serves (`GET /api/v1/topics/{id}/notes`).

Prints a table and writes every figure to bench/results/notes-<time>.json. Only talks to
127.0.0.1. Needs the bench extra (aiohttp): `.venv/bin/pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import string
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from fanout import (  # noqa: E402
    CLK_TCK,
    _recv,
    machine,
    median,
    ms,
    percentile,
    profiling,
    ratio,
    running_server,
    set_priority,
    system_cpu,
    wait_for_quiet,
)

from openspace.domain.crdt import varuint  # noqa: E402
from openspace.fdlimit import raise_file_limit  # noqa: E402

# The notes written: topics 1..--notes, the first ones the seed proposes. Editor i writes note
# 1 + i % notes, reader j (indices after the editors') reads note 1 + j % notes.
SCENARIOS = {
    # One shared note, many people in it: the fan-out of one busy note.
    "one-note": {"notes": 1, "editors": 30, "readers": 100, "rate": 3.0, "reader_procs": 2,
                 "editor_procs": 1},
    # A realistic OST slot: 40 sessions at once, each with 4 people typing its notes at 2
    # characters a second and 10 more reading along.
    "slot": {"notes": 40, "editors": 160, "readers": 400, "rate": 2.0, "reader_procs": 4,
             "editor_procs": 2},
}


def note_of(index: int, editors: int, notes: int) -> int:
    """The topic id whose note peer `index` writes (an editor) or reads (a reader)."""
    return 1 + (index if index < editors else index - editors) % notes

ALPHABET = string.ascii_lowercase + "     "  # words, more or less
CONNECT_CONCURRENCY = 20


def clocks_of(update: bytes) -> dict[int, int]:
    """What a Yjs (v1) update brings: {client id: the clock after its last struct}.

    openspace merges the updates that reach a note within its relay window into one message, so
    a received message is matched to the sent updates it covers by clock, not by its bytes.
    (pycrdt's get_state only counts clients whose structs start at clock 0, so the struct
    headers are read here; enough of the format for text: what the editors send.)"""
    at = 0

    def uint() -> int:
        nonlocal at
        value, at = varuint(update, at)
        return value

    def skip_string() -> str:
        nonlocal at
        size = uint()
        at += size
        return update[at - size:at].decode()

    ends = {}
    for _ in range(uint()):
        structs, client, clock = uint(), uint(), uint()
        for _ in range(structs):
            info = update[at]
            at += 1
            ref = info & 0x1F
            if ref in (0, 10):  # GC, Skip
                clock += uint()
                continue
            if info & 0x80:
                uint(), uint()  # origin id
            if info & 0x40:
                uint(), uint()  # right origin id
            if not info & 0xC0:
                if uint() == 1:
                    skip_string()  # the root type's name
                else:
                    uint(), uint()  # the parent item's id
                if info & 0x20:
                    skip_string()  # parentSub
            if ref == 1:  # deleted
                clock += uint()
            elif ref == 4:  # string: its length in UTF-16 units
                clock += len(skip_string().encode("utf-16-le")) // 2
            elif ref in (5, 6):  # embed, format
                skip_string()
                if ref == 6:
                    skip_string()
                clock += 1
            else:
                raise ValueError(f"content type {ref} is not read by the bench")
        ends[client] = clock
    return ends


def key_of(update: bytes, client: int) -> str:
    """A sent update's identity across processes: its sender's client id and end clock (an
    editor's update holds only its own typing)."""
    return f"{client}:{clocks_of(update)[client]}"


# -- a Socket.IO client that speaks binary ---------------------------------------------------

class NoteClient:
    """A minimal Socket.IO 5 / Engine.IO 4 client over one aiohttp websocket, with binary
    attachments (events and acks), as socket.io-client speaks it in the browser.

    Like bench/fanout.py's RawClient it skips python-socketio's per-message machinery, so the
    clients' CPU (on a box the server shares) stays well below the server's. A relayed
    `note:update` is handed to on_update(bytes, receive time) without JSON-parsing its header.
    """

    def __init__(self, session, url: str, on_update, on_disconnect):
        self.session, self.url = session, url
        self.on_update, self.on_disconnect = on_update, on_disconnect
        self.ws = None
        self.reader = None
        self.acks: dict[int, asyncio.Future] = {}
        self.next_id = 0
        self.send_lock = asyncio.Lock()  # a header and its attachments go out together
        self.pending: tuple[str, int, list[bytes]] | None = None  # a binary packet being read

    async def connect(self, auth: dict | None = None, timeout: float = 20) -> None:
        url = self.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await asyncio.wait_for(self.session.ws_connect(url, max_msg_size=0), timeout)
        opening = await self.ws.receive(timeout=timeout)
        if not (isinstance(opening.data, str) and opening.data.startswith("0")):
            raise RuntimeError(f"no Engine.IO open packet: {opening.data!r}")
        await self.ws.send_str("40" + (json.dumps(auth) if auth else ""))
        connected = await self.ws.receive(timeout=timeout)
        if not (isinstance(connected.data, str) and connected.data.startswith("40")):
            raise RuntimeError(f"namespace connect refused: {connected.data!r}")
        self.reader = asyncio.create_task(self._read())

    @staticmethod
    def _deflate(value, attachments: list[bytes]):
        if isinstance(value, bytes):
            attachments.append(value)
            return {"_placeholder": True, "num": len(attachments) - 1}
        if isinstance(value, dict):
            return {k: NoteClient._deflate(v, attachments) for k, v in value.items()}
        return value

    @staticmethod
    def _inflate(value, attachments: list[bytes]):
        if isinstance(value, dict):
            if value.get("_placeholder") is True:
                return attachments[value["num"]]
            return {k: NoteClient._inflate(v, attachments) for k, v in value.items()}
        if isinstance(value, list):
            return [NoteClient._inflate(v, attachments) for v in value]
        return value

    async def call(self, event: str, data, timeout: float = 30):
        self.next_id += 1
        ack_id = self.next_id
        future = asyncio.get_running_loop().create_future()
        self.acks[ack_id] = future
        attachments: list[bytes] = []
        body = json.dumps([event, self._deflate(data, attachments)], separators=(",", ":"))
        async with self.send_lock:
            if attachments:
                await self.ws.send_str(f"45{len(attachments)}-{ack_id}{body}")
                for attachment in attachments:
                    await self.ws.send_bytes(attachment)
            else:
                await self.ws.send_str(f"42{ack_id}{body}")
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.acks.pop(ack_id, None)

    def _ack(self, header: str, attachments: list[bytes]) -> None:
        bracket = header.index("[")
        future = self.acks.pop(int(header[:bracket]), None)
        if future is not None and not future.done():
            values = self._inflate(json.loads(header[bracket:]), attachments)
            future.set_result(values[0] if values else None)

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                data = message.data
                if isinstance(data, bytes):
                    if self.pending is None:
                        continue
                    kind, count, got = self.pending
                    got.append(data)
                    if len(got) < count:
                        continue
                    self.pending = None
                    if kind.startswith("["):  # an event: a relayed note:update
                        if kind.startswith('["note:update"'):
                            self.on_update(data, time.monotonic())
                    else:
                        self._ack(kind, got)
                    continue
                if data == "2":
                    async with self.send_lock:
                        await self.ws.send_str("3")
                elif data.startswith("45") or data.startswith("46"):
                    dash = data.index("-")
                    self.pending = (data[dash + 1:], int(data[2:dash]), [])
                elif data.startswith("43"):
                    self._ack(data[2:], [])
                elif data.startswith("41") or data == "1":
                    break
        finally:
            self.on_disconnect()

    async def disconnect(self) -> None:
        if self.ws is not None and not self.ws.closed:
            try:
                async with self.send_lock:
                    await self.ws.send_str("41")
            finally:
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


# -- client processes ------------------------------------------------------------------------

def client_main(conn, role: str, url: str, tokens: list[str | None], first: int, args: dict,
                nice: int | None, cpus: set[int] | None) -> None:
    """A process holding editors (role "editors") or readers of the note."""
    raise_file_limit(len(tokens) + 256)
    set_priority(0, nice, cpus)
    try:
        asyncio.run(_clients(conn, role, url, tokens, first, args))
    except Exception as exc:  # report instead of leaving the parent waiting
        import traceback
        conn.send(("error", f"{exc!r}\n{traceback.format_exc()[-1500:]}"))
    finally:
        conn.close()


class Peer:
    """One client of the note: its Doc (editors) or the updates it received (readers)."""

    def __init__(self, index: int, editor: bool, topic: int):
        from pycrdt import Doc, Text

        self.index, self.editor, self.topic = index, editor, topic
        self.doc = Doc()
        self.text = self.doc.get("markdown", type=Text)
        self.seen: dict[int, list[tuple[int, float]]] = {}  # client -> (clock reached, when)
        self.updates: list[bytes] = []  # readers: applied to a fresh Doc at the end
        self.duplicates = 0
        self.client: NoteClient | None = None
        self.disconnects = 0
        # editors: the browser's sending discipline
        self.tag = f"E{index:02d}: "
        self.typed = ""
        self.outbox: list[tuple[bytes, list[float]]] = []
        self.inflight = False
        self.last_sent = 0.0
        self.flush_handle = None
        self.sent: list[dict] = []  # {key, keystrokes: [t], sent, acked, ok}
        self.errors: dict[str, int] = {}
        self.pending_resends = 0

    def on_update(self, update: bytes, t: float) -> None:
        advanced = False
        for client, clock in clocks_of(update).items():
            reached = self.seen.setdefault(client, [])
            if not reached or clock > reached[-1][0]:
                reached.append((clock, t))
                advanced = True
        if not advanced:
            self.duplicates += 1
            return
        if self.editor:
            self.doc.apply_update(update)
        else:
            self.updates.append(update)

    def received_at(self, key: str) -> float | None:
        """When the update `key` (see key_of) had reached this client, or None."""
        client, clock = (int(part) for part in key.split(":"))
        reached = self.seen.get(client, [])
        at = bisect.bisect_left(reached, (clock, float("-inf")))
        return reached[at][1] if at < len(reached) else None

    def on_disconnect(self) -> None:
        self.disconnects += 1

    def final_text(self) -> str:
        if self.editor:
            return str(self.text)
        for update in self.updates:
            self.doc.apply_update(update)
        self.updates = []
        return str(self.text)

    # -- editing (editors only) --

    def _line_end(self) -> int:
        """The UTF-8 offset (pycrdt's unit) of the end of this editor's line."""
        text = str(self.text)
        start = text.find(self.tag)
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        return len(text[:end].encode())

    def edit(self, chars: str, t: float) -> None:
        before = self.doc.get_state()
        self.text.insert(self._line_end(), chars)
        self.outbox.append((self.doc.get_update(before), [t]))
        self.typed += chars
        self.schedule()

    def schedule(self, wait: float | None = None) -> None:
        if self.flush_handle is not None or self.inflight or not self.outbox:
            return
        if wait is None:
            wait = max(0.0, self.last_sent + SEND_EVERY - time.monotonic())
        loop = asyncio.get_running_loop()
        self.flush_handle = loop.call_later(wait, self._flush)

    def _flush(self) -> None:
        self.flush_handle = None
        if self.inflight or not self.outbox:
            return
        from pycrdt import merge_updates

        batch, self.outbox = self.outbox, []
        update = batch[0][0] if len(batch) == 1 else merge_updates(*(u for u, _ in batch))
        strokes = [t for _, ts in batch for t in ts]
        self.inflight = True
        asyncio.get_running_loop().create_task(self._send(update, strokes))

    async def _send(self, update: bytes, strokes: list[float]) -> None:
        self.last_sent = sent = time.monotonic()
        record = {"key": key_of(update, self.doc.client_id), "keystrokes": strokes,
                  "sent": sent, "acked": None, "ok": False, "bytes": len(update)}
        self.sent.append(record)
        try:
            ack = await self.client.call("note:update", {"topic_id": self.topic,
                                                          "update": update},
                                         timeout=60)
        except Exception as exc:
            ack = {"ok": False, "error": {"code": "client", "message": repr(exc)}}
        record["acked"] = time.monotonic()
        self.inflight = False
        if isinstance(ack, dict) and ack.get("ok") is True:
            record["ok"] = True
        else:
            code = ((ack or {}).get("error") or {}).get("code", "?")
            self.errors[code] = self.errors.get(code, 0) + 1
            self.outbox.insert(0, (update, strokes))  # keep it until the server has it
            self.schedule(1.0 if code == "rate_limited" else None)
            return
        self.schedule()

    @property
    def idle(self) -> bool:
        return not self.inflight and not self.outbox


SEND_EVERY = 0.1  # set from --send-every in each process


async def _clients(conn, role: str, url: str, tokens: list[str | None], first: int,
                   args: dict) -> None:
    import aiohttp

    global SEND_EVERY
    SEND_EVERY = args["send_every"]
    editor = role == "editors"
    # Readers are anonymous: the server counts their joins per address (the "note_read"
    # bucket), so each reader process connects from an address of its own on the loopback.
    local = (args["local_addr"], 0) if args.get("local_addr") else None
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, local_addr=local))
    peers = [Peer(first + i, editor, note_of(first + i, args["editors"], args["notes"]))
             for i in range(len(tokens))]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def join(peer: Peer, token: str | None) -> str | None:
        error = None
        for attempt in range(3):
            async with gate:
                client = NoteClient(session, url, peer.on_update, peer.on_disconnect)
                try:
                    await client.connect({"token": token} if token else None)
                    ack = await client.call("note:join", {"topic_id": peer.topic,
                                                          "state_vector": peer.doc.get_state()})
                    if not (isinstance(ack, dict) and ack.get("ok")):
                        raise RuntimeError(f"join refused: {ack}")
                    peer.client = client
                    if ack.get("update"):
                        if editor:
                            peer.doc.apply_update(ack["update"])
                        else:
                            peer.updates.append(ack["update"])
                    if editor:  # send what the server lacks (nothing, for a new Doc)
                        missing = peer.doc.get_update(ack["state_vector"])
                        if missing != b"\x00\x00":
                            reply = await client.call("note:update",
                                                      {"topic_id": peer.topic,
                                                       "update": missing})
                            if not reply.get("ok"):
                                raise RuntimeError(f"sync refused: {reply}")
                    return None
                except Exception as exc:  # retried below, then reported
                    error = repr(exc)
                    try:
                        await asyncio.wait_for(client.disconnect(), 5)
                    except Exception:
                        pass
            await asyncio.sleep(0.5 * (attempt + 1))
        return error

    if not editor:  # readers join once the editors have: the first writer's join creates the
        message = await _recv(conn, 600)  # note (a reader before it would see none)
        if message is None or message[0] != "join":
            return
    started = time.monotonic()
    joins = (join(p, t) for p, t in zip(peers, tokens, strict=True))
    errors = [e for e in await asyncio.gather(*joins) if e]
    conn.send(("joined", {"connected": len(peers) - len(errors), "errors": errors[:5],
                          "connect_s": time.monotonic() - started}))
    if errors:
        return

    message = await _recv(conn, 600)
    if message is None or message[0] != "setup":
        return
    if editor:  # every editor opens its own line at the end of the note, then waits for the ack
        for peer in peers:
            peer.edit("\n" + peer.tag, time.monotonic())
        while not all(p.idle for p in peers):
            await asyncio.sleep(0.05)
    conn.send(("setup", {}))

    message = await _recv(conn, 600)
    if message is None or message[0] != "type":
        return
    plan = message[1]
    for peer in peers:
        peer.sent = []  # the setup lines are not measured
        peer.errors = {}
        peer.typed = ""
    cpu_start = time.process_time()
    if editor:
        await _type(peers, plan["start"], plan["duration"], args["rate"], args["seed"])
        conn.send(("typed", {"cpu_s": time.process_time() - cpu_start, "sent": {
            str(p.index): [r["key"] for r in p.sent if r["ok"]] for p in peers}}))
    message = await _recv(conn, 900)
    if message is None or message[0] != "collect":
        return
    # Wait until every client has every update it should have, or the deadline.
    cpu_typing = time.process_time() - cpu_start  # (collect comes right after the typing)
    expected = message[1]["expected"]  # sender index -> keys
    deadline = time.monotonic() + message[1]["timeout"]

    def same_note(sender: str, peer: Peer) -> bool:
        return note_of(int(sender), args["editors"], args["notes"]) == peer.topic

    wanted = [{k for sender, keys in expected.items()
               if int(sender) != p.index and same_note(sender, p) for k in keys} for p in peers]
    last: dict[int, dict[int, int]] = {}  # note -> client -> its last sent clock (a peer that
    for sender, keys in expected.items():  # has it has all before it too)
        for key in keys:
            client, clock = (int(part) for part in key.split(":"))
            mine = last.setdefault(note_of(int(sender), args["editors"], args["notes"]), {})
            mine[client] = max(clock, mine.get(client, 0))
    while time.monotonic() < deadline:
        if all(p.received_at(f"{client}:{clock}") is not None for p in peers
               for client, clock in last.get(p.topic, {}).items()
               if client != p.doc.client_id):
            break
        await asyncio.sleep(0.2)
    report = {
        "cpu_typing_s": cpu_typing,
        "peers": [{"index": p.index, "editor": p.editor, "topic": p.topic,
                   "received": {k: t for k in w if (t := p.received_at(k)) is not None},
                   "duplicates": p.duplicates, "disconnects": p.disconnects,
                   "text": p.final_text(), "typed": p.typed, "sent": p.sent,
                   "errors": p.errors} for p, w in zip(peers, wanted, strict=True)],
    }
    conn.send(("result", report))

    async def close(peer: Peer):
        if peer.client is not None:
            try:
                await asyncio.wait_for(peer.client.disconnect(), 5)
            except Exception:
                pass

    await asyncio.gather(*(close(p) for p in peers))
    await session.close()


async def _type(peers: list[Peer], start: float, duration: float, rate: float,
                seed: int) -> None:
    """Each editor types at about `rate` characters a second (gaps uniform in 0.2-1.8 x the
    mean, so keystrokes of different editors do not line up) from `start` for `duration` s."""

    async def typist(peer: Peer) -> None:
        rng = random.Random(seed * 1000 + peer.index)
        at = start + rng.uniform(0, 1 / rate)
        end = start + duration
        while at < end:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            peer.edit(rng.choice(ALPHABET), time.monotonic())
            at += rng.uniform(0.2, 1.8) / rate
        while not peer.idle:  # everything typed is acknowledged before we report
            await asyncio.sleep(0.02)

    await asyncio.gather(*(typist(p) for p in peers))


class Clients:
    """The client processes (editors in some, readers in others); closed (killed if need be)."""

    def __init__(self, url: str, tokens: list[str | None], readers: int, reader_procs: int,
                 editor_procs: int, args: dict, nice: int | None, cpus: set[int] | None):
        ctx = mp.get_context("spawn")
        self.items = []

        def spawn(role: str, group: list, first: int) -> None:
            parent, child = ctx.Pipe()
            settings = dict(args)
            if role == "readers":  # 127.0.0.10, .11, ...: see _clients
                settings["local_addr"] = f"127.0.0.{10 + len(self.items)}"
            proc = ctx.Process(target=client_main, args=(child, role, url, group, first,
                                                         settings, nice, cpus), daemon=True)
            proc.start()
            child.close()
            self.items.append((proc, parent, role, len(group)))

        first = 0
        for part in _split(tokens, editor_procs):
            spawn("editors", part, first)
            first += len(part)
        for part in _split([None] * readers, reader_procs):
            spawn("readers", part, first)
            first += len(part)

    def get(self, conn, kind: str, timeout: float):
        if not conn.poll(timeout):
            raise RuntimeError(f"client process sent no {kind} within {timeout} s")
        tag, body = conn.recv()
        if tag == "error":
            raise RuntimeError(f"client process failed: {body}")
        if tag != kind:
            raise RuntimeError(f"client process sent {tag}, expected {kind}")
        return body

    def all(self, kind: str, timeout: float, roles: tuple[str, ...] = ("editors", "readers")):
        deadline = time.monotonic() + timeout
        return [self.get(conn, kind, max(1, deadline - time.monotonic()))
                for _, conn, role, _ in self.items if role in roles]

    def send(self, message: tuple, roles: tuple[str, ...] = ("editors", "readers")) -> None:
        for _, conn, role, _ in self.items:
            if role in roles:
                conn.send(message)

    def close(self) -> None:
        for _, conn, _, _ in self.items:
            try:
                conn.send(("stop", None))
            except (OSError, ValueError):
                pass
        for proc, conn, _, _ in self.items:
            proc.join(timeout=15)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
            conn.close()


def _split(items: list, parts: int) -> list[list]:
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, at = [], 0
    for i in range(parts):
        n = size + (1 if i < extra else 0)
        out.append(items[at:at + n])
        at += n
    return [p for p in out if p]


# -- one measured run ------------------------------------------------------------------------

def api_markdown(url: str, topic: int) -> str | None:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/topics/{topic}/notes", timeout=30) as resp:
            return json.loads(resp.read())["markdown"]
    except Exception:
        return None


def measure(kind: str, args, round_: int) -> dict:
    """Start a server, connect the editors and readers, type, and return every figure."""
    workdir = Path(tempfile.mkdtemp(prefix=f"notes-{kind}-"))
    clients = None
    settings = {"send_every": args.send_every, "rate": args.rate, "seed": args.seed + round_,
                "editors": args.editors, "notes": args.notes}
    try:
        with running_server(kind, workdir, args.editors, 1, args.nice,
                            args.server_cpus) as (server, plan):
            tokens = [d["token"] for d in plan["drivers"]]
            clients = Clients(server.url, tokens, args.readers, args.reader_procs,
                              args.editor_procs, settings, args.nice, args.client_cpus)
            joined = clients.all("joined", 300, roles=("editors",))
            clients.send(("join", None), roles=("readers",))
            joined += clients.all("joined", 300, roles=("readers",))
            connected = sum(j["connected"] for j in joined)
            if connected != args.editors + args.readers:
                raise RuntimeError(f"{kind}: only {connected} clients joined: "
                                   f"{[e for j in joined for e in j['errors']]}")
            clients.send(("setup", None))
            clients.all("setup", 120)
            time.sleep(1.0)  # let the setup lines reach everyone
            start = time.monotonic() + 0.5
            clients.send(("type", {"start": start, "duration": args.duration}))
            time.sleep(max(0.0, start - time.monotonic()))
            profile = Path(args.profile) / f"notes-{kind}-r{round_}.txt" if args.profile else None
            with profiling(server.proc.pid, profile):
                cpu0, sys0, wall0 = server.cpu(), system_cpu(), time.monotonic()
                load0 = os.getloadavg()[0]
                parent0 = time.process_time()
                typed = clients.all("typed", args.duration + 300, roles=("editors",))
                cpu1, sys1, wall1 = server.cpu(), system_cpu(), time.monotonic()
            parent_cpu = time.process_time() - parent0
            expected: dict[str, list[int]] = {}
            for report in typed:
                expected.update(report["sent"])
            clients.send(("collect", {"expected": expected, "timeout": args.collect_timeout}))
            results = clients.all("result", args.collect_timeout + 300)
            served = ({topic: api_markdown(server.url, topic)
                       for topic in range(1, args.notes + 1)} if kind == "openspace" else None)
            clients.close()
            clients = None
    finally:
        if clients is not None:
            clients.close()
        shutil.rmtree(workdir, ignore_errors=True)

    peers = [p for r in results for p in r["peers"]]
    editors = [p for p in peers if p["editor"]]
    messages = {r["key"]: (p["index"], r) for p in editors for r in p["sent"] if r["ok"]}
    all_peers, pairs, acks, lost, keystrokes = [], [], [], 0, 0
    topic_of = {p["index"]: p["topic"] for p in peers}
    for key, (sender, record) in messages.items():
        times = [p["received"].get(key) for p in peers
                 if p["index"] != sender and p["topic"] == topic_of[sender]]
        missing = sum(1 for t in times if t is None)
        lost += missing
        acks.append(record["acked"] - record["sent"])
        for stroke in record["keystrokes"]:
            keystrokes += 1
            got = [t - stroke for t in times if t is not None]
            pairs.extend(got)
            if not missing:
                all_peers.append(max(got))
    all_peers.sort()
    pairs.sort()
    acks.sort()
    texts_of: dict[int, set[str]] = {}
    for p in peers:
        texts_of.setdefault(p["topic"], set()).add(p["text"])
    finals = {topic: next(iter(texts)) for topic, texts in texts_of.items() if len(texts) == 1}
    converged = len(finals) == len(texts_of)
    lines_intact = sum(1 for p in editors if p["topic"] in finals
                       and f"\nE{p['index']:02d}: {p['typed']}\n" in finals[p["topic"]] + "\n")
    errors: dict[str, int] = {}
    for p in editors:
        for code, n in p["errors"].items():
            errors[code] = errors.get(code, 0) + n
    wall = wall1 - wall0
    server_cpu = cpu1 - cpu0
    ours = server_cpu + parent_cpu + sum(r["cpu_typing_s"] for r in results)
    others = max(0.0, (sys1[0] - sys0[0]) / CLK_TCK - ours) / wall
    delivered = len([1 for key, (sender, _) in messages.items() for p in peers
                     if p["index"] != sender and p["topic"] == topic_of[sender]
                     and key in p["received"]])
    audience = {topic: sum(1 for p in peers if p["topic"] == topic) for topic in texts_of}
    return {
        "server": kind, "round": round_, "notes": len(texts_of),
        "editors": len(editors), "readers": len(peers) - len(editors),
        "keystrokes": keystrokes, "typed_chars": sum(len(p["typed"]) for p in editors),
        "updates": len(messages),
        "update_bytes_mean": round(sum(r["bytes"] for _, r in messages.values())
                                   / max(1, len(messages)), 1),
        "send_errors": errors,
        "expected_deliveries": sum(audience[topic_of[sender]] - 1
                                   for sender, _ in messages.values()),
        "delivered": delivered,
        "lost": lost,
        "duplicates": sum(p["duplicates"] for p in peers),
        "disconnects": sum(p["disconnects"] for p in peers),
        "converged": converged,
        "distinct_texts": sum(len(texts) for texts in texts_of.values()),
        "editor_lines_intact": lines_intact,
        "matches_api": None if served is None else all(
            served.get(topic) == final for topic, final in finals.items()) and converged,
        "text_chars": sum(len(final) for final in finals.values()) if converged else None,
        "latency_all_peers_ms": {"p50": ms(percentile(all_peers, 50)),
                                 "p99": ms(percentile(all_peers, 99)),
                                 "max": ms(all_peers[-1] if all_peers else None)},
        "latency_pair_ms": {"p50": ms(percentile(pairs, 50)), "p99": ms(percentile(pairs, 99))},
        "ack_ms": {"p50": ms(percentile(acks, 50)), "p99": ms(percentile(acks, 99))},
        "phase_wall_s": round(wall, 2),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_share": round(server_cpu / wall, 3),
        "server_cpu_us_per_delivery": round(server_cpu / delivered * 1e6, 1) if delivered else None,
        "editor_cpu_s": round(sum(r["cpu_s"] for r in typed), 2),
        "others_cores": round(others, 2),
        "box_busy_pct": round((sys1[0] - sys0[0]) / max(1, sys1[1] - sys0[1]) * 100, 1),
        "loadavg_1m_before": round(load0, 2),
    }


# -- reporting -------------------------------------------------------------------------------

def summarize(runs: list[dict]) -> dict:
    """Medians over rounds per server (losses summed), and openspace / floor ratios."""
    out: dict = {"servers": {}, "ratios": {}}
    for server in ("floor", "openspace"):
        group = [r for r in runs if r["server"] == server]
        if not group:
            continue
        out["servers"][server] = {
            "rounds": len(group),
            "keystrokes": sum(r["keystrokes"] for r in group),
            "updates": sum(r["updates"] for r in group),
            "lost": sum(r["lost"] for r in group),
            "converged_rounds": sum(1 for r in group if r["converged"]),
            "p50_ms": median([r["latency_all_peers_ms"]["p50"] for r in group]),
            "p99_ms": median([r["latency_all_peers_ms"]["p99"] for r in group]),
            "pair_p50_ms": median([r["latency_pair_ms"]["p50"] for r in group]),
            "pair_p99_ms": median([r["latency_pair_ms"]["p99"] for r in group]),
            "ack_p50_ms": median([r["ack_ms"]["p50"] for r in group]),
            "cpu_share": median([r["server_cpu_share"] for r in group]),
            "cpu_us_per_delivery": median([r["server_cpu_us_per_delivery"] for r in group]),
            "others_cores": median([r["others_cores"] for r in group]),
        }
    floor, ours = out["servers"].get("floor"), out["servers"].get("openspace")
    if floor and ours:
        paired = []
        for run in runs:
            mate = next((r for r in runs if r["server"] == "floor" and r["round"] == run["round"]),
                        None)
            if run["server"] == "openspace" and mate:
                paired.append({
                    "round": run["round"],
                    "p50": ratio(run["latency_all_peers_ms"]["p50"],
                                 mate["latency_all_peers_ms"]["p50"]),
                    "p99": ratio(run["latency_all_peers_ms"]["p99"],
                                 mate["latency_all_peers_ms"]["p99"]),
                    "cpu_share": ratio(run["server_cpu_share"], mate["server_cpu_share"])})
        out["ratios"] = {"p50": ratio(ours["p50_ms"], floor["p50_ms"]),
                         "p99": ratio(ours["p99_ms"], floor["p99_ms"]),
                         "cpu_share": ratio(ours["cpu_share"], floor["cpu_share"]),
                         "cpu_per_delivery": ratio(ours["cpu_us_per_delivery"],
                                                   floor["cpu_us_per_delivery"]),
                         "paired_rounds": paired}
    return out


def table(runs: list[dict], summary: dict) -> str:
    head = (f"{'server':<10}{'rnd':>4}{'keys':>7}{'upd':>6}{'lost':>6}{'conv':>6}{'p50 ms':>9}"
            f"{'p99 ms':>9}{'max ms':>9}{'ack p50':>9}{'CPU share':>10}{'µs/dlv':>8}"
            f"{'others':>8}")
    lines = ["Every run (latency: keystroke -> the last other client):", head, "-" * len(head)]
    for r in runs:
        lat = r["latency_all_peers_ms"]
        lines.append(
            f"{r['server']:<10}{r['round']:>4}{r['keystrokes']:>7}{r['updates']:>6}{r['lost']:>6}"
            f"{'yes' if r['converged'] else 'NO':>6}{lat['p50'] or 0:>9.1f}{lat['p99'] or 0:>9.1f}"
            f"{lat['max'] or 0:>9.1f}{r['ack_ms']['p50'] or 0:>9.1f}"
            f"{r['server_cpu_share']:>10.3f}{r['server_cpu_us_per_delivery'] or 0:>8.1f}"
            f"{r['others_cores']:>8.2f}")
    lines += ["", "Medians over rounds (lost summed):"]
    for server, s in summary["servers"].items():
        lines.append(f"  {server:<10} p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms (pairs: p50 "
                     f"{s['pair_p50_ms']}, p99 {s['pair_p99_ms']}), CPU share {s['cpu_share']}, "
                     f"{s['cpu_us_per_delivery']} µs/delivery, lost {s['lost']}, converged "
                     f"{s['converged_rounds']}/{s['rounds']}")
    if summary["ratios"]:
        q = summary["ratios"]
        paired = " ".join(f"{p['p99']}" for p in q["paired_rounds"])
        lines.append(f"  openspace / floor: p50 {q['p50']}, p99 {q['p99']}, CPU share "
                     f"{q['cpu_share']}, CPU per delivery {q['cpu_per_delivery']}; paired p99 "
                     f"{paired}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n", 2)[2])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="one-note",
                        help="one-note: 30 editors + 100 readers in one note; slot: 40 notes "
                        "at once, 4 editors + 10 readers each, 2 characters a second per "
                        "editor. The options below override its figures")
    parser.add_argument("--notes", type=int, default=None)
    parser.add_argument("--editors", type=int, default=None)
    parser.add_argument("--readers", type=int, default=None)
    parser.add_argument("--rate", type=float, default=None,
                        help="characters a second each editor types (on average)")
    parser.add_argument("--send-every", type=float, default=0.1,
                        help="seconds between an editor's batches (the browser's SEND_EVERY)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of typing")
    parser.add_argument("--editor-procs", type=int, default=None)
    parser.add_argument("--reader-procs", type=int, default=None)
    parser.add_argument("--servers", nargs="+", default=["floor", "openspace"],
                        choices=["floor", "openspace"])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--collect-timeout", type=float, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quiet-wait", type=float, default=60,
                        help="seconds to wait, before each run, for the shared box to calm down")
    parser.add_argument("--quiet-cores", type=float, default=0.5)
    parser.add_argument("--max-others", type=float, default=0.5,
                        help="a run during which other processes used more cores than this is "
                        "discarded and measured again (see --retries)")
    parser.add_argument("--retries", type=int, default=1)
    parser.add_argument("--nice", type=int, default=None,
                        help="niceness for our processes, e.g. -10 (needs root)")
    parser.add_argument("--pin", action="store_true",
                        help="pin the server to CPU 0 and the clients to the others")
    parser.add_argument("--profile", metavar="DIR",
                        help="record the server with py-spy (raw stacks) into DIR during the "
                        "typing; sampling costs the server CPU, so do not quote those figures")
    parser.add_argument("--out", help="JSON file (default bench/results/notes-<time>.json)")
    args = parser.parse_args()
    for name, value in SCENARIOS[args.scenario].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.editors > 200:
        parser.error("at most 200 editors (a token and a topic each)")
    if args.notes > args.editors:
        parser.error("every note needs an editor")

    raise_file_limit(4096)
    cpus = sorted(os.sched_getaffinity(0))
    args.server_cpus = {cpus[0]} if args.pin and len(cpus) > 1 else None
    args.client_cpus = set(cpus[1:]) if args.pin and len(cpus) > 1 else None
    set_priority(0, args.nice, args.client_cpus)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    out = Path(args.out) if args.out else BENCH / "results" / (
        "notes-" + started.replace(":", "") + ".json")
    out.parent.mkdir(parents=True, exist_ok=True)
    runs: list[dict] = []
    discarded: list[dict] = []

    def write() -> None:
        out.write_text(json.dumps({
            "started": started, "machine": machine(), "loadavg_end": os.getloadavg(),
            "settings": {k: sorted(v) if isinstance(v, set) else v
                         for k, v in vars(args).items() if k != "out"},
            "summary": summarize(runs), "runs": runs, "discarded": discarded}, indent=2))

    for round_ in range(1, args.rounds + 1):
        for kind in args.servers:
            for attempt in range(args.retries + 1):
                idle = wait_for_quiet(args.quiet_wait, args.quiet_cores)
                print(f"... round {round_}: {kind} (others busy before: {idle} cores, load "
                      f"{os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
                run = {"attempt": attempt + 1, "others_cores_before": idle,
                       **measure(kind, args, round_)}
                lat = run["latency_all_peers_ms"]
                print(f"    p50 {lat['p50']} ms, p99 {lat['p99']} ms, CPU share "
                      f"{run['server_cpu_share']}, lost {run['lost']}, converged "
                      f"{run['converged']}, {run['keystrokes']} keystrokes in {run['updates']} "
                      f"updates, others {run['others_cores']} cores", file=sys.stderr,
                      flush=True)
                if run["others_cores"] <= args.max_others or attempt == args.retries:
                    break
                discarded.append(run)  # the shared box was busy: measure again
                print("    (others were busy: discarded, measuring again)", file=sys.stderr)
            runs.append(run)
            write()
    print(table(runs, summarize(runs)))
    write()
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()

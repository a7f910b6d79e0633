"""Fan-out benchmark: claim -> every connected client, openspace against a bare relay (the floor).

    .venv/bin/python bench/fanout.py --clients 100 500 1000 [--rush]

For each N, and for each server in turn (the floor relay in bench/floor_relay.py, then
openspace), in the same run:

1. prepare the server: for openspace a fresh SQLite database in a temporary
   OPENSPACE_INSTANCE_DIR (`python -m openspace db upgrade`, then bench/seed_openspace.py seeds a
   public event with rooms, session slots, driver accounts with API tokens and their topics);
2. start it as a subprocess (`python -m openspace serve` / `python bench/floor_relay.py`) on a
   free 127.0.0.1 port;
3. connect N real Socket.IO clients (websocket transport only, so N clients are N sockets) from
   --procs separate listener processes and `event:join` them (anonymously: anyone may join a
   public event's room); --client sio = python-socketio's AsyncClient (aiohttp), --client raw =
   a minimal Socket.IO client on aiohttp websockets that costs the listeners less CPU;
4. a driver client (API token) places --claims topics with `board:place`, one every --interval
   seconds on a fixed schedule; every listener stamps each `board:changed` it receives;
5. latency of a (claim, client) pair = receive time - the driver's emit time (both
   CLOCK_MONOTONIC, which all processes on the box share); lost = expected - received;
   server CPU = utime+stime of the server process (/proc/<pid>/stat) from just before the first
   claim until every listener has every message (or the deadline), per delivered message.

Scale-out: the server kind `openspace-x2` (any `openspace-x<K>`) runs K `openspace serve`
processes on the same database with a throwaway redis-server (started on a free port, nothing
saved) as their message queue, like a deployment behind nginx. The listeners are split across
the K ports on the client side (listener process i connects to server i mod K, so give --procs
at least K), and the driver claims on the first process: its clients get each change directly,
the others' through Redis. Server CPU is then the K processes plus redis-server. `--procs`
stays the number of listener processes; the server processes are in the kind's name.
--database-url runs openspace on PostgreSQL (emptied before each run) instead of SQLite.

--rush: with --rush-clients (1,000) connected, --rush-drivers driver connections fire
--rush-claims (200) claims into distinct free cells within --rush-window (10 s), open loop.
--batch: the listeners join with `batch: true`, as the browser does, and take openspace's
changes as `board:batch` (each change stamped when its batch arrives); the floor relay ignores
the field and sends one message per change, as before.

--reconnect: only the mass reconnect instead (bench/reconnect.py): --reconnect-clients (1,000)
refetch the board at once, openspace's cached board against the floor serving the same bytes.

--rounds repeats every (N, server) pair, interleaved, and reports medians and paired ratios.
On a shared 2-core box: --nice -10 --pin (see docs/performance.md for the figures and method).

Prints a table and writes every figure to bench/results/fanout-<timestamp>.json (rewritten after
each run), with the openspace / floor ratios for p50, p99 and CPU per delivery. Only talks to
127.0.0.1. Needs the bench extra (aiohttp; py-spy for --profile):
`.venv/bin/pip install -e ".[bench]"`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from common import SLUG  # noqa: E402

from openspace.fdlimit import raise_file_limit  # noqa: E402

PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"
ROOMS, SLOTS = 10, 64  # 64 quarter-hour session slots: 06:00-22:00
CONNECT_CONCURRENCY = 20  # per listener process; eventlet.listen's backlog is 50

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


# -- small helpers ---------------------------------------------------------------------------

def set_priority(pid: int, nice: int | None, cpus: set[int] | None) -> None:
    """Renice / pin a process of ours (0 = this one); never touches anyone else's."""
    if nice is not None:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    if cpus:
        os.sched_setaffinity(pid, cpus)


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole box, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# -- servers ---------------------------------------------------------------------------------

class Server:
    """A server subprocess on a free port; stop() always kills it."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, log: Path,
                 nice: int | None = None, cpus: set[int] | None = None):
        self.name, self.port, self.log_path = name, port, log
        self.log = open(log, "w")
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        set_priority(self.proc.pid, nice, cpus)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def urls(self) -> list[str]:
        return [self.url]

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see "
                                   f"{self.log_path}:\n{self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {timeout} s")

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def server_processes(kind: str) -> int:
    """How many openspace processes a server kind runs: openspace-x<K> -> K, else 1."""
    return int(kind.rsplit("-x", 1)[1]) if kind.startswith("openspace-x") else 1


def server_kind(value: str) -> str:
    if value in ("floor", "openspace"):
        return value
    if value.startswith("openspace-x") and value[len("openspace-x"):].isdigit() \
            and server_processes(value) >= 1:
        return value
    raise argparse.ArgumentTypeError("floor, openspace or openspace-x<K> (K processes + Redis)")


class ServerGroup:
    """K openspace processes and their redis-server, measured as one server: url is the first
    process (where the driver claims), urls all of them, cpu() the sum including Redis."""

    def __init__(self, servers: list[Server], redis: Server) -> None:
        self.servers, self.redis = servers, redis
        self.name, self.proc, self.log_path = "openspace", servers[0].proc, servers[0].log_path

    @property
    def url(self) -> str:
        return self.servers[0].url

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def wait_ready(self) -> None:
        for server in self.servers:
            server.wait_ready()

    def cpu(self) -> float:
        return sum(server.cpu() for server in [*self.servers, self.redis])

    def stop(self) -> None:
        for server in [*self.servers, self.redis]:
            server.stop()


def start_redis(workdir: Path, nice: int | None, cpus: set[int] | None) -> Server:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("openspace-x<K> needs redis-server (apt-get install redis-server)")
    port = free_port()
    redis = Server("redis", [binary, "--port", str(port), "--bind", HOST, "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                   server_env(), port, workdir / "redis.log", nice, cpus)
    redis.wait_ready()
    return redis


def empty_postgres(url: str) -> None:
    import sqlalchemy as sa

    sys.path.insert(0, str(ROOT))
    from config import database_url

    engine = sa.create_engine(database_url(url))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        engine.dispose()


def server_env(instance_dir: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("OPENSPACE_") or k.startswith("GC_PROBE_"))
           or k in ("OPENSPACE_ASYNC_MODE", "OPENSPACE_BOARD_BATCH_MS")}
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    if instance_dir:
        env["OPENSPACE_INSTANCE_DIR"] = instance_dir
        env["OPENSPACE_SECRET_KEY"] = "fanout-bench-secret-key"
    return env


def floor_plan(drivers: int, topics: int) -> dict:
    """The ids a fresh openspace seed would produce, for the floor relay (which has no DB)."""
    return {
        "slug": SLUG,
        "version": ROOMS + SLOTS + drivers * topics,
        "rooms": list(range(1, ROOMS + 1)),
        "slots": list(range(1, SLOTS + 1)),
        "drivers": [{"token": None, "topics": list(range(d * topics + 1, (d + 1) * topics + 1))}
                    for d in range(drivers)],
    }


@contextmanager
def running_server(kind: str, workdir: Path, drivers: int, topics: int,
                   nice: int | None = None, cpus: set[int] | None = None,
                   gc_log: bool = False, freeze_after: float | None = None,
                   database_url: str | None = None):
    """Prepare and start one server; yields (server, plan); always kills the server."""
    port = free_port()
    server = None
    probe = [str(BENCH / "gc_probe.py")] if gc_log else []
    processes = server_processes(kind)
    try:
        if kind == "floor":
            plan = floor_plan(drivers, topics)
            server = Server("floor", [PYTHON, *probe, str(BENCH / "floor_relay.py"), "--host", HOST,
                                      "--port", str(port), "--version-start",
                                      str(plan["version"])],
                            server_env(), port, workdir / "floor.log", nice, cpus)
        else:
            instance = workdir / "instance"
            instance.mkdir()
            env = server_env(str(instance))
            # Log what blocks the event loop for a quarter second or more (openspace/watchdog.py).
            env["OPENSPACE_STALL_REPORT"] = "0.25"
            if freeze_after:  # the experiment in docs/performance.md (needs --gc-log)
                env["GC_PROBE_FREEZE_AFTER"] = str(freeze_after)
            if database_url:  # PostgreSQL, emptied first (--database-url)
                empty_postgres(database_url)
                env["OPENSPACE_DATABASE_URL"] = database_url
            subprocess.run([PYTHON, "-m", "openspace", "db", "upgrade"], cwd=ROOT, env=env,
                           check=True, capture_output=True, timeout=120)
            plan_path = workdir / "plan.json"
            subprocess.run([PYTHON, str(BENCH / "seed_openspace.py"), "--rooms", str(ROOMS),
                            "--slots", str(SLOTS), "--drivers", str(drivers), "--topics",
                            str(topics), "--out", str(plan_path)],
                           cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
            plan = json.loads(plan_path.read_text())
            if processes == 1:
                server = Server("openspace", [PYTHON, *probe, "-m", "openspace", "serve",
                                              "--host", HOST, "--port", str(port)],
                                env, port, workdir / "openspace.log", nice, cpus)
            else:
                redis = start_redis(workdir, nice, cpus)
                env["OPENSPACE_MESSAGE_QUEUE"] = f"redis://{HOST}:{redis.port}/0"
                env["OPENSPACE_MESSAGE_QUEUE_CHANNEL"] = f"fanout-{os.getpid()}"
                servers = []
                try:
                    for k in range(processes):
                        k_port = port if k == 0 else free_port()
                        servers.append(Server(
                            f"openspace-{k + 1}", [PYTHON, *probe, "-m", "openspace", "serve",
                                                   "--host", HOST, "--port", str(k_port)],
                            env, k_port, workdir / f"openspace-{k + 1}.log", nice, cpus))
                except BaseException:
                    ServerGroup(servers, redis).stop()
                    raise
                server = ServerGroup(servers, redis)
        server.wait_ready()
        yield server, plan
    finally:
        if server is not None:
            server.stop()


def stall_reports(log: str) -> tuple[list[float], list[str]]:
    """The event-loop stalls openspace's watchdog logged: their lengths and where the loop was."""
    lengths, stacks = [], []
    for block in log.split("event loop ")[1:]:
        if block.startswith("stall over: about "):
            lengths.append(float(block.split()[3]))
        elif block.startswith("stalled for "):
            stack = [line for line in block.splitlines()[1:] if line.startswith("  ")]
            stacks.append("\n".join(stack[-12:]))
    return lengths, stacks


# -- listener processes ----------------------------------------------------------------------

def listener_main(conn, url: str, count: int, slug: str, collect_timeout: float,
                  client_kind: str = "sio", nice: int | None = None,
                  cpus: set[int] | None = None, batch: bool = False) -> None:
    """A process holding `count` Socket.IO clients joined to the event; reports receive stamps."""
    raise_file_limit(count + 256)
    set_priority(0, nice, cpus)
    try:
        asyncio.run(_listener(conn, url, count, slug, collect_timeout, client_kind, batch))
    except Exception as exc:  # report instead of leaving the parent waiting
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


async def _recv(conn, timeout: float):
    """The parent's next message, without blocking the event loop; None on timeout."""
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await loop.run_in_executor(None, conn.poll, 0.2):
            return conn.recv()
    return None


class RawClient:
    """A minimal Socket.IO 5 / Engine.IO 4 client over one websocket, as a browser speaks it.

    It does on the wire what python-socketio's AsyncClient does (open, namespace connect, pong,
    events, acks) without its per-message machinery (a task per message, handler dispatch), so
    the listeners' own CPU costs less than the servers' and latency reflects the server more.
    """

    def __init__(self, session, url: str, on_event, on_disconnect):
        self.session, self.url = session, url
        self.on_event, self.on_disconnect = on_event, on_disconnect
        self.ws = None
        self.reader = None
        self.acks: dict[int, asyncio.Future] = {}
        self.next_id = 0

    async def connect(self, timeout: float = 20) -> None:
        url = self.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await asyncio.wait_for(self.session.ws_connect(url, max_msg_size=0), timeout)
        opening = await self.ws.receive(timeout=timeout)
        if not (isinstance(opening.data, str) and opening.data.startswith("0")):
            raise RuntimeError(f"no Engine.IO open packet: {opening.data!r}")
        await self.ws.send_str("40")
        connected = await self.ws.receive(timeout=timeout)
        if not (isinstance(connected.data, str) and connected.data.startswith("40")):
            raise RuntimeError(f"namespace connect refused: {connected.data!r}")
        self.reader = asyncio.create_task(self._read())

    async def call(self, event: str, data, timeout: float = 30):
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.acks[self.next_id] = future
        await self.ws.send_str(f"42{self.next_id}" + json.dumps([event, data]))
        return await asyncio.wait_for(future, timeout)

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                text = message.data
                if not isinstance(text, str):
                    continue
                if text.startswith("42["):
                    t = time.monotonic()
                    event, *args = json.loads(text[2:])
                    self.on_event(event, args[0] if args else None, t)
                elif text == "2":
                    await self.ws.send_str("3")
                elif text.startswith("43"):
                    bracket = text.index("[")
                    future = self.acks.pop(int(text[2:bracket]), None)
                    if future is not None and not future.done():
                        values = json.loads(text[bracket:])
                        future.set_result(values[0] if values else None)
                elif text.startswith("41") or text == "1":
                    break
        finally:
            self.on_disconnect()

    async def disconnect(self) -> None:
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_str("41")
            finally:
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


async def _listener(conn, url: str, count: int, slug: str, collect_timeout: float,
                    client_kind: str, batch: bool = False) -> None:
    import aiohttp
    import socketio

    stamps: list[dict[int, float]] = [{} for _ in range(count)]
    stats = {"got": 0, "duplicates": 0, "out_of_order": 0, "disconnects": 0,
             "unexpected": 0, "batches": 0}
    last_version: list[int | None] = [None] * count
    clients: list = [None] * count
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) \
        if client_kind == "raw" else None

    def record(i: int, data, t: float) -> None:
        mine = stamps[i]
        topic = data.get("topic") or {}
        tid = topic.get("id")
        if tid in mine:
            stats["duplicates"] += 1
        else:
            mine[tid] = t
            stats["got"] += 1
        version, last = data.get("version"), last_version[i]
        if last is not None and version != last + 1:
            stats["out_of_order"] += 1
        last_version[i] = version

    def lost(*_args) -> None:
        stats["disconnects"] += 1

    def make_client(i: int):
        if client_kind == "raw":
            def on_event(event, data, t):
                if event == "board:changed":
                    record(i, data, t)
                elif event == "board:batch":
                    stats["batches"] += 1
                    for change in data["changes"]:
                        record(i, change, t)
            return RawClient(session, url, on_event, lost)

        sio = socketio.AsyncClient(reconnection=False)

        @sio.on("board:changed")
        def on_changed(data):
            record(i, data, time.monotonic())

        @sio.on("board:batch")
        def on_batch(data):
            t = time.monotonic()
            stats["batches"] += 1
            for change in data["changes"]:
                record(i, change, t)

        sio.on("disconnect", lost)
        return sio

    async def connect(i: int) -> str | None:
        error = None
        for attempt in range(3):
            async with gate:
                client = make_client(i)
                try:
                    if client_kind == "raw":
                        await client.connect(timeout=20)
                    else:
                        await client.connect(url, transports=["websocket"], wait_timeout=20)
                    ack = await client.call("event:join", {"slug": slug, **(
                        {"batch": True} if batch else {})}, timeout=30)
                    if not (isinstance(ack, dict) and ack.get("ok")):
                        raise RuntimeError(f"join refused: {ack}")
                    clients[i] = client
                    return None
                except Exception as exc:  # retried below, then reported
                    error = repr(exc)
                    try:
                        await asyncio.wait_for(client.disconnect(), 5)
                    except Exception:
                        pass
            await asyncio.sleep(0.5 * (attempt + 1))
        return error

    started = time.monotonic()
    errors = [e for e in await asyncio.gather(*(connect(i) for i in range(count))) if e]
    stats["disconnects"] = 0  # count only disconnects after everyone is connected
    cpu_ready = time.process_time()
    conn.send(("ready", {"connected": count - len(errors), "errors": errors[:5],
                         "connect_s": time.monotonic() - started}))

    message = await _recv(conn, 900)
    if message is None or message[0] != "collect":
        return
    expected = set(message[1]["expected"])
    deadline = time.monotonic() + message[1]["timeout"]
    want = len(expected) * count
    # record() counts every first receipt; only accepted claims are broadcast, so the count
    # reaching `want` means done (checked cheaply, not by rescanning: this loop shares the CPU
    # with the clients still draining their backlog).
    while stats["got"] < want and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    received = [[(tid, t) for tid, t in d.items() if tid in expected] for d in stamps]
    stats["unexpected"] = sum(1 for d in stamps for tid in d if tid not in expected)
    conn.send(("result", {"received": received, "cpu_s": time.process_time() - cpu_ready,
                          **stats}))

    async def close(sio):
        if sio is not None:
            try:
                await asyncio.wait_for(sio.disconnect(), 5)
            except Exception:
                pass

    await asyncio.gather(*(close(c) for c in clients))
    if session is not None:
        await session.close()


class Listeners:
    """--procs listener processes sharing N clients; closed (and killed if need be) on exit."""

    def __init__(self, urls: list[str], n: int, procs: int, slug: str, collect_timeout: float,
                 client_kind: str = "sio", nice: int | None = None,
                 cpus: set[int] | None = None, batch: bool = False):
        ctx = mp.get_context("spawn")
        self.items = []
        sizes = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
        for i, size in enumerate(sizes):
            if size == 0:
                continue
            parent, child = ctx.Pipe()
            url = urls[i % len(urls)]  # client-side split across the server processes
            proc = ctx.Process(target=listener_main, args=(child, url, size, slug,
                                                           collect_timeout, client_kind,
                                                           nice, cpus, batch),
                               daemon=True)
            proc.start()
            child.close()
            self.items.append((proc, parent, size))

    def _get(self, conn, kind: str, timeout: float):
        if not conn.poll(timeout):
            raise RuntimeError(f"listener sent no {kind} within {timeout} s")
        tag, body = conn.recv()
        if tag == "error":
            raise RuntimeError(f"listener failed: {body}")
        if tag != kind:
            raise RuntimeError(f"listener sent {tag}, expected {kind}")
        return body

    def wait_ready(self, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        reports = [self._get(conn, "ready", max(1, deadline - time.monotonic()))
                   for _, conn, _ in self.items]
        return {"connected": sum(r["connected"] for r in reports),
                "errors": [e for r in reports for e in r["errors"]],
                "connect_s": max(r["connect_s"] for r in reports)}

    def collect(self, expected: list[int], timeout: float) -> list[dict]:
        for _, conn, _ in self.items:
            conn.send(("collect", {"expected": expected, "timeout": timeout}))
        return [self._get(conn, "result", timeout + 60) for _, conn, _ in self.items]

    def close(self) -> None:
        for _, conn, _ in self.items:
            try:
                conn.send(("stop", None))  # a listener still waiting for "collect" quits
            except (OSError, ValueError):
                pass
        for proc, conn, _ in self.items:
            proc.join(timeout=15)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
            conn.close()


# -- the driver ------------------------------------------------------------------------------

async def drive(url: str, tokens: list[str | None], claims: list[dict]) -> list[dict]:
    """Fire each claim at its offset (open loop) from its driver connection; returns timings."""
    import socketio

    drivers = []
    try:
        for token in tokens:
            sio = socketio.AsyncClient(reconnection=False)
            await sio.connect(url, transports=["websocket"], wait_timeout=20,
                              auth={"token": token} if token else None)
            drivers.append(sio)
        start = time.monotonic() + 0.3

        async def fire(claim: dict) -> dict:
            await asyncio.sleep(max(0.0, start + claim["at"] - time.monotonic()))
            data = {k: claim[k] for k in ("topic_id", "room_id", "slot_id")}
            sent = time.monotonic()
            try:
                ack = await drivers[claim["driver"]].call("board:place", data, timeout=120)
            except Exception as exc:
                ack = {"ok": False, "error": {"code": "client", "message": repr(exc)}}
            ok = isinstance(ack, dict) and ack.get("ok") is True
            return {**claim, "sent": sent, "acked": time.monotonic(), "ok": ok,
                    "error": None if ok else (ack or {}).get("error")}

        return list(await asyncio.gather(*(fire(c) for c in claims)))
    finally:
        for sio in drivers:
            try:
                await asyncio.wait_for(sio.disconnect(), 5)
            except Exception:
                pass


def fanout_claims(plan: dict, k: int, interval: float) -> list[dict]:
    """One driver places its first k topics into room 1, slots 1..k, one every interval."""
    topics = plan["drivers"][0]["topics"]
    return [{"driver": 0, "topic_id": topics[i], "room_id": plan["rooms"][0],
             "slot_id": plan["slots"][i], "at": i * interval} for i in range(k)]


def rush_claims(plan: dict, total: int, window: float) -> list[dict]:
    """Driver d places its j-th topic into room d, slot j: every cell distinct, no convener
    twice in a slot; claims interleave across drivers, evenly spread over the window."""
    drivers = len(plan["drivers"])
    claims = []
    for i in range(total):
        d, j = i % drivers, i // drivers
        claims.append({"driver": d, "topic_id": plan["drivers"][d]["topics"][j],
                       "room_id": plan["rooms"][d], "slot_id": plan["slots"][j],
                       "at": i * window / total})
    return claims


# -- one measured run ------------------------------------------------------------------------

@contextmanager
def profiling(pid: int, path: Path | None, idle: bool = False):
    """py-spy (sampling, --nonblocking) on the server for the duration of the block."""
    if path is None:
        yield
        return
    pyspy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([pyspy, "record", "--pid", str(pid), "--rate", "250",
                             "--nonblocking", "--format", "raw", "--output", str(path),
                             *(["--idle"] if idle else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # let it attach
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def measure(kind: str, n: int, args, *, rush: bool, label: str = "") -> dict:
    """Start a server, connect n listeners, run the claims, and return every figure."""
    if rush:
        drivers, per_driver = args.rush_drivers, -(-args.rush_claims // args.rush_drivers)
    else:
        drivers, per_driver = 1, args.claims
    if per_driver > SLOTS or drivers > ROOMS:
        raise SystemExit(f"at most {ROOMS} drivers and {SLOTS} claims per driver")
    workdir = Path(tempfile.mkdtemp(prefix=f"fanout-{kind}-"))
    listeners = None
    try:
        with running_server(kind, workdir, drivers, per_driver, args.nice,
                            args.server_cpus, args.gc_log,
                            args.openspace_gc_freeze, args.database_url) as (server, plan):
            listeners = Listeners(server.urls, n, max(len(server.urls), min(args.procs, n)),
                                  plan["slug"],
                                  args.collect_timeout, args.client, args.nice,
                                  args.client_cpus, args.batch)
            ready = listeners.wait_ready()
            if ready["connected"] != n:
                raise RuntimeError(f"{kind}: only {ready['connected']}/{n} clients connected: "
                                   f"{ready['errors']}")
            time.sleep(1.0)  # let the connection storm settle before measuring
            claims = (rush_claims(plan, args.rush_claims, args.rush_window) if rush
                      else fanout_claims(plan, args.claims, args.interval))
            tokens = [d["token"] for d in plan["drivers"]]
            profile = Path(args.profile) / f"{label}.txt" if args.profile else None
            with profiling(server.proc.pid, profile, args.profile_idle):
                cpu0, sys0, wall0 = server.cpu(), system_cpu(), time.monotonic()
                parent0 = time.process_time()
                log_start = server.log_path.stat().st_size  # gc-probe lines after: the phase
                load0 = os.getloadavg()[0]
                done = asyncio.run(drive(server.url, tokens, claims))
                accepted = [c for c in done if c["ok"]]
                results = listeners.collect([c["topic_id"] for c in accepted],
                                            args.collect_timeout)
                cpu1, sys1, wall1 = server.cpu(), system_cpu(), time.monotonic()
                time.sleep(0.5)  # a stall that was under way has ended and been logged by now
                log_mark = server.log_path.stat().st_size  # the phase ends before disconnects
            listeners.close()
            listeners = None
            server_log = server.log_path.read_text()
    finally:
        if listeners is not None:
            listeners.close()
        shutil.rmtree(workdir, ignore_errors=True)

    phase_log = server_log.encode()[log_start:log_mark].decode(errors="replace")
    pauses = [float(line.split()[2]) for line in phase_log.splitlines()
              if line.startswith("gc-probe: gen2 ")]
    stalls, stall_stacks = stall_reports(phase_log)
    sent_at = {c["topic_id"]: c["sent"] for c in accepted}
    latencies, per_claim = [], {tid: [] for tid in sent_at}
    for result in results:
        for client in result["received"]:
            for tid, t in client:
                latency = t - sent_at[tid]
                latencies.append(latency)
                per_claim[tid].append(latency)
    latencies.sort()
    per_claim_last = {tid: max(v) for tid, v in per_claim.items() if v}
    first_sent = min((c["sent"] for c in done), default=0.0)
    timeline = []
    for c in sorted(accepted, key=lambda c: c["sent"]):
        got = sorted(per_claim[c["topic_id"]])
        timeline.append({
            "topic_id": c["topic_id"], "sent_s": round(c["sent"] - first_sent, 3),
            "ack_ms": ms(c["acked"] - c["sent"]), "first_ms": ms(got[0] if got else None),
            "p50_ms": ms(percentile(got, 50)), "last_ms": ms(got[-1] if got else None),
            "received": len(got)})
    expected = n * len(accepted)
    delivered = len(latencies)
    server_cpu = cpu1 - cpu0
    busy = (sys1[0] - sys0[0]) / max(1, sys1[1] - sys0[1]) * 100
    wall = wall1 - wall0
    ours = server_cpu + sum(r["cpu_s"] for r in results) + (time.process_time() - parent0)
    others = max(0.0, (sys1[0] - sys0[0]) / CLK_TCK - ours) / wall
    acks = sorted(c["acked"] - c["sent"] for c in accepted)
    reaches = sorted(per_claim_last.values())
    errors: dict[str, int] = {}
    for c in done:
        if not c["ok"]:
            code = (c["error"] or {}).get("code", "?")
            errors[code] = errors.get(code, 0) + 1
    return {
        "server": kind,
        "mode": "rush" if rush else "fanout",
        "clients": n,
        "drivers": drivers,
        "claims_sent": len(done),
        "claims_accepted": len(accepted),
        "claim_errors": errors,
        "claims_span_s": round(max(c["sent"] for c in done) - min(c["sent"] for c in done), 2),
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "loop_stalls_s": stalls,
        "loop_stall_stacks": stall_stacks[:3],
        "duplicates": sum(r["duplicates"] for r in results),
        "out_of_order": sum(r["out_of_order"] for r in results),
        "disconnects": sum(r["disconnects"] for r in results),
        # --batch: board:batch messages received, and changes per such message
        "batch_messages": sum(r.get("batches", 0) for r in results),
        "changes_per_batch": (round(delivered / sum(r["batches"] for r in results), 2)
                              if sum(r.get("batches", 0) for r in results) else None),
        "latency_ms": {"p50": ms(percentile(latencies, 50)), "p90": ms(percentile(latencies, 90)),
                       "p99": ms(percentile(latencies, 99)),
                       "max": ms(latencies[-1] if latencies else None)},
        "all_clients_reached_ms": {"p50": ms(percentile(reaches, 50)),
                                   "max": ms(reaches[-1] if reaches else None)},
        "ack_ms": {"p50": ms(percentile(acks, 50)), "p99": ms(percentile(acks, 99))},
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_us_per_delivery": round(server_cpu / delivered * 1e6, 1) if delivered else None,
        "listener_cpu_s": round(sum(r["cpu_s"] for r in results), 2),
        "phase_wall_s": round(wall1 - wall0, 2),
        "server_full_gc": ({"count": len(pauses), "total_ms": round(sum(pauses), 1),
                            "max_ms": max(pauses, default=0.0)} if args.gc_log else None),
        "box_busy_pct": round(busy, 1),
        "others_cores": round(others, 2),
        "loadavg_1m_before": round(load0, 2),
        "connect_s": round(ready["connect_s"], 1),
        "timeline": timeline,
        # Tracebacks before "serving on" are start-up noise (see docs/performance.md); any after
        # it happened while serving and are kept.
        "startup_tracebacks": server_log.partition("serving on")[0].count("Traceback"),
        "runtime_log_tail": (lambda after: after[-4000:] if "Traceback" in after else "")(
            server_log.partition("serving on")[2]),
    }


# -- reporting -------------------------------------------------------------------------------

def median(values: list) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else round((values[mid - 1] + values[mid]) / 2, 2)


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def summarize(runs: list[dict]) -> list[dict]:
    """One row per (mode, N, server): medians over the rounds, losses summed."""
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault((run["mode"], run["clients"], run["server"]), []).append(run)
    rows = []
    for (mode, n, server), group in groups.items():
        rows.append({
            "mode": mode, "clients": n, "server": server, "rounds": len(group),
            "claims_sent": sum(r["claims_sent"] for r in group),
            "claims_accepted": sum(r["claims_accepted"] for r in group),
            "expected": sum(r["expected"] for r in group),
            "lost": sum(r["lost"] for r in group),
            "disconnects": sum(r["disconnects"] for r in group),
            "out_of_order": sum(r["out_of_order"] for r in group),
            "p50_ms": median([r["latency_ms"]["p50"] for r in group]),
            "p99_ms": median([r["latency_ms"]["p99"] for r in group]),
            "max_ms": max((r["latency_ms"]["max"] or 0) for r in group),
            "ack_p50_ms": median([r["ack_ms"]["p50"] for r in group]),
            "cpu_us_per_delivery": median([r["server_cpu_us_per_delivery"] for r in group]),
            "listener_cpu_us_per_delivery": median(
                [round(r["listener_cpu_s"] / r["delivered"] * 1e6, 1) if r["delivered"] else None
                 for r in group]),
            "others_cores": median([r["others_cores"] for r in group]),
        })
    return rows


def compare(runs: list[dict], summary: list[dict]) -> list[dict]:
    """openspace / floor: the ratio of the medians, and each round's paired ratio."""
    out = []
    for row in summary:
        if row["server"] != "openspace":
            continue
        floor = next((r for r in summary if r["server"] == "floor" and r["mode"] == row["mode"]
                      and r["clients"] == row["clients"]), None)
        if floor is None:
            continue
        paired = []
        for run in runs:
            if (run["server"], run["mode"], run["clients"]) != ("openspace", row["mode"],
                                                                 row["clients"]):
                continue
            mate = next((r for r in runs if r["server"] == "floor" and r["mode"] == run["mode"]
                         and r["clients"] == run["clients"] and r["round"] == run["round"]), None)
            if mate:
                paired.append({"round": run["round"],
                               "p50": ratio(run["latency_ms"]["p50"], mate["latency_ms"]["p50"]),
                               "p99": ratio(run["latency_ms"]["p99"], mate["latency_ms"]["p99"]),
                               "cpu_per_delivery": ratio(run["server_cpu_us_per_delivery"],
                                                         mate["server_cpu_us_per_delivery"])})
        out.append({
            "mode": row["mode"], "clients": row["clients"],
            "p50": ratio(row["p50_ms"], floor["p50_ms"]),
            "p99": ratio(row["p99_ms"], floor["p99_ms"]),
            "cpu_per_delivery": ratio(row["cpu_us_per_delivery"], floor["cpu_us_per_delivery"]),
            "paired_rounds": paired,
        })
    return out


def compare_scaled(summary: list[dict]) -> list[dict]:
    """openspace-x<K> / openspace (one process): the ratio of the medians of the same run."""
    out = []
    for row in summary:
        if not row["server"].startswith("openspace-x"):
            continue
        single = next((r for r in summary if r["server"] == "openspace"
                       and r["mode"] == row["mode"] and r["clients"] == row["clients"]), None)
        if single is None:
            continue
        out.append({"mode": row["mode"], "clients": row["clients"], "server": row["server"],
                    "p50": ratio(row["p50_ms"], single["p50_ms"]),
                    "p99": ratio(row["p99_ms"], single["p99_ms"]),
                    "cpu_per_delivery": ratio(row["cpu_us_per_delivery"],
                                              single["cpu_us_per_delivery"])})
    return out


def table(runs: list[dict], summary: list[dict], ratios: list[dict]) -> str:
    head = (f"{'mode':<7}{'N':>6} {'server':<13}{'rnd':>4}{'claims':>9}{'lost':>6}{'p50 ms':>9}"
            f"{'p99 ms':>9}{'max ms':>9}{'ack p50':>9}{'srv µs/msg':>11}{'cli µs/msg':>11}"
            f"{'others':>8}")
    lines = ["Every run:", head, "-" * len(head)]
    for r in runs:
        lat = r["latency_ms"]
        cli = r["listener_cpu_s"] / r["delivered"] * 1e6 if r["delivered"] else 0
        lines.append(
            f"{r['mode']:<7}{r['clients']:>6} {r['server']:<13}{r['round']:>4}"
            f"{r['claims_accepted']:>5}/{r['claims_sent']:<3}{r['lost']:>6}"
            f"{lat['p50'] or 0:>9.1f}{lat['p99'] or 0:>9.1f}{lat['max'] or 0:>9.1f}"
            f"{r['ack_ms']['p50'] or 0:>9.1f}{r['server_cpu_us_per_delivery'] or 0:>11.1f}"
            f"{cli:>11.1f}{r['others_cores']:>8.2f}")
    head = (f"{'mode':<7}{'N':>6} {'server':<13}{'rnds':>5}{'claims ok':>11}{'lost':>6}"
            f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'srv µs/msg':>11}")
    lines += ["", "Medians over rounds (lost and claims summed):", head, "-" * len(head)]
    for r in summary:
        lines.append(
            f"{r['mode']:<7}{r['clients']:>6} {r['server']:<13}{r['rounds']:>5}"
            f"{r['claims_accepted']:>6}/{r['claims_sent']:<4}{r['lost']:>6}"
            f"{r['p50_ms'] or 0:>9.1f}{r['p99_ms'] or 0:>9.1f}{r['max_ms'] or 0:>9.1f}"
            f"{r['cpu_us_per_delivery'] or 0:>11.1f}")
    if ratios:
        lines += ["", "openspace / floor (medians of the same run; per-round paired p99 ratios):",
                  f"{'mode':<7}{'N':>6}{'p50':>8}{'p99':>8}{'CPU/msg':>9}  paired p99"]
        for q in ratios:
            paired = " ".join(f"{p['p99']:.2f}" for p in q["paired_rounds"] if p["p99"])
            lines.append(f"{q['mode']:<7}{q['clients']:>6}{q['p50'] or 0:>8.2f}"
                         f"{q['p99'] or 0:>8.2f}{q['cpu_per_delivery'] or 0:>9.2f}  {paired}")
    scaled = compare_scaled(summary)
    if scaled:
        lines += ["", "scale-out / one openspace process (medians of the same run):",
                  f"{'mode':<7}{'N':>6} {'server':<14}{'p50':>8}{'p99':>8}{'CPU/msg':>9}"]
        for q in scaled:
            lines.append(f"{q['mode']:<7}{q['clients']:>6} {q['server']:<14}{q['p50'] or 0:>8.2f}"
                         f"{q['p99'] or 0:>8.2f}{q['cpu_per_delivery'] or 0:>9.2f}")
    return "\n".join(lines)


def wait_for_quiet(max_wait: float, threshold: float) -> float:
    """Wait (at most max_wait s) until other processes use less than `threshold` cores over a
    1-s sample, since the box is shared; returns the last sample (cores busy)."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = system_cpu()
        time.sleep(1.0)
        b1, t1 = system_cpu()
        cores = (b1 - b0) / max(1, t1 - t0) * (os.cpu_count() or 1)
        if cores < threshold or time.monotonic() >= deadline:
            return round(cores, 2)


def machine() -> dict:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    from importlib.metadata import version
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "kernel": platform.release(), "eventlet": version("eventlet"),
            "python_socketio": version("python-socketio"),
            "python_engineio": version("python-engineio"), "aiohttp": version("aiohttp"),
            "async_mode": os.environ.get("OPENSPACE_ASYNC_MODE") or "eventlet"}


def main() -> None:
    import reconnect  # here: it imports this module's helpers (servers, CPU, quiet waits)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n", 2)[2])
    parser.add_argument("--clients", type=int, nargs="*", default=[100, 500, 1000],
                        help="listener counts to measure (give none to run only --rush)")
    parser.add_argument("--claims", type=int, default=60,
                        help="claims per fan-out run, one driver (at most 64)")
    parser.add_argument("--interval", type=float, default=0.25,
                        help="seconds between claims; 0.25 s lets one claim's fan-out to 1,000 "
                        "clients finish before the next and stays under openspace's per-user "
                        "rate limit (5/s)")
    parser.add_argument("--client", choices=["sio", "raw"], default="sio",
                        help="listeners: python-socketio AsyncClient (sio) or a minimal "
                        "Socket.IO client on aiohttp websockets (raw, cheaper per message)")
    parser.add_argument("--procs", type=int, default=2, help="listener processes")
    parser.add_argument("--rush", action="store_true", help="also run the marketplace rush")
    parser.add_argument("--rush-clients", type=int, default=1000)
    parser.add_argument("--rush-claims", type=int, default=200)
    parser.add_argument("--rush-window", type=float, default=10.0)
    parser.add_argument("--rush-drivers", type=int, default=8)
    parser.add_argument("--batch", action="store_true",
                        help="listeners join with batch: true (openspace sends board:batch)")
    parser.add_argument("--servers", nargs="+", default=["floor", "openspace"],
                        type=server_kind, metavar="KIND",
                        help="floor, openspace, openspace-x<K> (K processes + Redis; e.g. "
                        "openspace-x2, compared with openspace)")
    parser.add_argument("--collect-timeout", type=float, default=120,
                        help="how long listeners wait for missing messages after the last ack")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat every (N, server) pair, interleaved; medians are reported")
    parser.add_argument("--quiet-wait", type=float, default=60,
                        help="seconds to wait, before each run, for the shared box to calm down")
    parser.add_argument("--quiet-cores", type=float, default=0.5,
                        help="'calm' = other processes use fewer cores than this")
    parser.add_argument("--max-others", type=float, default=0.5,
                        help="a run during which other processes used more cores than this is "
                        "discarded and measured again (see --retries)")
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--nice", type=int, default=None,
                        help="niceness for our processes (server, listeners, driver), e.g. -10 "
                        "on a box shared with other work; needs root for negative values")
    parser.add_argument("--pin", action="store_true",
                        help="pin the server to CPU 0 and the listeners and driver to the others")
    parser.add_argument("--gc-log", action="store_true",
                        help="run the servers under bench/gc_probe.py and report their full "
                        "garbage collections during the claims")
    parser.add_argument("--openspace-gc-freeze", type=float, metavar="SECONDS",
                        help="experiment (with --gc-log): gc.freeze() in the openspace server "
                        "that long after start, before clients connect; the floor is untouched")
    parser.add_argument("--profile", metavar="DIR",
                        help="record each run's server with py-spy (raw stacks) into DIR; "
                        "sampling costs the server some CPU, so do not quote those runs' figures")
    parser.add_argument("--profile-idle", action="store_true",
                        help="with --profile: also sample the server while it waits (wall-clock)")
    parser.add_argument("--database-url", metavar="URL",
                        help="run openspace on this PostgreSQL database instead of a fresh "
                        "SQLite file: it is EMPTIED before every run (use a database of its own)")
    parser.add_argument("--out", help="JSON file (default bench/results/fanout-<time>.json)")
    reconnect.add_arguments(parser)
    args = parser.parse_args()
    if args.openspace_gc_freeze and not args.gc_log:
        parser.error("--openspace-gc-freeze needs --gc-log")

    raise_file_limit(4096)
    cpus = sorted(os.sched_getaffinity(0))
    args.server_cpus = {cpus[0]} if args.pin and len(cpus) > 1 else None
    args.client_cpus = set(cpus[1:]) if args.pin and len(cpus) > 1 else None
    # The driver (this process) stamps the emit times: a notch above the listeners, so a
    # listener backlog on the same CPU does not delay the stamp or the emit.
    set_priority(0, None if args.nice is None else args.nice - 5, args.client_cpus)
    # A SIGTERM becomes SystemExit so every finally (server kill, listener join) still runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.reconnect:
        reconnect.run(args)
        return
    plan = [(n, False) for n in args.clients] + ([(args.rush_clients, True)] if args.rush else [])
    runs, discarded = [], []
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    out = Path(args.out) if args.out else BENCH / "results" / (
        "fanout-" + started.replace(":", "") + ".json")
    out.parent.mkdir(parents=True, exist_ok=True)

    def write() -> None:
        """(Re)write the JSON: after every run, so an interrupted benchmark keeps its figures."""
        summary = summarize(runs)
        out.write_text(json.dumps({
            "started": started, "machine": machine(), "loadavg_end": os.getloadavg(),
            "settings": {k: sorted(v) if isinstance(v, set) else v
                         for k, v in vars(args).items() if k != "out"},
            "summary": summary, "ratios": compare(runs, summary),
            "scaled_ratios": compare_scaled(summary), "runs": runs,
            "discarded": discarded}, indent=2))

    for round_ in range(1, args.rounds + 1):
        for n, rush in plan:
            for kind in args.servers:
                label = f"round {round_}: {'rush' if rush else 'fanout'} N={n} {kind}"
                name = f"{kind}-{'rush' if rush else 'fanout'}-{n}-r{round_}"
                for attempt in range(args.retries + 1):
                    idle = wait_for_quiet(args.quiet_wait, args.quiet_cores)
                    print(f"... {label} (others busy before: {idle} cores)", file=sys.stderr,
                          flush=True)
                    run = {"round": round_, "attempt": attempt + 1, "others_cores_before": idle,
                           **measure(kind, n, args, rush=rush, label=name)}
                    print(f"    p50 {run['latency_ms']['p50']} ms, p99 "
                          f"{run['latency_ms']['p99']} ms, lost {run['lost']}, "
                          f"{run['server_cpu_us_per_delivery']} µs/msg, accepted "
                          f"{run['claims_accepted']}/{run['claims_sent']}, others "
                          f"{run['others_cores']} cores"
                          + (f", loop stalls {run['loop_stalls_s']} s" if run["loop_stalls_s"]
                             else ""), file=sys.stderr, flush=True)
                    if run["others_cores"] <= args.max_others or attempt == args.retries:
                        break
                    discarded.append(run)  # the shared box was busy: measure again
                    print("    (others were busy: discarded, measuring again)", file=sys.stderr)
                runs.append(run)
                write()
    summary = summarize(runs)
    ratios = compare(runs, summary)
    print(table(runs, summary, ratios))
    write()
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()

"""Mass reconnect (`bench/fanout.py --reconnect`): N clients refetch the board at once, as after
a server restart or a wifi blip, openspace against the floor relay serving a static file of the
same bytes, in the same run.

    .venv/bin/python bench/fanout.py --reconnect [--reconnect-clients 1000] [--rounds 3]

One openspace server (seeded like the fan-out runs: 10 rooms, 64 slots, --reconnect-topics
topics, half of them placed) and one floor relay (bench/floor_relay.py with `--static`: the
exact bytes openspace answered, kept in memory, always 200, no ETag: the naive floor) run side
by side. Each round measures, for both resources live.js and API clients refetch:

- `board`: GET /api/v1/events/<slug>/board (the JSON);
- `fragment`: GET /e/<slug>/live (the board page's live regions, as an anonymous visitor);

three cases:

- `floor`: the floor's static copy;
- `openspace stale`: the board changed while the clients were away (a driver places a topic
  first, so the cache starts cold for the new version): they send the tag of the version they
  had and get the new body (rendered once, then from the cache);
- `openspace current`: nothing changed: they send the current tag and get 304.

Every client opens its own connection (a phone after a blip), `Accept-Encoding: identity` on
both servers (the same bytes on the wire); at most --reconnect-inflight requests are in flight
at once across the --procs client processes (eventlet's listen backlog is 50: more would time
SYN retransmits, not servers). A client "has the current board" after a 200 with the current
version's bytes or a 304 for the current tag; anything else counts as failed. Reported: the
time from the start until all N have it, p50/p99 per client, and the server's CPU over the run
(utime+stime), each as a ratio to the floor's of the same resource in the same round, and the
body bytes sent (what a venue's wifi would carry).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import fanout
from fanout import HOST, PYTHON, ROOT, Server, free_port, proc_cpu, running_server, server_env

BENCH = Path(__file__).resolve().parent
RESOURCES = {"board": "/api/v1/events/{slug}/board", "fragment": "/e/{slug}/live"}
FLOOR_PATHS = {"board": "/board.json", "fragment": "/live.html"}


def add_arguments(parser) -> None:
    parser.add_argument("--reconnect", action="store_true",
                        help="only run the mass reconnect (bench/reconnect.py)")
    parser.add_argument("--reconnect-clients", type=int, default=1000)
    parser.add_argument("--reconnect-topics", type=int, default=60,
                        help="topics on the board (at most 64), half of them placed")
    parser.add_argument("--reconnect-inflight", type=int, default=50,
                        help="requests in flight at once, over all client processes")


# -- the clients ---------------------------------------------------------------------------

def client_main(conn, url: str, count: int, inflight: int, nice: int | None,
                cpus: set[int] | None) -> None:
    fanout.set_priority(0, nice, cpus)
    try:
        while True:
            kind, job = conn.recv()
            if kind == "stop":
                return
            conn.send(("result", asyncio.run(_refetch(url, count, inflight, **job))))
    except (EOFError, KeyboardInterrupt):
        return


async def _refetch(base: str, count: int, inflight: int, path: str, tag: str | None,
                   start_at: float, expect_status: int, expect_bytes: int | None) -> dict:
    import aiohttp

    gate = asyncio.Semaphore(inflight)
    headers = {"Accept-Encoding": "identity", **({"If-None-Match": tag} if tag else {})}
    done: list[float] = []
    failed: list[str] = []
    bodies: dict[str, int] = {}
    sizes: list[int] = []
    timeout = aiohttp.ClientTimeout(total=120)

    async def one(session) -> None:
        async with gate:
            try:
                async with session.get(base + path, headers=headers) as response:
                    body = await response.read()
                    if response.status != expect_status or (
                            expect_bytes is not None and len(body) != expect_bytes):
                        failed.append(f"{response.status} {len(body)} B")
                        return
                    digest = hashlib.sha256(body).hexdigest()
                    bodies[digest] = bodies.get(digest, 0) + 1
                    sizes.append(len(body))
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                failed.append(repr(error))
                return
        done.append(time.monotonic() - start_at)

    # One connection per client, closed after its answer: phones back from a blip.
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        await asyncio.gather(*(one(session) for _ in range(count)))
    return {"done": done, "failed": failed, "bodies": bodies, "body_bytes": sum(sizes)}


class Clients:
    def __init__(self, url: str, n: int, procs: int, inflight: int, nice, cpus) -> None:
        ctx = mp.get_context("spawn")
        self.items = []
        sizes = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
        for i, size in enumerate(sizes):
            parent, child = ctx.Pipe()
            share = inflight // procs + (1 if i < inflight % procs else 0)
            proc = ctx.Process(target=client_main,
                               args=(child, url, size, max(1, share), nice, cpus), daemon=True)
            proc.start()
            child.close()
            self.items.append((proc, parent))

    def run(self, **job) -> dict:
        for _, conn in self.items:
            conn.send(("run", job))
        results = [conn.recv()[1] for _, conn in self.items]
        bodies: dict[str, int] = {}
        for r in results:
            for digest, count in r["bodies"].items():
                bodies[digest] = bodies.get(digest, 0) + count
        return {"done": sorted(t for r in results for t in r["done"]),
                "failed": [f for r in results for f in r["failed"]], "bodies": bodies,
                "body_bytes": sum(r["body_bytes"] for r in results)}

    def close(self) -> None:
        for proc, conn in self.items:
            try:
                conn.send(("stop", None))
            except (OSError, ValueError):
                pass
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
            conn.close()


# -- a run ---------------------------------------------------------------------------------

def _get(url: str, tag: str | None = None) -> tuple[int, bytes, str]:
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity",
                                                   **({"If-None-Match": tag} if tag else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers.get("ETag", "")
    except urllib.error.HTTPError as error:
        return error.code, b"", error.headers.get("ETag", "")


def _place(url: str, plan: dict, topic_id: int, cell: tuple[int, int]) -> None:
    import urllib.request

    body = json.dumps({"room_id": cell[0], "slot_id": cell[1]}).encode()
    request = urllib.request.Request(
        f"{url}/api/v1/topics/{topic_id}/placement", data=body, method="PUT",
        headers={"Authorization": f"Bearer {plan['drivers'][0]['token']}",
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200, response.status


def _figures(result: dict, n: int, seconds: float, cpu: float) -> dict:
    done = result["done"]
    return {"clients": n, "ok": len(done), "failed": len(result["failed"]),
            "bodies": result["bodies"], "body_bytes": result["body_bytes"],
            "failures": result["failed"][:5],
            "all_s": round(max(done), 4) if len(done) == n else None,
            "p50_ms": round(statistics.median(done) * 1000, 1) if done else None,
            "p99_ms": round(done[min(len(done) - 1, int(len(done) * 0.99))] * 1000, 1)
            if done else None,
            "wall_s": round(seconds, 3), "server_cpu_s": round(cpu, 4)}


def _measure(clients: Clients, server: Server, n: int, **job) -> dict:
    start_at = time.monotonic() + 0.5
    before = proc_cpu(server.proc.pid)
    result = clients.run(start_at=start_at, **job)
    cpu = proc_cpu(server.proc.pid) - before
    return _figures(result, n, time.monotonic() - start_at, cpu)


def run(args) -> None:
    n, rounds = args.reconnect_clients, args.rounds
    topics = min(args.reconnect_topics, fanout.SLOTS)
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    out = Path(args.out) if args.out else BENCH / "results" / (
        "reconnect-" + started.replace(":", "") + ".json")
    out.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="reconnect-"))
    runs: list[dict] = []
    with running_server("openspace", workdir, 1, topics, args.nice, args.server_cpus,
                        database_url=args.database_url) as (openspace, plan):
        slug = plan["slug"]
        topic_ids = plan["drivers"][0]["topics"]
        for i, topic_id in enumerate(topic_ids[: len(topic_ids) // 2]):
            _place(openspace.url, plan, topic_id, (plan["rooms"][i % len(plan["rooms"])],
                                                   plan["slots"][i]))
        unplaced = iter(topic_ids[len(topic_ids) // 2:])
        # A convener holds one topic per slot: each later placement takes a slot of its own.
        free = iter((plan["rooms"][0], slot) for slot in plan["slots"][len(topic_ids) // 2:])
        # The floor serves what openspace answers now, byte for byte (sizes stay within a few
        # bytes as the runs place topics).
        statics = []
        for name, path in RESOURCES.items():
            status, body, _ = _get(openspace.url + path.format(slug=slug))
            assert status == 200, (name, status)
            file = workdir / f"floor-{name}"
            file.write_bytes(body)
            statics += ["--static", f"{FLOOR_PATHS[name]}={file}"]
        port = free_port()
        floor = Server("floor", [PYTHON, str(BENCH / "floor_relay.py"), "--host", HOST,
                                 "--port", str(port), *statics],
                       server_env(), port, workdir / "floor.log", args.nice, args.server_cpus)
        try:
            floor.wait_ready()
            procs = max(1, min(args.procs, n))
            on_floor = Clients(floor.url, n, procs, args.reconnect_inflight, args.nice,
                               args.client_cpus)
            on_openspace = Clients(openspace.url, n, procs, args.reconnect_inflight, args.nice,
                                   args.client_cpus)
            try:
                for round_ in range(1, rounds + 1):
                    for name, template in RESOURCES.items():
                        path = template.format(slug=slug)
                        floor_body = (workdir / f"floor-{name}").read_bytes()
                        floor_bytes = len(floor_body)
                        fanout.wait_for_quiet(args.quiet_wait, args.quiet_cores)
                        row = {"round": round_, "resource": name, "bytes": floor_bytes}
                        row["floor"] = _measure(on_floor, floor, n, path=FLOOR_PATHS[name],
                                                tag=None, expect_status=200,
                                                expect_bytes=floor_bytes)
                        _check_bodies(row["floor"], floor_body)
                        # The board changes while the clients are away: they hold the tag of
                        # the version they had; the new one is in no cache yet.
                        _, _, old_tag = _get(openspace.url + path)
                        _place(openspace.url, plan, next(unplaced), next(free))
                        row["openspace_stale"] = _measure(
                            on_openspace, openspace, n, path=path, tag=old_tag,
                            expect_status=200, expect_bytes=None)
                        status, body, _ = _get(openspace.url + path)
                        _check_bodies(row["openspace_stale"], body)
                        _, _, tag = _get(openspace.url + path)
                        fanout.wait_for_quiet(args.quiet_wait, args.quiet_cores)
                        row["openspace_current"] = _measure(
                            on_openspace, openspace, n, path=path, tag=tag, expect_status=304,
                            expect_bytes=0)
                        _check_bodies(row["openspace_current"], b"")
                        row["ratios"] = _ratios(row)
                        runs.append(row)
                        print(f"round {round_} {name} ({floor_bytes} B): " + json.dumps(
                            {k: row[k] for k in ("floor", "openspace_stale",
                                                 "openspace_current", "ratios")}),
                              file=sys.stderr, flush=True)
                        _write(out, started, args, runs)
            finally:
                on_floor.close()
                on_openspace.close()
        finally:
            floor.stop()
    _write(out, started, args, runs)
    print(_table(runs))
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def _check_bodies(figures: dict, current: bytes) -> None:
    """Every client got the current board (its bytes), or it counts as failed."""
    digest = hashlib.sha256(current).hexdigest()
    wrong = sum(count for seen, count in figures.pop("bodies").items() if seen != digest)
    figures["ok"] -= wrong
    figures["failed"] += wrong
    if wrong:
        figures["all_s"] = None


def _ratios(row: dict) -> dict:
    ratios = {}
    for case in ("openspace_stale", "openspace_current"):
        for key in ("all_s", "p50_ms", "p99_ms", "server_cpu_s"):
            a, b = row[case][key], row["floor"][key]
            ratios[f"{case}_{key}"] = round(a / b, 2) if a is not None and b else None
    return ratios


def _medians(runs: list[dict]) -> dict:
    summary = {}
    for name in RESOURCES:
        rows = [r for r in runs if r["resource"] == name]
        if not rows:
            continue
        keys = rows[0]["ratios"].keys()
        summary[name] = {k: statistics.median(r["ratios"][k] for r in rows
                                              if r["ratios"][k] is not None)
                         if any(r["ratios"][k] is not None for r in rows) else None
                         for k in keys}
        for case in ("floor", "openspace_stale", "openspace_current"):
            summary[name][f"{case}_all_s_median"] = statistics.median(
                r[case]["all_s"] for r in rows if r[case]["all_s"] is not None) \
                if any(r[case]["all_s"] is not None for r in rows) else None
            summary[name][f"{case}_failed"] = sum(r[case]["failed"] for r in rows)
    return summary


def _write(out: Path, started: str, args, runs: list[dict]) -> None:
    out.write_text(json.dumps({
        "started": started, "machine": fanout.machine(), "loadavg_end": os.getloadavg(),
        "settings": {k: sorted(v) if isinstance(v, set) else v for k, v in vars(args).items()
                     if k != "out"},
        "summary": _medians(runs), "runs": runs}, indent=2))


def _table(runs: list[dict]) -> str:
    lines = ["resource  case               all have it  p50 ms  p99 ms  CPU s   vs floor "
             "(all / p99 / CPU)"]
    for row in runs:
        for case in ("floor", "openspace_stale", "openspace_current"):
            f = row[case]
            r = row["ratios"]
            vs = "" if case == "floor" else (
                f"{r[f'{case}_all_s']} / {r[f'{case}_p99_ms']} / {r[f'{case}_server_cpu_s']}")
            lines.append(f"{row['resource']:<9} {case:<18} {f['all_s']!s:>10} s "
                         f"{f['p50_ms']!s:>7} {f['p99_ms']!s:>7} {f['server_cpu_s']:>6}   {vs}"
                         + (f"  FAILED {f['failed']}" if f["failed"] else ""))
    summary = _medians(runs)
    lines.append("")
    for name, figures in summary.items():
        lines.append(f"medians, {name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    return "\n".join(lines)

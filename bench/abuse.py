"""Abuse benchmark: an innocent client's board latency while one attacker floods the server.

    .venv/bin/python bench/abuse.py [--attacks login signup ...] [--duration 10]

1. prepare and start openspace as bench/fanout.py does (a fresh SQLite database seeded by
   bench/seed_openspace.py: a public event, rooms, session slots, driver accounts with API
   tokens and topics; `python -m openspace serve` on a free 127.0.0.1 port). Driver 0 is the
   innocent, driver 1 the attacking *user*; the anonymous attacks use no account;
2. --listeners anonymous Socket.IO clients watch the board (bench/fanout.py's listener
   processes), so every broadcast costs what it costs at an event;
3. the innocent, a real Socket.IO client (python-socketio, websocket, its API token), places
   its topic into a cell and releases it again, one call at a time, and fetches the board over
   HTTP (`GET /api/v1/events/{slug}/board`) in between, pausing --every seconds after each;
   every round trip is timed (socket: emit -> ack; http: request -> body);
4. for each attack in turn: --duration seconds of the innocent alone (the baseline), then
   --duration seconds with the attack running in a separate process (--workers threads, one
   client: one user, or one anonymous address), then --cooldown seconds for the server to
   catch up (first waiting up to --quiet-wait for the shared box to calm down). Reported per
   window: the innocent's median and max round trip (socket and http), the attack / baseline
   ratio of the medians, the event-loop stalls the server's watchdog logged
   (OPENSPACE_STALL_REPORT=0.25), the cores the server and the whole box used, and the
   attacker's answers by status.

Attacks (issue 11): `login` (POST /api/v1/tokens, a fresh e-mail each), `signup` (POST
/api/v1/users), `form-propose`, `form-interest`, `form-photo` (the HTML forms, logged in as
the attacking user), `quickjoin` (quick-join identities minted through the join page, each
firing a burst of interest toggles on its socket), `guess` (join codes through /join?code= and
/e/<slug>/join?code=), `note-bloat` (big note:update messages by the attacking user),
`note-join` (repeated anonymous note:join), `nested-json` (deeply nested JSON bodies),
`nested-socket` (socket messages nested 100,000 levels deep, by the attacking user).
Target: no attack moves the innocent's median by more than 2x.

Prints a table and writes every figure to bench/results/abuse-<time>.json. Only talks to
127.0.0.1. Needs the bench extra (aiohttp for the listeners): `.venv/bin/pip install -e
'.[bench]'`.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from fanout import (  # noqa: E402
    Listeners,
    machine,
    ms,
    percentile,
    ratio,
    running_server,
    set_priority,
    stall_reports,
    system_cpu,
    wait_for_quiet,
)
from seed_openspace import PASSWORD  # noqa: E402

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

ATTACKS = ["login", "signup", "form-propose", "form-interest", "form-photo", "quickjoin",
           "guess", "note-bloat", "note-join", "nested-json", "nested-socket"]
ATTACKER_EMAIL = "driver1@example.org"  # seed_openspace's second driver
TARGET_RATIO = 2.0


# -- the innocent ----------------------------------------------------------------------------

class Innocent:
    """Claim/release and board fetches, one at a time, timed; samples are (t, kind, s, ok)."""

    def __init__(self, url: str, plan: dict, every: float) -> None:
        import requests
        import socketio

        self.url, self.plan, self.every = url, plan, every
        driver = plan["drivers"][0]
        self.token, self.topic = driver["token"], driver["topics"][0]
        self.cell = {"room_id": plan["rooms"][0], "slot_id": plan["slots"][0]}
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.sio = socketio.Client(reconnection=True)
        self.sio.connect(url, transports=["websocket"], auth={"token": self.token},
                         wait_timeout=20)
        self.sio.call("event:join", {"slug": plan["slug"]}, timeout=20)
        self.samples: list[tuple[float, str, float, bool]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _time(self, kind: str, call) -> None:
        start = time.monotonic()
        try:
            ok = call()
        except Exception:  # a timeout or a dropped connection is a (bad) sample too
            ok = False
        self.samples.append((start, kind, time.monotonic() - start, bool(ok)))

    def _socket(self, event: str, data: dict) -> bool:
        return self.sio.call(event, data, timeout=30).get("ok", False)

    def _board(self) -> bool:
        return self.http.get(f"{self.url}/api/v1/events/{self.plan['slug']}/board",
                             timeout=30).status_code == 200

    def _run(self) -> None:
        placed = False
        while not self.stop.is_set():
            if placed:
                self._time("socket", lambda: self._socket("board:release",
                                                           {"topic_id": self.topic}))
            else:
                self._time("socket", lambda: self._socket("board:place",
                                                           {"topic_id": self.topic, **self.cell}))
            placed = not placed
            time.sleep(self.every)
            self._time("http", self._board)
            time.sleep(self.every)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        self.sio.disconnect()

    def window(self, start: float, end: float) -> dict:
        out: dict = {}
        for kind in ("socket", "http"):
            values = sorted(s for t, k, s, _ in self.samples if k == kind and start <= t < end)
            failed = sum(1 for t, k, _, ok in self.samples
                         if k == kind and start <= t < end and not ok)
            out[kind] = {"n": len(values), "failed": failed,
                         "p50_ms": ms(statistics.median(values)) if values else None,
                         "p90_ms": ms(percentile(values, 90)),
                         "max_ms": ms(values[-1]) if values else None}
        return out


# -- the attacker (a separate process) --------------------------------------------------------

class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter = Counter()

    def add(self, outcome) -> None:
        key = outcome if isinstance(outcome, str) else (
            "2xx" if outcome < 300 else "3xx" if outcome < 400 else
            "429" if outcome == 429 else "4xx" if outcome < 500 else "5xx")
        with self.lock:
            self.counts[key] += 1


def _csrf(session, url: str) -> str:
    page = session.get(url, timeout=30).text
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page)
    return found.group(1) if found else ""


def _logged_in(url: str):
    """A browser session of the attacking user (the login form, with its CSRF token)."""
    import requests

    session = requests.Session()
    token = _csrf(session, url + "/login")
    answer = session.post(url + "/login", data={"email": ATTACKER_EMAIL, "password": PASSWORD,
                                                "csrf_token": token}, timeout=60,
                          allow_redirects=False)
    if answer.status_code != 302:
        raise RuntimeError(f"the attacker could not log in: {answer.status_code}")
    return session, _csrf(session, url + "/")


def _jpeg() -> bytes:
    """A phone-sized photo of noise (~12 MP would exceed the upload limit; 6 MP does not)."""
    from PIL import Image

    rng = random.Random(11)
    small = Image.frombytes("RGB", (300, 200), bytes(rng.getrandbits(8) for _ in range(180000)))
    out = io.BytesIO()
    small.resize((3000, 2000)).save(out, "JPEG", quality=90)
    return out.getvalue()


def _cookie_header(session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def attack_main(conn, name: str, url: str, ctx: dict, duration: float, workers: int,
                nice: int | None, cpus: set[int] | None) -> None:
    set_priority(0, nice, cpus)
    try:
        tally = Tally()
        setup = SETUPS.get(name, lambda *_: None)(url, ctx)
        conn.send(("ready", None))
        conn.recv()  # "go"
        stop_at = time.monotonic() + duration
        threads = [threading.Thread(target=_worker, args=(ATTACK[name], url, ctx, setup, n,
                                                          stop_at, tally), daemon=True)
                   for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=duration + 120)
        conn.send(("done", dict(tally.counts)))
    except Exception as exc:
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def _worker(attack, url, ctx, setup, n, stop_at, tally) -> None:
    import requests

    session = requests.Session()
    state: dict = {"n": n}
    while time.monotonic() < stop_at:
        try:
            attack(url, ctx, setup, session, state, tally)
        except Exception as exc:
            tally.add(type(exc).__name__)
    for sock in state.get("sockets", []):
        try:
            sock.disconnect()
        except Exception:
            pass


def _setup_user(url, ctx):
    session, token = _logged_in(url)
    return {"cookies": session.cookies, "csrf": token, "photo": _jpeg()}


def _as_user(setup):
    import requests

    session = requests.Session()
    session.cookies.update(setup["cookies"])
    return session


def a_login(url, ctx, setup, session, state, tally):
    email = f"nobody-{uuid.uuid4().hex}@example.org"
    tally.add(session.post(url + "/api/v1/tokens", json={"email": email, "password": "guess 12"},
                           timeout=60).status_code)


def a_signup(url, ctx, setup, session, state, tally):
    email = f"bulk-{uuid.uuid4().hex}@example.org"
    tally.add(session.post(url + "/api/v1/users", json={
        "email": email, "password": "correct horse", "name": "Bulk"}, timeout=60).status_code)


def a_form_propose(url, ctx, setup, session, state, tally):
    user = state.setdefault("user", _as_user(setup))
    tally.add(user.post(f"{url}/e/{ctx['slug']}/topics", data={
        "title": f"Spam {uuid.uuid4().hex[:8]}", "csrf_token": setup["csrf"]},
        timeout=60, allow_redirects=False).status_code)


def a_form_interest(url, ctx, setup, session, state, tally):
    user = state.setdefault("user", _as_user(setup))
    state["on"] = not state.get("on")
    tally.add(user.post(f"{url}/t/{ctx['attacker_topic']}/interest", data={
        "interested": "1" if state["on"] else "0", "csrf_token": setup["csrf"]},
        timeout=60, allow_redirects=False).status_code)


def a_form_photo(url, ctx, setup, session, state, tally):
    user = state.setdefault("user", _as_user(setup))
    tally.add(user.post(f"{url}/t/{ctx['attacker_topic']}/photos",
                        data={"caption": "", "csrf_token": setup["csrf"]},
                        files={"photo": ("flipchart.jpg", setup["photo"], "image/jpeg")},
                        timeout=120, allow_redirects=False).status_code)


def a_quickjoin(url, ctx, setup, session, state, tally):
    """Mint an identity through the join page, then fire a burst of socket actions with it."""
    import requests
    import socketio

    phone = requests.Session()
    join = f"{url}/e/{ctx['slug']}/join"
    token = _csrf(phone, f"{join}?code={ctx['join_code']}")
    answer = phone.post(join, data={"join_code": ctx["join_code"], "name": "Puppet",
                                    "csrf_token": token}, timeout=60, allow_redirects=False)
    tally.add(answer.status_code)
    if answer.status_code != 302:
        return
    sock = socketio.Client(reconnection=False)
    sock.connect(url, transports=["websocket"], headers={"Cookie": _cookie_header(phone)},
                 wait_timeout=20)
    state.setdefault("sockets", []).append(sock)
    acks: list[dict] = []
    done = threading.Event()
    burst = 30

    def acked(answer):
        acks.append(answer)
        if len(acks) == burst:
            done.set()

    for k in range(burst):
        sock.emit("board:interest", {"topic_id": ctx["attacker_topic"],
                                     "interested": k % 2 == 0}, callback=acked)
    done.wait(timeout=30)
    for ack in acks:
        tally.add("socket ok" if ack.get("ok") else f"socket {ack['error']['code']}")


def a_guess(url, ctx, setup, session, state, tally):
    code = "".join(random.choice("ABCDEFGHJKMNPQRSTUVWXYZ23456789") for _ in range(6))
    state["page"] = not state.get("page")
    path = f"/join?code={code}" if state["page"] else f"/e/{ctx['slug']}/join?code={code}"
    tally.add(session.get(url + path, timeout=60, allow_redirects=False).status_code)


def _note_socket(url, ctx, token: str | None):
    import socketio
    from pycrdt import Doc, Text

    sock = socketio.Client(reconnection=False)
    sock.connect(url, transports=["websocket"], auth={"token": token} if token else None,
                 wait_timeout=20)
    doc = Doc()
    doc.get("markdown", type=Text)
    return sock, doc


def a_note_bloat(url, ctx, setup, session, state, tally):
    from pycrdt import Text

    if "note" in state and not state["note"][0].connected:
        del state["note"]  # cut off by the server: connect again, as an attacker would
    if "note" not in state:
        sock, doc = _note_socket(url, ctx, ctx["attacker_token"])
        state.setdefault("sockets", []).append(sock)
        joined = sock.call("note:join", {"topic_id": ctx["attacker_topic"],
                                         "state_vector": doc.get_state()}, timeout=60)
        if joined.get("ok") and joined.get("update"):
            doc.apply_update(joined["update"])
        state["note"] = (sock, doc)
    sock, doc = state["note"]
    before = doc.get_state()
    text = doc.get("markdown", type=Text)
    # Just under the 64 KiB a single update may hold, so each one counts until the note is
    # at its size limit (then every further one is `too_large`).
    # (Written once per worker: the attacking client's own CPU is not what is measured, and on
    # a shared 2-core box it would slow the innocent client down by itself.)
    filler = state.setdefault("filler", "".join(random.choice("abcdefgh ") for _ in range(60_000)))
    text += filler
    answer = sock.call("note:update", {"topic_id": ctx["attacker_topic"],
                                       "update": doc.get_update(before)}, timeout=60)
    tally.add("socket ok" if answer.get("ok") else f"socket {answer['error']['code']}")


def a_note_join(url, ctx, setup, session, state, tally):
    if "note" not in state:
        sock, doc = _note_socket(url, ctx, None)
        state.setdefault("sockets", []).append(sock)
        state["note"] = (sock, doc)
    sock, doc = state["note"]
    answer = sock.call("note:join", {"topic_id": ctx["attacker_topic"],
                                     "state_vector": b"\x00"}, timeout=60)
    tally.add("socket ok" if answer.get("ok") else f"socket {answer['error']['code']}")


NESTED = ("[" * 400_000 + "]" * 400_000).encode()  # 800 KB, under the 1 MiB body limit


def a_nested_json(url, ctx, setup, session, state, tally):
    tally.add(session.post(url + "/api/v1/tokens", data=NESTED, timeout=60,
                           headers={"Content-Type": "application/json"}).status_code)


class _DeepJSON:
    """The attacker's Socket.IO JSON module: writes DEEP in place of the marker string, a
    message nested deeper than any JSON encoder would write (issue 11: a RecursionError)."""

    MARKER = "__deep__"
    DEEP = "[" * 100_000 + "]" * 100_000  # 200 KB, under the 256 KiB socket message limit

    @staticmethod
    def dumps(obj, **kwargs):
        return json.dumps(obj, **kwargs).replace(json.dumps(_DeepJSON.MARKER), _DeepJSON.DEEP)

    @staticmethod
    def loads(text, **kwargs):
        return json.loads(text, **kwargs)


def a_nested_socket(url, ctx, setup, session, state, tally):
    """Deeply nested socket messages (note:awareness) from the attacking user."""
    import socketio

    if "deep" in state and not state["deep"].connected:
        del state["deep"]  # cut off by the server: connect again, as an attacker would
    if "deep" not in state:
        sock = socketio.Client(reconnection=False, json=_DeepJSON)
        sock.connect(url, transports=["websocket"], auth={"token": ctx["attacker_token"]},
                     wait_timeout=20)
        state.setdefault("sockets", []).append(sock)
        state["deep"] = sock
    answer = state["deep"].call("note:awareness", {"topic_id": ctx["attacker_topic"],
                                                   "update": _DeepJSON.MARKER}, timeout=60)
    tally.add("socket ok" if answer.get("ok") else f"socket {answer['error']['code']}")


ATTACK = {"login": a_login, "signup": a_signup, "form-propose": a_form_propose,
          "form-interest": a_form_interest, "form-photo": a_form_photo,
          "quickjoin": a_quickjoin, "guess": a_guess, "note-bloat": a_note_bloat,
          "note-join": a_note_join, "nested-json": a_nested_json,
          "nested-socket": a_nested_socket}
SETUPS = {"form-propose": _setup_user, "form-interest": _setup_user, "form-photo": _setup_user}


class Attacker:
    """One attack in its own process: set up (log in, make the photo), then run on 'go'."""

    def __init__(self, name: str, url: str, ctx: dict, args) -> None:
        context = mp.get_context("spawn")
        self.conn, child = context.Pipe()
        self.proc = context.Process(target=attack_main, daemon=True, args=(
            child, name, url, ctx, args.duration, args.workers, args.nice,
            args.client_cpus))
        self.proc.start()
        child.close()
        self._expect("ready", 120)

    def _expect(self, tag: str, timeout: float):
        if not self.conn.poll(timeout):
            raise RuntimeError(f"attacker sent no {tag} within {timeout} s")
        got, body = self.conn.recv()
        if got == "error":
            raise RuntimeError(f"attacker failed: {body}")
        return body

    def go(self) -> None:
        self.conn.send("go")

    def result(self, duration: float) -> dict:
        try:
            return self._expect("done", duration + 180)
        finally:
            self.proc.join(timeout=15)
            if self.proc.is_alive():
                self.proc.kill()
            self.conn.close()


# -- the run ---------------------------------------------------------------------------------

def _context(workdir: Path, plan: dict) -> dict:
    database = workdir / "instance" / "openspace.db"
    with sqlite3.connect(database) as db:
        join_code = db.execute("SELECT join_code FROM events WHERE slug = ?",
                               (plan["slug"],)).fetchone()[0]
    attacker = plan["drivers"][1]
    return {"slug": plan["slug"], "join_code": join_code, "attacker_token": attacker["token"],
            "attacker_topic": attacker["topics"][0]}


class CpuWindow:
    """Cores the server used, and cores the whole box used, over a window."""

    def __init__(self, server) -> None:
        self.server = server
        self.t0, self.s0, self.b0 = time.monotonic(), server.cpu(), system_cpu()

    def close(self) -> dict:
        wall = time.monotonic() - self.t0
        (busy0, total0), (busy1, total1) = self.b0, system_cpu()
        box = (busy1 - busy0) / max(1, total1 - total0) * (mp.cpu_count() or 1)
        return {"server_cores": round((self.server.cpu() - self.s0) / wall, 2),
                "box_cores": round(box, 2)}


def measure(name: str, server, innocent: Innocent, ctx: dict, args) -> dict:
    quiet = wait_for_quiet(args.quiet_wait, args.quiet_cores) if args.quiet_wait else None
    log_start = server.log_path.stat().st_size
    attacker = Attacker(name, server.url, ctx, args)  # logged in and ready before the clock
    base_start = time.monotonic()
    cpu = CpuWindow(server)
    time.sleep(args.duration)
    base_cpu = cpu.close()
    base_end = attack_start = time.monotonic()
    cpu = CpuWindow(server)
    attacker.go()
    counts = attacker.result(args.duration)
    attack_end = time.monotonic()
    attack_cpu = cpu.close()
    time.sleep(args.cooldown)
    with open(server.log_path, encoding="utf-8", errors="replace") as log:
        log.seek(log_start)
        stalls, _ = stall_reports(log.read())
    baseline = innocent.window(base_start, base_end)
    attacked = innocent.window(attack_start, attack_start + args.duration)
    return {
        "attack": name, "baseline": baseline, "attack_window": attacked,
        "attack_s": round(attack_end - attack_start, 1), "box_before_cores": quiet,
        "baseline_cpu": base_cpu, "attack_cpu": attack_cpu,
        "socket_p50_ratio": ratio(attacked["socket"]["p50_ms"], baseline["socket"]["p50_ms"]),
        "http_p50_ratio": ratio(attacked["http"]["p50_ms"], baseline["http"]["p50_ms"]),
        "stalls_over_0_25_s": len(stalls), "longest_stall_s": max(stalls, default=None),
        "attacker": counts,
    }


def table(results: list[dict]) -> str:
    head = (f"{'attack':14} {'socket p50 base→attack (max)':34} {'x':>5}  "
            f"{'http p50 base→attack (max)':32} {'x':>5} {'stalls':>6} {'cores':>9}  "
            "attacker answers")
    lines = [head, "-" * len(head)]
    for r in results:
        b, a = r["baseline"], r["attack_window"]
        sock = (f"{b['socket']['p50_ms']}→{a['socket']['p50_ms']} ms "
                f"({b['socket']['max_ms']}→{a['socket']['max_ms']})")
        http = (f"{b['http']['p50_ms']}→{a['http']['p50_ms']} ms "
                f"({b['http']['max_ms']}→{a['http']['max_ms']})")
        flag = " !" if (r["socket_p50_ratio"] or 0) > TARGET_RATIO else ""
        answers = ", ".join(f"{k} {v}" for k, v in sorted(r["attacker"].items()))
        cores = f"{r['baseline_cpu']['server_cores']}→{r['attack_cpu']['server_cores']}"
        lines.append(f"{r['attack']:14} {sock:34} {r['socket_p50_ratio'] or '-':>5}  "
                     f"{http:32} {r['http_p50_ratio'] or '-':>5} {r['stalls_over_0_25_s']:>6}"
                     f" {cores:>9}  {answers}{flag}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n", 2)[2])
    parser.add_argument("--attacks", nargs="+", choices=ATTACKS, default=ATTACKS,
                        metavar="ATTACK", help=f"which to run, in order: {' '.join(ATTACKS)}")
    parser.add_argument("--duration", type=float, default=10,
                        help="seconds of each baseline window and of each attack")
    parser.add_argument("--cooldown", type=float, default=3,
                        help="seconds after each attack before the next baseline")
    parser.add_argument("--workers", type=int, default=4,
                        help="concurrent connections of the attacking client")
    parser.add_argument("--every", type=float, default=0.1,
                        help="the innocent's pause after each round trip")
    parser.add_argument("--listeners", type=int, default=100,
                        help="anonymous board watchers (0: none)")
    parser.add_argument("--quiet-wait", type=float, default=30,
                        help="seconds to wait, before each attack's baseline, for the shared box "
                        "to calm down (0: don't)")
    parser.add_argument("--quiet-cores", type=float, default=0.5,
                        help="'calm' = the box uses fewer cores than this (our own idle "
                        "clients included)")
    parser.add_argument("--nice", type=int, default=None,
                        help="niceness for our processes, e.g. -10 (needs root)")
    parser.add_argument("--pin", action="store_true",
                        help="pin the server to CPU 0 and the clients to the others")
    parser.add_argument("--out", type=Path, default=None,
                        help="results file (default bench/results/abuse-<time>.json)")
    args = parser.parse_args()
    cpus = set(range(1, mp.cpu_count())) if args.pin and mp.cpu_count() > 1 else None
    args.client_cpus = cpus
    server_cpus = {0} if args.pin else None
    out = args.out or BENCH / "results" / f"abuse-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine(), "args": {k: v for k, v in vars(args).items()
                                             if k not in ("out", "client_cpus")},
              "target_ratio": TARGET_RATIO, "results": []}
    with tempfile.TemporaryDirectory(prefix="abuse-") as tmp:
        workdir = Path(tmp)
        with running_server("openspace", workdir, drivers=2, topics=3, nice=args.nice,
                            cpus=server_cpus) as (server, plan):
            ctx = _context(workdir, plan)
            listeners = None
            if args.listeners:
                listeners = Listeners([server.url], args.listeners, 1, plan["slug"], 60, "raw",
                                      args.nice, cpus)
                listeners.wait_ready()
            innocent = Innocent(server.url, plan, args.every)
            innocent.start()
            try:
                for name in args.attacks:
                    print(f"{name}: {args.duration:.0f} s alone, {args.duration:.0f} s attacked",
                          flush=True)
                    report["results"].append(measure(name, server, innocent, ctx, args))
                    out.write_text(json.dumps(report, indent=2))
            finally:
                innocent.close()
                if listeners:
                    listeners.close()
    print(table(report["results"]))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()

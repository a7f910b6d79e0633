"""Lighthouse scores of the pages people use at the event, on a phone (Lighthouse's mobile
preset: a Moto G-class screen, simulated slow 4G and a 4x slower CPU), written into
docs/performance.md. A benchmark, not a test: it records, it never fails on a score.

    python bench/lighthouse.py                 # every page, one run each
    python bench/lighthouse.py --runs 3        # the median of three runs per page
    python bench/lighthouse.py --no-docs       # print only
    python bench/lighthouse.py --only "topic + notes,projector" --runs 3 --no-docs

Needs the npm package `lighthouse` (npm ci) and a chromium (CHROME_PATH, default
/usr/bin/chromium). It serves the demo event with `openspace serve` on a fresh SQLite file,
publishes its summary, writes a session report, and audits each page as the person who would
open it (anonymous, an attendee, the organizer) by passing their session cookie.
Targets (issue 12): accessibility 100, performance >= 95, best practices 100, SEO 100.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
RESULTS = ROOT / "bench" / "results"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
SLUG = "drupal-cxo-brussels"  # the demo event
PASSWORD = "openspace-demo"
ORGANIZER, ATTENDEE = "kristof@example.org", "roel@example.org"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
START, END = "<!-- lighthouse:start -->", "<!-- lighthouse:end -->"


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # may hold {slug}, {topic}, {code}
    who: str | None  # whose cookie: None = anonymous
    preset: str = "mobile"  # or "desktop" (the projector's own screen)


PAGES = [
    Page("board", "/e/{slug}", ATTENDEE),
    Page("marketplace", "{marketplace}", ATTENDEE),
    Page("topic + notes", "/t/{topic}", ATTENDEE),
    Page("summary", "/e/{slug}/summary", None),
    Page("join", "/e/{slug}/join?code={code}", None),
    Page("projector", "/e/{slug}/projector", None),
    # What "auto" shows between sessions (the hour of the run decides the row above): the news.
    Page("projector (news)", "/e/{slug}/projector?mode=news", None),
    Page("projector (desktop)", "/e/{slug}/projector", None, preset="desktop"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`openspace serve` with the demo event, on a fresh database."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="openspace-lighthouse-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "OPENSPACE_INSTANCE_DIR": str(self.dir),
                    "OPENSPACE_DATABASE_URL": f"sqlite:///{self.dir / 'lh.db'}",
                    "OPENSPACE_SECRET_KEY": "lighthouse-bench"}
        self.proc: subprocess.Popen | None = None

    def command(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "openspace", *args], cwd=ROOT, env=self.env,
                       check=True, capture_output=True, timeout=120)

    def __enter__(self) -> Server:
        self.command("db", "upgrade")
        self.command("demo")
        self.log = open(self.dir / "serve.log", "w")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "openspace", "serve", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url + "/", timeout=2)
                return self
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("openspace serve did not start") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def session(self, email: str) -> requests.Session:
        """A logged-in browser session (the cookie Lighthouse will send)."""
        s = requests.Session()
        page = s.get(self.url + "/login", timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(r'name="csrf_token" value="([^"]+)"', page)
        response = s.post(self.url + "/login", timeout=10, data={
            "email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""})
        response.raise_for_status()
        return s

    def api(self, method: str, path: str, email: str, **kwargs) -> dict:
        token = requests.post(self.url + "/api/v1/tokens", timeout=10,
                              json={"email": email, "password": PASSWORD}).json()["token"]
        response = requests.request(method, self.url + "/api/v1" + path, timeout=10,
                                    headers={"Authorization": f"Bearer {token}"}, **kwargs)
        response.raise_for_status()
        return response.json()


def prepare(server: Server) -> dict:
    """Publish the demo's summary, write one session's report, and find the URLs' parts."""
    event = server.api("PATCH", f"/events/{SLUG}", ORGANIZER, json={"summary_published": True})
    board = server.api("GET", f"/events/{SLUG}/board", ORGANIZER)
    placed = next(t for t in board["topics"] if t["status"] == "placed")
    marketplace = f"/e/{SLUG}/marketplace"
    if requests.get(server.url + marketplace, timeout=10).status_code != 200:
        marketplace = f"/e/{SLUG}#marketplace"  # a section of the board page until it has its own
    return {"slug": SLUG, "topic": placed["id"], "code": event["join_code"],
            "marketplace": marketplace}


def audit(url: str, preset: str, cookie: str | None, out: Path) -> dict:
    headers = out.with_suffix(".headers.json")
    headers.write_text(json.dumps({"Cookie": cookie} if cookie else {}))
    argv = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
            "--only-categories=" + ",".join(CATEGORIES), f"--extra-headers={headers}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"]
    if preset == "desktop":
        argv.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    for attempt in (1, 2):  # once more if chromium failed to start (a busy shared box)
        done = subprocess.run(argv, cwd=ROOT, env=env, timeout=300, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode == 0:
            break
        if attempt == 2:
            raise RuntimeError(f"lighthouse failed on {url}:\n{done.stderr[-2000:]}")
    report = json.loads(out.read_text())
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    failing = sorted(
        (c, a["id"], a.get("title", "")) for c in CATEGORIES
        for ref in report["categories"][c]["auditRefs"] if ref["weight"] > 0
        for a in [report["audits"][ref["id"]]]
        if a.get("score") is not None and a["score"] < 1)
    metrics = {k: report["audits"][k].get("numericValue") for k in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                "cumulative-layout-shift") if k in report["audits"]}
    return {"scores": scores, "failing": failing, "metrics": metrics,
            "lighthouse": report.get("lighthouseVersion")}


def run(runs: int, only: set[str] | None = None) -> dict:
    results = []
    with Server() as server, tempfile.TemporaryDirectory() as tmp:
        parts = prepare(server)
        cookies = {}
        for email in (ORGANIZER, ATTENDEE):
            s = server.session(email)
            cookies[email] = "; ".join(f"{c.name}={c.value}" for c in s.cookies)
        for page in [p for p in PAGES if not only or p.name in only]:
            url = server.url + page.path.format(**parts)
            rounds = [audit(url, page.preset, cookies.get(page.who), Path(tmp) / f"r{n}.json")
                      for n in range(runs)]
            scores = {c: int(statistics.median(r["scores"][c] for r in rounds))
                      for c in CATEGORIES}
            shown = page.path.format(**{**parts, "code": "CODE"})  # no join code in the docs
            results.append({"page": page.name, "path": shown,
                            "who": page.who or "anonymous", "preset": page.preset,
                            "scores": scores, "runs": [r["scores"] for r in rounds],
                            "failing": sorted({tuple(f) for r in rounds for f in r["failing"]}),
                            "metrics": rounds[-1]["metrics"],
                            "run_metrics": [r["metrics"] for r in rounds]})
            print(f"{page.name:22} " + "  ".join(f"{c} {scores[c]:3}" for c in CATEGORIES),
                  flush=True)
        version = rounds[-1]["lighthouse"]
    return {"date": datetime.now(UTC).isoformat(timespec="minutes"), "lighthouse": version,
            "runs": runs, "git": _git(), "pages": results}


def _git() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True)
    branch = subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True)
    return f"{branch.stdout.strip()} {done.stdout.strip()}"


def _median_metrics(result: dict) -> dict:
    """Each timing's median over the page's runs (older results kept only the last run's)."""
    runs = result.get("run_metrics") or [result["metrics"]]
    return {key: statistics.median(m[key] for m in runs if m.get(key) is not None)
            for key in runs[0] if any(m.get(key) is not None for m in runs)}


def markdown(data: dict) -> str:
    def cell(category: str, score: int) -> str:
        return f"**{score}**" if score >= TARGETS[category] else str(score)

    lines = [START, "",
             f"Run of {data['date']} on `{data['git']}`, Lighthouse {data['lighthouse']}, "
             f"{data['runs']} run(s) per page (medians, scores and timings), "
             "`python bench/lighthouse.py`. Bold: "
             "target met (performance >= 95, the others 100).", "",
             "| page | as | preset | performance | accessibility | best practices | SEO "
             "| LCP s | TBT ms | CLS |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in data["pages"]:
        s, m = r["scores"], _median_metrics(r)
        lcp, tbt = m.get("largest-contentful-paint"), m.get("total-blocking-time")
        cls = m.get("cumulative-layout-shift")
        timing = (f" | {lcp / 1000:.1f} | {tbt:.0f} | {cls:.2f} |" if lcp is not None
                  else " | | | |")
        lines.append(f"| {r['page']} (`{r['path']}`) | {r['who'].split('@')[0]} | {r['preset']} | "
                     + " | ".join(cell(c, s[c]) for c in CATEGORIES) + timing)
    below = {r["page"]: [(c, title or audit_id) for c, audit_id, title in r["failing"]
                         if r["scores"][c] < TARGETS[c]] for r in data["pages"]}
    if any(below.values()):
        lines += ["", "What keeps a page below a target (the audits that lose points, in the "
                  "categories below their mark):", ""]
        lines += [f"- {page}: " + "; ".join(f"{c}: {t}" for c, t in audits)
                  for page, audits in below.items() if audits]
    else:
        lines += ["", "Every page meets every target (the medians; single runs: "
                  + ", ".join(f"{r['page']} " + "/".join(str(x["performance"]) for x in r["runs"])
                              for r in data["pages"] if "runs" in r) + " for performance)."]
    lines += ["", END]
    return "\n".join(lines)


def write_docs(data: dict) -> None:
    text = DOCS.read_text()
    block = markdown(data)
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text,
                      flags=re.S)
    else:
        text += "\n## Lighthouse (phones)\n\n" + block + "\n"
    DOCS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-docs", action="store_true", help="do not touch performance.md")
    parser.add_argument("--only", help="comma-separated page names (implies --no-docs)")
    parser.add_argument("--from-json", action="store_true",
                        help="write the docs from the last run's bench/results/lighthouse.json")
    args = parser.parse_args()
    if args.from_json:
        data = json.loads((RESULTS / "lighthouse.json").read_text())
        write_docs(data)
        print(markdown(data))
        return
    if not LIGHTHOUSE.exists():
        sys.exit("lighthouse is not installed: run `npm ci` first")
    only = {name.strip() for name in args.only.split(",")} if args.only else None
    data = run(args.runs, only)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("lighthouse-only.json" if only else "lighthouse.json")).write_text(
        json.dumps(data, indent=2) + "\n")
    if not args.no_docs and not only:
        write_docs(data)
    print(markdown(data))


if __name__ == "__main__":
    main()

"""Venue wifi: how long until the board is usable and the notes editor takes typing, on two
throttled links, first and repeat visit, and how many bytes went over the wire. A benchmark,
not a test: it records, it never fails on a figure.

    python bench/wifi.py                # both profiles, 3 runs each, medians printed
    python bench/wifi.py --runs 5

Chromium's own network emulation (CDP Network.emulateNetworkConditions on the page's target):
latency is added to every request, throughput is shared by them. It serves the demo event with
`openspace serve` on a fresh SQLite file and opens the pages as an attendee (roel@).

- "board usable": from navigation start until the board is rendered, styled and its script has
  run (DOMContentLoaded: every cell and button can be tapped; the board works without the live
  connection). "board live": until the Socket.IO connection has joined the event
  (`html[data-live=live]`: changes by others show up).
- "editor ready": until the note's editor takes typing (`.cm-content[contenteditable=true]`:
  what is typed is kept in IndexedDB at once), the topic page opened at its notes (`#notes`, as
  the join link does): the editor starts when the notes come near the screen (assets/notes.js),
  and they are below the first screen. "editor synced": until the note is synced with
  the server (`[data-note-state=saved]`).
- first visit: a fresh browser profile (empty caches). Repeat, HTTP cache: the same profile
  again, service worker blocked (fingerprinted files come from the browser's cache without
  asking; the page is revalidated over the throttled link). Repeat, worker: with the service
  worker (the shell from its caches; its own fetches are not throttled by CDP, which throttles
  the page's target only, so the page itself is fetched at full speed there: read it as the
  floor).
- bytes: the encoded (on the wire) size of every response the page received (CDP
  Network.loadingFinished encodedDataLength), headers included, WebSocket frames not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.live import LiveServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SLUG = "drupal-cxo-brussels"
ATTENDEE, PASSWORD = "roel@example.org", "openspace-demo"
PROFILES = {  # name: (download bit/s, upload bit/s, round trip ms)
    "1.6 Mbit/s, 150 ms": (1_600_000, 750_000, 150),
    "400 kbit/s, 400 ms": (400_000, 400_000, 400),
}
TARGETS_400 = {"board": (1.5, 1.0), "editor": (4.0, 1.0)}  # first visit, repeat (s)


def log_in(context, url: str) -> None:
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=email]", ATTENDEE)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    page.close()


# Records when each milestone's selector first matches (ms since navigation start).
MARKS = """(() => {
  const marks = window.__marks = {};
  const wanted = %s;
  const check = () => {
    for (const [name, selector] of Object.entries(wanted)) {
      if (!(name in marks) && document.querySelector(selector)) marks[name] = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true,
    attributes: true });
})();"""


def measure(context, url: str, ready: dict, profile) -> tuple[dict, int]:
    """Seconds from navigation start to each milestone, and the bytes the page received."""
    down, up, rtt = profile
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": rtt, "downloadThroughput": down / 8,
        "uploadThroughput": up / 8})
    received = []
    cdp.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
    page.add_init_script(MARKS % json.dumps({k: v for k, v in ready.items() if v}))
    page.goto(url, wait_until="commit")
    last = list(ready.values())[-1]
    page.wait_for_selector(last, state="attached", timeout=120_000)
    page.wait_for_timeout(300)  # late responses (the favicon) still count as bytes moved
    marks = page.evaluate("window.__marks")
    marks["dom"] = page.evaluate(
        "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
    page.close()
    return {name: marks[name if selector else "dom"] / 1000
            for name, selector in ready.items()}, int(sum(received))


def run(browser, server, profile, runs: int) -> dict:
    board_url = f"{server.url}/e/{SLUG}"
    topic = server.api("POST", f"/events/{SLUG}/topics", server.token(ATTENDEE),
                       json={"title": "Wifi bench"}).json()
    note_url = f"{server.url}/t/{topic['id']}#notes"
    pages = {"board": (board_url, {"usable": None, "live": "html[data-live=live]"}),
             "editor": (note_url, {"ready": ".cm-content[contenteditable=true]",
                                   "synced": "[data-note][data-note-state=saved]"})}
    results: dict = {}
    for name, (url, ready) in pages.items():
        for visit in ("first", "repeat (HTTP cache)", "repeat (worker)"):
            results[(name, visit)] = []
        for _ in range(runs):
            for workers in ("block", "allow"):
                context = browser.new_context(service_workers=workers,
                                              viewport={"width": 375, "height": 812},
                                              is_mobile=True, has_touch=True)
                log_in(context, server.url)
                if workers == "block":
                    results[(name, "first")].append(measure(context, url, ready, profile))
                    results[(name, "repeat (HTTP cache)")].append(
                        measure(context, url, ready, profile))
                else:
                    warm = context.new_page()  # install the worker, let it keep the page
                    warm.goto(url)
                    warm.wait_for_selector("html[data-sw=ready]", state="attached",
                                           timeout=60_000)
                    warm.close()
                    results[(name, "repeat (worker)")].append(
                        measure(context, url, ready, profile))
                context.close()
    return {key: ({name: statistics.median(marks[name] for marks, _ in values)
                   for name in values[0][0]}, statistics.median(b for _, b in values))
            for key, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server = LiveServer(Path(folder))
        server.command("db", "upgrade")
        server.command("demo")
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                print("| link | page | visit | usable / ready | live / synced | on the wire |")
                print("| --- | --- | --- | ---: | ---: | ---: |")
                for label, profile in PROFILES.items():
                    for (page, visit), (marks, size) in run(browser, server, profile,
                                                            args.runs).items():
                        first, second = marks.values()
                        print(f"| {label} | {page} | {visit} | {first:.2f} s | {second:.2f} s "
                              f"| {size / 1024:.1f} KB |", flush=True)
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()

"""A real browser: Playwright driving Debian's chromium (/usr/bin/chromium).

Locally a missing chromium skips these tests; in CI (CI=true) it fails them, so CI can never
pass without having run them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import weakref

import pytest
import requests

CHROMIUM = os.environ.get("OPENSPACE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(chromium):
    """The worker's chromium (tests/conftest.py, launched once per process) for one module's
    tests. At the module's end every context they left open is closed (pages, their sockets and
    timers), as closing the browser did when each module launched its own.

    Between two calls Playwright's sync API leaves its asyncio loop marked as running in this
    thread (playwright/_impl/_greenlets.py), where a later test's asyncio.run() would refuse to
    start: the mark is set for the module's tests and cleared after them, as it was by closing
    the browser."""
    asyncio._set_running_loop(chromium._loop)
    yield chromium
    for context in list(chromium.contexts):
        context.close()
    asyncio._set_running_loop(None)


@pytest.fixture
def phone(browser):
    """A new phone-sized, touch browser context factory."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 375, "height": 740},
                                      device_scale_factor=2, is_mobile=True, has_touch=True)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def log_in(page, base_url: str, email: str, password: str = "openspace-demo") -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").last.click()  # not the language switch
    page.wait_for_load_state()


# Settled pages -------------------------------------------------------------------------------

QUIET = 0.1  # seconds without a request of the page in flight: the page is settled
_in_flight: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def watch_network(page) -> None:
    """Count the page's requests in flight from now on (what settle() waits for). Call it when
    the page is made: a request that started before is not seen."""
    if page in _in_flight:
        return
    requests_ = _in_flight[page] = set()
    page.on("request", lambda request: requests_.add(request))
    page.on("requestfinished", lambda request: requests_.discard(request))
    page.on("requestfailed", lambda request: requests_.discard(request))


def settle(page, timeout: float = 30.0) -> None:
    """Wait until the page has loaded and none of its requests has been in flight for QUIET
    seconds: what Playwright's `networkidle` waits for, with 0.1 s of quiet instead of its fixed
    0.5 s, which made half of every visit of the accessibility tour a wait (~450 visits: more
    than three minutes of the suite). A page whose scripts fetch more after load (the notes
    editor, live.js catching up, the photos) is checked once they have."""
    watch_network(page)
    page.wait_for_load_state("load")
    in_flight = _in_flight[page]
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while True:
        now = time.monotonic()
        if in_flight:
            quiet_since = now
            if now > deadline:
                raise TimeoutError(f"requests still in flight after {timeout} s: "
                                   + ", ".join(sorted(r.url for r in in_flight)[:5]))
        elif now - quiet_since >= QUIET:
            return
        page.wait_for_timeout(25)  # Playwright delivers the request events meanwhile


# Shared notes ----------------------------------------------------------------------------------

NOTES_SLUG = "drupal-cxo-brussels"  # the demo event the live server serves (public)


@pytest.fixture
def topic(live_server):
    """A fresh topic of the demo event, so each test starts from its own note."""
    token = live_server.token("roel@example.org")
    response = live_server.api("POST", f"/events/{NOTES_SLUG}/topics", token,
                               json={"title": "Notes that never lose a word"})
    assert response.status_code == 201, response.text
    return response.json()


def open_note(page, server, topic, state: str = "saved") -> None:
    page.goto(f"{server.url}/t/{topic['id']}")
    scroll_to_notes(page)
    page.wait_for_selector(f"[data-note-status][data-state={state}]", timeout=10000)


def scroll_to_notes(page) -> None:
    """As a reader does: the editor starts when the notes come near the screen (assets/notes.js),
    and they are below the first screen, on a phone and a laptop alike."""
    page.locator("[data-note]").scroll_into_view_if_needed()


def note_text(page) -> str:
    """The editor's text (not its DOM, which also holds other people's name tags)."""
    return page.evaluate("window.openspaceNotes.view.state.doc.toString()")


def server_markdown(server, topic) -> str:
    """The note as the JSON API serves it. Anonymous (the demo event is public), so polling
    spends no token requests, which are throttled per account."""
    response = requests.get(f"{server.url}/api/v1/topics/{topic['id']}/notes", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["markdown"]

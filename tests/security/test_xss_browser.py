"""The hostile corpus in a real browser (Playwright + chromium) against a real server: on every
page, before and after live updates, no payload runs (no `window.__xss`, no dialog), and the
Content-Security-Policy reports no violation (so our own pages need nothing it blocks)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.browser.conftest import (  # noqa: F401 - fixture
    browser,
    log_in,
    scroll_to_notes,
    settle,
    watch_network,
)
from tests.live import ROOT, LiveServer
from tests.security.xss import LINE, MARKDOWN

pytestmark = pytest.mark.slow

SEED = """
from config import Config
from openspace.app import create_app
from tests.security.xss import hostile_event
app = create_app(Config)
with app.app_context():
    print(hostile_event()["topics"][0])
"""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("xss"))
    server.prepare(("db", "upgrade"))
    done = subprocess.run([sys.executable, "-c", SEED], env=server.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    server.topic_id = int(done.stdout.split()[-1])
    server.start()
    yield server
    server.stop()


class Watch:
    """A page's dialogs and CSP violations, recorded as they happen."""

    def __init__(self, page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.violations: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            self.violations.append(message.text)

    def assert_clean(self, where: str) -> None:
        assert self.page.evaluate("typeof window.__xss") == "undefined", f"payload ran: {where}"
        assert self.page.evaluate("typeof parent.__xss") == "undefined", where
        assert self.dialogs == [], f"dialog on {where}: {self.dialogs}"
        assert self.violations == [], f"CSP violation on {where}: {self.violations}"


def test_no_payload_runs_on_any_page(hostile_server, browser):  # noqa: F811
    server = hostile_server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch_network(page)
    watch = Watch(page)
    try:
        log_in(page, server.url, "hostile-organizer@example.org", "correct horse")
        assert page.locator(".topbar .who").count() == 1
        topic = server.topic_id
        paths = ["/", "/e/hostile", "/e/hostile/projector", "/e/hostile/projector?mode=news",
                 "/e/hostile/now?at=2026-11-23T10:30", "/e/hostile/announcements",
                 "/e/hostile/actions", "/e/hostile/notes-status", "/e/hostile/settings",
                 "/e/hostile/summary", f"/t/{topic}", f"/t/{topic}/edit", "/account"]
        for path in paths:
            page.goto(server.url + path)
            settle(page)
            watch.assert_clean(path)
        # The notes editor (CodeMirror + Yjs) shows the hostile Markdown as text.
        page.goto(f"{server.url}/t/{topic}")
        scroll_to_notes(page)
        page.wait_for_selector("[data-note-editor] .cm-content")
        settle(page)
        assert "window.__xss" in page.locator("[data-note-editor] .cm-content").inner_text()
        watch.assert_clean("notes editor")
    finally:
        page.close()


def test_no_payload_runs_through_live_updates(hostile_server, browser):  # noqa: F811
    """live.js patches cards and the ticker in place: what it inserts is text too."""
    server = hostile_server
    pages = [browser.new_page(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    watches = [Watch(p) for p in pages]
    for page in pages:
        watch_network(page)
    try:
        log_in(pages[0], server.url, "hostile-organizer@example.org", "correct horse")
        pages[0].goto(f"{server.url}/e/hostile/marketplace")  # new topics are listed there
        pages[1].goto(f"{server.url}/e/hostile/projector")
        for page in pages:
            page.wait_for_selector("html[data-live=live]")
        token = requests.post(server.url + "/api/v1/tokens", timeout=10, json={
            "email": "hostile-organizer@example.org", "password": "correct horse"}).json()["token"]
        for payload in LINE[:10]:
            created = server.api("POST", "/events/hostile/topics", token,
                                 json={"title": payload[:120], "description": MARKDOWN})
            assert created.status_code == 201, created.text
        pages[0].wait_for_function(
            "() => document.body.innerText.includes('parent.__xss=1</script>\"></iframe>')")
        pages[0].get_by_role("button", name="Lock").count()  # settle
        for page, watch in zip(pages, watches, strict=True):
            settle(page)
            watch.assert_clean(page.url)
    finally:
        for page in pages:
            page.close()

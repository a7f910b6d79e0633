"""The projector's news in a real browser: reports written over Socket.IO roll one at a time."""

from __future__ import annotations

import pytest
from pycrdt import Doc, Text

from tests.browser.conftest import browser  # noqa: F401 - the Playwright browser fixture
from tests.notes.peers import LiveLink

SLUG = "drupal-cxo-brussels"


def _write_note(server, topic_id: int, markdown: str) -> None:
    link = LiveLink(server.url, server.token("roel@example.org"))
    try:
        doc = Doc()
        text = doc.get("markdown", type=Text)
        ack = link.call("note:join", {"topic_id": topic_id, "state_vector": doc.get_state()})
        doc.apply_update(ack["update"])
        before = doc.get_state()
        text.clear()
        text += markdown
        assert link.call("note:update", {"topic_id": topic_id,
                                         "update": doc.get_update(before)}) == {"ok": True}
    finally:
        link.close()


def _visible(page) -> list[str]:
    return page.eval_on_selector_all(
        "[data-news-item]", "items => items.filter(i => i.offsetParent !== null)"
                            ".map(i => i.dataset.newsTopic)")


@pytest.mark.slow
def test_news_rolls_through_fresh_reports_one_at_a_time(live_server, browser):  # noqa: F811
    token = live_server.token("roel@example.org")
    board = live_server.api("GET", f"/events/{SLUG}/board", token).json()
    placed = [t for t in board["topics"] if t["status"] == "placed"][:2]
    for topic in placed:
        _write_note(live_server, topic["id"], f"# {topic['title']}\n\n## Key points\n\n"
                                              "- written for the news\n")
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    try:
        page.goto(f"{live_server.url}/e/{SLUG}/projector?mode=news")
        page.wait_for_selector("[data-news-roll][data-rolling]", timeout=10000)

        first = _visible(page)
        assert len(first) == 1
        page.wait_for_function(
            "(shown) => [...document.querySelectorAll('[data-news-item]')]"
            ".some(i => i.offsetParent !== null && i.dataset.newsTopic !== shown)",
            arg=first[0], timeout=20000)
        second = _visible(page)
        assert len(second) == 1 and second != first
        assert {first[0], second[0]} <= {str(t["id"]) for t in placed}
    finally:
        page.close()

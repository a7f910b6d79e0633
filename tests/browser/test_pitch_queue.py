"""The opening marketplace's pitch queue in a real browser: two conveners line up from phones
(375 x 812, touch: taps only, no hover or drag), the projector shows who announces now with a
countdown and who is next, the facilitator taps "next" on their phone, the phones learn their
place and their turn without a reload, and "Done" hands over.

OPENSPACE_SCREENSHOTS=<folder> keeps screenshots of the phone and the wall there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import browser, log_in  # noqa: F401 - the Playwright fixture

pytestmark = pytest.mark.slow

SLUG = "drupal-cxo-brussels"
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


def _shot(page, name: str) -> None:
    folder = os.environ.get("OPENSPACE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _phone(browser, server, email):  # noqa: F811
    page = browser.new_context(**PHONE).new_page()
    log_in(page, server.url, email)
    return page


def _live(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-live=live]", timeout=15000)
    page.evaluate("window.__noReload = true")  # survives live patches, not a reload


def _not_reloaded(page) -> bool:
    return page.evaluate("window.__noReload === true")


def _line_up(page, server, title: str) -> None:
    """ "I want to announce a topic": a tap opens the sheet, the title, a tap on "Line up"."""
    page.goto(f"{server.url}/e/{SLUG}/marketplace")
    page.get_by_text("I want to announce a topic").tap()
    page.get_by_label("Your topic's title").fill(title)
    page.get_by_role("button", name="Line up", exact=True).tap()
    page.wait_for_selector(".flash, [role=status]")


def test_conveners_line_up_from_phones_and_the_wall_follows(live_server, browser):  # noqa: F811
    organizer_token = live_server.token("kristof@example.org")
    opened = live_server.api("PATCH", f"/events/{SLUG}/pitches", organizer_token,
                             json={"open": True, "seconds": 90})
    assert opened.status_code == 200, opened.text

    roel = _phone(browser, live_server, "roel@example.org")
    mark = _phone(browser, live_server, "mark@example.org")
    facilitator = _phone(browser, live_server, "kristof@example.org")
    wall = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        _live(wall, f"{live_server.url}/e/{SLUG}/projector?mode=pitches")
        assert wall.locator("[data-pitch-nobody]").is_visible()

        _line_up(roel, live_server, "Pricing when budgets shrink")
        roel.wait_for_selector("text=You're first in line: get ready.")
        _line_up(mark, live_server, "Hiring juniors remotely")
        mark.wait_for_selector("text=/Number 2 in line/")
        # The wall heard both without a reload: the next in line, the count.
        wall.wait_for_function(
            "document.querySelectorAll('[data-pitch-next] li').length === 2")
        assert wall.locator("[data-pitch-waiting]").inner_text() == "2 waiting"
        assert _not_reloaded(wall)
        for page in (roel, mark):
            _live(page, f"{live_server.url}/e/{SLUG}/marketplace#pitches")
        _shot(mark, "pitch-phone-waiting")

        # The facilitator's phone: one big tap.
        _live(facilitator, f"{live_server.url}/e/{SLUG}/pitches")
        facilitator.get_by_role("button", name="Next convener").tap()
        facilitator.wait_for_selector("text=Now: “Pricing when budgets shrink” by Roel.")

        # Roel's phone turns into "your turn" with a countdown and "Done", without a reload.
        roel.wait_for_selector(".pitch-mine.is-current", timeout=10000)
        assert _not_reloaded(roel)
        roel.get_by_role("button", name="Done: next convener").wait_for()
        countdown = roel.locator(".pitch-mine [data-pitch-countdown]")
        assert re.fullmatch(r"\d:[0-5]\d", countdown.inner_text()), countdown.inner_text()
        # Mark moved up, live.
        mark.wait_for_selector("text=/Number 1 in line, about \\d minutes? to go\\./",
                               timeout=10000)
        assert _not_reloaded(mark)
        # The wall: the topic very big, the convener, the countdown, Mark next.
        wall.wait_for_function("document.querySelector('[data-pitch-current-title]')"
                               ".textContent === 'Pricing when budgets shrink'")
        assert wall.locator(".pitch-convener").inner_text() == "by Roel"
        assert re.fullmatch(r"\d:[0-5]\d", wall.locator(".pitch-countdown").inner_text())
        assert [" ".join(text.split()) for text in
                wall.locator("[data-pitch-next] li").all_inner_texts()] == [
            "Hiring juniors remotely by Mark"]
        topic_size = wall.locator("[data-pitch-current-title]").evaluate(
            "el => parseFloat(getComputedStyle(el).fontSize)")
        assert topic_size >= 80  # readable from the back of the room
        _shot(roel, "pitch-phone-your-turn")
        _shot(wall, "pitch-wall")
        assert _not_reloaded(wall)

        # Roel taps "Done": Mark is on, on the wall and on his phone.
        roel.get_by_role("button", name="Done: next convener").tap()
        roel.wait_for_selector("text=Thank you! The next convener is on.")
        mark.wait_for_selector(".pitch-mine.is-current", timeout=10000)
        wall.wait_for_function("document.querySelector('[data-pitch-current-title]')"
                               ".textContent === 'Hiring juniors remotely'")
        assert wall.locator("[data-pitch-next-empty]").is_visible()

        # Nothing overflows the phone sideways.
        for page in (roel, mark, facilitator):
            assert page.evaluate("document.documentElement.scrollWidth <= 375"), page.url
        _shot(facilitator, "pitch-phone-facilitator")
    finally:
        live_server.api("PATCH", f"/events/{SLUG}/pitches", organizer_token,
                        json={"open": False})
        for page in (roel, mark, facilitator, wall):
            page.context.close()

"""Right to left, in a real browser at 375 px: a page in the pseudo-locale (every text 40 %
longer) laid out with <html dir="rtl"> keeps every box inside the screen and every text inside
its box, so a right-to-left language needs no CSS of its own (the layout uses logical
properties). The topic page is the one with the most in it: the board cell, the facts, the
notes editor (whose texts come from the browser's catalog), photos, the language switch."""

from __future__ import annotations

import pytest

from openspace import i18n
from tests.browser.conftest import browser, log_in, scroll_to_notes  # noqa: F401 - fixture
from tests.live import LiveServer

SLUG = "drupal-cxo-brussels"
PHONE = {"width": 375, "height": 812}

# What sticks out of the screen or out of its own box. Scrolling containers (a wide table in
# its .grid-wrap) and what they hold may be wider: that is what they are for.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const clips = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.className && typeof el.className === "string" ? "." + el.className.trim()
      .split(/\\s+/).join(".") : "") + " " + JSON.stringify((el.textContent || "").trim()
      .slice(0, 40));
  const outside = [], overflowing = [];
  for (const el of document.querySelectorAll("body *")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || clips(el)) continue;
    if (box.left < -1 || box.right > width + 1) outside.push(name(el));
    if (style.overflowX === "visible" && el.clientWidth > 0
        && el.scrollWidth > el.clientWidth + 1) overflowing.push(name(el));
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, outside, overflowing};
}"""


@pytest.fixture(scope="module")
def pseudo_server(tmp_path_factory):
    """The demo event on a server that offers the pseudo-locale (as the tests' app does)."""
    server = LiveServer(tmp_path_factory.mktemp("rtl"), OPENSPACE_PSEUDO_LOCALE="1")
    server.prepare(("db", "upgrade"), ("demo",))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rtl_phone(browser):  # noqa: F811 - the imported fixture
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale=i18n.PSEUDO,
                                  extra_http_headers={"Accept-Language": i18n.PSEUDO})
    yield context.new_page()
    context.close()


def _placed_topic(server) -> int:
    token = server.token("roel@example.org")
    board = server.api("GET", f"/events/{SLUG}/board", token).json()
    return next(t["id"] for t in board["topics"] if t["room_id"] is not None)


def test_a_page_right_to_left_in_the_pseudo_locale_keeps_everything_in_its_box(pseudo_server,
                                                                               rtl_phone):
    page = rtl_phone
    log_in(page, pseudo_server.url, "roel@example.org")
    page.goto(f"{pseudo_server.url}/t/{_placed_topic(pseudo_server)}")
    scroll_to_notes(page)
    page.wait_for_selector("[data-note-status][data-state=saved]", timeout=15000)
    assert page.evaluate("document.documentElement.lang") == i18n.PSEUDO
    page.evaluate("document.documentElement.dir = 'rtl'")
    page.wait_for_timeout(100)  # a layout

    # The editor's own texts come from the pseudo catalog, like the page's.
    status = page.locator("[data-note-status]").inner_text()
    label = page.get_attribute(".cm-content", "aria-label")
    assert status.startswith("[") and label.startswith("["), (status, label)

    found = page.evaluate(OVERFLOW)
    assert found["outside"] == [] and found["overflowing"] == [], found
    assert found["scrollWidth"] <= PHONE["width"], found

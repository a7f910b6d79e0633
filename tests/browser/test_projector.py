"""The projector in a real browser (Debian's chromium), on a real `openspace serve` that listens
on every interface, as it must for phones to join: the agenda fills a 1920 x 1080 and a 1280 x 720
screen whatever the grid (2 x 3, 4 x 4, 8 x 6) with nothing overflowing; the join QR code, as a
camera reads it, opens the join page at this machine's network address when the wall is open at
127.0.0.1; organizers switch every open projector between the agenda and the news without a
reload; times are on the event's clock.

OPENSPACE_SCREENSHOTS=<folder> keeps a screenshot of each case there (docs and design review).
"""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
import zxingcpp
from PIL import Image

from openspace import netaddrs
from tests.browser.conftest import browser, log_in  # noqa: F401 - the Playwright fixture
from tests.browser.walls import ORGANIZER, build_export, import_into
from tests.live import DEMO_PASSWORD, LiveServer, wait_for

pytestmark = pytest.mark.slow

WALLS = {"wall-2x3": (2, 3), "wall-4x4": (4, 4), "wall-8x6": (8, 6)}
SCREENS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}
PHONE = (375, 812)


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wall")
    server = LiveServer(tmp, host="0.0.0.0")
    server.prepare(("db", "upgrade"), ("demo",))
    import_into(server, *(build_export(tmp, slug=slug, rooms=rooms, sessions=sessions,
                                       reports=3) for slug, (rooms, sessions) in WALLS.items()),
                build_export(tmp, slug="tokyo", rooms=2, sessions=3, timezone="Asia/Tokyo",
                             name="Drupal CXO Tokyo"))
    server.start()
    yield server
    server.stop()


def _shot(page, name: str, **kwargs) -> None:
    folder = os.environ.get("OPENSPACE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), **kwargs)


def _page(browser, size, *, organizer_on=None):  # noqa: F811
    """A new browser tab of this size (a phone: touch); logged in as the walls' organizer on
    the server `organizer_on`."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                  **({"is_mobile": True, "has_touch": True,
                                      "device_scale_factor": 2} if size == PHONE else {}))
    page = context.new_page()
    if organizer_on is not None:
        log_in(page, organizer_on.url, ORGANIZER, DEMO_PASSWORD)
    return page


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-live-status][data-state=live]", timeout=15000)


def _set_mode(server, slug: str, mode: str) -> None:
    token = server.token(ORGANIZER)
    response = server.api("PATCH", f"/events/{slug}", token, json={"projector_mode": mode})
    assert response.status_code == 200, response.text


# The agenda fills the screen ---------------------------------------------------------------------

MEASURE = """() => {
  const box = (el) => el.getBoundingClientRect();
  const doc = document.documentElement;
  const main = box(document.querySelector('.wall-main'));
  const agenda = box(document.querySelector('.agenda'));
  const overflowing = [...document.querySelectorAll('.cell, .span, .agenda-time, .agenda-room')]
    .filter((c) => c.scrollHeight > c.clientHeight + 1 || c.scrollWidth > c.clientWidth + 1)
    .map((c) => c.textContent.trim().slice(0, 40));
  const outside = [...document.querySelectorAll('.topic-card > *')].filter((el) => {
    const r = box(el), cell = box(el.closest('.cell'));
    return r.height > 0 && (r.top < cell.top - 1 || r.bottom > cell.bottom + 1 ||
                            r.left < cell.left - 1 || r.right > cell.right + 1);
  }).map((el) => el.textContent.trim().slice(0, 40));
  const sizes = [...document.querySelectorAll('.topic-title')]
    .map((t) => parseFloat(getComputedStyle(t).fontSize));
  // Cards of the running slot carry a headcount line ("N here") and set smaller titles.
  const plain = [...document.querySelectorAll('.topic-card')]
    .filter((c) => !c.querySelector('[data-headcount-row]'))
    .map((c) => parseFloat(getComputedStyle(c.querySelector('.topic-title')).fontSize));
  return {scrollW: doc.scrollWidth, scrollH: doc.scrollHeight, w: innerWidth, h: innerHeight,
          main: [main.width, main.height], agenda: [agenda.left, agenda.top, agenda.right,
          agenda.bottom, agenda.width, agenda.height], mainBox: [main.right, main.bottom],
          overflowing, outside, cards: sizes.length, title: Math.min(...sizes),
          plainTitle: Math.min(...plain)};
}"""


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("slug", WALLS)
def test_the_agenda_fills_the_screen_and_nothing_overflows(wall, browser, slug, screen):  # noqa: F811
    size = SCREENS[screen]
    page = _page(browser, size)
    try:
        _open(page, f"{wall.url}/e/{slug}/projector?mode=board")
        m = page.evaluate(MEASURE)
        _shot(page, f"projector-{slug}-board-{screen}")
    finally:
        page.context.close()

    rooms, sessions = WALLS[slug]
    assert m["cards"] == rooms * sessions
    assert (m["scrollW"], m["scrollH"]) == size  # the page does not scroll
    left, top, right, bottom, width, height = m["agenda"]
    assert left >= 0 and top >= 0 and right <= size[0] and bottom <= size[1]
    # It fills the space beside the QR code, across and down.
    assert width >= 0.98 * m["main"][0] and height >= 0.98 * m["main"][1]
    assert m["overflowing"] == [] and m["outside"] == []
    assert m["title"] >= 10


def test_titles_grow_as_the_grid_shrinks(wall, browser):  # noqa: F811
    sizes = {}
    page = _page(browser, SCREENS["1920x1080"])
    try:
        for slug in WALLS:
            _open(page, f"{wall.url}/e/{slug}/projector?mode=board")
            # The running slot's cards (a headcount line each) depend on the hour the suite
            # runs: compare the cards without one.
            sizes[slug] = page.evaluate(MEASURE)["plainTitle"]
    finally:
        page.context.close()
    assert sizes["wall-2x3"] > sizes["wall-4x4"] > sizes["wall-8x6"]
    assert sizes["wall-2x3"] >= 32  # the old wall set every title at 24 px, whatever the grid


def test_on_a_phone_the_page_scrolls_and_the_agenda_scrolls_sideways(wall, browser):  # noqa: F811
    page = _page(browser, PHONE)
    try:
        for mode in ("board", "news"):
            _open(page, f"{wall.url}/e/wall-4x4/projector?mode={mode}")
            assert page.evaluate("document.documentElement.scrollWidth") == PHONE[0]
            assert page.locator(".qr svg").is_visible()
            _shot(page, f"projector-wall-4x4-{mode}-375x812", full_page=True)
        assert page.locator(".news-item").first.is_visible()
    finally:
        page.context.close()


def test_news_mode_fills_the_screen_with_one_report(wall, browser):  # noqa: F811
    for screen, size in SCREENS.items():
        page = _page(browser, size)
        try:
            _open(page, f"{wall.url}/e/wall-4x4/projector?mode=news")
            page.wait_for_selector("[data-news-roll][data-rolling]")
            shown = page.eval_on_selector_all(
                "[data-news-item]", "items => items.filter(i => i.offsetParent !== null).length")
            item = page.locator(".news-item.is-shown").bounding_box()
            main = page.locator(".wall-main").bounding_box()
            _shot(page, f"projector-wall-4x4-news-{screen}")
            assert shown == 1
            assert item["y"] + item["height"] <= size[1]
            assert item["width"] >= 0.98 * main["width"]
            assert page.evaluate("document.documentElement.scrollHeight") == size[1]
        finally:
            page.context.close()


# The join QR code -------------------------------------------------------------------------------

def _qr_text(page) -> str:
    png = page.locator(".qr svg").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, "the wall shows one readable QR code"
    return found[0].text


def test_the_qr_of_a_wall_opened_at_127_0_0_1_opens_the_join_page_on_the_network(
        wall, browser):  # noqa: F811
    lan = netaddrs.lan_addresses()
    page = _page(browser, SCREENS["1920x1080"])
    try:
        _open(page, f"{wall.url}/e/wall-2x3/projector?mode=board")
        scanned = _qr_text(page)
        code = page.locator(".join-code").inner_text()
        alerts = page.locator(".wall-alert").all_inner_texts()
    finally:
        page.context.close()

    if not lan:  # a machine without a network: the wall says that no phone can join
        assert scanned.startswith("http://127.0.0.1:")
        assert any("only works on this computer" in a for a in alerts)
        return
    assert scanned == f"http://{lan[0].ip}:{wall.port}/e/wall-2x3/join?code={code}"
    assert alerts == []
    # What a phone on the network opens: the join page, served at that address.
    response = requests.get(scanned, timeout=10)
    assert response.status_code == 200 and "wall-2x3" in response.url
    assert 'name="name"' in response.text


def test_a_server_listening_on_127_0_0_1_only_is_called_out_on_the_wall(live_server, browser):  # noqa: F811
    page = _page(browser, SCREENS["1280x720"])
    try:
        _open(page, f"{live_server.url}/e/drupal-cxo-brussels/projector")
        alert = page.locator(".wall-alert").inner_text()
        _shot(page, "projector-listening-locally-1280x720")
    finally:
        page.context.close()
    assert "Phones cannot reach this server" in alert
    assert "make run HOST=0.0.0.0" in alert


def test_settings_tell_the_organizer_which_address_the_link_uses(wall, browser):  # noqa: F811
    lan = netaddrs.lan_addresses()
    page = _page(browser, PHONE, organizer_on=wall)
    try:
        page.goto(f"{wall.url}/e/wall-2x3/settings#join")
        text = page.locator("#join").inner_text()
        _shot(page, "settings-join-375x812", full_page=False)
    finally:
        page.context.close()
    if lan:
        assert "only this computer reaches" in text and lan[0].ip in text
    else:
        assert "phones cannot use it" in text


# Switching what every projector shows ----------------------------------------------------------

def test_organizers_switch_every_open_projector_without_a_reload(wall, browser):  # noqa: F811
    _set_mode(wall, "wall-4x4", "board")
    projector = _page(browser, SCREENS["1920x1080"])
    organizer = _page(browser, SCREENS["1920x1080"], organizer_on=wall)
    try:
        _open(projector, f"{wall.url}/e/wall-4x4/projector")
        projector.evaluate("window.notReloaded = true")
        assert projector.locator(".wall-main").get_attribute("data-shows") == "board"

        _set_mode(wall, "wall-4x4", "news")  # the API, as a script would
        projector.wait_for_selector(".wall-main[data-shows=news]", timeout=10000)
        _shot(projector, "projector-wall-4x4-auto-switched-to-news-1920x1080")

        # The organizer's controls on another projector: a tap on "Agenda".
        _open(organizer, f"{wall.url}/e/wall-4x4/projector")
        organizer.locator(".wall-controls > summary").click()
        _shot(organizer, "projector-wall-4x4-controls-1920x1080")
        organizer.get_by_role("button", name="Agenda").click()
        organizer.wait_for_selector(".wall-main[data-shows=board]")

        projector.wait_for_selector(".wall-main[data-shows=board]", timeout=10000)
        assert projector.evaluate("window.notReloaded") is True
        assert projector.locator(".wall-controls").count() == 0  # not an organizer
    finally:
        projector.context.close()
        organizer.context.close()
        _set_mode(wall, "wall-4x4", "auto")


def test_the_news_page_switches_the_projectors_from_a_phone(wall, browser):  # noqa: F811
    _set_mode(wall, "wall-2x3", "board")
    projector = _page(browser, SCREENS["1280x720"])
    phone = _page(browser, PHONE, organizer_on=wall)
    try:
        _open(projector, f"{wall.url}/e/wall-2x3/projector")
        phone.goto(f"{wall.url}/e/wall-2x3/announcements")
        phone.get_by_role("button", name="News", exact=True).tap()
        phone.wait_for_selector("#projector [aria-pressed=true]:text('News')")
        _shot(phone, "announcements-projector-controls-375x812", full_page=True)
        projector.wait_for_selector(".wall-main[data-shows=news]", timeout=10000)
    finally:
        projector.context.close()
        phone.context.close()
        _set_mode(wall, "wall-2x3", "auto")


# Times on the event's clock ---------------------------------------------------------------------

def test_announcement_times_are_tokyo_times_live_and_on_the_news_page(wall, browser):  # noqa: F811
    projector = _page(browser, SCREENS["1920x1080"])
    phone = _page(browser, PHONE, organizer_on=wall)
    try:
        _open(projector, f"{wall.url}/e/tokyo/projector?mode=board")
        phone.goto(f"{wall.url}/e/tokyo/announcements")
        phone.fill("#text", "Ramen in the lobby")
        phone.get_by_role("button", name="Announce").tap()
        phone.wait_for_load_state()

        item = projector.locator("[data-announcements] li").first
        wait_for(lambda: "Ramen in the lobby" in item.inner_text())
        stamp = item.locator("time")
        created = datetime.fromisoformat(stamp.get_attribute("datetime").replace("Z", "+00:00"))
        tokyo = created.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
        assert stamp.inner_text() == tokyo  # patched in live with the time the server formatted
        assert phone.locator(".announcement-list time").first.inner_text() == f"{tokyo} JST"
        assert projector.locator(".agenda-corner").inner_text().split() == ["Time", "JST"]
        # The running clock: Tokyo's, as the browser formats it with the server's locale (it
        # ticks every 20 s, so it may still show the minute before).
        before = datetime.now(ZoneInfo("Asia/Tokyo")) - timedelta(seconds=30)
        clock = projector.locator("[data-event-clock]").inner_text()
        after = datetime.now(ZoneInfo("Asia/Tokyo"))
        assert clock in {before.strftime("%H:%M"), after.strftime("%H:%M")}
        _shot(projector, "projector-tokyo-ticker-1920x1080")
    finally:
        projector.context.close()
        phone.context.close()

"""The phone shell in a real browser (issue 12): the tab bar and the top navigation, the first
screen of a freshly joined phone (item 1), the now line (item 2), tags as chips that filter
(item 6), the ticker on a phone that loaded the board before the first announcement (item 7),
and the marketplace kept live."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.browser.conftest import log_in

SLUG = "drupal-cxo-brussels"
ZONE = ZoneInfo("Europe/Brussels")  # the demo event's
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}


def event_time(hour: int, minute: int = 0) -> datetime:
    """Today (the demo's first day) at this time on the event's clock."""
    return datetime.now(ZONE).replace(hour=hour, minute=minute, second=0, microsecond=0)


def new_phone(browser, at: datetime | None = None):
    page = browser.new_context(**PHONE).new_page()
    if at is not None:
        page.clock.set_fixed_time(at)
    return page


def join_code(server) -> str:
    token = server.token("kristof@example.org")
    return server.api("GET", f"/events/{SLUG}", token).json()["join_code"]


def live(page) -> None:
    page.wait_for_selector("html[data-live=live]")


# Navigation ------------------------------------------------------------------------------------

def test_phone_has_a_tab_bar_in_thumb_reach_and_no_top_navigation(live_server, browser):
    page = new_phone(browser, event_time(7))
    log_in(page, live_server.url, "kristof@example.org")
    page.goto(f"{live_server.url}/e/{SLUG}")

    tabs = page.locator(".tabbar a")
    assert tabs.all_inner_texts() == ["Board", "Marketplace", "Now", "Mine", "Menu"]
    assert not page.locator(".subnav").is_visible()
    page.evaluate("window.scrollTo(0, 2000)")
    assert page.evaluate("window.scrollY") > 0
    for tab in tabs.all():
        box = tab.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
        assert box["y"] + box["height"] <= 812 and box["y"] >= 812 - 90  # at the bottom edge
    assert page.locator(".tabbar a[aria-current=page]").inner_text() == "Board"

    tabs.nth(4).tap()
    page.wait_for_url(f"**/e/{SLUG}/more")
    assert page.locator(".tabbar a[aria-current=page]").inner_text() == "Menu"
    page.get_by_role("link", name="Settings").tap()  # an organizer tool, under More
    page.wait_for_url(f"**/e/{SLUG}/settings")
    assert page.locator(".tabbar a[aria-current=page]").inner_text() == "Menu"
    page.context.close()


def test_wide_screen_keeps_a_top_navigation(live_server, browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    log_in(page, live_server.url, "kristof@example.org")
    page.goto(f"{live_server.url}/e/{SLUG}")

    assert not page.locator(".tabbar").is_visible()
    nav = page.locator(".subnav")
    assert nav.is_visible() and nav.bounding_box()["y"] < 120
    assert nav.get_by_role("link", name="Settings").is_visible()
    nav.get_by_role("link", name="Marketplace").click()
    page.wait_for_url(f"**/e/{SLUG}/marketplace")
    assert page.locator(".subnav a[aria-current=page]").inner_text() == "Marketplace"
    context.close()


# Item 1: the first screen of a freshly joined phone -------------------------------------------

def test_a_freshly_joined_phone_sees_propose_and_the_board_on_its_first_screen(live_server,
                                                                               browser):
    page = new_phone(browser, event_time(7))  # before the opening: nothing to scroll to
    page.goto(f"{live_server.url}/e/{SLUG}/join?code={join_code(live_server)}")
    page.fill("input[name=name]", "Fresh Phone")
    page.locator("main form button[type=submit]").last.tap()
    page.wait_for_url(f"**/e/{SLUG}")
    live(page)

    tabbar_top = page.locator(".tabbar").bounding_box()["y"]
    propose = page.get_by_role("link", name="Propose a topic").bounding_box()
    market = page.locator(".quick-actions").get_by_role("link", name="Marketplace").bounding_box()
    first_slot = page.locator(".grid tr.slot").first.bounding_box()
    assert page.evaluate("window.scrollY") == 0
    assert propose["y"] + propose["height"] <= tabbar_top
    assert market["y"] + market["height"] <= tabbar_top
    assert first_slot["y"] < tabbar_top  # the agenda wall starts on the first screen too

    page.get_by_role("link", name="Propose a topic").tap()
    page.wait_for_url(f"**/e/{SLUG}/marketplace?propose=1#propose")
    title = page.locator("#propose input[name=title]")
    assert title.is_visible()
    assert title.bounding_box()["y"] + 44 <= tabbar_top
    page.context.close()


# Item 2: the now line ---------------------------------------------------------------------------

def test_the_phone_board_marks_the_running_slot_and_opens_at_it(live_server, browser):
    page = new_phone(browser, event_time(14, 40))  # the afternoon's second session
    page.goto(f"{live_server.url}/e/{SLUG}")
    live(page)

    running = page.locator(".grid tr.slot.current")
    assert running.count() == 1
    assert running.get_attribute("data-slot-start").endswith("T14:30")
    assert running.locator(".now-flag").is_visible()
    assert running.locator(".now-flag").inner_text().upper() == "NOW"
    top = running.bounding_box()["y"]
    assert page.evaluate("window.scrollY") > 0
    assert 0 <= top < 812 / 2  # opened at it, under the top bar
    page.context.close()


def test_a_link_to_a_place_on_the_board_is_not_overridden_by_the_now_line(live_server,
                                                                         browser):
    page = new_phone(browser, event_time(14, 40))
    page.goto(f"{live_server.url}/e/{SLUG}#day-2")
    live(page)

    assert page.locator(".grid tr.slot.current").count() == 1
    day = page.locator("#day-2").bounding_box()
    assert 0 <= day["y"] < 812 / 2
    page.context.close()


# Item 6: tags as chips that filter ---------------------------------------------------------------

def test_tapping_a_tag_on_a_board_card_filters_the_marketplace(live_server, browser):
    page = new_phone(browser, event_time(7))
    page.goto(f"{live_server.url}/e/{SLUG}")
    chip = page.locator(".grid .topic-card .chip.tag", has_text="#tools").first
    box = chip.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44

    chip.tap()
    page.wait_for_url(f"**/e/{SLUG}/marketplace?tag=tools")
    cards = page.locator("[data-live-region=marketplace] .topic-card")
    tagged = cards.count()
    assert tagged >= 2
    for card in cards.all():
        assert "#tools" in card.locator(".chips").inner_text()
    assert page.locator(".chip-filter [aria-current=true]").inner_text().startswith("#tools")
    page.locator(".chip-filter").get_by_role("link", name="All").tap()
    page.wait_for_url(f"**/e/{SLUG}/marketplace")
    assert page.locator("[data-live-region=marketplace] .topic-card").count() > tagged
    page.context.close()


def test_the_projector_shows_the_tags_of_placed_topics(live_server, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{live_server.url}/e/{SLUG}/projector")

    tags = page.locator(".agenda .topic-card .tags").all_inner_texts()
    assert "#backoffice #tools" in tags
    page.close()


# Item 7: the ticker -----------------------------------------------------------------------------

def test_the_ticker_appears_on_a_phone_that_loaded_the_board_before_any_announcement(
        live_server, browser):
    phone = new_phone(browser)
    phone.goto(f"{live_server.url}/e/{SLUG}")
    live(phone)
    ticker = phone.locator(".ticker-box")
    assert phone.locator("[data-announcements] li").count() == 0
    assert not ticker.is_visible()

    organizer = browser.new_page()
    log_in(organizer, live_server.url, "kristof@example.org")
    organizer.goto(f"{live_server.url}/e/{SLUG}/announcements")
    organizer.fill("#text", "Lunch is served in the lounge")
    organizer.locator("main form.card button[type=submit]").click()
    organizer.wait_for_load_state()

    phone.locator("[data-announcements] li", has_text="Lunch is served").wait_for()
    assert ticker.is_visible()
    assert ticker.bounding_box()["height"] > 20
    organizer.close()
    phone.context.close()


# The marketplace, live --------------------------------------------------------------------------

def test_the_marketplace_page_stays_live(live_server, browser):
    page = new_phone(browser)
    log_in(page, live_server.url, "mark@example.org")
    page.goto(f"{live_server.url}/e/{SLUG}/marketplace")
    live(page)
    page.evaluate("window.__noReload = true")
    token = live_server.token("dries@example.org")

    topic = live_server.api("POST", f"/events/{SLUG}/topics", token,
                            json={"title": "Proposed while you looked", "tags": ["fresh"]}).json()
    card = page.locator(f"[data-marketplace] [data-topic-id='{topic['id']}']")
    card.wait_for()
    assert card.locator(".chip.tag").inner_text() == "#fresh"
    card.get_by_role("button", name="I'll come").tap()  # the form live.js drew
    page.wait_for_url(f"**/e/{SLUG}/marketplace#t{topic['id']}")
    assert page.locator(f"#t{topic['id']}").get_by_role("button", name="Not coming").is_visible()

    live(page)
    page.evaluate("window.__noReload = true")
    board = live_server.api("GET", f"/events/{SLUG}/board", token).json()
    taken = {(t["room_id"], t["slot_id"]) for t in board["topics"] if t["room_id"]}
    busy = {t["slot_id"] for t in board["topics"] if t["convener"]["id"] == topic["convener"]["id"]}
    room, slot = next((r["id"], s["id"]) for s in board["slots"] if s["kind"] == "session"
                      and s["id"] not in busy for r in board["rooms"]
                      if (r["id"], s["id"]) not in taken)
    refetches: list[str] = []
    page.on("request", lambda request: refetches.append(request.url)
            if "/marketplace" in request.url else None)
    placed = live_server.api("PUT", f"/topics/{topic['id']}/placement", token,
                             json={"room_id": room, "slot_id": slot})
    assert placed.status_code == 200, placed.text
    moved = page.locator(f"[data-placed-list] [data-topic-id='{topic['id']}']")
    moved.wait_for()
    assert page.locator(f"[data-marketplace] [data-topic-id='{topic['id']}']").count() == 0
    assert page.evaluate("window.__noReload === true")  # patched, not reloaded
    # Drawn here, not refetched (in the marketplace rush, every phone refetched the whole page
    # for every topic placed): with its room and time as the server writes them, in agenda
    # order, and the viewer's "Not coming" still under it.
    room_name = next(r["name"] for r in board["rooms"] if r["id"] == room)
    assert moved.locator(".where").inner_text().startswith(f"{room_name} · ")
    assert moved.locator(".where time").count() == 2
    assert moved.get_by_role("button", name="Not coming").is_visible()
    order = page.eval_on_selector_all("[data-placed-list] [data-topic-id]", """cards =>
        cards.map((c) => [c.dataset.start, Number(c.dataset.position),
                          Number(c.dataset.topicId)])""")
    assert order == sorted(order)
    released = live_server.api("DELETE", f"/topics/{topic['id']}/placement", token)
    assert released.status_code == 200, released.text
    back = page.locator(f"[data-marketplace] [data-topic-id='{topic['id']}']")
    back.wait_for()
    assert back.locator(".where").count() == 0
    assert back.get_by_role("button", name="Not coming").is_visible()
    assert refetches == []
    page.context.close()

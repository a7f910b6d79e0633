"""The schedule advisor on an organizer's phone (375 x 812, touch): ask for a suggestion, apply
one move, and an attendee's open board shows the topic in its new cell without a reload.

OPENSPACE_SCREENSHOTS=<folder> keeps screenshots of the page (phone and desktop) there.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.conftest import log_in

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


def _shot(page, name: str) -> None:
    folder = os.environ.get("OPENSPACE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _clashing_event(server) -> dict:
    """A fresh event: two rooms, two session slots; Roel's and Dries's topics both at 10:00,
    and Mark wants to go to both."""
    organizer = server.token("kristof@example.org")
    event = server.api("POST", "/events", organizer, json={
        "name": "Advisor on a phone", "timezone": "Europe/Brussels",
        "starts_on": "2026-11-24", "visibility": "public"}).json()
    slug = event["slug"]
    rooms = [server.api("POST", f"/events/{slug}/rooms", organizer,
                        json={"name": name, "capacity": capacity}).json()["id"]
             for name, capacity in (("Atrium", 30), ("Library", 12))]
    slots = [server.api("POST", f"/events/{slug}/slots", organizer,
                        json={"starts_at": f"2026-11-24T{start}", "ends_at": f"2026-11-24T{end}",
                              "kind": "session"}).json()["id"]
             for start, end in (("10:00", "11:00"), ("11:00", "12:00"))]
    topics = []
    for email, title, room in (("roel@example.org", "Headless CMS", rooms[0]),
                               ("dries@example.org", "Hiring juniors", rooms[1])):
        token = server.token(email)
        server.api("POST", f"/events/{slug}/members", token,
                   json={"join_code": event["join_code"]}).raise_for_status()
        topic = server.api("POST", f"/events/{slug}/topics", token, json={"title": title}).json()
        server.api("PUT", f"/topics/{topic['id']}/placement", organizer,
                   json={"room_id": room, "slot_id": slots[0]}).raise_for_status()
        topics.append(topic)
    mark = server.token("mark@example.org")
    server.api("POST", f"/events/{slug}/members", mark,
               json={"join_code": event["join_code"]}).raise_for_status()
    for topic in topics:
        server.api("PUT", f"/topics/{topic['id']}/interest", mark).raise_for_status()
    return {"slug": slug, "rooms": rooms, "slots": slots, "topics": topics}


def test_an_organizer_applies_a_suggested_move_from_a_phone(live_server, browser):
    world = _clashing_event(live_server)
    slug = world["slug"]
    organizer_context = browser.new_context(**PHONE)
    attendee_context = browser.new_context(**PHONE)
    try:
        attendee = attendee_context.new_page()
        log_in(attendee, live_server.url, "mark@example.org")
        attendee.goto(f"{live_server.url}/e/{slug}")
        attendee.wait_for_selector("html[data-live=live]")
        attendee.evaluate("window.__noReload = true")

        phone = organizer_context.new_page()
        log_in(phone, live_server.url, "kristof@example.org")
        phone.goto(f"{live_server.url}/e/{slug}")
        assert phone.locator(f'nav a[href="/e/{slug}/advisor"]').count() == 1
        phone.goto(f"{live_server.url}/e/{slug}/advisor")
        assert "1 attendee with a clash" in phone.locator(".advisor-now").inner_text()
        _shot(phone, "advisor-phone-before")

        phone.get_by_role("button", name="Suggest moves").tap()
        move = phone.locator(".advisor-move")
        move.first.wait_for()
        assert move.count() == 1
        box = phone.locator(".advisor-pick").first.bounding_box()
        assert box["height"] >= 44  # the whole row is the tap target of its checkbox
        assert "1 fewer attendee with a clash" in move.first.inner_text()
        token = move.first.locator("input[name=move]").get_attribute("value")
        _, topic_id, _, _, room_id, slot_id = token.split(".")
        assert int(slot_id) == world["slots"][1]
        _shot(phone, "advisor-phone-suggestion")
        if os.environ.get("OPENSPACE_SCREENSHOTS"):
            desktop = organizer_context.browser.new_context(
                viewport={"width": 1920, "height": 1080}).new_page()
            log_in(desktop, live_server.url, "kristof@example.org")
            desktop.goto(f"{live_server.url}/e/{slug}/advisor")
            desktop.get_by_role("button", name="Suggest moves").click()
            desktop.wait_for_load_state()
            _shot(desktop, "advisor-desktop-suggestion")
            desktop.context.close()

        phone.get_by_role("button", name="Apply the ticked moves").tap()
        phone.wait_for_selector(".flash-success")
        assert "1 move applied." in phone.locator(".flash-success").inner_text()
        assert "0 attendees with a clash" in phone.locator(".advisor-now").inner_text()

        # The attendee's board, open all along, shows the topic in its new cell.
        attendee.locator(f'[data-cell="{room_id}-{slot_id}"] [data-topic-id="{topic_id}"]'
                         ).wait_for(timeout=10_000)
        assert attendee.evaluate("window.__noReload === true")

    finally:
        organizer_context.close()
        attendee_context.close()

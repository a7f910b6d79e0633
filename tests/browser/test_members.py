"""Removing a member from the settings page in a real browser, on a 375 px touch phone with
JavaScript off: the button that removes is inside a <details> (the confirmation step), which
opens by a tap, fits the screen, and removes with a message after."""

from __future__ import annotations

import uuid

import requests

from tests.browser.conftest import log_in
from tests.live import DEMO_PASSWORD

SLUG = "drupal-cxo-brussels"
ORGANIZER = "kristof@example.org"


def _new_member(server, name: str) -> tuple[str, int]:
    email = f"leaving-{uuid.uuid4().hex[:8]}@example.org"
    created = requests.post(server.url + "/api/v1/users", timeout=10, json={
        "email": email, "password": DEMO_PASSWORD, "name": name})
    assert created.status_code == 201, created.text
    token = server.token(email)
    code = server.api("GET", f"/events/{SLUG}", server.token(ORGANIZER)).json()["join_code"]
    joined = server.api("POST", f"/events/{SLUG}/members", token, json={"join_code": code})
    assert joined.status_code == 201, joined.text
    return token, joined.json()["user"]["id"]


def _member_ids(server) -> set[int]:
    listed = server.api("GET", f"/events/{SLUG}/members", server.token(ORGANIZER)).json()
    return {m["user"]["id"] for m in listed["members"]}


def test_an_organizer_removes_a_member_on_a_phone_without_javascript(browser, live_server):
    _, member_id = _new_member(live_server, "Leaving Soon")
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server.url, ORGANIZER)
        page.goto(f"{live_server.url}/e/{SLUG}/settings#members")
        step = page.locator("details.member-remove", has_text="Remove Leaving Soon…")
        button = step.get_by_role("button", name="Remove from the event")
        assert step.count() == 1 and not button.is_visible()  # nothing removes in one tap

        step.locator("summary").tap()
        button.scroll_into_view_if_needed()

        box = button.bounding_box()
        assert button.is_visible()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["height"] >= 44
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        with page.expect_navigation():
            button.tap()
        assert page.locator(".flash", has_text="Leaving Soon was removed from the event.") \
            .is_visible()
        assert page.locator("details.member-remove", has_text="Leaving Soon").count() == 0
    finally:
        context.close()

    assert member_id not in _member_ids(live_server)

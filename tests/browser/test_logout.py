"""The shared registration tablet: attendee after attendee joins on one browser and logs out.
After "Log out" the next person is asked their own name (the previous one's name is gone from
the header, also after a reload), and the previous attendee's remember cookie, copied back into
the browser, opens nothing."""

from __future__ import annotations

import re

import pytest
import requests

from tests.live import DEMO_PASSWORD

pytestmark = pytest.mark.slow
SLUG = "drupal-cxo-brussels"


def _join_link(live_server) -> str:
    token = live_server.token("kristof@example.org", DEMO_PASSWORD)
    code = live_server.api("GET", f"/events/{SLUG}", token).json()["join_code"]
    return f"{live_server.url}/e/{SLUG}/join?code={code}"


def test_the_next_person_on_a_shared_tablet_is_not_the_previous_one(live_server, phone):
    link = _join_link(live_server)
    tablet = phone()
    tablet.goto(link)
    tablet.fill("input[name=name]", "Ann Early")
    tablet.locator("main form button[type=submit]").last.click()
    tablet.wait_for_url(re.compile(rf"/e/{SLUG}$"))
    # The name is hidden on phones (an icon shows), but it is there.
    assert tablet.locator(".topbar .who .who-name").text_content().strip() == "Ann Early"
    anns = {c["name"]: c["value"] for c in tablet.context.cookies()}
    assert "remember_token" in anns
    tablet.screenshot(path=str(live_server.env["OPENSPACE_INSTANCE_DIR"]) + "/tablet-in.png")

    # On a phone, logging out is under More (the top bar keeps only the account icon).
    tablet.goto(f"{live_server.url}/e/{SLUG}/more")
    with tablet.expect_navigation():
        tablet.locator("main form[action='/logout'] button").click()
    assert tablet.locator(".topbar .who").count() == 0
    tablet.reload()
    assert tablet.locator(".topbar .who").count() == 0
    assert "remember_token" not in {c["name"] for c in tablet.context.cookies()}

    # The next attendee opens the link and is asked for their name, not offered Ann's account.
    tablet.goto(link)
    assert tablet.locator("input[name=name]").is_visible()
    assert "Ann Early" not in tablet.content()
    tablet.screenshot(path=str(live_server.env["OPENSPACE_INSTANCE_DIR"]) + "/tablet-next.png")

    # Ann's remember cookie, copied back (or read off the tablet before), opens nothing.
    tablet.context.clear_cookies()
    tablet.context.add_cookies([{"name": "remember_token", "value": anns["remember_token"],
                                 "url": live_server.url}])
    tablet.goto(f"{live_server.url}/e/{SLUG}")
    assert tablet.locator(".topbar .who").count() == 0
    replay = requests.get(live_server.url + "/api/v1/me", timeout=10,
                          cookies={"remember_token": anns["remember_token"]})
    assert replay.status_code == 401

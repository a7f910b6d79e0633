"""Two phones and a projector in a real browser: changes show up without a reload."""

from __future__ import annotations

import requests

from tests.browser.conftest import log_in

SLUG = "drupal-cxo-brussels"


def _free_cell(server, token, convener_id):
    board = server.api("GET", f"/events/{SLUG}/board", token).json()
    taken = {(t["room_id"], t["slot_id"]) for t in board["topics"] if t["room_id"]}
    busy = {t["slot_id"] for t in board["topics"] if t["convener"]["id"] == convener_id}
    for slot in board["slots"]:
        if slot["kind"] == "session" and slot["id"] not in busy:
            for room in board["rooms"]:
                if (room["id"], slot["id"]) not in taken:
                    return room["id"], slot["id"]
    raise AssertionError("no free cell")


def _mark_page(page):
    """Tag the page's JS world: the tag survives live updates but not a reload."""
    page.evaluate("window.__noReload = true")


def _not_reloaded(page) -> bool:
    return page.evaluate("window.__noReload === true")


def test_a_phone_places_a_topic_and_the_other_phone_and_projector_show_it(live_server, phone,
                                                                         browser):
    token = live_server.token("roel@example.org")
    topic = live_server.api("POST", f"/events/{SLUG}/topics", token,
                            json={"title": "Tapped in from a phone"}).json()
    room_id, slot_id = _free_cell(live_server, token, topic["convener"]["id"])

    convener, attendee = phone(), phone()
    log_in(convener, live_server.url, "roel@example.org")
    log_in(attendee, live_server.url, "mark@example.org")
    projector = browser.new_page(viewport={"width": 1600, "height": 900})
    try:
        attendee.goto(f"{live_server.url}/e/{SLUG}")
        projector.goto(f"{live_server.url}/e/{SLUG}/projector")
        for page in (attendee, projector):
            page.wait_for_selector("html[data-live=live]")
            _mark_page(page)

        # The convener taps the free cell, then taps their topic: no drag anywhere.
        convener.goto(f"{live_server.url}/e/{SLUG}")
        convener.locator(f'[data-cell="{room_id}-{slot_id}"] a').tap()
        convener.get_by_role("button", name="Tapped in from a phone").tap()
        placed = f'[data-cell="{room_id}-{slot_id}"] [data-topic-id="{topic["id"]}"]'
        convener.wait_for_selector(placed)

        for page in (attendee, projector):
            card = page.locator(placed)
            card.wait_for(timeout=5000)
            assert "Tapped in from a phone" in card.inner_text()
            assert _not_reloaded(page)
    finally:
        projector.close()


def test_the_projector_reconnects_after_the_server_restarts(live_server, browser):
    projector = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        projector.goto(f"{live_server.url}/e/{SLUG}/projector")
        projector.wait_for_selector("html[data-live=live]")
        _mark_page(projector)
        live_server.stop()
        projector.wait_for_selector("html[data-live=offline]", timeout=10000)
        assert "Offline" in projector.locator("[data-live-status]").inner_text()
        live_server.start()
        # A change made while the projector was away shows up after it resyncs.
        token = live_server.token("dries@example.org")
        topic = live_server.api("POST", f"/events/{SLUG}/topics", token,
                                json={"title": "While the projector slept"}).json()
        room_id, slot_id = _free_cell(live_server, token, topic["convener"]["id"])
        response = live_server.api("PUT", f"/topics/{topic['id']}/placement", token,
                                   json={"room_id": room_id, "slot_id": slot_id})
        assert response.status_code == 200, response.text
        projector.locator(f'[data-topic-id="{topic["id"]}"]').wait_for(timeout=20000)
        projector.wait_for_selector("html[data-live=live], html[data-live=synced]")
        assert _not_reloaded(projector)
    finally:
        projector.close()


def test_pages_load_no_asset_from_another_host(live_server, phone):
    page = phone()
    hosts = set()
    page.on("request", lambda r: hosts.add(requests.utils.urlparse(r.url).netloc))
    for path in ("/", f"/e/{SLUG}", f"/e/{SLUG}/now", f"/e/{SLUG}/projector", "/login"):
        page.goto(live_server.url + path)
    assert hosts == {f"127.0.0.1:{live_server.port}"}


def test_the_board_revalidates_its_live_regions_and_their_forms_still_post(live_server, phone):
    organizer = phone()
    log_in(organizer, live_server.url, "kristof@example.org")
    token = live_server.token("kristof@example.org")
    fetched = []
    organizer.on("response", lambda r: fetched.append(r.status)
                 if r.url.endswith(f"/e/{SLUG}/live") else None)
    try:
        organizer.goto(f"{live_server.url}/e/{SLUG}")
        organizer.wait_for_selector("html[data-live=live]")
        _mark_page(organizer)

        # A reconnect with nothing changed meanwhile: the server says so, the regions stay.
        organizer.evaluate("document.querySelector('[data-live-region=grid]').dataset.kept = 1")
        organizer.evaluate("() => { const s = window.openspaceLive.socket; s.disconnect();"
                           " s.connect(); }")
        organizer.wait_for_selector("html[data-live=synced]")
        assert fetched == [304]
        assert organizer.locator("[data-live-region=grid][data-kept]").count() == 1

        # Locking the board elsewhere is a change the page refetches: the cached fragment's
        # button gets this page's CSRF token, so it still posts.
        response = live_server.api("PATCH", f"/events/{SLUG}", token,
                                   json={"board_state": "locked"})
        assert response.status_code == 200, response.text
        organizer.wait_for_selector("[data-live-region=state] .board-state.locked")
        assert fetched == [304, 200] and _not_reloaded(organizer)
        assert organizer.locator("[data-live-region=grid][data-kept]").count() == 0
        organizer.get_by_role("button", name="Unlock the board").tap()
        organizer.wait_for_selector("[data-live-region=state] .board-state.open")
        assert "The board is open" in organizer.locator(".flash, [role=status]").first.inner_text()
    finally:
        live_server.api("PATCH", f"/events/{SLUG}", token, json={"board_state": "open"})


def _propose_and_place(server, email, title):
    """A topic of its own convener (the demo's attendees each hold few slots), placed."""
    token = server.token(email)
    topic = server.api("POST", f"/events/{SLUG}/topics", token, json={"title": title}).json()
    room_id, slot_id = _free_cell(server, token, topic["convener"]["id"])
    response = server.api("PUT", f"/topics/{topic['id']}/placement", token,
                          json={"room_id": room_id, "slot_id": slot_id})
    assert response.status_code == 200, response.text
    return f'[data-cell="{room_id}-{slot_id}"] [data-topic-id="{topic["id"]}"]'


def test_the_board_takes_its_changes_in_batches_and_refetches_after_a_gap(live_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{live_server.url}/e/{SLUG}")
        page.wait_for_selector("html[data-live=live]")
        _mark_page(page)
        page.evaluate("""() => {
            window.__heard = [];
            const socket = window.openspaceLive.socket;
            socket.on("board:batch", (b) => window.__heard.push(["board:batch",
                                                                 b.changes.map((c) => c.version)]));
            socket.on("board:changed", (c) => window.__heard.push(["board:changed", [c.version]]));
            document.addEventListener("openspace:refetched", () => { window.__refetched = true; });
        }""")
        start = page.evaluate("window.openspaceLive.version")

        # Changes arrive as batches only (the page asked for them), applied in place.
        for email, title in (("eric@example.org", "Batched into the page"),
                             ("stephanie@example.org", "And another one")):
            page.locator(_propose_and_place(live_server, email, title)).wait_for(timeout=10000)
        page.wait_for_function("(v) => window.openspaceLive.version === v", arg=start + 4)
        heard = page.evaluate("window.__heard")
        assert {name for name, _ in heard} == {"board:batch"}
        assert [v for _, versions in heard for v in versions] == list(range(start + 1,
                                                                            start + 5))
        assert page.evaluate("window.__refetched") is None
        assert _not_reloaded(page)

        # A gap: the page's own handler misses one batch (taken off, then put back), so the
        # next batch does not start at its version + 1: it refetches, and carries on live.
        page.evaluate("""() => {
            const socket = window.openspaceLive.socket;
            window.__apply = socket.listeners("board:batch")[0];  // live.js's, registered first
            socket.off("board:batch", window.__apply);
        }""")
        missed = _propose_and_place(live_server, "dan@example.org",
                                    "Placed while the page looked away")
        page.wait_for_function("(v) => window.__heard.flat(2).includes(v)", arg=start + 6)
        assert page.locator(missed).count() == 0
        page.evaluate("window.openspaceLive.socket.on('board:batch', window.__apply)")
        placed = _propose_and_place(live_server, "kristof@example.org", "After the gap")
        page.wait_for_function("() => window.__refetched === true", timeout=10000)
        page.wait_for_function("(v) => window.openspaceLive.version >= v", arg=start + 8,
                               timeout=10000)
        page.locator(placed).wait_for(timeout=10000)
        page.locator(missed).wait_for(timeout=10000)  # what it missed came with the refetch
        assert _not_reloaded(page)
    finally:
        page.close()

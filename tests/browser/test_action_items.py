"""Action items in a real browser: "@" in the editor offers the event's members and writes the
handle; ticking an item on the actions page (from a third phone) ticks the box live in both
editors that have the note open."""

from __future__ import annotations

from tests.browser.conftest import NOTES_SLUG, log_in, note_text, open_note, server_markdown
from tests.live import wait_for


def test_mention_a_member_then_tick_the_item_from_the_actions_page(live_server, phone, topic):
    roel, mark, owner = phone(), phone(), phone()
    log_in(roel, live_server.url, "roel@example.org")
    log_in(mark, live_server.url, "mark@example.org")
    log_in(owner, live_server.url, "dries@example.org")
    for page in (roel, mark):
        open_note(page, live_server, topic)

    # Roel types an item and "@Dri": the editor offers Dries by name; tapping writes the handle.
    roel.locator("[data-note-editor] .cm-content").tap()
    roel.keyboard.press("Control+End")
    roel.keyboard.type("\n- [ ] Book the pitch room @Dri")
    option = roel.locator(".mention-menu li", has_text="Dries")
    option.wait_for(timeout=10000)
    assert "@" not in option.locator(".cm-completionLabel").inner_text()  # a name, no e-mail
    menu = roel.locator(".mention-menu").bounding_box()
    width = roel.viewport_size["width"]
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= width  # inside the phone's screen
    assert option.bounding_box()["height"] >= 44  # a row a thumb can hit
    option.tap()
    wait_for(lambda: "- [ ] Book the pitch room @Dries " in note_text(roel))
    wait_for(lambda: "@Dries" in server_markdown(live_server, topic), timeout=15)
    wait_for(lambda: "@Dries" in note_text(mark))

    # Dries, the owner, ticks it on the actions page of that session.
    owner.goto(f"{live_server.url}/e/{NOTES_SLUG}/actions?session={topic['id']}")
    tick = owner.get_by_role("button", name="Mark as done: Book the pitch room")
    box = tick.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44  # a tap target
    tick.tap()
    owner.get_by_role("button", name="Mark as open again: Book the pitch room").wait_for(
        timeout=10000)
    assert "Done: Book the pitch room" in owner.locator("main").inner_text()

    # Both open editors see the box ticked, and nothing else of the note moved.
    for page in (roel, mark):
        wait_for(lambda page=page: "- [x] Book the pitch room @Dries " in note_text(page),
                 timeout=15)
    wait_for(lambda: note_text(roel) == note_text(mark) == server_markdown(live_server, topic))

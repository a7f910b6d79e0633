"""The topic page and its neighbours in a real browser (issue 12, items 3, 4, 5, 11, 13, 15):
task order on a phone, placement that offers only what the convener may take, merge with a
confirmation and an undo, Now & Next live without a reload, the summary's words kept whole on
a phone, task checkboxes with labels, and the photo picker's preview."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from tests.browser.conftest import log_in, open_note
from tests.live import wait_for

SLUG = "drupal-cxo-brussels"
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _laptop(browser, **options):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, **options)
    return context, context.new_page()


def _board(server, token):
    return server.api("GET", f"/events/{SLUG}/board", token).json()


def _topic(server, token, title):
    response = server.api("POST", f"/events/{SLUG}/topics", token, json={"title": title})
    assert response.status_code == 201, response.text
    return response.json()


def _top(page, selector) -> float:
    return page.locator(selector).first.bounding_box()["y"]


# 3 · Task order -------------------------------------------------------------------------------

def test_phone_topic_page_reads_in_task_order_with_one_notes_block(live_server, phone):
    token = live_server.token("roel@example.org")
    topic = _topic(live_server, token, "Proposed a minute ago")
    page = phone()
    log_in(page, live_server.url, "roel@example.org")

    open_note(page, live_server, topic)

    tops = [_top(page, s) for s in ("#topic-title", ".topic-when", ".coming button",
                                    "#manage-title", "#notes-title", "#photos-title")]
    assert tops == sorted(tops)
    # After proposing, placing it starts within the second screen, not 2.4 screens down.
    assert _top(page, "#manage-title") < 2 * 812
    # The live editor replaced the formatted copy: no stale "nobody wrote" block beneath it.
    assert page.locator("[data-notes-rendered]").count() == 0
    assert page.locator("text=Nobody has written notes").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for box in page.locator("#manage button[name=cell]").evaluate_all(
            "els => els.map((el) => el.getBoundingClientRect().toJSON())"):
        assert box["width"] >= 44 and box["height"] >= 44


# 4 · Placement offers only what the convener may take ------------------------------------------

def test_phone_convener_is_offered_only_allowed_cells_and_told_why_not(live_server, phone):
    token = live_server.token("roel@example.org")
    topic = _topic(live_server, token, "Where can this go?")
    board = _board(live_server, token)
    mine = {t["slot_id"]: t["title"] for t in board["topics"]
            if t["convener"]["id"] == topic["convener"]["id"] and t["slot_id"]}
    taken = {(t["room_id"], t["slot_id"]) for t in board["topics"] if t["room_id"]}
    allowed = sorted(f"{r['id']}:{s['id']}" for s in board["slots"] for r in board["rooms"]
                     if s["kind"] == "session" and s["id"] not in mine
                     and (r["id"], s["id"]) not in taken)
    page = phone()
    log_in(page, live_server.url, "roel@example.org")
    page.goto(f"{live_server.url}/t/{topic['id']}")

    offered = sorted(page.locator("#manage button[name=cell]").evaluate_all(
        "els => els.map((el) => el.value)"))
    reasons = page.locator("#manage .why-not").all_inner_texts()

    assert offered == allowed
    assert mine, "the demo's convener convenes something"
    for title in mine.values():
        assert f"You already convene \u201c{title}\u201d at that time." in reasons
    assert any(reason.startswith("That time is") for reason in reasons)  # plenaries, breaks

    with page.expect_navigation():
        page.locator(f'#manage button[value="{allowed[0]}"]').tap()
    assert page.locator("#manage-title").inner_text() == "Move this topic"
    assert page.locator(".placement .btn.tap.here").count() == 1


# 5 · Merge: confirm first, undo after ----------------------------------------------------------

def test_organizer_merges_after_confirming_and_undoes_it(live_server, browser):
    convener = live_server.token("roel@example.org")
    survivor = _topic(live_server, convener, "Pricing Drupal projects")
    duplicate = _topic(live_server, live_server.token("mark@example.org"), "How do we price?")
    live_server.api("PUT", f"/topics/{duplicate['id']}/interest", convener)
    context, page = _laptop(browser)
    try:
        log_in(page, live_server.url, "kristof@example.org")
        page.goto(f"{live_server.url}/t/{duplicate['id']}")
        assert page.locator("#into").input_value() == ""  # nothing preselected

        page.locator("#into").select_option(str(survivor["id"]))
        with page.expect_navigation():
            page.get_by_role("button", name="Merge…").click()
        assert page.locator("h1").inner_text() == (
            "Merge \u201cHow do we price?\u201d into \u201cPricing Drupal projects\u201d?")
        assert _status(live_server, duplicate) == "proposed"  # nothing happened yet

        with page.expect_navigation():
            page.locator("main form button[type=submit]", has_text="Merge").click()
        assert _status(live_server, duplicate) == "merged"
        assert page.url.endswith(f"/t/{survivor['id']}")
        version = _board(live_server, convener)["version"]

        with page.expect_navigation():
            page.locator(".undo-bar").get_by_role("button", name="Undo").click()
    finally:
        context.close()
    assert _status(live_server, duplicate) == "proposed"
    assert _board(live_server, convener)["version"] == version + 1
    assert _interest(live_server, duplicate) == 1
    assert _interest(live_server, survivor) == 0


def _topic_now(server, topic) -> dict:
    token = server.token("kristof@example.org")
    board = _board(server, token)
    return next((t for t in board["topics"] if t["id"] == topic["id"]), {"status": "merged"})


def _status(server, topic) -> str:
    return _topic_now(server, topic)["status"]


def _interest(server, topic) -> int:
    return _topic_now(server, topic)["interest_count"]


# 13 · Now & Next is live -----------------------------------------------------------------------

def test_phone_now_and_next_changes_live_without_reloading(live_server, phone):
    token = live_server.token("roel@example.org")
    page = phone()
    page.goto(f"{live_server.url}/e/{SLUG}/now")
    page.wait_for_selector("[data-live-status][data-state=live]", timeout=10000)
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    page.evaluate("window.__noReload = true")

    # A new session in the next (or running) slot of the event's clock appears on its own.
    board = _board(live_server, token)
    clock = datetime.now(ZoneInfo(board["event"]["timezone"])).replace(tzinfo=None)
    sessions = [s for s in board["slots"] if s["kind"] == "session"
                and datetime.fromisoformat(s["ends_at"]) > clock]
    assert sessions, "the demo runs today and tomorrow"
    shown = sessions[0]
    taken = {(t["room_id"], t["slot_id"]) for t in board["topics"] if t["room_id"]}
    busy = {t["slot_id"] for t in board["topics"]
            if t["convener"]["name"] == "Roel" and t["slot_id"]}
    room = next((r for r in board["rooms"] if (r["id"], shown["id"]) not in taken), None)
    if room is None or shown["id"] in busy:  # the slot is full: a change of interest instead
        held = next(t for t in board["topics"] if t["slot_id"] == shown["id"])
        meta = page.locator(".now-cell", has=page.locator(f'a[href="/t/{held["id"]}"]')).locator(
            ".convener")
        before = meta.inner_text()
        organizer = live_server.token("kristof@example.org")
        response = live_server.api("PUT", f"/topics/{held['id']}/interest", organizer)
        if response.json()["interest_count"] == held["interest_count"]:  # was already coming
            live_server.api("DELETE", f"/topics/{held['id']}/interest", organizer)
        wait_for(lambda: meta.inner_text() != before)
    else:
        topic = _topic(live_server, token, "Just put on the board")
        response = live_server.api("PUT", f"/topics/{topic['id']}/placement", token,
                                   json={"room_id": room["id"], "slot_id": shown["id"]})
        assert response.status_code == 200, response.text
        page.locator("text=Just put on the board").wait_for(timeout=10000)
    assert page.evaluate("window.__noReload === true")


# 11 · The summary on a phone keeps words whole ---------------------------------------------------

WORDS_SPLIT = """() => {
  const split = [];
  const walker = document.createTreeWalker(document.querySelector(".book"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    for (const match of text.matchAll(/[^\\s\\u2013\\u2014·\\-/]{2,}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
        .map((r) => Math.round(r.top)));
      if (lines.size > 1) split.push(match[0]);
    }
  }
  return split;
}"""


def test_phone_summary_never_breaks_a_word_and_prints_photos_large(live_server, phone):
    page = phone()
    log_in(page, live_server.url, "kristof@example.org")
    page.goto(f"{live_server.url}/e/{SLUG}/summary")

    assert page.evaluate(WORDS_SPLIT) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.emulate_media(media="print")
    columns = page.evaluate("getComputedStyle(document.querySelector('.book-photos') || "
                            "document.body).gridTemplateColumns")
    assert page.locator(".book-photos").count() == 0 or len(columns.split()) == 2


# 15 · Task checkboxes have labels; every page says what it is -----------------------------------

def test_task_checkboxes_in_the_summary_are_labelled(live_server, phone, browser):
    token = live_server.token("roel@example.org")
    topic = _topic(live_server, token, "Who does what")
    board = _board(live_server, token)
    taken = {(t["room_id"], t["slot_id"]) for t in board["topics"] if t["room_id"]}
    busy = {t["slot_id"] for t in board["topics"] if t["convener"]["id"] == topic["convener"]["id"]}
    room_id, slot_id = next((r["id"], s["id"]) for s in board["slots"] for r in board["rooms"]
                            if s["kind"] == "session" and s["id"] not in busy
                            and (r["id"], s["id"]) not in taken)
    live_server.api("PUT", f"/topics/{topic['id']}/placement", token,
                    json={"room_id": room_id, "slot_id": slot_id})
    writer = phone()
    log_in(writer, live_server.url, "roel@example.org")
    open_note(writer, live_server, topic)
    writer.locator("[data-note-editor] .cm-content").tap()
    writer.keyboard.press("Control+End")
    writer.keyboard.type("\nWe met.\n\n- [ ] Book the next room @roel\n")
    writer.wait_for_selector("[data-note-status][data-state=saved]", timeout=10000)

    context, page = _laptop(browser, bypass_csp=True)  # to inject axe, a test-only script
    try:
        log_in(page, live_server.url, "kristof@example.org")
        page.goto(f"{live_server.url}/e/{SLUG}/summary")
        label = page.locator("input.task-list-item-checkbox").evaluate_all(
            "els => els.map((el) => el.closest('label') && el.closest('label').textContent)")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {runOnly: ['label', 'heading-order', "
                               "'meta-refresh']})")
        description = page.locator('meta[name="description"]').get_attribute("content")
    finally:
        context.close()
    assert any("Book the next room" in (text or "") for text in label)
    assert None not in label  # every checkbox of every report has its label
    assert [v["id"] for v in result["violations"]] == []
    assert "book of proceedings" in description


# The photo picker: camera or gallery, and a preview before it is sent --------------------------

def test_phone_photo_picker_previews_the_chosen_picture(live_server, phone):
    token = live_server.token("roel@example.org")
    topic = _topic(live_server, token, "Flipchart please")
    page = phone()
    log_in(page, live_server.url, "roel@example.org")
    page.goto(f"{live_server.url}/t/{topic['id']}")
    camera = page.locator("#photo-camera")
    assert camera.get_attribute("accept") == "image/*"
    assert camera.get_attribute("capture") == "environment"
    label = page.locator('label[for="photo-gallery"]').bounding_box()
    assert label["height"] >= 44 and label["width"] >= 44
    assert page.locator("[data-photo-preview]").is_hidden()

    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 60, 40)).save(picture, "JPEG")
    page.locator("#photo-gallery").set_input_files(
        files=[{"name": "flipchart.jpg", "mimeType": "image/jpeg", "buffer": picture.getvalue()}])

    page.locator("[data-photo-preview]").wait_for(state="visible")
    assert page.locator("[data-photo-preview-name]").inner_text() == "flipchart.jpg"
    wait_for(lambda: page.locator("[data-photo-preview-image]").evaluate(
        "(img) => img.complete && img.naturalWidth") == 640)
    page.locator("[data-photo-submit]").tap()  # sent by photos.js: queued, with progress
    page.locator("#photos .photo-grid img").first.wait_for(timeout=20000)
    assert page.locator("[data-photo-preview]").is_hidden()

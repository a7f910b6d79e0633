"""Shared notes in a real browser: two phones write one note live, and text typed offline is kept
on the phone (IndexedDB), survives a reload and merges when the connection comes back."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from tests.browser.conftest import log_in, note_text, open_note, scroll_to_notes, server_markdown
from tests.live import wait_for

SOCKET = re.compile(r".*/socket\.io/.*")


def _type_at_end(page, words: str) -> None:
    page.locator("[data-note-editor] .cm-content").tap()
    page.keyboard.press("Control+End")
    page.keyboard.type(words)


def _wait_for_words(page, *words: str, timeout: float = 10000) -> None:
    page.wait_for_function(
        "(words) => words.every((w) => window.openspaceNotes.view.state.doc.toString()"
        ".includes(w))", arg=list(words), timeout=timeout)


def test_two_phones_write_one_note_and_see_each_other(live_server, phone, topic):
    roel, mark = phone(), phone()
    log_in(roel, live_server.url, "roel@example.org")
    log_in(mark, live_server.url, "mark@example.org")
    roel_name = roel.locator(".topbar .who .who-name").text_content().strip()
    for page in (roel, mark):
        open_note(page, live_server, topic)

    _type_at_end(roel, "\nKey point from Roel")
    _wait_for_words(mark, "Key point from Roel")
    roel.wait_for_selector("[data-note-status][data-state=saved]", timeout=10000)

    _type_at_end(mark, "\nRecommendation from Mark")
    _wait_for_words(roel, "Key point from Roel", "Recommendation from Mark")

    # Mark sees who else is writing: Roel's name, in Roel's colour, and Roel's caret.
    mark.locator(f'[data-note-person="{roel_name}"]').wait_for(timeout=10000)
    mark.locator(".cm-ySelectionInfo", has_text=roel_name).wait_for(timeout=10000)
    wait_for(lambda: note_text(roel) == note_text(mark))
    mark.wait_for_selector("[data-note-status][data-state=saved]", timeout=10000)
    assert server_markdown(live_server, topic) == note_text(roel)


def test_text_typed_offline_is_kept_and_merged_when_back_online(live_server, phone, topic):
    roel, mark = phone(), phone()
    log_in(roel, live_server.url, "roel@example.org")
    log_in(mark, live_server.url, "mark@example.org")
    for page in (roel, mark):
        open_note(page, live_server, topic)

    mark.context.set_offline(True)
    mark.wait_for_selector("[data-note-status][data-state=offline]", timeout=60000)
    assert "your text is kept on this device" in mark.locator("[data-note-status]").inner_text()
    _type_at_end(mark, "\nWritten by Mark on the train")
    _type_at_end(roel, "\nWritten by Roel meanwhile")
    roel.wait_for_selector("[data-note-status][data-state=saved]", timeout=10000)
    assert "Written by Roel meanwhile" not in note_text(mark)
    assert "Written by Mark on the train" not in server_markdown(live_server, topic)

    mark.context.set_offline(False)
    for page in (roel, mark):
        _wait_for_words(page, "Written by Mark on the train", "Written by Roel meanwhile",
                        timeout=20000)
    mark.wait_for_selector("[data-note-status][data-state=saved]", timeout=10000)
    wait_for(lambda: note_text(roel) == note_text(mark))
    wait_for(lambda: server_markdown(live_server, topic) == note_text(mark))


def test_a_reload_while_offline_keeps_the_text_on_the_phone(live_server, phone, topic):
    mark = phone()
    log_in(mark, live_server.url, "mark@example.org")
    open_note(mark, live_server, topic)

    # The venue wifi lets pages load but nothing through the socket (a blocked WebSocket stays
    # silent, like a dead access point): the page reloads, the note can't sync.
    blocked = {"socket": True}
    mark.context.route_web_socket(
        SOCKET, lambda ws: None if blocked["socket"] else ws.connect_to_server())
    mark.context.route(
        SOCKET, lambda route: route.abort() if blocked["socket"] else route.continue_())
    mark.context.set_offline(True)
    mark.wait_for_selector("[data-note-status][data-state=offline]", timeout=60000)
    _type_at_end(mark, "\nTyped offline, then the phone reloaded")
    mark.wait_for_function(
        "async (w) => (await window.openspaceNotes.storedText()).includes(w)",
        arg="Typed offline, then the phone reloaded", timeout=5000)

    mark.context.set_offline(False)
    mark.reload()
    scroll_to_notes(mark)
    _wait_for_words(mark, "Typed offline, then the phone reloaded", timeout=5000)
    mark.wait_for_selector("[data-note-status][data-state=offline]", timeout=20000)
    assert "Typed offline" not in server_markdown(live_server, topic)

    blocked["socket"] = False
    mark.wait_for_selector("[data-note-status][data-state=saved]", timeout=30000)
    wait_for(lambda: "Typed offline, then the phone reloaded" in server_markdown(live_server,
                                                                                  topic))


def test_a_visitor_reads_along_but_cannot_write(live_server, phone, topic):
    roel = phone()
    log_in(roel, live_server.url, "roel@example.org")
    roel_name = roel.locator(".topbar .who .who-name").text_content().strip()
    open_note(roel, live_server, topic)
    visitor = phone()  # not logged in: the demo event is public
    hosts = set()
    visitor.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    open_note(visitor, live_server, topic, state="live")
    assert hosts == {f"127.0.0.1:{live_server.port}"}  # the editor comes from static/, no CDN

    editor = visitor.locator("[data-note-editor] .cm-content")
    assert editor.get_attribute("contenteditable") == "false"
    _type_at_end(roel, "\nRead along by a visitor")
    _wait_for_words(visitor, "Read along by a visitor")
    visitor.locator(f'[data-note-person="{roel_name}"]').wait_for(timeout=10000)
    assert visitor.locator("#notes").get_by_role("link", name="Join the event").is_visible()


def test_the_editor_takes_typing_before_its_markdown_has_loaded(live_server, browser, topic):
    # The Markdown language is a chunk loaded after the editor is up (venue wifi): held back
    # here, so what is typed meanwhile must stay, in order, and lists continue once it is in.
    # (No service worker, which would answer from its cache before the route saw the request.)
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True, service_workers="block")
    held = []
    try:
        page = context.new_page()
        log_in(page, live_server.url, "roel@example.org")
        page.route(re.compile(r".*/static/js/chunks/note-markdown-\w+\.js$"),
                   lambda route: held.append(route))
        open_note(page, live_server, topic)
        wait_for(lambda: len(held) == 1)

        _type_at_end(page, "Typed before the Markdown came\n- first")
        assert page.locator("[data-note-editor] .cm-line span").count() == 0  # plain text
        held[0].continue_()
        page.locator("[data-note-editor] .cm-line span", has_text="-").first.wait_for(
            timeout=10000)
        page.keyboard.press("Enter")
        page.keyboard.type("second")

        wait_for(lambda: note_text(page).endswith(
            "Typed before the Markdown came\n- first\n- second"))
        wait_for(lambda: server_markdown(live_server, topic) == note_text(page), timeout=15)
    finally:
        context.close()


def test_a_socket_client_that_did_not_load_is_fetched_again(live_server, browser, topic):
    # The Socket.IO client comes after the editor is up: a link that drops just then loses it;
    # the editor keeps what is typed and syncs once the client has been fetched again.
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True, service_workers="block")
    failed = []

    def first_fails(route):
        if failed:
            route.continue_()
        else:
            failed.append(route.request.url)
            route.abort()

    try:
        page = context.new_page()
        log_in(page, live_server.url, "roel@example.org")
        page.route(re.compile(r".*/static/js/chunks/note-connection-\w+\.js$"), first_fails)
        page.goto(f"{live_server.url}/t/{topic['id']}")
        scroll_to_notes(page)
        page.wait_for_selector("[data-note-status][data-state=offline]", timeout=10000)
        assert failed
        _type_at_end(page, "\nTyped before the client came")
        page.wait_for_selector("[data-note-status][data-state=saved]", timeout=20000)
        wait_for(lambda: "Typed before the client came" in server_markdown(live_server, topic),
                 timeout=15)
    finally:
        context.close()


def test_the_editor_starts_when_the_notes_come_near_not_with_the_page_and_offline_too(
        live_server, phone, topic):
    """On a phone the notes are screens below the top of the topic page: the editor is fetched
    with the page (prefetched, not run) and started only when they come near the screen, so
    its set-up does not hold the page at load (issue 12), and it starts offline too."""
    page = phone()
    log_in(page, live_server.url, "roel@example.org")
    page.goto(f"{live_server.url}/t/{topic['id']}")
    page.wait_for_load_state("networkidle")

    assert page.evaluate("window.openspaceNotes === undefined")
    assert page.locator("[data-note-editor] .cm-editor").count() == 0
    assert page.locator("[data-note-status]").inner_text() == "Loading…"

    page.context.set_offline(True)
    scroll_to_notes(page)
    page.wait_for_selector("[data-note-status][data-state=offline]", timeout=15000)
    _type_at_end(page, "\nWritten where the editor had never run")
    page.wait_for_function(
        "async (w) => (await window.openspaceNotes.storedText()).includes(w)",
        arg="Written where the editor had never run", timeout=5000)

    page.context.set_offline(False)
    page.wait_for_selector("[data-note-status][data-state=saved]", timeout=30000)
    wait_for(lambda: "Written where the editor had never run" in server_markdown(
        live_server, topic), timeout=15)

"""The budget of bytes written into notes (issue 11, 2) in a real browser: an edit the server
refuses as `rate_limited` stays on the phone (in the editor and in IndexedDB), the page says so,
typing on does not hide it, and once the budget has refilled it is saved whole."""

from __future__ import annotations

from tests.browser.conftest import NOTES_SLUG, log_in, note_text, open_note, server_markdown
from tests.live import wait_for
from tests.notes.conftest import Editor
from tests.notes.peers import LiveLink


def _spend_the_budget(server, token: str) -> None:
    """Roel, from a script on another topic, pastes a long report over its note again and
    again until the server refuses: his budget (all notes together) is spent."""
    response = server.api("POST", f"/events/{NOTES_SLUG}/topics", token,
                          json={"title": "Pasted over and over"})
    assert response.status_code == 201, response.text
    topic_id = response.json()["id"]
    link = LiveLink(server.url, token)
    try:
        editor = Editor()
        joined = link.call("note:join", {"topic_id": topic_id,
                                         "state_vector": editor.doc.get_state()})
        editor.apply(joined["update"])
        for take in range(50):
            del editor.text[0:len(str(editor.text).encode())]
            editor.text.insert(0, "".join(f"- take {take} line {n:05d}\n"
                                          for n in range(3_000)))
            ack = link.call("note:update", {"topic_id": topic_id, "update": editor.take()})
            if not ack["ok"]:
                assert ack["error"]["code"] == "rate_limited", ack
                return
        raise AssertionError("the budget was never spent")
    finally:
        link.close()


def test_an_edit_refused_by_the_budget_is_kept_and_saved_once_it_refills(live_server, phone,
                                                                        topic):
    roel = phone()
    log_in(roel, live_server.url, "roel@example.org")
    open_note(roel, live_server, topic)
    before = server_markdown(live_server, topic)
    _spend_the_budget(live_server, live_server.token("roel@example.org"))

    editor = roel.locator("[data-note-editor] .cm-content")
    editor.tap()
    roel.keyboard.press("Control+End")
    roel.keyboard.type("\nWritten over budget")

    status = roel.locator("[data-note-status]")
    roel.wait_for_selector("[data-note-status][data-state=error]", timeout=20000)
    assert "Too much written into notes" in status.text_content()
    assert "kept on this device" in status.text_content()
    assert server_markdown(live_server, topic) == before
    # Typing on while the retry waits: the page still says why nothing is saved.
    roel.keyboard.type(", and more")
    roel.wait_for_function("() => window.openspaceNotes.view.state.doc.toString()"
                           ".endsWith('over budget, and more')")
    assert status.get_attribute("data-state") == "error"
    wait_for(lambda: "Written over budget, and more" in roel.evaluate(
        "window.openspaceNotes.storedText()"), timeout=10)
    assert server_markdown(live_server, topic) == before

    # The budget refills (the wait is at most one update's size over its rate, ~32 s).
    roel.wait_for_selector("[data-note-status][data-state=saved]", timeout=90000)
    assert server_markdown(live_server, topic) == note_text(roel)
    assert server_markdown(live_server, topic).endswith("\nWritten over budget, and more")

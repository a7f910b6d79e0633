"""Big changes to a shared note in a real browser: a 64 KiB paste, and a change three times the
server's limit on one update made offline, are saved whole and reach the other phone (the
editor sends them cut into updates the server accepts)."""

from __future__ import annotations

from tests.browser.conftest import log_in, note_text, open_note, server_markdown
from tests.live import wait_for

MAX_UPDATE = 64 * 1024  # openspace.domain.notes.MAX_UPDATE


def _minutes(size: int) -> str:
    """About `size` bytes of UTF-8 meeting minutes, with accents, an ellipsis and emoji (two
    UTF-16 units each), so pieces are cut between characters of every width."""
    lines, total, n = [], 0, 0
    while total < size:
        n += 1
        line = f"- Point {n:05d}: café owners agreed… next step 🚀 owner @roel\n"
        lines.append(line)
        total += len(line.encode())
    return "".join(lines)


def _paste(page, text: str) -> None:
    """A real paste event with the text on the clipboard, at the end of the note."""
    page.locator("[data-note-editor] .cm-content").tap()
    page.keyboard.press("Control+End")
    page.evaluate("""(text) => {
        const data = new DataTransfer();
        data.setData("text/plain", text);
        document.querySelector("[data-note-editor] .cm-content").dispatchEvent(
            new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
    }""", text)


def _count_big_updates(page) -> None:
    """Count, in the page, the note:update messages larger than the server's limit."""
    page.evaluate("""(limit) => {
        const socket = window.openspaceNotes.socket;
        const emit = socket.emit.bind(socket);
        window.bigUpdates = 0;
        socket.emit = (name, data, ...rest) => {
            if (name === "note:update" && data.update.length > limit) window.bigUpdates += 1;
            return emit(name, data, ...rest);
        };
    }""", MAX_UPDATE)


def test_a_64_kib_paste_is_saved_whole_and_reaches_the_other_phone(live_server, phone, topic):
    roel, mark = phone(), phone()
    log_in(roel, live_server.url, "roel@example.org")
    log_in(mark, live_server.url, "mark@example.org")
    for page in (roel, mark):
        open_note(page, live_server, topic)
    _count_big_updates(roel)
    minutes = _minutes(MAX_UPDATE)

    _paste(roel, minutes)

    roel.wait_for_function("(w) => window.openspaceNotes.view.state.doc.toString().endsWith(w)",
                           arg=minutes, timeout=10000)
    roel.wait_for_selector("[data-note-status][data-state=saved]", timeout=30000)
    wait_for(lambda: server_markdown(live_server, topic) == note_text(roel), timeout=30)
    assert server_markdown(live_server, topic).endswith(minutes)
    mark.wait_for_function("(w) => window.openspaceNotes.view.state.doc.toString().endsWith(w)",
                           arg=minutes, timeout=30000)
    assert note_text(mark) == note_text(roel)
    assert roel.evaluate("window.bigUpdates") == 0
    # The caret is after the pasted text, so typing goes on from there.
    roel.keyboard.type("\nAfter the paste")
    wait_for(lambda: server_markdown(live_server, topic).endswith(minutes + "\nAfter the paste"),
             timeout=30)


def test_a_change_larger_than_the_limit_made_offline_is_saved_in_pieces(live_server, phone,
                                                                         topic):
    roel, mark = phone(), phone()
    log_in(roel, live_server.url, "roel@example.org")
    log_in(mark, live_server.url, "mark@example.org")
    for page in (roel, mark):
        open_note(page, live_server, topic)
    _count_big_updates(roel)
    minutes = _minutes(3 * MAX_UPDATE)

    roel.context.set_offline(True)
    roel.wait_for_selector("[data-note-status][data-state=offline]", timeout=60000)
    # One Yjs transaction three times the server's limit (as undoing the deletion of a long
    # text makes), then a few words more; the reconnect sends all of it at once.
    roel.evaluate("""(text) => {
        const { doc, text: shared } = window.openspaceNotes;
        doc.transact(() => shared.insert(shared.length, text));
    }""", minutes)
    roel.locator("[data-note-editor] .cm-content").tap()
    roel.keyboard.press("Control+End")
    roel.keyboard.type("\nTyped offline after it")
    roel.context.set_offline(False)

    roel.wait_for_selector("[data-note-status][data-state=saved]", timeout=60000)
    wait_for(lambda: server_markdown(live_server, topic) == note_text(roel), timeout=30)
    assert server_markdown(live_server, topic).endswith(minutes + "\nTyped offline after it")
    mark.wait_for_function("(t) => window.openspaceNotes.view.state.doc.toString() === t",
                           arg=note_text(roel), timeout=30000)
    assert roel.evaluate("window.bigUpdates") == 0

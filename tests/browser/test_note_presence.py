"""Other people's presence in a note, shown safely whatever arrives (issue 11, item 8): a state
relayed with CSS in its colour or a very long name (the server refuses those; this is the
browser's own layer) gives a caret and a name tag in one of our colours, never the CSS."""

from __future__ import annotations

from tests.browser.conftest import log_in, open_note

HOSTILE = {
    "user": {"name": "Mallory " + "x" * 300,
             "color": "red; position: fixed; inset: 0; z-index: 99",
             "colorLight": "#fff; position: fixed; inset: 0"},
    # The start of the note's text, as Y.relativePositionToJSON writes it.
    "cursor": {"anchor": {"type": None, "tname": "markdown", "item": None, "assoc": -1},
               "head": {"type": None, "tname": "markdown", "item": None, "assoc": -1}},
}

# Hands an awareness update to the page as if the server had relayed it: y-protocols' encoding
# (count, then client id, clock and the JSON state, as LEB128 numbers and a length-prefixed
# string), through the note socket's own listener.
RELAY = """([topicId, state]) => {
  const out = [];
  const uint = (n) => { while (n > 127) { out.push((n & 127) | 128); n = Math.floor(n / 128); }
    out.push(n); };
  const text = new TextEncoder().encode(JSON.stringify(state));
  uint(1); uint(987654); uint(1); uint(text.length); out.push(...text);
  const listener = window.openspaceNotes.socket.listeners("note:awareness")[0];
  listener({ topic_id: topicId, update: new Uint8Array(out).buffer });
}"""


def test_a_relayed_presence_with_css_in_its_colour_is_shown_in_a_colour_of_ours(
        live_server, phone, topic):
    page = phone()
    log_in(page, live_server.url, "roel@example.org")
    open_note(page, live_server, topic)

    page.evaluate(RELAY, [topic["id"], HOSTILE])

    caret = page.locator(".cm-ySelectionCaret").first
    caret.wait_for(timeout=10000)
    style = caret.get_attribute("style")
    assert "position" not in style and "red" not in style, style
    assert page.evaluate("getComputedStyle(document.querySelector('.cm-ySelectionCaret'))"
                         ".position") != "fixed"
    tag = page.locator(".note-person").first
    assert tag.inner_text() == ("Mallory " + "x" * 300)[:80]
    assert "position" not in (tag.get_attribute("style") or "")
    # Nothing covers the page: the editor is still what a tap in its middle reaches.
    assert page.evaluate("""() => {
      const content = document.querySelector('[data-note-editor] .cm-content');
      content.scrollIntoView({ block: 'center' });
      const box = content.getBoundingClientRect();
      const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      return Boolean(hit && hit.closest('[data-note-editor]'));
    }""")

"""The budget of bytes written into notes (issue 11, 2) against a real `openspace serve` with a
real python-socketio client: typing and one long paste pass; pasting a long text over the note
again and again is refused once the budget is spent, with the note left as it was."""

from __future__ import annotations

import time

import requests

from openspace.domain.ratelimit import LIMITS
from tests.notes.conftest import Editor
from tests.notes.peers import LiveLink

SLUG = "drupal-cxo-brussels"


def _markdown(server, topic_id: int) -> str:
    response = requests.get(f"{server.url}/api/v1/topics/{topic_id}/notes", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["markdown"]


def _append(editor: Editor, words: str) -> bytes:
    editor.text.insert(len(str(editor.text).encode()), words)  # pycrdt offsets are UTF-8 bytes
    return editor.take()


def _rewrite(editor: Editor, text: str) -> bytes:
    del editor.text[0:len(str(editor.text).encode())]
    editor.text.insert(0, text)
    return editor.take()


def test_the_n_plus_first_large_write_is_refused_and_the_note_stays(live_server):
    token = live_server.token("roel@example.org")
    response = live_server.api("POST", f"/events/{SLUG}/topics", token,
                               json={"title": "Budget of note writes"})
    assert response.status_code == 201, response.text
    topic_id = response.json()["id"]
    link = LiveLink(live_server.url, token)
    try:
        editor = Editor()
        joined = link.call("note:join", {"topic_id": topic_id,
                                         "state_vector": editor.doc.get_state()})
        assert joined["ok"] is True, joined
        editor.apply(joined["update"])
        started = time.monotonic()
        spent = 0
        for n in range(40):  # typing
            update = _append(editor, f"word {n} ")
            assert link.call("note:update", {"topic_id": topic_id, "update": update}) == {
                "ok": True}
            spent += len(update)
        report = "".join(f"- finding {n:05d}: agreed, owner @roel\n" for n in range(1_500))
        update = _append(editor, report)  # one paste of a ~60 KB report
        assert link.call("note:update", {"topic_id": topic_id, "update": update}) == {"ok": True}
        spent += len(update)
        assert _markdown(live_server, topic_id) == str(editor)

        accepted = 0
        while True:  # the report pasted over the whole note, again and again
            before = _markdown(live_server, topic_id)
            update = _rewrite(editor, report.replace("finding", f"take {accepted}"))
            ack = link.call("note:update", {"topic_id": topic_id, "update": update})
            if not ack["ok"]:
                break
            accepted += 1
            spent += len(update)
            assert accepted < 50
        elapsed = time.monotonic() - started

        limit = LIMITS["note_bytes"]
        # What was taken is the burst and what refilled meanwhile, plus the one that overdrew.
        assert spent - len(update) < limit.burst + limit.rate * elapsed
        assert accepted >= 2
        assert ack["error"]["code"] == "rate_limited", ack
        assert ack["error"]["retry_after"] > 0
        assert _markdown(live_server, topic_id) == before  # the note untouched
        assert f"take {accepted - 1}" in before and f"take {accepted}" not in before
    finally:
        link.close()

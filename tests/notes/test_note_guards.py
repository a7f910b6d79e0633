"""What the server refuses to store or relay in a note (issue 11: 2, 5, 8, A, B, C, 14), through
real Socket.IO test clients, with hostile updates built by pycrdt and by Node's yjs."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from pycrdt import Array, Awareness, Doc, Map, Text, XmlFragment, XmlText

from openspace.domain import board, notes, ratelimit
from openspace.extensions import db, socketio
from openspace.models import Note, Topic, User
from openspace.realtime import note_relay
from tests.notes.conftest import Editor, stored

ROOT = Path(__file__).resolve().parent.parent.parent
HOSTILE = Path(__file__).with_name("hostile_updates.mjs")


def _join(client, topic_id: int, editor: Editor | None = None) -> dict:
    editor = editor or Editor()
    ack = client.emit("note:join", {"topic_id": topic_id, "state_vector": editor.doc.get_state()},
                      callback=True)
    if ack["ok"]:
        editor.apply(ack["update"])
    return ack


def _relayed(client, name: str = "note:update") -> list[dict]:
    """What the client received, once the note relay sent what it holds back (its window)."""
    while not note_relay.idle:
        socketio.sleep(0.01)
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def _typed(editor: Editor, words: str) -> bytes:
    editor.text.insert(len(editor.text), words)
    return editor.take()


def _send(client, topic_id: int, update: bytes) -> dict:
    return client.emit("note:update", {"topic_id": topic_id, "update": update}, callback=True)


def _node_updates(state: bytes) -> dict[str, bytes]:
    """tests/notes/hostile_updates.mjs: updates built by yjs on top of the note's state."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "yjs" / "package.json").is_file():
        pytest.skip("node and node_modules/yjs (npm ci) are needed to build yjs updates")
    done = subprocess.run([node, str(HOSTILE)], input=base64.b64encode(state), cwd=ROOT,
                          capture_output=True, check=True, timeout=60)
    return {name: base64.b64decode(value) for name, value in json.loads(done.stdout).items()}


def _pycrdt_updates(state: bytes) -> dict[str, bytes]:
    """The same kinds of content, built by pycrdt (another independent Yjs implementation)."""
    out = {}

    def edit(name, change):
        doc = Doc()
        doc.apply_update(state)
        before = doc.get_state()
        change(doc)
        out[name] = doc.get_update(before)

    edit("pycrdt_embed", lambda d: d.get("markdown", type=Text).insert_embed(0, {"img": 1}))
    edit("pycrdt_formatted", lambda d: d.get("markdown", type=Text).insert(
        0, "bold", attrs={"bold": True}))
    edit("pycrdt_nested_map", lambda d: d.get("markdown", type=Text).insert_embed(0, Map()))
    edit("pycrdt_other_map", lambda d: d.get("other", type=Map).update({"k": "v"}))
    edit("pycrdt_fragment", lambda d: d.get("fragment", type=XmlFragment).children.append(
        XmlText("x")))
    fresh = Doc()
    fresh.get("markdown", type=Array).extend([1, 2, 3])  # Y.Array items in the note's root
    out["pycrdt_array_items"] = fresh.get_update()
    sub = Doc()
    sub.get("other", type=Map)["sub"] = Doc()  # a subdocument
    out["pycrdt_subdocument"] = sub.get_update()
    return out


@pytest.fixture
def joined(app, world, sock):
    """Alice and Bob in the note, the note created by Alice's join; Alice's editor."""
    alice, bob = sock(world.alice), sock(world.bob)
    editor = Editor()
    assert _join(alice, world.topic_id, editor)["ok"] is True
    assert _join(bob, world.topic_id)["ok"] is True
    return alice, bob, editor


# A and B: only plain text in the one `markdown` root, only exactly one v1 update ---------------

def test_updates_that_put_anything_but_plain_text_into_the_note_are_refused(app, world, joined):
    alice, bob, editor = joined
    state = editor.doc.get_update()
    hostile = {**_node_updates(state), **_pycrdt_updates(state)}
    plain = hostile.pop("plain")
    before = stored(app, world.topic_id)
    assert len(hostile) == 21

    refused = {name: _send(alice, world.topic_id, update) for name, update in hostile.items()}

    assert {name: ack["ok"] for name, ack in refused.items()} == dict.fromkeys(hostile, False)
    assert {ack["error"]["code"] for ack in refused.values()} == {"invalid"}
    assert refused["xml_element"]["error"]["fields"]["update"].startswith("puts a shared type")
    assert refused["array_items"]["error"]["fields"]["update"] == (
        "puts Y.Array items or Y.Map values into the note")
    assert refused["other_map"]["error"]["fields"]["update"] == (
        "writes to a root other than the note's text")
    assert refused["text_attribute"]["error"]["fields"]["update"] == (
        "sets an attribute of the note's text")
    assert "v2" in refused["v2"]["error"]["fields"]["update"]
    assert "bytes follow its end" in refused["trailing"]["error"]["fields"]["update"]
    assert stored(app, world.topic_id) == before
    assert _relayed(bob) == []
    # Text still works, and the server's copy is the text (nothing of the refused ones in it).
    assert _send(alice, world.topic_id, plain) == {"ok": True}
    assert stored(app, world.topic_id)[0][2] == str(editor) + "Plain words.\n"
    fresh = Doc()
    with app.app_context():
        fresh.apply_update(notes.note_state(db.session.get(Topic, world.topic_id)))
    assert list(fresh.keys()) == ["markdown"]
    assert fresh.get("markdown", type=Text).diff() == [(str(editor) + "Plain words.\n", None)]


def test_a_refused_update_in_a_batch_spoils_none_of_the_others(app, world, joined):
    alice, _bob, editor = joined
    embed = _pycrdt_updates(editor.doc.get_update())["pycrdt_embed"]
    editor.text.insert(len(editor.text), "Kept.\n")
    good = editor.take()
    assert _send(alice, world.topic_id, embed)["error"]["code"] == "invalid"
    assert _send(alice, world.topic_id, good) == {"ok": True}
    assert stored(app, world.topic_id)[0][2] == str(editor)


# 2: a size limit on every write path, rates on updates and joins ---------------------------------

def test_a_note_stops_growing_at_its_size_limit_and_can_still_shrink(app, world, joined,
                                                                     monkeypatch):
    monkeypatch.setattr(notes, "MAX_NOTE_CHARS", 2_000)
    alice, bob, editor = joined
    room = notes.MAX_NOTE_CHARS - len(str(editor))
    editor.text.insert(len(editor.text), "a" * room)  # exactly at the limit: accepted
    assert _send(alice, world.topic_id, editor.take()) == {"ok": True}
    _relayed(bob)
    before = stored(app, world.topic_id)

    editor.text.insert(0, "é")
    ack = _send(alice, world.topic_id, editor.take())

    assert ack["ok"] is False and ack["error"]["code"] == "too_large"
    assert ack["error"]["fields"] == {"update": "makes the note too long"}
    assert "2,000" in ack["error"]["message"]
    assert stored(app, world.topic_id) == before
    assert _relayed(bob) == []
    # Deleting is always possible (the refused "é" is still in the editor: delete past it).
    del editor.text[0:11]
    assert _send(alice, world.topic_id, editor.take())["ok"] is False  # builds on the "é"
    fresh = Editor()
    _join(alice, world.topic_id, fresh)
    del fresh.text[0:10]
    assert _send(alice, world.topic_id, fresh.take()) == {"ok": True}
    assert len(stored(app, world.topic_id)[0][2]) == notes.MAX_NOTE_CHARS - 10


def test_a_note_already_past_the_limit_may_shrink_but_not_grow(app, world, joined, monkeypatch):
    alice, _bob, editor = joined
    editor.text.insert(len(editor.text), "b" * 1_000)
    assert _send(alice, world.topic_id, editor.take()) == {"ok": True}
    monkeypatch.setattr(notes, "MAX_NOTE_CHARS", 500)  # the limit came after the note
    editor.text.insert(0, "more")
    assert _send(alice, world.topic_id, editor.take())["error"]["code"] == "too_large"
    fresh = Editor()
    _join(alice, world.topic_id, fresh)
    del fresh.text[0:100]
    assert _send(alice, world.topic_id, fresh.take()) == {"ok": True}


def test_import_refuses_a_note_past_the_limit_and_a_state_that_is_not_plain_text():
    from openspace.domain import backup

    doc = Doc()
    doc.get("markdown", type=Text).insert(0, "fine")
    doc.get("other", type=Map)["hidden"] = "x"
    data = {"topics": [{"note": {"markdown": "fine", "updated_at": "2026-01-01T00:00:00Z",
                                 "crdt": {"data": base64.b64encode(doc.get_update()).decode()}},
                        "photos": []}]}
    problems = backup.Problems()
    backup._decode_blobs(data, problems)
    assert problems.found == {"$.topics[0].note.crdt.data":
                              "writes to a root other than the note's text"}


def test_note_updates_are_rate_limited_per_user(app, world, joined, monkeypatch):
    # Frozen: on a loaded machine the bucket would refill as fast as the loop spends it.
    limit = ratelimit.LIMITS["note"]
    monkeypatch.setitem(ratelimit.LIMITS, "note", ratelimit.Limit(rate=1e-6, burst=limit.burst))
    alice, _bob, editor = joined
    accepted = 0
    while (ack := _send(alice, world.topic_id, _typed(editor, "x")))["ok"] and accepted < 2_000:
        accepted += 1
    assert ack["error"]["code"] == "rate_limited"
    assert accepted >= ratelimit.LIMITS["note"].burst


def _rewrite(editor: Editor, text: str) -> bytes:
    """Replace the whole note with `text` (a paste over everything): ~len(text) bytes."""
    del editor.text[0:len(str(editor.text).encode())]
    editor.text.insert(0, text)
    return editor.take()


def test_a_flood_of_large_note_writes_is_refused_and_typing_and_a_paste_pass(
        app, world, joined, monkeypatch):
    # The budget does not refill during the test, so the counts are exact.
    limit = ratelimit.LIMITS["note_bytes"]
    monkeypatch.setitem(ratelimit.LIMITS, "note_bytes", ratelimit.Limit(rate=1e-6,
                                                                        burst=limit.burst))
    alice, bob, editor = joined
    spent = 0
    for n in range(60):  # typing, batch by batch
        update = _typed(editor, f"point {n}, ")
        assert _send(alice, world.topic_id, update) == {"ok": True}
        spent += len(update)
    paste = "".join(f"- line {n:05d} of a long report\n" for n in range(1_900))  # ~60 KB
    update = _typed(editor, paste)
    assert _send(alice, world.topic_id, update) == {"ok": True}
    spent += len(update)
    assert stored(app, world.topic_id)[0][2] == str(editor)
    bobs = Editor()
    _join(bob, world.topic_id, bobs)
    _relayed(bob)

    accepted = 0
    while True:  # the same report pasted over the whole note, again and again
        update = _rewrite(editor, paste.replace("line", f"take {accepted}"))
        before = stored(app, world.topic_id)
        ack = _send(alice, world.topic_id, update)
        if not ack["ok"]:
            break
        accepted += 1
        spent += len(update)
        assert accepted < 20

    # Taken while a byte of budget was left (the last one overdrew it), refused after.
    assert spent - len(update) < limit.burst <= spent
    assert accepted >= 3
    assert ack["error"]["code"] == "rate_limited"
    assert ack["error"]["retry_after"] > 0
    assert ack["error"]["message"].startswith("Too much written into notes")
    assert stored(app, world.topic_id) == before  # the note untouched
    for relayed in _relayed(bob):  # the refused one reached nobody
        bobs.apply(relayed["update"])
    assert str(bobs) == before[0][2] and f"take {accepted}" not in str(bobs)
    # Alice's typing waits for her budget too; Bob writes as before.
    assert _send(alice, world.topic_id, _typed(Editor(), "x"))["error"]["code"] == "rate_limited"
    assert _send(bob, world.topic_id, _typed(bobs, " Bob was here.")) == {"ok": True}


@pytest.mark.parametrize("who", ["alice", None])
def test_note_joins_are_rate_limited(app, world, sock, who):
    client = sock(getattr(world, who) if who else None)
    # The test client's connection has no address; anonymous joins are counted per address.
    client.socketio.server.environ[client.eio_sid]["REMOTE_ADDR"] = "192.0.2.7"
    bucket = "note_join" if who else "note_read"
    accepted = 0
    while (ack := client.emit("note:join", {"topic_id": world.topic_id}, callback=True))["ok"] \
            and accepted < 5_000:
        accepted += 1
    assert ack["error"]["code"] == "rate_limited"
    assert accepted >= ratelimit.LIMITS[bucket].burst


# 5: nesting bounded before parsing ---------------------------------------------------------------

def _nested(depth: int):
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_deeply_nested_socket_messages_and_awareness_states_are_invalid(app, world, joined):
    alice, bob, _editor = joined
    deep = {"topic_id": world.topic_id, "update": b"\x00", "extra": _nested(200)}
    for event in ("note:update", "note:awareness", "note:join", "board:propose"):
        ack = alice.emit(event, deep, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", event
        assert "nests deeper than 64 levels" in ack["error"]["message"]
    state = ("[" * 5_000 + "]" * 5_000).encode()
    update = b"\x01" + _varuint(77) + b"\x01" + _varuint(len(state)) + state
    ack = alice.emit("note:awareness", {"topic_id": world.topic_id, "update": update},
                     callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert _relayed(bob, "note:awareness") == []


def _varuint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def test_a_deeply_nested_json_body_is_400_not_500(app, client):
    for depth in (100, 20_000):
        body = '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'
        response = client.post("/api/v1/tokens", data=body, content_type="application/json")
        assert response.status_code == 400
        assert response.get_json()["error"] == {
            "code": "invalid", "message": "The request body nests deeper than 64 levels."}


def test_json_depth_counts_without_parsing():
    from openspace.domain.validation import InvalidJSON, json_depth, loads_json

    assert [json_depth(t) for t in ("1", "[]", '{"a": [1, {"b": "[[[["}]}', "[[[[", '"[{"',
                                    "[" * 20_000 + "]" * 20_000)] == [0, 1, 3, 4, 0, 20_000]
    assert loads_json("[" * 64 + "]" * 64) is not None
    with pytest.raises(InvalidJSON) as refused:
        loads_json("[" * 65 + "]" * 65)
    assert refused.value.too_deep is True
    with pytest.raises(InvalidJSON) as malformed:
        loads_json("[1,")
    assert malformed.value.too_deep is False


# 8 and C: awareness fields checked, client ids bound to their connection -------------------------

def _awareness(state, client_id: int | None = None) -> bytes:
    doc = Doc(client_id=client_id) if client_id else Doc()
    awareness = Awareness(doc)
    awareness.set_local_state(state)
    return awareness.encode_awareness_update([doc.client_id])


@pytest.mark.parametrize(("user", "problem"), [
    ({"name": "Alice", "color": "red;position:fixed;inset:0;z-index:9"},
     "user.color must be a colour written #rrggbb"),
    ({"name": "Alice", "color": "#1f5fbf", "colorLight": "#1f5fbf33; background:url(x)"},
     "user.colorLight must be a colour written #rrggbb or #rrggbbaa"),
    ({"name": "Alice", "color": 5}, "user.color must be a colour written #rrggbb"),
    ({"name": "Kristof", "color": "#1f5fbf"}, "user.name must be your own name"),
    ({"name": "A" * 81, "color": "#1f5fbf"}, "user.name must be text of 1 to 80 characters"),
    ({"name": ["Alice"], "color": "#1f5fbf"}, "user.name must be text of 1 to 80 characters"),
    ("Alice", "user must be an object"),
])
def test_awareness_with_a_bad_name_or_colour_is_invalid(app, world, joined, user, problem):
    alice, bob, _editor = joined
    ack = alice.emit("note:awareness", {"topic_id": world.topic_id,
                                        "update": _awareness({"user": user})}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert ack["error"]["fields"] == {"update": problem}
    assert _relayed(bob, "note:awareness") == []


def test_an_awareness_client_id_belongs_to_the_connection_that_used_it_first(app, world, sock,
                                                                            joined):
    alice, bob, _editor = joined
    kristof = sock(world.kristof)
    _join(kristof, world.topic_id)
    mine = _awareness({"user": {"name": "Alice", "color": "#1f5fbf"}}, client_id=4242)
    assert alice.emit("note:awareness", {"topic_id": world.topic_id, "update": mine},
                      callback=True) == {"ok": True}
    _relayed(bob, "note:awareness")

    # Kristof speaks for Alice's client id (here: says she left, so her caret disappears).
    hijack = _awareness(None, client_id=4242)
    ack = kristof.emit("note:awareness", {"topic_id": world.topic_id, "update": hijack},
                       callback=True)

    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    assert _relayed(bob, "note:awareness") == []
    # Alice's own second connection (a tab that reconnected) may take it over...
    again = sock(world.alice)
    _join(again, world.topic_id)
    assert again.emit("note:awareness", {"topic_id": world.topic_id, "update": mine},
                      callback=True) == {"ok": True}
    # ...and once Alice's connections are gone, the id is free.
    alice.disconnect()
    again.disconnect()
    assert kristof.emit("note:awareness", {"topic_id": world.topic_id, "update": hijack},
                        callback=True) == {"ok": True}


def test_one_connection_speaks_for_a_bounded_number_of_client_ids(app, world, joined):
    alice, _bob, _editor = joined
    user = {"name": "Alice", "color": "#1f5fbf"}
    acks = [alice.emit("note:awareness", {"topic_id": world.topic_id,
                                          "update": _awareness({"user": user}, client_id=n)},
                       callback=True) for n in range(1, notes.AWARENESS_CLAIMS_MAX + 2)]
    assert [ack["ok"] for ack in acks] == [True] * notes.AWARENESS_CLAIMS_MAX + [False]
    assert acks[-1]["error"]["fields"] == {"update": "speaks for too many client ids"}


# 14: a reader's join writes nothing; a withdrawn topic's note is read-only ----------------------

def test_an_anonymous_join_does_not_create_the_note(app, world, sock):
    reader = sock()
    ack = _join(reader, world.topic_id)
    assert ack["ok"] is True and ack["update"] == b"\x00\x00"
    assert stored(app, world.topic_id) == (None, [])
    assert _join(sock(world.olga), world.topic_id)["ok"] is True  # a non-member reads too
    assert stored(app, world.topic_id) == (None, [])
    # A member's join creates it.
    editor = Editor()
    assert _join(sock(world.bob), world.topic_id, editor)["ok"] is True
    assert stored(app, world.topic_id)[0][2] == str(editor) != ""


def test_a_withdrawn_topics_note_is_read_only(app, world, sock, joined):
    alice, bob, editor = joined
    with app.app_context():
        topic = db.session.get(Topic, world.topic_id)
        board.withdraw_topic(topic=topic, user=db.session.get(User, world.alice))
    before = stored(app, world.topic_id)
    editor.text.insert(len(editor.text), "After the withdrawal.")

    update = _send(alice, world.topic_id, editor.take())
    presence = alice.emit("note:awareness", {"topic_id": world.topic_id, "update": _awareness(
        {"user": {"name": "Alice", "color": "#1f5fbf"}})}, callback=True)
    organizer = sock(world.kristof)

    assert update["ok"] is False and update["error"]["code"] == "note_read_only"
    assert presence["error"]["code"] == "note_read_only"
    assert _join(organizer, world.topic_id)["ok"] is True  # still readable
    assert _send(organizer, world.topic_id, b"\x00\x00")["error"]["code"] == "note_read_only"
    assert stored(app, world.topic_id) == before
    assert _relayed(bob) == []


def test_a_withdrawn_topics_note_is_not_created_by_a_members_join(app, world, sock):
    with app.app_context():
        board.withdraw_topic(topic=db.session.get(Topic, world.topic_id),
                             user=db.session.get(User, world.alice))
    assert _join(sock(world.alice), world.topic_id)["ok"] is True
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == 0


def test_the_topic_page_offers_no_editor_for_a_withdrawn_topics_note(app, client, make_user,
                                                                     make_event, make_topic):
    from tests.conftest import login

    organizer = make_user("Kristof", "kristof@example.org")
    event = make_event(organizer)
    topic = make_topic(event, organizer)
    login(client, "kristof@example.org")
    assert b'data-editable="1"' in client.get(f"/t/{topic.id}").data
    with app.app_context():
        board.withdraw_topic(topic=db.session.get(Topic, topic.id),
                             user=db.session.get(User, organizer.id))
    page = client.get(f"/t/{topic.id}").data.decode()
    assert 'data-editable="0"' in page
    assert "its notes are kept as they were and can no longer be changed" in page


# 2: what is read from a note is computed once per version ---------------------------------------

def test_a_text_cache_keeps_results_within_its_budget_of_characters():
    from openspace.domain.render import TextCache

    calls = []
    cache = TextCache(lambda text: calls.append(text) or text.upper(), max_chars=1_000)
    assert cache("a" * 200) == "A" * 200
    assert cache("a" * 200) == "A" * 200
    assert calls == ["a" * 200]  # computed once
    cache("b" * 200)
    cache("a" * 200)  # used again: now the most recent
    cache("c" * 200)  # 3 x 400 > 1,000: the least recently used ("b") goes
    assert cache.chars <= 1_000
    cache("a" * 200)
    cache("b" * 200)
    assert calls == ["a" * 200, "b" * 200, "c" * 200, "b" * 200]
    cache("d" * 2_000)  # larger than the whole budget: computed, never kept
    assert cache.chars <= 1_000


def test_the_topic_page_news_and_actions_csv_render_a_note_version_once(app, world, joined):
    from openspace.domain import actions, summary
    from openspace.domain.render import render_note

    alice, _bob, editor = joined
    editor.text.insert(len(editor.text), "\n- [ ] Write the report @alice\n")
    assert _send(alice, world.topic_id, editor.take()) == {"ok": True}
    summary.forget_cached()
    with app.app_context():
        topic = db.session.get(Topic, world.topic_id)
        event = topic.event
        first = actions.topic_notes(topic=topic, user=None)
        kept = render_note.chars
        again = actions.topic_notes(topic=topic, user=None)
        assert again.html is first.html  # the same object: not rendered again
        assert render_note.chars == kept
        assert [i.text for i in actions.event_action_items(event)] == ["Write the report"]
        csv = actions.action_items_csv(event)
        assert "Write the report" in csv and actions._items_of.chars > 0

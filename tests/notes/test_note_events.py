"""The note:* Socket.IO events through Flask-SocketIO's test client (token-authenticated)."""

from __future__ import annotations

import random
import time

import pytest
from pycrdt import Awareness, Doc

from openspace.domain import accounts, ratelimit
from openspace.extensions import db, socketio
from openspace.models import Note, User
from tests.notes.conftest import Editor, fresh_text, stored
from tests.notes.peers import FlaskTestLink, Peer, close, converge


def _join(client, topic_id: int, editor: Editor | None = None) -> dict:
    editor = editor or Editor()
    ack = client.emit("note:join", {"topic_id": topic_id, "state_vector": editor.doc.get_state()},
                      callback=True)
    if ack["ok"]:
        editor.apply(ack["update"])
    return ack


def _relayed(client, name: str = "note:update") -> list[dict]:
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def _typed(editor: Editor, words: str) -> bytes:
    editor.text.insert(len(editor.text), words)
    return editor.take()


def test_join_acks_what_the_client_lacks_and_the_servers_state_vector(app, world, sock):
    editor = Editor()
    ack = _join(sock(world.alice), world.topic_id, editor)
    assert ack["ok"] is True
    assert isinstance(ack["update"], bytes) and isinstance(ack["state_vector"], bytes)
    assert str(editor).startswith("# Back-office tools\n\n## Convener\nAlice\n")
    # Joining again with everything already known: nothing is missing either way.
    again = sock(world.bob).emit("note:join", {"topic_id": world.topic_id,
                                              "state_vector": editor.doc.get_state()},
                                 callback=True)
    assert again["state_vector"] == ack["state_vector"]
    assert editor.doc.get_update(again["state_vector"]) == Doc().get_update()


def test_an_update_is_acked_then_relayed_to_the_others_but_not_the_sender(app, world, sock):
    alice, bob, projector, outsider = (sock(world.alice), sock(world.bob), sock(), sock(world.olga))
    editor = Editor()
    for client in (alice, bob, projector):
        _join(client, world.topic_id, editor if client is alice else None)
    update = _typed(editor, "Shops want one CRM.\n")

    ack = alice.emit("note:update", {"topic_id": world.topic_id, "update": update}, callback=True)

    assert ack == {"ok": True}
    expected = [{"topic_id": world.topic_id, "update": update}]
    assert _relayed(bob) == expected
    assert _relayed(projector) == expected
    assert _relayed(alice) == []
    assert _relayed(outsider) == []  # never joined the note
    assert stored(app, world.topic_id)[0][2] == str(editor)


def test_awareness_is_relayed_to_the_others_and_never_stored(app, world, sock):
    alice, bob = sock(world.alice), sock(world.bob)
    _join(alice, world.topic_id)
    _join(bob, world.topic_id)
    before = stored(app, world.topic_id)
    doc = Doc()
    awareness = Awareness(doc)
    awareness.set_local_state({"user": {"name": "Alice", "color": "#1f5fbf"}})
    update = awareness.encode_awareness_update([doc.client_id])

    ack = alice.emit("note:awareness", {"topic_id": world.topic_id, "update": update},
                     callback=True)

    assert ack == {"ok": True}
    assert _relayed(bob, "note:awareness") == [{"topic_id": world.topic_id, "update": update}]
    assert _relayed(alice, "note:awareness") == []
    assert stored(app, world.topic_id) == before
    big = alice.emit("note:awareness", {"topic_id": world.topic_id, "update": b"\x00" * 9000},
                     callback=True)
    assert big["ok"] is False and big["error"]["code"] == "invalid"


def test_viewers_read_a_public_note_but_only_members_write(app, world, sock):
    writer, projector, outsider = sock(world.alice), sock(), sock(world.olga)
    editor = Editor()
    _join(writer, world.topic_id, editor)
    assert _join(projector, world.topic_id)["ok"] is True
    assert _join(outsider, world.topic_id)["ok"] is True  # public event: anyone may read
    update = _typed(editor, "Only members write.")
    before = stored(app, world.topic_id)

    acks = {name: client.emit(event, {"topic_id": world.topic_id, "update": update},
                              callback=True)
            for name, client in (("projector", projector), ("outsider", outsider))
            for event in ("note:update",)}
    awareness = projector.emit("note:awareness", {"topic_id": world.topic_id,
                                                  "update": b"\x00"}, callback=True)

    assert acks["projector"]["error"]["code"] == "not_authenticated"
    assert acks["outsider"]["error"]["code"] == "forbidden"
    assert awareness["error"]["code"] == "not_authenticated"
    assert stored(app, world.topic_id) == before
    assert _relayed(writer) == []


def test_a_private_events_note_is_not_found_for_non_members(app, world, sock):
    outsider, pia = sock(world.olga), sock(world.pia)
    refused = _join(outsider, world.private_topic_id)
    assert refused["ok"] is False and refused["error"]["code"] == "not_found"
    assert _join(sock(), world.private_topic_id)["error"]["code"] == "not_found"
    editor = Editor()
    assert _join(pia, world.private_topic_id, editor)["ok"] is True

    ack = pia.emit("note:update", {"topic_id": world.private_topic_id,
                                   "update": _typed(editor, "Secret.")}, callback=True)
    assert ack == {"ok": True}
    assert _relayed(outsider) == []  # the refused join did not leave it in the room


def test_leaving_stops_the_relay(app, world, sock):
    alice, bob = sock(world.alice), sock(world.bob)
    editor = Editor()
    _join(alice, world.topic_id, editor)
    _join(bob, world.topic_id)
    assert bob.emit("note:leave", {"topic_id": world.topic_id}, callback=True) == {"ok": True}
    alice.emit("note:update", {"topic_id": world.topic_id, "update": _typed(editor, "x")},
               callback=True)
    assert _relayed(bob) == []
    assert bob.emit("note:leave", {"topic_id": "1"}, callback=True)["error"]["code"] == "invalid"


@pytest.mark.parametrize("data", [
    None, "text", [], {"update": b"x"},
    {"topic_id": "1", "update": b"\x00\x00"},
    {"topic_id": 10_000, "update": b"\x00\x00"},
    {"topic_id": "TOPIC"},
    {"topic_id": "TOPIC", "update": "not bytes"},
    {"topic_id": "TOPIC", "update": b"garbage that is no update"},
    {"topic_id": "TOPIC", "update": b"\x01" * (64 * 1024 + 1)},
], ids=["none", "text", "list", "no-topic", "string-id", "unknown-topic", "no-update",
        "str-update", "garbage", "oversized"])
def test_malformed_update_messages_get_an_error_ack_and_change_nothing(app, world, sock, data):
    alice, bob = sock(world.alice), sock(world.bob)
    _join(alice, world.topic_id)
    _join(bob, world.topic_id)
    if isinstance(data, dict) and data.get("topic_id") == "TOPIC":
        data = {**data, "topic_id": world.topic_id}
    before = stored(app, world.topic_id)

    ack = alice.emit("note:update", data, callback=True)

    assert ack["ok"] is False
    assert ack["error"]["code"] in ("invalid", "not_found")
    assert stored(app, world.topic_id) == before
    assert _relayed(bob) == []


def _drain(user_id: int, action: str) -> None:
    """Spend a user's whole bucket, stamped a few seconds ahead so it stays empty meanwhile
    however slowly this machine runs the next steps."""
    later = time.monotonic() + 5
    for _ in range(ratelimit.LIMITS[action].burst):
        ratelimit.hit(f"user:{user_id}", action, now=later)


def test_notes_have_their_own_rate_limit_bucket(app, world, sock):
    alice = sock(world.alice)
    editor = Editor()
    _join(alice, world.topic_id, editor)
    _drain(world.alice, "note")

    limited = alice.emit("note:update", {"topic_id": world.topic_id,
                                         "update": _typed(editor, "fast typist")}, callback=True)
    board = alice.emit("board:propose", {"slug": world.slug, "topic": {"title": "Still ok"}},
                       callback=True)

    assert limited["ok"] is False and limited["error"]["code"] == "rate_limited"
    assert limited["error"]["retry_after"] > 0
    assert board["ok"] is True  # typing notes does not eat the board's bucket
    ratelimit.reset()
    _drain(world.alice, "board")
    again = alice.emit("note:update", {"topic_id": world.topic_id,
                                       "update": editor.doc.get_update()}, callback=True)
    assert again == {"ok": True}


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.database
def test_concurrent_editors_with_offline_spells_converge(app, world, seed):
    tokens = {}
    with app.app_context():
        for user_id in (world.alice, world.bob, world.kristof):
            tokens[user_id] = accounts.create_token(user=db.session.get(User, user_id))
    owners = [world.alice, world.bob, world.kristof, world.alice]  # Alice in two tabs
    peers = [Peer(f"peer{i}", world.topic_id,
                  lambda user_id=user_id: FlaskTestLink(app, tokens[user_id]))
             for i, user_id in enumerate(owners)]
    rng = random.Random(seed)
    try:
        converge(peers, rng, steps=600)
    finally:
        close(peers)

    texts = {str(peer.editor) for peer in peers}
    markdown = stored(app, world.topic_id)[0][2]
    fresh = FlaskTestLink(app, tokens[world.bob]).call(
        "note:join", {"topic_id": world.topic_id, "state_vector": Doc().get_state()})
    assert texts == {markdown} == {fresh_text(fresh["update"])}
    assert len(markdown) > 200
    # Relays were part of it, for every peer. (Counted in relayed messages, which the relay
    # merges per window: the faster the server, the fewer; not a count to hold it to.)
    assert all(peer.delivered > 0 for peer in peers), [peer.delivered for peer in peers]
    with app.app_context():  # and a compaction, while peers were behind or offline
        assert db.session.get(Note, world.topic_id).snapshot_seq > 0


def test_updates_in_one_relay_window_go_out_as_one_merged_message(app, world, sock):
    from openspace.realtime import NoteRelay

    relay = NoteRelay(window=1.0)  # wide, so the three calls below surely share a window
    alice, bob = sock(world.alice), sock(world.bob)
    editor = Editor()
    for client in (alice, bob):
        _join(client, world.topic_id, editor if client is alice else None)
    before = str(editor)  # the note as stored (the relays below bypass the store)
    updates = [_typed(editor, f"Point {n}.\n") for n in range(3)]

    relay.relay(world.topic_id, updates[0], None)  # after a quiet spell: at once
    relay.relay(world.topic_id, updates[1], "sid-of-one-sender")
    relay.relay(world.topic_id, updates[2], "sid-of-another")
    first = {"topic_id": world.topic_id, "update": updates[0]}
    assert _relayed(alice) == _relayed(bob) == [first]
    assert not relay.idle  # the other two wait for the window to end

    later = {"alice": [], "bob": []}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (later["alice"] and later["bob"]):
        time.sleep(0.05)
        later["alice"] += _relayed(alice)
        later["bob"] += _relayed(bob)
    # The other two went out together, once, to everyone (their senders are not connected).
    assert len(later["bob"]) == 1 and later["alice"] == later["bob"]
    merged = later["bob"][0]["update"]
    assert merged not in updates
    reader = Editor()
    _join(sock(world.bob), world.topic_id, reader)
    assert str(reader) == before
    reader.apply(updates[0])
    reader.apply(merged)
    assert str(reader) == str(editor) != before
    while not relay.idle and time.monotonic() < deadline:  # its flush is finishing
        time.sleep(0.01)
    assert relay.idle


def test_a_merged_relay_gives_each_sender_only_what_the_others_wrote(app, world, sock):
    from pycrdt import merge_updates

    from openspace.realtime import NoteRelay

    relay = NoteRelay(window=1.0)
    alice, bob, reader = sock(world.alice), sock(world.bob), sock(world.kristof)
    editors = {name: Editor() for name in ("alice", "bob", "reader")}
    for client, name in ((alice, "alice"), (bob, "bob"), (reader, "reader")):
        _join(client, world.topic_id, editors[name])
    sid = {name: socketio.server.manager.sid_from_eio_sid(client.eio_sid, "/")
           for name, client in (("alice", alice), ("bob", bob))}
    opening = _typed(editors["reader"], "Agenda.\n")  # say, from the page: no sender
    by_alice = _typed(editors["alice"], "Alice's point.\n")
    by_bob = _typed(editors["bob"], "Bob's point.\n")

    relay.relay(world.topic_id, opening, None)  # at once, to all
    relay.relay(world.topic_id, by_alice, sid["alice"])
    relay.relay(world.topic_id, by_bob, sid["bob"])
    deadline = time.monotonic() + 30
    while not relay.idle and time.monotonic() < deadline:
        time.sleep(0.05)
    got = {name: [m["update"] for m in _relayed(client)]
           for name, client in (("alice", alice), ("bob", bob), ("reader", reader))}

    assert got["alice"] == [opening, by_bob]
    assert got["bob"] == [opening, by_alice]
    assert got["reader"] == [opening, merge_updates(by_alice, by_bob)]
    for name, updates in got.items():
        for update in updates:
            editors[name].apply(update)
    assert str(editors["alice"]) == str(editors["bob"]) == str(editors["reader"])

"""An update that builds on what the server's Doc has never seen is refused *before* it touches
the Doc (crdt.builds_on_unknown), so the cached Doc stays and nothing is reloaded; the check
must agree with what Yjs itself keeps pending, on every order updates can arrive in."""

from __future__ import annotations

import random
import time

from pycrdt import Doc, Text

from openspace.domain import crdt, notes
from openspace.domain.errors import Conflict
from tests.notes.conftest import Editor, topic
from tests.notes.test_notes_domain import _join, _user


def _pending_after(server: Doc, update: bytes) -> bool:
    """What Yjs does with `update` on a copy of the server's Doc: is something left pending?"""
    copy = Doc()
    copy.apply_update(server.get_update())
    copy.apply_update(update)
    return crdt.lacks_dependencies(update, copy.get_state())


def test_the_check_agrees_with_yjs_on_every_arrival_order():
    rng = random.Random(11)
    seen = set()
    for _round in range(40):
        alice, bob = Editor("alice"), Editor("bob")
        updates = []
        for _ in range(12):  # two tabs editing, each seeing the other's changes at times
            writer, reader = (alice, bob) if rng.random() < 0.5 else (bob, alice)
            writer.edit(rng)
            update = writer.take()
            if update is not None:
                updates.append(update)
                if rng.random() < 0.6:
                    reader.apply(update)
        server = Doc()
        server.get("markdown", type=Text)
        for update in rng.sample(updates, len(updates)):  # any order the network delivers
            clocks = crdt.state_clocks(server.get_state())
            unknown = crdt.builds_on_unknown(update, clocks)
            assert unknown == _pending_after(server, update)
            seen.add(unknown)
            if not unknown:
                server.apply_update(update)
    assert seen == {True, False}  # both kinds came up


def test_a_refused_update_leaves_the_cached_note_in_place(app, ctx, world):
    editor = Editor()
    _join(editor, world.topic_id, world.alice)
    editor.text.insert(0, "first ")
    notes.apply_update(topic=topic(app, world.topic_id), user=_user(world.alice),
                       update=editor.take())
    cached = notes._cached(world.topic_id)
    editor.text.insert(0, "never sent ")
    editor.take()
    editor.text.insert(0, "builds on it ")
    orphan = editor.take()

    try:
        notes.apply_update(topic=topic(app, world.topic_id), user=_user(world.alice),
                           update=orphan)
    except Conflict as error:
        assert error.code == "out_of_sync"
    else:
        raise AssertionError("an update building on an unsent one was accepted")
    assert notes._cached(world.topic_id) is cached  # not forgotten: no reload of the note
    assert "builds on it" not in notes.current_markdown(topic(app, world.topic_id))


def test_a_socket_that_keeps_sending_out_of_sync_updates_is_cut(app, world, sock):
    from openspace.domain.ratelimit import LIMITS

    writer = sock(world.alice)
    join = writer.emit("note:join", {"topic_id": world.topic_id,
                                     "state_vector": Doc().get_state()}, callback=True)
    assert join["ok"] is True
    editor = Editor()
    editor.apply(join["update"])
    editor.text.insert(0, "lost on the way ")
    editor.take()
    codes = []
    for n in range(LIMITS["malformed"].burst):
        editor.text.insert(0, f"on top {n} ")
        ack = writer.emit("note:update", {"topic_id": world.topic_id, "update": editor.take()},
                          callback=True)
        codes.append(ack["error"]["code"])

    assert set(codes) == {"out_of_sync"}
    deadline = time.monotonic() + 30  # the cut follows the last ack (a bound, not a speed)
    while writer.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not writer.is_connected()
    assert sock(world.bob).is_connected()  # only Alice's budget was spent

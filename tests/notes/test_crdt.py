"""The Yjs wire-format checks (domain/crdt.py) on real pycrdt output."""

from __future__ import annotations

from pycrdt import Awareness, Doc, Text

from openspace.domain import crdt


def _edits() -> tuple[Doc, list[bytes]]:
    doc = Doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text = doc.get("markdown", type=Text)
    text.insert(0, "abc")
    text.insert(3, "def")
    del text[0:2]
    return doc, updates


def test_an_update_in_order_lacks_nothing_and_one_out_of_order_does():
    _, (first, second, _deletion) = _edits()
    server = Doc()
    server.apply_update(second)  # kept pending: it builds on `first`
    assert crdt.lacks_dependencies(second, server.get_state()) is True
    server.apply_update(first)
    assert crdt.lacks_dependencies(first, server.get_state()) is False
    assert crdt.lacks_dependencies(second, server.get_state()) is False


def test_a_deletion_of_unseen_text_lacks_its_dependency():
    _, (first, _second, deletion) = _edits()
    server = Doc()
    server.apply_update(deletion)
    assert crdt.lacks_dependencies(deletion, server.get_state()) is True
    server.apply_update(first)
    server.apply_update(deletion)
    assert crdt.lacks_dependencies(deletion, server.get_state()) is False


def test_state_clocks_reads_a_state_vector():
    doc, _ = _edits()
    assert crdt.state_clocks(doc.get_state()) == {doc.client_id: 6}
    assert crdt.state_clocks(crdt.EMPTY_STATE) == {}
    assert Doc().get_update() == crdt.EMPTY_UPDATE


def test_awareness_updates_are_recognised():
    doc = Doc()
    awareness = Awareness(doc)
    awareness.set_local_state({"user": {"name": "Ann", "color": "#1d7a46"}})
    update = awareness.encode_awareness_update([doc.client_id])
    assert crdt.is_awareness_update(update) is True
    assert crdt.is_awareness_update(b"\x00") is True  # nobody: valid, if pointless
    for broken in (update[:-1], update + b"\x00", b"", b"\x01\x05", b"\x01\x01\x01\x02{x",
                   b"\xff" * 12):
        assert crdt.is_awareness_update(broken) is False, broken

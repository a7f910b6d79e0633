"""Action items that get done: owners are members (by handle), owners and organizers tick an
item outside the editor, as one Yjs update through the path typing takes (stored, relayed to
open editors), and a stale page is told so instead of ticking something else."""

from __future__ import annotations

import pytest
from pycrdt import Doc, Text

from openspace.domain import actions, notes
from openspace.domain.errors import Conflict, DomainError, NotAllowed, ValidationFailed
from openspace.domain.signals import note_updated
from openspace.extensions import db
from openspace.models import Topic, User
from tests.notes.conftest import Editor, fresh_text

NOTE = ("# Back-office tools\n\n## Action items\n\n"
        "- [ ] Write the café FAQ 🙂 @Alice\n"
        "- [ ] Book the room @bob and @Kristof\n"
        "> - [x] Send the slides @nobody\n"
        "- [ ] Find a sponsor\n")


def _topic(world) -> Topic:
    return db.session.get(Topic, world.topic_id)


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _write(world, markdown: str) -> Editor:
    """Alice's editor replaces the template with `markdown` and sends it."""
    editor = Editor()
    update, _ = notes.join_note(topic=_topic(world), user=_user(world.alice),
                                state_vector=editor.doc.get_state())
    editor.apply(update)
    text = editor.doc.get(notes.ROOT, type=Text)
    with editor.doc.transaction():
        del text[0:len(text)]
        text += markdown
    notes.apply_update(topic=_topic(world), user=_user(world.alice), update=editor.take())
    return editor


def _text(world) -> str:
    return fresh_text(notes.note_state(_topic(world)))


def test_owners_are_the_events_members_by_handle(ctx, world):
    _write(world, NOTE)
    items = actions.event_action_items(_topic(world).event)
    assert [item.text for item in items] == ["Write the café FAQ 🙂", "Book the room",
                                             "Send the slides", "Find a sponsor"]
    assert items[0].owner_ids == [world.alice]
    assert items[1].owner_ids == [world.bob, world.kristof]  # any case, in the order written
    assert [(o.handle, o.user_id) for o in items[2].members] == [("nobody", None)]
    assert [item.index for item in items] == [0, 1, 2, 3]
    assert actions.unowned_open_items(_topic(world).event)[0].text == "Find a sponsor"


def test_a_handle_is_the_name_with_underscores_and_a_shared_one_names_nobody(ctx, world):
    assert actions.handle_of("  Ada  Lovelace ") == "Ada_Lovelace"
    assert actions.handle_of("José-María d'Ávila") == "José-María_d_Ávila"
    event = _topic(world).event
    for name in ("Ada Lovelace", "Ada Byron"):
        user = User(name=name)
        db.session.add(user)
        db.session.flush()
        db.session.add(__import__("openspace.models").models.Membership(
            event_id=event.id, user_id=user.id))
    db.session.commit()
    named = actions.members_by_handle(event)
    assert "ada_lovelace" in named and "ada_byron" in named
    assert "ada" not in named  # two Adas: "@ada" names neither
    assert named["alice"] == (world.alice, "Alice")
    mentions = actions.mentionable(event=event, user=_user(world.bob))
    assert {"user_id": world.alice, "name": "Alice", "handle": "Alice"} in mentions
    assert all("@" not in str(m) for m in mentions)  # names, never e-mail addresses
    with pytest.raises(DomainError):
        actions.mentionable(event=event, user=_user(world.olga))  # not a member


def test_the_owner_ticks_an_item_as_one_update_that_open_editors_receive(ctx, world):
    editor = _write(world, NOTE)
    relayed: list[bytes] = []

    def listen(topic_id, update, origin):
        relayed.append(update)

    note_updated.connect(listen)
    try:
        item = actions.set_done(topic=_topic(world), user=_user(world.alice), index=0,
                                text="Write the café FAQ 🙂", done=True)
    finally:
        note_updated.disconnect(listen)

    assert item.done
    expected = NOTE.replace("- [ ] Write the café", "- [x] Write the café")
    assert _text(world) == expected
    assert len(relayed) == 1  # one update, relayed like typing
    editor.apply(relayed[0])
    assert str(editor) == expected  # an open editor sees the box ticked, nothing else moved
    # Unticking is the same path back.
    actions.set_done(topic=_topic(world), user=_user(world.alice), index=0,
                     text="Write the café FAQ 🙂", done=False)
    assert _text(world) == NOTE


def test_an_edit_made_meanwhile_in_an_editor_survives_the_tick(ctx, world):
    editor = _write(world, NOTE)
    text = editor.doc.get(notes.ROOT, type=Text)
    text += "- [ ] Typed while the page was open\n"  # not sent yet
    actions.set_done(topic=_topic(world), user=_user(world.kristof), index=3,
                     text="Find a sponsor", done=True)  # an organizer ticks any item
    notes.apply_update(topic=_topic(world), user=_user(world.alice), update=editor.take())
    merged = _text(world)
    assert "- [x] Find a sponsor\n" in merged and "Typed while the page was open" in merged


def test_only_owners_and_organizers_tick_and_a_stale_page_is_told(ctx, world):
    _write(world, NOTE)
    with pytest.raises(NotAllowed):
        actions.set_done(topic=_topic(world), user=_user(world.bob), index=0,
                         text="Write the café FAQ 🙂", done=True)  # Alice's item
    with pytest.raises(Conflict) as stale:
        actions.set_done(topic=_topic(world), user=_user(world.alice), index=0,
                         text="Something the note no longer says", done=True)
    assert stale.value.code == "stale"
    with pytest.raises(Conflict):
        actions.set_done(topic=_topic(world), user=_user(world.alice), index=9,
                         text="Find a sponsor", done=True)
    for bad in ({"index": "x"}, {"index": -1}, {"index": True}, {"done": "yes"},
                {"text": 5}, {"text": ""}, {"done": None}):
        args = {"index": 0, "text": "Write the café FAQ 🙂", "done": True, **bad}
        with pytest.raises(ValidationFailed):
            actions.set_done(topic=_topic(world), user=_user(world.alice), **args)
    assert _text(world) == NOTE  # nothing refused changed the note


def test_ticking_what_is_ticked_already_changes_nothing(ctx, world):
    _write(world, NOTE)
    before = notes.note_state(_topic(world))
    item = actions.set_done(topic=_topic(world), user=_user(world.kristof), index=2,
                            text="Send the slides", done=True)
    assert item.done and notes.note_state(_topic(world)) == before


def test_the_box_is_found_in_quotes_numbered_and_nested_lists():
    markdown = ("1. [ ] first\n   - [x] nested\n> * [ ] quoted\n\n```\n- [ ] code\n```\n"
                "- [ ]   spaced   text\n")
    items = actions.parse_action_items(markdown)
    assert [i.text for i in items] == ["first", "nested", "quoted", "spaced text"]
    assert [markdown[i.box] for i in items] == [" ", "x", " ", " "]
    assert all(markdown[i.box - 1] == "[" and markdown[i.box + 1] == "]" for i in items)
    doc = Doc()
    doc.get(notes.ROOT, type=Text).insert(0, markdown)
    assert str(doc.get(notes.ROOT, type=Text)) == markdown


def test_a_tick_spends_the_writers_budget_of_note_bytes_like_typing(ctx, world, monkeypatch):
    # The budget lives in notes.apply_update, the one path of every note write: the pages' and
    # the API's ticks pay from it as the editor's socket does. (It does not refill meanwhile.)
    from openspace.domain import ratelimit
    from openspace.domain.errors import RateLimited

    limit = ratelimit.LIMITS["note_bytes"]
    monkeypatch.setitem(ratelimit.LIMITS, "note_bytes", ratelimit.Limit(rate=1e-6,
                                                                        burst=limit.burst))
    _write(world, NOTE)
    filler = Editor()
    with pytest.raises(RateLimited):  # Alice pastes over another copy until refused
        for take in range(20):
            filler.text.insert(0, f"take {take} " * 5_000)
            notes.apply_update(topic=_topic(world), user=_user(world.alice),
                               update=filler.take())
            del filler.text[0:len(str(filler.text))]
            notes.apply_update(topic=_topic(world), user=_user(world.alice),
                               update=filler.take())
    db.session.rollback()
    before = _text(world)
    with pytest.raises(RateLimited) as refused:
        actions.set_done(topic=_topic(world), user=_user(world.alice), index=0,
                         text="Write the café FAQ 🙂", done=True)
    assert refused.value.extra["retry_after"] > 0
    db.session.rollback()
    assert _text(world) == before
    actions.set_done(topic=_topic(world), user=_user(world.kristof), index=0,
                     text="Write the café FAQ 🙂", done=True)  # the organizer's own budget
    assert "- [x] Write the café FAQ" in _text(world)

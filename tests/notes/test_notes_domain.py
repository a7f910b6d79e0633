"""The notes domain: the template, the update log, state-vector sync, compaction and the rules."""

from __future__ import annotations

import random
import threading

import pytest
import sqlalchemy as sa
from pycrdt import Awareness, Doc, Text

from openspace.domain import crdt, events, notes
from openspace.domain.errors import DomainError
from openspace.domain.signals import note_awareness, note_updated
from openspace.extensions import db
from openspace.models import Event, Note, NoteUpdate, Topic, User
from tests.live import wait_for
from tests.notes.conftest import Editor, fresh_text, stored

pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)


def _topic(topic_id: int) -> Topic:
    return db.session.get(Topic, topic_id)


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _join(editor: Editor, topic_id: int, user_id: int | None) -> bytes:
    """Sync an editor as the browser does on (re)connect; returns the server's state vector."""
    update, state_vector = notes.join_note(
        topic=_topic(topic_id), user=_user(user_id) if user_id else None,
        state_vector=editor.doc.get_state())
    editor.apply(update)
    return state_vector


def _push(editor: Editor, topic_id: int, user_id: int) -> int:
    update = editor.take()
    assert update is not None
    return notes.apply_update(topic=_topic(topic_id), user=_user(user_id), update=update)


def _error(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    db.session.rollback()
    return caught.value


def _server_text(topic_id: int) -> str:
    return fresh_text(notes.note_state(_topic(topic_id)))


# The template ----------------------------------------------------------------------------------

def test_a_new_note_starts_from_the_session_report_template_exactly_once(ctx, world):
    first, second = Editor(), Editor()
    _join(first, world.topic_id, world.alice)
    _join(second, world.topic_id, None)  # a viewer: anonymous, public event
    notes.ensure_note(_topic(world.topic_id))

    assert str(first) == str(second) == (
        "# Back-office tools\n\n## Convener\nAlice\n\n## Participants\n\n## Key points\n\n"
        "## Recommendations\n\n## Resources\n\n## Action items\n- [ ] … @owner\n")
    rows = db.session.execute(sa.select(NoteUpdate.author_id).where(
        NoteUpdate.topic_id == world.topic_id)).all()
    assert rows == [(None,)]  # one template update, written by the server
    note = db.session.get(Note, world.topic_id)
    assert note.markdown == str(first)
    assert note.has_content is False


def test_concurrent_first_readers_create_one_template(app, world):
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_note():
        with app.app_context():
            topic = _topic(world.topic_id)
            start.wait()
            try:
                notes.ensure_note(topic)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

    threads = [threading.Thread(target=open_note) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(NoteUpdate).where(
            NoteUpdate.topic_id == world.topic_id))
        assert count == 1
        assert _server_text(world.topic_id).count("## Convener") == 1


def test_has_content_ignores_the_title_line_and_blank_lines():
    template = "# Old title\n\n## Convener\nAlice\n\n## Key points\n"
    assert notes.has_content(template, template) is False
    assert notes.has_content("# New title\n## Convener\nAlice\n\n\n## Key points\n  \n",
                             template) is False
    assert notes.has_content("", template) is False
    assert notes.has_content("# Old title\n", template) is False
    assert notes.has_content(template + "- rooms are too small\n", template) is True
    assert notes.has_content("Great session.", template) is True


# Writing and syncing ----------------------------------------------------------------------------

def test_an_update_is_stored_and_the_text_refreshed_in_one_transaction(ctx, world):
    editor = Editor()
    _join(editor, world.topic_id, world.bob)
    editor.text.insert(len(editor.text), "Everyone wants a shared CRM.\n")

    seq = _push(editor, world.topic_id, world.bob)

    note = db.session.get(Note, world.topic_id)
    assert note.markdown == str(editor)
    assert note.has_content is True
    assert note.updated_at >= note.created_at
    row = db.session.get(NoteUpdate, seq)
    assert (row.topic_id, row.author_id) == (world.topic_id, world.bob)
    assert notes.current_markdown(_topic(world.topic_id)) == str(editor)


def test_join_answers_only_what_the_client_lacks_and_the_servers_state_vector(ctx, world):
    alice, bob = Editor("alice"), Editor("bob")
    _join(alice, world.topic_id, world.alice)
    _join(bob, world.topic_id, world.bob)
    bob.text.insert(0, "Bob was here. ")
    _push(bob, world.topic_id, world.bob)
    # Alice typed offline meanwhile: the server has not seen it.
    alice.text.insert(len(alice.text), "Alice, offline.\n")
    offline = list(alice.outbox)

    update, server_state = notes.join_note(topic=_topic(world.topic_id), user=_user(world.alice),
                                           state_vector=alice.doc.get_state())
    full = notes.note_state(_topic(world.topic_id))
    assert len(update) < len(full) / 2  # Bob's few words, not the whole note again
    alice.apply(update)
    missing = alice.doc.get_update(server_state)  # what the server lacks: Alice's offline text
    notes.apply_update(topic=_topic(world.topic_id), user=_user(world.alice), update=missing)
    alice.outbox.clear()
    _join(bob, world.topic_id, world.bob)

    assert offline
    assert str(alice) == str(bob) == _server_text(world.topic_id)
    assert "Bob was here. " in str(alice) and "Alice, offline.\n" in str(alice)


def test_a_join_with_an_empty_or_missing_state_vector_gets_the_whole_note(ctx, world):
    notes.join_note(topic=_topic(world.topic_id), user=_user(world.bob))  # creates the note
    whole, _ = notes.join_note(topic=_topic(world.topic_id), user=None)
    empty, _ = notes.join_note(topic=_topic(world.topic_id), user=None,
                               state_vector=Doc().get_state())
    assert fresh_text(whole) == fresh_text(empty) == notes.current_markdown(
        _topic(world.topic_id))
    error = _error(lambda: notes.join_note(topic=_topic(world.topic_id), user=None,
                                           state_vector=b"\xff\xff\xff"))
    assert error.code == "invalid" and "state_vector" in error.fields


def test_an_update_missing_an_earlier_one_is_refused_until_that_one_comes(app, ctx, world):
    editor = Editor()
    _join(editor, world.topic_id, world.alice)
    editor.text.insert(0, "first ")
    first = editor.take()
    editor.text.insert(0, "second ")
    second = editor.take()
    before = stored(app, world.topic_id)

    error = _error(lambda: notes.apply_update(topic=_topic(world.topic_id),
                                              user=_user(world.alice), update=second))

    assert error.code == "out_of_sync"
    assert stored(app, world.topic_id) == before
    notes.apply_update(topic=_topic(world.topic_id), user=_user(world.alice), update=first)
    notes.apply_update(topic=_topic(world.topic_id), user=_user(world.alice), update=second)
    assert notes.current_markdown(_topic(world.topic_id)) == str(editor)


def test_a_deletion_of_text_the_server_never_saw_is_refused(app, ctx, world):
    editor = Editor()
    _join(editor, world.topic_id, world.alice)
    editor.text.insert(0, "typo ")
    unsent = editor.take()
    del editor.text[0:5]
    deletion = editor.take()
    before = stored(app, world.topic_id)

    error = _error(lambda: notes.apply_update(topic=_topic(world.topic_id),
                                              user=_user(world.alice), update=deletion))

    assert error.code == "out_of_sync"
    assert stored(app, world.topic_id) == before
    assert unsent


def test_an_empty_update_changes_nothing_and_is_not_stored(app, ctx, world):
    notes.ensure_note(_topic(world.topic_id))
    before = stored(app, world.topic_id)
    assert notes.apply_update(topic=_topic(world.topic_id), user=_user(world.bob),
                              update=Doc().get_update()) == 0
    assert stored(app, world.topic_id) == before


# Refusals leave the note untouched ------------------------------------------------------------

def _valid_update() -> bytes:
    doc = Doc()
    doc.get("markdown", type=Text).insert(0, "a sentence someone typed")
    return doc.get_update()


@pytest.mark.parametrize("update", [
    b"garbage, not a Yjs update",
    _valid_update()[:-5],  # cut short
    _valid_update()[:7],
    b"\x01",
    b"\xff" * 16,
    bytes(random.Random(7).randrange(256) for _ in range(64)),
], ids=["text", "truncated", "header-only", "one-byte", "ff", "random"])
def test_malformed_updates_are_refused_and_the_note_is_untouched(app, ctx, world, update):
    notes.ensure_note(_topic(world.topic_id))
    before = stored(app, world.topic_id)

    error = _error(lambda: notes.apply_update(topic=_topic(world.topic_id),
                                              user=_user(world.alice), update=update))

    assert error.code == "invalid"
    assert stored(app, world.topic_id) == before
    # The server's copy is unharmed too: the next good update builds on the stored note.
    editor = Editor()
    _join(editor, world.topic_id, world.alice)
    editor.text.insert(0, "still fine ")
    _push(editor, world.topic_id, world.alice)
    assert _server_text(world.topic_id) == str(editor)


@pytest.mark.parametrize("update", ["text", 42, None, [1, 2], {"update": b"x"}])
def test_an_update_that_is_not_binary_is_refused(app, ctx, world, update):
    notes.ensure_note(_topic(world.topic_id))
    before = stored(app, world.topic_id)
    error = _error(lambda: notes.apply_update(topic=_topic(world.topic_id),
                                              user=_user(world.alice), update=update))
    assert (error.code, error.fields) == ("invalid", {"update": "must be binary"})
    assert stored(app, world.topic_id) == before


def test_an_update_over_64_kib_is_refused_and_one_under_it_is_stored(app, ctx, world):
    editor = Editor()
    _join(editor, world.topic_id, world.alice)
    editor.text.insert(0, "x" * (60 * 1024))
    _push(editor, world.topic_id, world.alice)
    before = stored(app, world.topic_id)
    editor.text.insert(0, "y" * (64 * 1024))
    big = editor.take()
    assert len(big) > notes.MAX_UPDATE

    error = _error(lambda: notes.apply_update(topic=_topic(world.topic_id),
                                              user=_user(world.alice), update=big))

    assert error.code == "invalid" and error.fields == {"update": "is too large"}
    assert stored(app, world.topic_id) == before


# Who may read and write ----------------------------------------------------------------------

def _an_update_for(topic_id: int) -> bytes:
    editor = Editor()
    editor.apply(notes.note_state(_topic(topic_id)))
    editor.text.insert(0, "Not yours to write. ")
    return editor.take()


def test_only_members_of_the_topics_event_may_write(app, ctx, world):
    notes.ensure_note(_topic(world.topic_id))
    update = _an_update_for(world.topic_id)
    before = stored(app, world.topic_id)

    anonymous = _error(lambda: notes.apply_update(topic=_topic(world.topic_id), user=None,
                                                  update=update))
    other_event = _error(lambda: notes.apply_update(topic=_topic(world.topic_id),
                                                    user=_user(world.olga), update=update))

    assert anonymous.code == "not_authenticated"
    assert other_event.code == "forbidden"
    assert stored(app, world.topic_id) == before
    notes.apply_update(topic=_topic(world.topic_id), user=_user(world.kristof), update=update)
    assert notes.current_markdown(_topic(world.topic_id)).startswith("Not yours to write. ")


def test_a_private_events_note_is_not_found_for_non_members(app, ctx, world):
    for user_id in (None, world.alice):
        error = _error(lambda u=user_id: notes.join_note(
            topic=_topic(world.private_topic_id), user=_user(u) if u else None))
        assert error.code == "not_found"
    assert stored(app, world.private_topic_id) == (None, [])  # nothing was created
    notes.ensure_note(_topic(world.private_topic_id))
    update = _an_update_for(world.private_topic_id)
    error = _error(lambda: notes.apply_update(topic=_topic(world.private_topic_id),
                                              user=_user(world.alice), update=update))
    assert error.code == "not_found"
    editor = Editor()
    _join(editor, world.private_topic_id, world.pia)
    assert str(editor).startswith("# Secret plans\n")


def test_members_write_notes_on_a_locked_board(ctx, world):
    events.set_board_state(event=db.session.get(Event, world.event_id),
                           user=_user(world.kristof), state="locked")
    editor = Editor()
    _join(editor, world.topic_id, world.bob)
    editor.text.insert(0, "Written during the session. ")
    _push(editor, world.topic_id, world.bob)
    assert notes.current_markdown(_topic(world.topic_id)) == str(editor)


# Compaction --------------------------------------------------------------------------------

def _type(editor: Editor, topic_id: int, user_id: int, count: int, rng: random.Random) -> None:
    for _ in range(count):
        editor.edit(rng)
        _push(editor, topic_id, user_id)


def _rows(topic_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(NoteUpdate.id).where(
        NoteUpdate.topic_id == topic_id).order_by(NoteUpdate.id)))


def test_compaction_keeps_the_text_identical_and_is_idempotent(app, ctx, world):
    rng = random.Random(3)
    editor, reader = Editor(), Editor()
    _join(editor, world.topic_id, world.alice)
    _join(reader, world.topic_id, None)
    _type(editor, world.topic_id, world.alice, 60, rng)
    text = notes.current_markdown(_topic(world.topic_id))
    rows = _rows(world.topic_id)

    folded = notes.compact_note(topic=_topic(world.topic_id))

    assert folded == 60 + 1  # the template and 60 edits
    note = db.session.get(Note, world.topic_id)
    assert note.snapshot_seq == rows[-1]
    assert _rows(world.topic_id) == [rows[-1]]  # the last folded row stays (ids never reused)
    assert note.markdown == text == str(editor)
    notes._forget(world.topic_id)  # read back from the database alone, not this process's Doc
    assert _server_text(world.topic_id) == text
    after = stored(app, world.topic_id)
    assert notes.compact_note(topic=_topic(world.topic_id)) == 0
    assert stored(app, world.topic_id) == after
    # A client that synced before the compaction still gets exactly what it lacks.
    _join(reader, world.topic_id, None)
    assert str(reader) == text
    # And writing goes on from the snapshot.
    _type(editor, world.topic_id, world.alice, 5, rng)
    notes._forget(world.topic_id)
    assert _server_text(world.topic_id) == str(editor)


def test_the_log_is_compacted_by_itself_past_the_threshold(ctx, world):
    rng = random.Random(4)
    editor = Editor()
    _join(editor, world.topic_id, world.bob)
    _type(editor, world.topic_id, world.bob, notes.COMPACT_AFTER + 10, rng)

    note = db.session.get(Note, world.topic_id)
    assert note.snapshot_seq > 0
    assert len(_rows(world.topic_id)) < 20
    notes._forget(world.topic_id)
    assert _server_text(world.topic_id) == note.markdown == str(editor)


# Several processes ------------------------------------------------------------------------------

def test_updates_and_compactions_by_another_process_are_caught_up(ctx, world):
    """What another server process commits (here: written straight to the database, as that
    process would) is in this process's answers, though this process keeps a Doc in memory."""
    rng = random.Random(5)
    here, there = Editor("here"), Editor("there")
    _join(here, world.topic_id, world.alice)
    _join(there, world.topic_id, world.bob)
    _type(here, world.topic_id, world.alice, 3, rng)  # this process now holds the note's Doc
    # Another process appends an update...
    there.apply(notes.note_state(_topic(world.topic_id)))
    there.text.insert(0, "From the other process. ")
    db.session.execute(sa.insert(NoteUpdate).values(topic_id=world.topic_id, data=there.take(),
                                                    author_id=world.bob))
    db.session.commit()

    _join(here, world.topic_id, world.alice)
    assert str(here) == str(there)
    _type(here, world.topic_id, world.alice, 2, rng)  # builds on the other process's row
    assert notes.current_markdown(_topic(world.topic_id)) == str(here)

    # ...and then compacts the log: folds every row into a snapshot and deletes them.
    doc = Doc()
    doc.apply_update(notes.note_state(_topic(world.topic_id)))
    last = max(_rows(world.topic_id))
    db.session.execute(sa.update(Note).where(Note.topic_id == world.topic_id).values(
        snapshot=doc.get_update(), snapshot_seq=last))
    db.session.execute(sa.delete(NoteUpdate).where(NoteUpdate.topic_id == world.topic_id,
                                                   NoteUpdate.id < last))
    there.apply(doc.get_update())
    there.text.insert(len(there.text), " After the compaction.")
    db.session.execute(sa.insert(NoteUpdate).values(topic_id=world.topic_id, data=there.take(),
                                                    author_id=world.bob))
    db.session.commit()

    _join(here, world.topic_id, world.alice)
    assert str(here) == str(there)
    _type(here, world.topic_id, world.alice, 2, rng)
    notes._forget(world.topic_id)
    assert _server_text(world.topic_id) == str(here)


def test_writers_in_several_threads_lose_nothing(app, world):
    """Concurrent writers of one note (threads with their own sessions and connections)."""
    with app.app_context():
        base = notes.join_note(topic=_topic(world.topic_id), user=_user(world.alice))[0]
    editors = [Editor(f"writer{i}") for i in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(editors))

    def write(editor: Editor, user_id: int, seed: int) -> None:
        rng = random.Random(seed)
        editor.apply(base)
        with app.app_context():
            start.wait()
            try:
                for _ in range(25):
                    editor.edit(rng)
                    _push(editor, world.topic_id, user_id)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

    users = [world.alice, world.bob, world.kristof, world.alice]
    threads = [threading.Thread(target=write, args=(editor, user, i))
               for i, (editor, user) in enumerate(zip(editors, users, strict=True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    merged = Doc()
    for editor in editors:
        merged.apply_update(editor.doc.get_update())
    with app.app_context():
        notes._forget(world.topic_id)
        assert _server_text(world.topic_id) == str(merged.get("markdown", type=Text))
        assert notes.current_markdown(_topic(world.topic_id)) == str(
            merged.get("markdown", type=Text))


def test_updates_arriving_together_share_a_commit_and_a_refused_one_spoils_none(app, world):
    """Group commit: updates waiting while the note is being written are written together by
    whoever writes next. Here they all wait (the test holds the writer's lock), and one of them
    builds on a change the server never saw: it alone is refused."""
    with app.app_context():
        base = notes.join_note(topic=_topic(world.topic_id), user=_user(world.alice))[0]
    editors = [Editor(f"writer{i}") for i in range(4)]
    updates = []
    for i, editor in enumerate(editors):
        editor.apply(base)
        editor.text.insert(0, f"Line {i}\n")
        updates.append(editor.take())
    stray = Editor("stray")
    stray.apply(base)
    stray.text.insert(0, "never sent\n")
    stray.take()
    stray.text.insert(0, "builds on it\n")
    updates.append(stray.take())
    results: dict[int, object] = {}

    def write(index: int) -> None:
        with app.app_context():
            try:
                results[index] = notes.apply_update(topic=_topic(world.topic_id),
                                                    user=_user(world.bob), update=updates[index])
            except DomainError as error:
                results[index] = error.code

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(updates))]
    with notes._commit_lock:
        for thread in threads:
            thread.start()
        wait_for(lambda: len(notes._waiting.get(world.topic_id, ())) == len(updates))
    for thread in threads:
        thread.join(timeout=60)

    assert results[len(updates) - 1] == "out_of_sync"
    seqs = [results[i] for i in range(len(editors))]
    assert all(isinstance(seq, int) and seq > 0 for seq in seqs)
    assert len(set(seqs)) == len(seqs)
    merged = Doc()
    merged.apply_update(base)
    for update in updates[:-1]:
        merged.apply_update(update)
    with app.app_context():
        notes._forget(world.topic_id)
        assert _server_text(world.topic_id) == str(merged.get("markdown", type=Text))
        assert notes.current_markdown(_topic(world.topic_id)) == str(
            merged.get("markdown", type=Text))


def test_updates_of_several_notes_share_a_commit_and_a_refused_one_spoils_none(app, world):
    """Group commit across notes (40 sessions typing at once): updates of two notes waiting
    together are written in one transaction; one that builds on a change the server never saw
    is refused alone, and both notes hold everything else."""
    from openspace.domain import board

    with app.app_context():
        other = board.propose_topic(event=db.session.get(Event, world.event_id),
                                    user=_user(world.bob), data={"title": "Second session"}).id
        bases = {topic: notes.join_note(topic=_topic(topic), user=_user(world.alice))[0]
                 for topic in (world.topic_id, other)}
    planned: list[tuple[int, bytes]] = []
    editors: dict[int, list[bytes]] = {world.topic_id: [], other: []}
    for topic in (world.topic_id, other):
        for i in range(2):
            editor = Editor(f"writer{topic}-{i}")
            editor.apply(bases[topic])
            editor.text.insert(0, f"Line {i} of {topic}\n")
            update = editor.take()
            planned.append((topic, update))
            editors[topic].append(update)
    stray = Editor("stray")
    stray.apply(bases[other])
    stray.text.insert(0, "never sent\n")
    stray.take()
    stray.text.insert(0, "builds on it\n")
    planned.append((other, stray.take()))
    results: dict[int, object] = {}

    def write(index: int) -> None:
        topic, update = planned[index]
        with app.app_context():
            try:
                results[index] = notes.apply_update(topic=_topic(topic), user=_user(world.bob),
                                                    update=update)
            except DomainError as error:
                results[index] = error.code

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(planned))]
    with notes._commit_lock:
        for thread in threads:
            thread.start()
        wait_for(lambda: sum(len(w) for w in notes._waiting.values()) == len(planned))
    for thread in threads:
        thread.join(timeout=60)

    assert results[len(planned) - 1] == "out_of_sync"
    seqs = [results[i] for i in range(len(planned) - 1)]
    assert all(isinstance(seq, int) and seq > 0 for seq in seqs)
    assert len(set(seqs)) == len(seqs)
    for topic in (world.topic_id, other):
        merged = Doc()
        merged.apply_update(bases[topic])
        for update in editors[topic]:
            merged.apply_update(update)
        with app.app_context():
            notes._forget(topic)
            assert _server_text(topic) == str(merged.get("markdown", type=Text))


# Signals: relayed after the commit -----------------------------------------------------------

def test_the_relay_is_signalled_after_the_commit_with_the_senders_origin(app, ctx, world):
    seen: list[tuple] = []
    engine = db.engine

    def receiver(topic_id, *, update, origin):
        with engine.connect() as other:  # another connection sees only committed rows
            committed = other.execute(sa.select(sa.func.count()).select_from(NoteUpdate).where(
                NoteUpdate.data == update)).scalar_one()
        seen.append((topic_id, update, origin, committed))

    editor = Editor()
    _join(editor, world.topic_id, world.alice)
    editor.text.insert(0, "Hello ")
    update = editor.take()
    with note_updated.connected_to(receiver):
        notes.apply_update(topic=_topic(world.topic_id), user=_user(world.alice), update=update,
                           origin="sid-1")
    assert seen == [(world.topic_id, update, "sid-1", 1)]


def _awareness_update(name: str) -> bytes:
    doc = Doc()
    awareness = Awareness(doc)
    awareness.set_local_state({"user": {"name": name, "color": "#1f5fbf"}, "cursor": None})
    return awareness.encode_awareness_update([doc.client_id])


def test_awareness_is_checked_and_relayed_from_members_but_never_stored(app, ctx, world):
    seen: list[tuple] = []

    def receiver(topic_id, *, update, origin):
        seen.append((topic_id, update, origin))

    update = _awareness_update("Bob")
    with note_awareness.connected_to(receiver):
        notes.relay_awareness(topic=_topic(world.topic_id), user=_user(world.bob), update=update,
                              origin="sid-2")
        refusals = [
            _error(lambda: notes.relay_awareness(topic=_topic(world.topic_id), user=None,
                                                 update=update)).code,
            _error(lambda: notes.relay_awareness(topic=_topic(world.topic_id),
                                                 user=_user(world.olga), update=update)).code,
            _error(lambda: notes.relay_awareness(topic=_topic(world.topic_id),
                                                 user=_user(world.bob), update=b"\x01\x05")).code,
            _error(lambda: notes.relay_awareness(
                topic=_topic(world.topic_id), user=_user(world.bob),
                update=_awareness_update("x" * 9000))).code,
        ]
    assert seen == [(world.topic_id, update, "sid-2")]
    assert refusals == ["not_authenticated", "forbidden", "invalid", "invalid"]
    assert stored(app, world.topic_id) == (None, [])


def test_reading_a_note_nobody_opened_creates_nothing(app, ctx, world):
    topic = _topic(world.topic_id)
    assert notes.current_markdown(topic) == ""
    assert notes.note_state(topic) == crdt.EMPTY_UPDATE
    assert notes.note_dict(topic) == {"markdown": "", "updated_at": None}
    assert stored(app, world.topic_id) == (None, [])

"""Shared session notes: one Yjs document per topic, kept as an append-only log of updates.

The source of truth is `Note.snapshot` (every update with id <= `snapshot_seq`, folded) plus the
`NoteUpdate` rows after it. `Note.markdown` is the text they spell, refreshed in the transaction
that appends each update, for readers; a note is never rebuilt from Markdown.

Several server processes may write one note. A process keeps a pycrdt Doc per topic in memory
for speed, but catches it up from the database (the rows after the last id it applied) before
every use, and writes under the note's row lock (SQLite: the database write lock), so ids of one
note are committed in order and nothing lives only in one process's memory.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pycrdt import Doc, Text
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import db
from ..i18n import _, in_language
from ..models import Note, NoteUpdate, Topic, User, utcnow
from . import crdt, ratelimit, validation
from .errors import Conflict, DomainError, NotAllowed, OutOfSync, TooLarge, ValidationFailed
from .permissions import can_write_note, require_note_write, require_view
from .signals import note_awareness, note_updated
from .tx import writing

log = logging.getLogger(__name__)

ROOT = "markdown"  # the shared text: doc.get("markdown", type=Text) = ydoc.getText("markdown")
MAX_UPDATE = 64 * 1024
MAX_AWARENESS = 8 * 1024
MAX_STATE_VECTOR = 64 * 1024  # ~10 bytes per Yjs client that ever wrote
MAX_NOTE_CHARS = 256 * 1024  # a note's text, in characters (a long session report is ~20,000)
COMPACT_AFTER = 200  # fold the log into the snapshot once more updates than this follow it
CACHE_SIZE = 256  # Docs kept in memory per process (least recently used go first)
TEMPLATE_ACTION_EXAMPLE = "- [ ] … @owner"


def report_template(topic: Topic) -> str:
    """The OST session report a new note starts from, with the convener filled in, its
    headings in the event's language (the action-item line keeps its syntax). The title
    and the name are escaped: they are text, which must not turn into links or HTML in the
    note's Markdown (and from there into the exported .md files)."""
    from .summary import md_escape  # summary imports this module (through actions)

    with in_language(topic.event.language):
        # TRANSLATORS: the headings of a session report (a new note's template).
        headings = [_("Convener"), _("Participants"), _("Key points"), _("Recommendations"),
                    _("Resources"), _("Action items")]
    convener, participants, points, recommendations, resources, actions = headings
    return (
        f"# {md_escape(topic.title)}\n\n"
        f"## {convener}\n{md_escape(topic.convener.name)}\n\n"
        f"## {participants}\n\n"
        f"## {points}\n\n"
        f"## {recommendations}\n\n"
        f"## {resources}\n\n"
        f"## {actions}\n{TEMPLATE_ACTION_EXAMPLE}\n"
    )


def _body(markdown: str) -> list[str]:
    """The text's non-blank lines without its title line: what has_content compares."""
    lines = [line.rstrip() for line in markdown.splitlines() if line.strip()]
    return lines[1:] if lines and lines[0].startswith("# ") else lines


def has_content(markdown: str, template: str) -> bool:
    """Someone wrote something: the text is neither empty nor the untouched template.

    The title line is left out of the comparison, so renaming the topic after the note was
    created does not make an untouched note count as written."""
    body = _body(markdown)
    return bool(body) and body != _body(template)


# The in-memory Docs --------------------------------------------------------------------------

@dataclass
class _Loaded:
    doc: Doc
    text: Text
    seq: int  # the highest NoteUpdate id applied to doc
    tail: int  # updates applied after the snapshot (what compaction would fold)
    template: str
    # Which note this is: ids can come back (SQLite reuses the highest id after a delete, a
    # database can be reset), a note's creation time does not.
    created_at: datetime


_cache: OrderedDict[int, _Loaded] = OrderedDict()
_cache_lock = threading.Lock()
# One lock per note (striped, so the set stays bounded): a note's Doc is used by one writer or
# reader at a time. Under eventlet/gevent these are green locks (patched before import).
_locks = [threading.RLock() for _ in range(64)]


@contextmanager
def _note_lock(topic_id: int) -> Iterator[None]:
    with _locks[topic_id % len(_locks)]:
        yield


def _cached(topic_id: int) -> _Loaded | None:
    with _cache_lock:
        loaded = _cache.get(topic_id)
        if loaded is not None:
            _cache.move_to_end(topic_id)
        return loaded


def _remember(topic_id: int, loaded: _Loaded) -> None:
    with _cache_lock:
        _cache[topic_id] = loaded
        _cache.move_to_end(topic_id)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _forget(topic_id: int) -> None:
    """Drop a Doc that may hold what the database does not (a failed or refused write)."""
    with _cache_lock:
        _cache.pop(topic_id, None)


# Statements built once (the hot path runs them for every keystroke batch).
_TAIL = (
    sa.select(Note.snapshot_seq, Note.created_at, NoteUpdate.id, NoteUpdate.data)
    .select_from(Note)
    .outerjoin(NoteUpdate, sa.and_(NoteUpdate.topic_id == Note.topic_id,
                                   NoteUpdate.id > sa.bindparam("after")))
    .where(Note.topic_id == sa.bindparam("topic_id"))
    .order_by(NoteUpdate.id)
)
# PostgreSQL: the writers of one note queue on its row, so its ids commit in order and a reader
# never sees a later id before an earlier one. (SQLite: BEGIN IMMEDIATE already serializes.)
_TAIL_LOCKED = _TAIL.with_for_update(of=Note)
_HEAD = sa.select(Note.snapshot, Note.snapshot_seq, Note.created_at).where(
    Note.topic_id == sa.bindparam("topic_id"))
_HEAD_LOCKED = _HEAD.with_for_update()
_APPEND = sa.insert(NoteUpdate).returning(NoteUpdate.id)
_REFRESH = (
    sa.update(Note)
    .where(Note.topic_id == sa.bindparam("b_topic_id"))
    .values(markdown=sa.bindparam("b_markdown"), has_content=sa.bindparam("b_has_content"),
            updated_at=sa.bindparam("b_updated_at"))
)


def _tail(topic_id: int, after: int, *, lock: bool = False) -> tuple[Any, list[Any]] | None:
    """The note's (snapshot_seq, created_at) and its updates with id > after, in one statement.

    One statement sees one state even under READ COMMITTED: if a concurrent compaction had
    already deleted rows we need, the snapshot_seq returned says so (it is then > after)."""
    rows = db.session.connection().execute(
        _TAIL_LOCKED if lock else _TAIL, {"topic_id": topic_id, "after": after}
    ).all()
    if not rows:
        return None
    return rows[0], [row for row in rows if row.id is not None]


def _catch_up(topic_id: int, template: Callable[[], str], *,
              lock: bool = False) -> _Loaded | None:
    """The note's Doc as the database holds it now (None while the note does not exist).

    `template` gives the note's report template, needed only when the Doc is (re)loaded."""
    loaded = _cached(topic_id)
    if loaded is not None:
        found = _tail(topic_id, loaded.seq, lock=lock)
        if found is None:
            _forget(topic_id)
            return None
        note, rows = found
        # Compaction only deletes ids < snapshot_seq: all we lack is still there.
        if note.snapshot_seq <= loaded.seq and note.created_at == loaded.created_at:
            for row in rows:
                loaded.doc.apply_update(row.data)
                loaded.seq = row.id
                loaded.tail += 1
            return loaded
    conn = db.session.connection()
    while True:  # (re)load: the snapshot, then the updates after it, in step
        head = conn.execute(_HEAD_LOCKED if lock else _HEAD, {"topic_id": topic_id}).first()
        if head is None:
            return None
        found = _tail(topic_id, head.snapshot_seq)
        if found is not None and found[0].snapshot_seq == head.snapshot_seq:
            break  # else a compaction committed in between: read again
    doc = Doc()
    text = doc.get(ROOT, type=Text)
    if head.snapshot:
        doc.apply_update(head.snapshot)
    rows = found[1]
    for row in rows:
        doc.apply_update(row.data)
    loaded = _Loaded(doc=doc, text=text, seq=rows[-1].id if rows else head.snapshot_seq,
                     tail=len(rows), template=template(), created_at=head.created_at)
    _remember(topic_id, loaded)
    return loaded


# Validation ------------------------------------------------------------------------------------
#
# The messages are for people (translated); the `fields` texts of the note's socket protocol stay
# English: clients and docs/api.md rely on them ("is too large": the browser drops an update
# the server can never take), and no page shows them.

def _binary(value: Any, name: str, max_len: int) -> bytes:
    if isinstance(value, bytearray | memoryview):
        value = bytes(value)
    if not isinstance(value, bytes):
        raise ValidationFailed(fields={name: "must be binary"})
    if len(value) > max_len:
        raise ValidationFailed(
            _("That change is too large (%(size)d KiB; at most %(limit)d KiB at once).",
              size=len(value) // 1024, limit=max_len // 1024), fields={name: "is too large"})
    return value


def _check_shape(data: bytes) -> None:
    """A note is one Y.Text of plain text (crdt.text_update_problem): an update that would put
    anything else into the document, or is not exactly one v1 update, is refused whole."""
    problem = crdt.text_update_problem(data, ROOT)
    if problem is not None:
        raise ValidationFailed(_("That is not an update of the note's plain text."),
                               fields={"update": problem})


def _check_size(topic_id: int, markdown: str) -> None:
    """A note holds at most MAX_NOTE_CHARS characters. A note already past it (written before
    the limit) may still shrink: only an update that leaves it longer than that and longer
    than it was is refused."""
    if len(markdown) <= MAX_NOTE_CHARS:
        return
    before = db.session.scalar(sa.select(sa.func.length(Note.markdown))
                               .where(Note.topic_id == topic_id)) or 0
    if len(markdown) > before:
        raise TooLarge(_("A note holds at most %(limit)s characters; this change would make it "
                         "%(length)s long. It was not saved: shorten the note first.",
                         limit=f"{MAX_NOTE_CHARS:,}", length=f"{len(markdown):,}"),
                       fields={"update": "makes the note too long"})


def _integrate(doc: Doc, updates: list[bytes]) -> None:
    """Apply clients' updates to the note's Doc, refusing malformed or out-of-order ones.

    Updates applied together may come in any order among themselves (Yjs holds one back until
    what it builds on is there): only what is still lacking after all of them is refused."""
    try:
        for update in updates:
            doc.apply_update(update)
        state = doc.get_state()
        missing = any(crdt.lacks_dependencies(update, state) for update in updates)
    except BaseException as error:  # pyo3 panics derive from BaseException
        if not isinstance(error, Exception) and type(error).__name__ != "PanicException":
            raise
        raise ValidationFailed(_("That is not a Yjs update."),
                               fields={"update": "is not a Yjs (v1) update"}) from None
    if missing:
        raise _out_of_sync()


def _out_of_sync() -> OutOfSync:
    return OutOfSync(_("The note lacks earlier changes this one builds on: join the note again "
                       "and send what the server lacks."))


_COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
_LIGHT_COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?")  # y-codemirror's colorLight


def _awareness_problem(state: Any, name_: str) -> str | None:
    """What is wrong with one awareness state, or None. Every reader's browser shows the
    `user` part (name tag, caret colour): it must be the sender's own name (`name_`), and
    colours must be colours (they end up in style attributes)."""
    if state is None:
        return None  # the client left
    if not isinstance(state, dict):
        return "a state must be an object or null"
    person = state.get("user")
    if person is None:
        return None
    if not isinstance(person, dict):
        return "user must be an object"
    name = person.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= validation.NAME_MAX:
        return f"user.name must be text of 1 to {validation.NAME_MAX} characters"
    if name != name_:
        return "user.name must be your own name"
    if not isinstance(person.get("color"), str) or not _COLOUR_RE.fullmatch(person["color"]):
        return "user.color must be a colour written #rrggbb"
    light = person.get("colorLight")
    if light is not None and (not isinstance(light, str)
                              or not _LIGHT_COLOUR_RE.fullmatch(light)):
        return "user.colorLight must be a colour written #rrggbb or #rrggbbaa"
    return None


def _check_awareness(data: bytes, name: str) -> list[int]:
    """The client ids of a well-formed awareness update whose states all pass."""
    entries = crdt.awareness_entries(data)
    if entries is None:
        raise ValidationFailed(_("That is not an awareness update."),
                               fields={"update": "is not a y-protocols awareness update "
                                                 f"(or nests deeper than {crdt.AWARENESS_DEPTH} "
                                                 "levels)"})
    for _client, _clock, state in entries:
        problem = _awareness_problem(state, name)
        if problem is not None:
            raise ValidationFailed(_("That presence is not valid."), fields={"update": problem})
    return [client for client, _clock, _state in entries]


# Writing ---------------------------------------------------------------------------------------

def _create(topic: Topic) -> None:
    """Insert the note with the report template as its first update (inside a transaction).
    Readers who joined before see it when they next join: the first update they are relayed
    builds on it, which makes them sync again (assets/note-editor.js)."""
    template = report_template(topic)
    doc = Doc()
    doc.get(ROOT, type=Text).insert(0, template)
    db.session.execute(sa.insert(Note).values(topic_id=topic.id, snapshot=b"", snapshot_seq=0,
                                              markdown=template, has_content=False))
    db.session.execute(sa.insert(NoteUpdate).values(topic_id=topic.id, data=doc.get_update(),
                                                    author_id=None))


def _exists(topic_id: int, *, lock: bool = False) -> bool:
    query = sa.select(Note.topic_id).where(Note.topic_id == topic_id)
    if lock:
        query = query.with_for_update()  # PostgreSQL: writers of one note queue here
    return db.session.execute(query).first() is not None


def ensure_note(topic: Topic) -> None:
    """Create the topic's note from the report template, exactly once (the first time it is
    needed; of two concurrent creators the primary key lets one win, the other uses its note)."""
    if _exists(topic.id):
        return
    try:
        with writing():
            if not _exists(topic.id, lock=True):
                _create(topic)
    except IntegrityError:
        pass  # another process created it between our check and our insert


@contextmanager
def _busy_is_transient() -> Iterator[None]:
    try:
        yield
    except OperationalError as error:
        if "locked" not in str(error.orig).lower():
            raise
        raise Conflict(_("The server is busy; try again in a moment."), code="busy") from None


@dataclass
class _Write:
    """One update waiting to be written, by whichever of the note's writers gets there first."""

    data: bytes
    user_id: int
    seq: int = 0
    error: BaseException | None = None
    done: bool = False


# Group commit: updates that arrive while others are being written are written together, those
# of every note, in one transaction and one commit (one fsync) for all, each still acknowledged
# only after that commit (40 sessions typing at once would otherwise make 40 commits where one
# does). Guarded by _waiting_lock; the batch is taken under _commit_lock (one note-writing
# transaction at a time in a process; SQLite has one writer anyway), and each note's Doc is
# used under its note lock, taken in topic id order (PostgreSQL's row locks too).
_waiting: dict[int, list[_Write]] = {}
_waiting_lock = threading.Lock()
_commit_lock = threading.Lock()


@dataclass(frozen=True)
class NoteWriter:
    """What require_note_write found for one user and one note: the ids the write path needs
    and the user's name (their presence states must carry it). A socket keeps it for its next
    messages while nothing it rests on has changed (openspace/grants.py)."""

    topic_id: int
    event_id: int
    user_id: int
    name: str
    role: str


def note_writer(user: User | None, topic: Topic) -> NoteWriter:
    """The user may write the topic's note now (require_note_write): what a write needs."""
    role = require_note_write(user, topic)
    return NoteWriter(topic_id=topic.id, event_id=topic.event_id, user_id=user.id,
                      name=user.name, role=str(role))


def apply_update(*, topic: Topic, user: User | None, update: Any, origin: Any = None) -> int:
    """Any member of the topic's event may write its note, also on a locked board (notes are
    written during the sessions), while the topic is on the board (require_note_write); only
    plain text (_check_shape), at most MAX_NOTE_CHARS of it (_check_size), and within the
    writer's budget of bytes written into notes (the `note_bytes` rate limit, whatever the
    transport: the socket's typing, the actions page's ticks). The update is
    appended and the text refreshed in a transaction; after the commit it is relayed
    (note_updated) to the note's other readers.
    Returns the update's id (0 for an empty update, which changes nothing and is not stored).

    Updates that arrive together, of any notes, share a transaction (see _Write); one that is
    refused never takes the others down with it.

    `origin` is opaque here: the relay skips it (sockets pass the sender's sid)."""
    data = _binary(update, "update", MAX_UPDATE)
    # Checked before the write transaction, whose opening rollback would make every loaded
    # object re-read: a membership ended a moment ago costs nothing here (no rule to break).
    writer = note_writer(user, topic)
    return write_update(writer=writer, update=data, origin=origin, topic=topic)


def write_update(*, writer: NoteWriter, update: Any, origin: Any = None,
                 topic: Topic | None = None) -> int:
    """apply_update for a writer already checked (note_writer): a socket that checked its
    user's right to write this note and knows nothing it rests on changed since (sockets.py
    keeps that per connection, openspace/grants.py says when it ends). `topic`, if the caller
    has it, saves loading it for a compaction."""
    data = _binary(update, "update", MAX_UPDATE)
    topic_id, user_id = writer.topic_id, writer.user_id
    if data == crdt.EMPTY_UPDATE:
        return 0
    # Before anything is parsed or locked: a refusal costs the others nothing.
    ratelimit.hit(f"user:{user_id}", "note_bytes", cost=len(data))
    _check_shape(data)

    def topic_of() -> Topic:
        return topic if topic is not None else db.session.get(Topic, topic_id)

    write = _Write(data=data, user_id=user_id)
    with _waiting_lock:
        _waiting.setdefault(topic_id, []).append(write)
    # Let the handlers of updates already received run up to here, so they join this batch
    # (a green switch under eventlet/gevent; a thread switch otherwise). The read transaction
    # ends first (writing() would end it anyway), so waiting holds no pooled connection.
    db.session.rollback()
    time.sleep(0)
    with _commit_lock:
        if not write.done:  # nobody took it yet: write everything waiting, ours included
            with _waiting_lock:
                batches = dict(_waiting)
                _waiting.clear()
            _write_notes(batches)
    if write.error is not None:
        raise write.error
    note_updated.send(topic_id, update=data, origin=origin)
    loaded = _cached(topic_id)
    if loaded is not None and loaded.tail > COMPACT_AFTER:
        compact_note(topic=topic_of(), min_updates=COMPACT_AFTER)
    return write.seq


def _write_notes(batches: dict[int, list[_Write]]) -> None:
    """Write the batches of several notes in one transaction; if any update in it is refused,
    write each note's batch on its own (_write_batch), so each gets its own answer."""
    topics = sorted(batches)
    if len(topics) == 1:
        with _note_lock(topics[0]):
            _write_batch(topics[0], batches[topics[0]])
        return
    with ExitStack() as held:
        for topic_id in topics:
            held.enter_context(_note_lock(topic_id))
        try:
            try:
                with _busy_is_transient():
                    seqs = _append_notes({t: batches[t] for t in topics})
            except (DomainError, IntegrityError):
                pass  # rolled back as a whole: note by note below
            else:
                for topic_id in topics:
                    for write, seq in zip(batches[topic_id], seqs[topic_id], strict=True):
                        write.seq = seq
                        write.done = True
                return
        except BaseException as error:  # the transaction failed as a whole (not a refusal)
            for batch in batches.values():
                for write in batch:
                    write.error, write.done = error, True
            raise
        for topic_id in topics:
            _write_batch(topic_id, batches[topic_id])


def _write_batch(topic_id: int, batch: list[_Write]) -> None:
    """Write the batch in one transaction; if any update in it is refused (or the note was
    created concurrently), write them one by one, so each gets its own answer."""
    try:
        if len(batch) > 1:
            try:
                with _busy_is_transient():
                    seqs = _append(topic_id, batch)
            except (DomainError, IntegrityError):
                pass  # rolled back as a whole: one at a time below
            else:
                for write, seq in zip(batch, seqs, strict=True):
                    write.seq = seq
                return
        for write in batch:
            try:
                with _busy_is_transient():
                    try:
                        write.seq = _append(topic_id, [write])[0]
                    except IntegrityError:  # a concurrent first writer created the note
                        write.seq = _append(topic_id, [write])[0]
            except BaseException as error:
                write.error = error
                if not isinstance(error, Exception):
                    raise
    except BaseException as error:  # the batch failed as a whole (not a refusal): all of it
        for write in batch:
            if write.error is None and not write.seq:
                write.error = error
        raise
    finally:
        for write in batch:
            write.done = True


def _append(topic_id: int, batch: list[_Write]) -> list[int]:
    """Append the updates of `batch` in one transaction and refresh the text; their ids."""
    return _append_notes({topic_id: batch})[topic_id]


def _append_notes(batches: dict[int, list[_Write]]) -> dict[int, list[int]]:
    """Append the updates of each note's batch, in topic id order, in one transaction, and
    refresh their texts; their ids per note."""
    touched: list[int] = []  # Docs that took updates: forgotten if the transaction fails
    done: list[tuple[_Loaded, int]] = []
    seqs: dict[int, list[int]] = {}
    try:
        with writing():
            conn = db.session.connection()
            for topic_id, batch in batches.items():
                # Loaded here, in the writer's session: the updates may be other handlers'.
                def topic_of(topic_id=topic_id) -> Topic:
                    return db.session.get(Topic, topic_id)

                def template(topic_of=topic_of) -> str:
                    return report_template(topic_of())

                loaded = _catch_up(topic_id, template, lock=True)
                if loaded is None:
                    _create(topic_of())
                    loaded = _catch_up(topic_id, template, lock=True)
                if len(batch) == 1 and crdt.builds_on_unknown(
                        batch[0].data, crdt.state_clocks(loaded.doc.get_state())):
                    raise _out_of_sync()  # before the Doc took anything: it stays cached
                touched.append(topic_id)
                _integrate(loaded.doc, [write.data for write in batch])
                markdown = str(loaded.text)
                _check_size(topic_id, markdown)
                seqs[topic_id] = [
                    conn.execute(_APPEND, {"topic_id": topic_id, "data": write.data,
                                           "author_id": write.user_id}).scalar_one()
                    for write in batch]
                conn.execute(_REFRESH, {"b_topic_id": topic_id, "b_markdown": markdown,
                                        "b_has_content": has_content(markdown, loaded.template),
                                        "b_updated_at": utcnow()})
                done.append((loaded, topic_id))
    except BaseException:
        for topic_id in touched:
            _forget(topic_id)  # its Doc may hold updates the rollback took back
        raise
    for loaded, topic_id in done:
        loaded.seq = seqs[topic_id][-1]
        loaded.tail += len(batches[topic_id])
    return seqs


def compact_note(*, topic: Topic, min_updates: int = 0) -> int:
    """Fold the updates after the snapshot into a new snapshot, when there are more than
    `min_updates` of them; returns how many were folded (0: nothing to do).

    Replays snapshot + updates into a fresh Doc and stores its state as the snapshot, with
    snapshot_seq = the last folded id, under the note's write lock: rows committed later are
    never touched. The row with id == snapshot_seq is kept (folded, so never replayed): on
    SQLite a new row's id is max(id) + 1, and keeping it means ids are never reused, so a new
    update can never hide at or below a snapshot_seq."""
    topic_id = topic.id
    with _note_lock(topic_id), _busy_is_transient():
        try:
            with writing():
                head = db.session.execute(
                    sa.select(Note.snapshot, Note.snapshot_seq, Note.markdown, Note.created_at)
                    .where(Note.topic_id == topic_id).with_for_update()
                ).first()
                if head is None:
                    return 0
                rows = db.session.execute(
                    sa.select(NoteUpdate.id, NoteUpdate.data)
                    .where(NoteUpdate.topic_id == topic_id, NoteUpdate.id > head.snapshot_seq)
                    .order_by(NoteUpdate.id)
                ).all()
                if not rows or len(rows) <= min_updates:
                    loaded = _cached(topic_id)
                    if loaded is not None and loaded.created_at == head.created_at:
                        loaded.tail = len(rows)  # another process may have compacted
                    return 0
                doc = Doc()
                text = doc.get(ROOT, type=Text)
                if head.snapshot:
                    doc.apply_update(head.snapshot)
                for row in rows:
                    doc.apply_update(row.data)
                if str(text) != head.markdown:  # never store a snapshot that would change words
                    log.error("note %s: replayed text differs from the stored text; "
                              "not compacting", topic_id)
                    _forget(topic_id)
                    return 0
                last = rows[-1].id
                db.session.execute(sa.update(Note).where(Note.topic_id == topic_id)
                                   .values(snapshot=doc.get_update(), snapshot_seq=last))
                db.session.execute(sa.delete(NoteUpdate).where(NoteUpdate.topic_id == topic_id,
                                                               NoteUpdate.id < last))
        except BaseException:
            _forget(topic_id)
            raise
        previous = _cached(topic_id)
        template = previous.template if previous is not None else report_template(topic)
        _remember(topic_id, _Loaded(doc=doc, text=text, seq=last, tail=0, template=template,
                                    created_at=head.created_at))
    return len(rows)


# Reading ---------------------------------------------------------------------------------------

def join_note(*, topic: Topic, user: User | None, state_vector: Any = None) -> tuple[bytes, bytes]:
    """Anyone who may view the event may read its notes (a private event's topics are 404 to
    non-members). The note is created from the template the first time someone who may write
    it joins (a reader's join writes nothing: readers are anonymous and many). Returns what a
    client with `state_vector` lacks (an update) and the server's state vector, so the client
    can send what the server lacks."""
    state = crdt.EMPTY_STATE if state_vector is None else _binary(
        state_vector, "state_vector", MAX_STATE_VECTOR)
    require_view(user, topic.event)
    if can_write_note(user, topic):
        with _busy_is_transient():
            ensure_note(topic)
    topic_id = topic.id
    with _note_lock(topic_id):
        try:
            loaded = _catch_up(topic_id, functools.partial(report_template, topic))
        except BaseException:
            _forget(topic_id)
            raise
        # None: nobody who may write the note has opened it yet, so there is nothing to read.
        doc = loaded.doc if loaded is not None else Doc()
        try:
            update = doc.get_update(state)
        except ValueError:
            raise ValidationFailed(fields={"state_vector": "is not a Yjs state vector"}) from None
        return update, doc.get_state()


def relay_awareness(*, topic: Topic, user: User | None, update: Any, origin: Any = None) -> None:
    """Members share presence (their name and caret) with the note's readers while they may
    write it; never stored. Each state is checked (_awareness_problem: the sender's own name,
    colours as #rrggbb), and each Yjs client id it speaks for is bound to the connection
    (`origin`) that first used it in this note (_claim_awareness)."""
    data = _binary(update, "update", MAX_AWARENESS)
    relay_awareness_as(writer=note_writer(user, topic), update=data, origin=origin)


def relay_awareness_as(*, writer: NoteWriter, update: Any, origin: Any = None) -> None:
    """relay_awareness for a writer already checked (note_writer; see write_update)."""
    data = _binary(update, "update", MAX_AWARENESS)
    clients = _check_awareness(data, writer.name)
    if origin is not None:
        _claim_awareness(writer.topic_id, clients, origin=origin, user_id=writer.user_id)
    note_awareness.send(writer.topic_id, update=data, origin=origin)


# Who speaks for which awareness client id, per note, in this process: (topic id, Yjs client
# id) -> (the connection, its user). Another connection of the same user may take an id over
# (a tab that reconnected: its old connection may not have timed out yet); anyone else is
# refused. A connection's claims end with it (release_awareness).
AWARENESS_CLAIMS_MAX = 16  # client ids per connection and note: one per tab; a few for reloads
_speakers: dict[tuple[int, int], tuple[Any, int]] = {}
_claims: dict[Any, set[tuple[int, int]]] = {}
_speakers_lock = threading.Lock()


def _claim_awareness(topic_id: int, clients: list[int], *, origin: Any, user_id: int) -> None:
    keys = [(topic_id, client) for client in clients]
    with _speakers_lock:
        mine = _claims.setdefault(origin, set())
        for key in keys:
            owner = _speakers.get(key)
            if owner is not None and owner[0] != origin and owner[1] != user_id:
                raise NotAllowed(_("That presence belongs to someone else's connection."),
                                 fields={"update": f"client id {key[1]} is another "
                                                   "connection's"})
        new = [key for key in keys if key not in mine]
        if sum(1 for t, _ in mine if t == topic_id) + len(new) > AWARENESS_CLAIMS_MAX:
            raise ValidationFailed(fields={"update": "speaks for too many client ids"})
        for key in new:
            previous = _speakers.get(key)
            if previous is not None:  # the same user's other connection hands it over
                _claims.get(previous[0], set()).discard(key)
            _speakers[key] = (origin, user_id)
            mine.add(key)


def release_awareness(origin: Any) -> None:
    """The connection is gone: the awareness client ids it spoke for are free again."""
    with _speakers_lock:
        for key in _claims.pop(origin, ()):
            if _speakers.get(key, (None,))[0] == origin:
                del _speakers[key]


def current_markdown(topic: Topic) -> str:
    """The note's current text ("" while nobody has opened it)."""
    return db.session.scalar(sa.select(Note.markdown).where(Note.topic_id == topic.id)) or ""


def note_dict(topic: Topic) -> dict:
    """{markdown, updated_at} as the API serves it (updated_at null while there is no note)."""
    row = db.session.execute(
        sa.select(Note.markdown, Note.updated_at).where(Note.topic_id == topic.id)
    ).first()
    if row is None:
        return {"markdown": "", "updated_at": None}
    return {"markdown": row.markdown,
            "updated_at": row.updated_at.isoformat(timespec="seconds") + "Z"}


def note_state(topic: Topic) -> bytes:
    """The note's whole state as one Yjs update (an empty update while there is no note)."""
    topic_id = topic.id
    with _note_lock(topic_id):
        try:
            loaded = _catch_up(topic_id, functools.partial(report_template, topic))
        except BaseException:
            _forget(topic_id)
            raise
        return loaded.doc.get_update() if loaded is not None else crdt.EMPTY_UPDATE

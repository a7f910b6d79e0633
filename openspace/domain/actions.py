"""What the notes say: action items (`- [ ] text @owner`), the rendered note of a session, and
which sessions still lack notes (for organizers).

The note's text comes from notes.current_markdown(topic) (the CRDT side owns how it is kept).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from markdown_it import MarkdownIt
from markupsafe import Markup
from pycrdt import Doc, Text

from ..extensions import db
from ..i18n import _
from ..models import Event, Membership, Note, Topic, TopicStatus, User
from . import times
from . import validation as v
from .board import active_topics
from .errors import Conflict, NotAllowed
from .notes import MAX_NOTE_CHARS, ROOT, apply_update, current_markdown, note_state
from .permissions import is_organizer, require_member, require_organizer, require_view
from .render import render_note, text_cache

# A task line's first paragraph: "[ ] text" or "[x] text" (the list marker is already parsed).
_TASK_RE = re.compile(r"^\[([ xX])\][ \t]+(\S.*)$", re.S)
# "@handle": not inside a word, an email address or a URL; may hold . and - inside.
_OWNER_RE = re.compile(r"(?<![\w@./:])@(\w(?:[\w.-]*\w)?)")
# What owner tokens leave at the edges: "@ann: call Bob", "Call Bob — @ann" (but not "-5%").
_LEADING_RE = re.compile(r"^[\s,;:]*(?:[-\u2013\u2014]\s+)?")
_TRAILING_RE = re.compile(r"[\s,;:\u2013\u2014-]*$")


@dataclass
class Owner:
    """An @handle of an action item and the member it names (None: nobody, or several)."""

    handle: str
    user_id: int | None = None
    name: str | None = None


@dataclass
class ActionItem:
    """One task line of a note. `text` is its Markdown without the @owner tokens; `index` its
    place among the note's items and `box` where its "[ ]" is in the note's text (code points),
    which is what ticking it changes. `members` are its owners resolved to the event's members
    (resolve_owners)."""

    text: str
    owners: list[str] = field(default_factory=list)  # handles without the "@"
    done: bool = False
    topic: Topic | None = None
    index: int = 0
    box: int | None = None
    members: list[Owner] = field(default_factory=list)

    @property
    def owner_ids(self) -> list[int]:
        return [owner.user_id for owner in self.members if owner.user_id is not None]

    def as_dict(self) -> dict:
        return {"text": self.text, "owners": list(self.owners), "done": self.done,
                "topic_id": self.topic.id if self.topic else None, "index": self.index,
                "owner_members": [{"handle": o.handle, "user_id": o.user_id, "name": o.name}
                                  for o in self.members]}


class NoteState:
    MISSING = "missing"  # no note row: nobody opened the editor yet
    TEMPLATE = "template"  # only the report template so far
    WRITTEN = "written"


@dataclass
class TopicNotes:
    """A session's note as readers see it."""

    markdown: str
    html: Markup
    items: list[ActionItem]
    state: str
    updated_at: datetime | None  # the event's local time


# Action items ----------------------------------------------------------------------------------

_task_parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _without_owners(body: str) -> str:
    """The task text once its @owners (and the commas or "and"s between them) are taken out."""
    text = _OWNER_RE.sub("\0", body)
    text = re.sub(r"(?:\s*(?:,|&|\band\b|/)?\s*\0)+", " ", text)
    text = re.sub(r"\(\s*\)|\[\s*\]", " ", text)  # "(@anna)" leaves empty brackets
    text = " ".join(text.split())
    text = re.sub(r" ([.,;:!?)])", r"\1", text)
    return _TRAILING_RE.sub("", _LEADING_RE.sub("", text))


def parse_action_items(markdown: str | None, topic: Topic | None = None) -> list[ActionItem]:
    """Task lines of a note: `- [ ] text @owner`, `* [x] done @a @b` (any list marker, nested
    too; never inside code blocks). Owners are the @handles, the text is the rest."""
    if not markdown:
        return []
    tokens = _task_parser.parse(markdown)
    lines = _line_starts(markdown)
    items: list[ActionItem] = []
    for i, token in enumerate(tokens):
        # The first paragraph of a list item holds its task box.
        if (token.type != "inline" or i < 2 or tokens[i - 1].type != "paragraph_open"
                or tokens[i - 2].type != "list_item_open"):
            continue
        match = _TASK_RE.match(token.content)
        if match is None:
            continue
        box = _box_at(markdown, lines, token.map[0] if token.map else None)
        body = match.group(2)
        owners: list[str] = []
        for handle in _OWNER_RE.findall(body):
            if handle not in owners:
                owners.append(handle)
        text = _without_owners(body)
        if not any(c.isalnum() for c in text):
            continue  # a placeholder such as the report template's "- [ ] … @owner"
        items.append(ActionItem(text=text, owners=owners, done=match.group(1) in "xX",
                                topic=topic, index=len(items), box=box))
    return items


# A list item's first line up to its task box: quotes, indentation, the marker, the box.
_BOX_RE = re.compile(r"[ \t>]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[([ xX])\]")


def _line_starts(markdown: str) -> list[int]:
    starts = [0]
    for match in re.finditer("\n", markdown):
        starts.append(match.end())
    return starts


def _box_at(markdown: str, lines: list[int], line: int | None) -> int | None:
    """Where the box's mark (the " " or "x" between the brackets) of the task item starting
    on this line is, or None if its first line does not hold the box (then it is not ticked
    from outside the editor)."""
    if line is None or line >= len(lines):
        return None
    match = _BOX_RE.match(markdown, lines[line])
    return match.start(1) if match else None


def agenda_order(topics: Iterable[Topic]) -> list[Topic]:
    """Placed topics by slot time then room position; unplaced ones after, oldest first."""

    def key(t: Topic):
        if t.slot is not None and t.room is not None:
            return (0, t.slot.starts_at, t.room.position, t.room.id, t.id)
        return (1, datetime.max, 0, 0, t.id)

    return sorted(topics, key=key)


@text_cache
def _items_of(markdown: str) -> tuple[tuple[str, tuple[str, ...], bool, int, int | None], ...]:
    return tuple((item.text, tuple(item.owners), item.done, item.index, item.box)
                 for item in parse_action_items(markdown))


def note_action_items(markdown: str, topic: Topic | None = None) -> list[ActionItem]:
    """parse_action_items, remembered per text (render.TextCache); new objects every call (the
    caller may resolve their owners)."""
    return [ActionItem(text=text, owners=list(owners), done=done, topic=topic, index=index,
                       box=box)
            for text, owners, done, index, box in _items_of(markdown)]


def event_action_items(event: Event) -> list[ActionItem]:
    """Every action item of the event's active sessions, in agenda order, owners resolved."""
    topics = agenda_order(active_topics(event))
    texts = dict(db.session.execute(
        sa.select(Note.topic_id, Note.markdown).where(Note.topic_id.in_([t.id for t in topics]))
    ).all()) if topics else {}
    items = [item for t in topics for item in note_action_items(texts.get(t.id, ""), t)]
    return resolve_owners(event, items)


# Owners: members by their handle -------------------------------------------------------------
# A member's handle is their name with every run of other characters than letters, digits,
# "." and "-" made one "_" ("Ada Lovelace" -> "@Ada_Lovelace"); the editor's @ completion
# writes it. "@ada" also names her when she is the only member whose first name that is.

_NOT_HANDLE = re.compile(r"[^\w.-]+")


def handle_of(name: str) -> str:
    return _NOT_HANDLE.sub("_", name.strip()).strip("_.-")


def _member_names(event: Event) -> list[tuple[int, str]]:
    """(user id, name) of the event's members, by name."""
    return [tuple(row) for row in db.session.execute(sa.select(User.id, User.name).join(
        Membership, Membership.user_id == User.id).where(Membership.event_id == event.id)
        .order_by(sa.func.lower(User.name), User.id))]


def members_by_handle(event: Event) -> dict[str, tuple[int, str]]:
    """casefolded handle -> (user id, name) of the event's members; a handle two members
    share names neither of them (it stays plain text)."""
    full: dict[str, list[tuple[int, str]]] = {}
    first: dict[str, list[tuple[int, str]]] = {}
    for user_id, name in _member_names(event):
        handle = handle_of(name).casefold()
        if handle:
            full.setdefault(handle, []).append((user_id, name))
            first.setdefault(handle.split("_")[0], []).append((user_id, name))
    named = {h: people[0] for h, people in first.items() if len(people) == 1}
    named.update({h: people[0] for h, people in full.items() if len(people) == 1})
    for handle, people in full.items():
        if len(people) > 1:
            named.pop(handle, None)
    return named


def resolve_owners(event: Event, items: list[ActionItem]) -> list[ActionItem]:
    if not any(item.owners for item in items):
        return items
    named = members_by_handle(event)
    for item in items:
        item.members = [Owner(handle, *named.get(handle.casefold(), (None, None)))
                        for handle in item.owners]
    return items


def mentionable(*, event: Event, user: User | None) -> list[dict]:
    """Who the notes editor offers after "@": the event's members, by name (never an e-mail),
    with the handle it writes. Members only, like writing the note."""
    require_member(user, event)
    handles = [(user_id, name, handle_of(name)) for user_id, name in _member_names(event)]
    return [{"user_id": user_id, "name": name, "handle": handle}
            for user_id, name, handle in handles if handle]


def filter_items(items: list[ActionItem], *, owner: User | None = None, open_only: bool = False,
                 topic_id: int | None = None) -> list[ActionItem]:
    """The actions page's filters: mine (owned by this member), open, one session."""
    return [item for item in items
            if (owner is None or owner.id in item.owner_ids)
            and (not open_only or not item.done)
            and (topic_id is None or (item.topic is not None and item.topic.id == topic_id))]


def unowned_open_items(event: Event) -> list[ActionItem]:
    """What the closing circle can take: open items that name no member."""
    return [item for item in event_action_items(event) if not item.done and not item.owner_ids]


# Ticking an item from outside the editor -------------------------------------------------------

def may_tick(user: User | None, item: ActionItem, event: Event) -> bool:
    """Its owners and the organizers tick an item (on the actions page; in the note, every
    member edits everything)."""
    return user is not None and (is_organizer(user, event) or user.id in item.owner_ids)


def set_done(*, topic: Topic, user: User | None, index: Any, text: Any, done: Any) -> ActionItem:
    """Tick (or untick) the note's index-th action item, which must still read `text`: one
    Yjs update that replaces the mark between the brackets, through the same path as typing
    (notes.apply_update: stored, then relayed to every open editor), never a rewrite of the
    note from its Markdown. Refused when the note changed so that the item is gone or reads
    otherwise (the page is stale: look again)."""
    event = topic.event
    require_view(user, event)
    fields = v.Fields()
    index_ = v.integer(fields, "index", index, minimum=0, maximum=MAX_NOTE_CHARS, required=True)
    text_ = v.text(fields, "text", text, max_len=MAX_NOTE_CHARS, required=True)
    done_ = v.boolean(fields, "done", done)
    if done_ is None and "done" not in fields.errors:
        fields.add("done", _("is required"))
    fields.check()
    doc = Doc()
    doc.apply_update(note_state(topic))
    ytext = doc.get(ROOT, type=Text)
    markdown = str(ytext)
    items = resolve_owners(event, parse_action_items(markdown, topic))
    if index_ >= len(items) or unicodedata.normalize("NFC", items[index_].text) != text_:
        raise Conflict(_("This item changed in the notes meanwhile: look again."), code="stale")
    item = items[index_]
    if not may_tick(user, item, event):
        raise NotAllowed(_("Only the item's owners and the organizers tick it here."))
    if item.box is None:
        raise Conflict(_("This item can only be ticked in the notes editor."), code="stale")
    if item.done == done_:
        return item
    at = len(markdown[:item.box].encode("utf-8"))  # Y.Text positions here count UTF-8 bytes
    before = doc.get_state()
    with doc.transaction():
        del ytext[at:at + 1]
        ytext.insert(at, "x" if done_ else " ")
    apply_update(topic=topic, user=user, update=doc.get_update(before))
    item.done = done_
    return item


def action_items_by_session(event: Event, items: list[ActionItem] | None = None
                            ) -> list[tuple[Topic, list[ActionItem]]]:
    """The event's action items (or these of them) grouped by session, in agenda order;
    sessions without any are left out."""
    groups: list[tuple[Topic, list[ActionItem]]] = []
    for item in event_action_items(event) if items is None else items:
        if groups and groups[-1][0] is item.topic:
            groups[-1][1].append(item)
        else:
            groups.append((item.topic, [item]))
    return groups


# Formula injection: spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a "'" before it."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def action_items_csv(event: Event) -> str:
    """The event's action items as CSV (session, item, owners by name, or @handle for one that
    names no member; their member ids; done), safe to open in Excel.

    Starts with a UTF-8 byte order mark so Excel reads names like "Zoë" right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["session", "item", "owners", "owner_ids", "done"])
    for item in event_action_items(event):
        writer.writerow([
            csv_cell(item.topic.title if item.topic else ""),
            csv_cell(item.text),
            csv_cell(", ".join(owner.name or "@" + owner.handle for owner in item.members)),
            " ".join(str(user_id) for user_id in item.owner_ids),
            "yes" if item.done else "no",
        ])
    return out.getvalue()


# A session's note for readers ------------------------------------------------------------------

def _state(note: Note | None) -> str:
    if note is None:
        return NoteState.MISSING
    return NoteState.WRITTEN if note.has_content else NoteState.TEMPLATE


def topic_notes(*, topic: Topic, user: User | None) -> TopicNotes:
    """The note of a session rendered for reading, with its action items."""
    require_view(user, topic.event)
    note = db.session.get(Note, topic.id)
    markdown = current_markdown(topic)
    return TopicNotes(
        markdown=markdown,
        html=render_note(markdown),
        items=note_action_items(markdown, topic),
        state=_state(note),
        updated_at=times.to_local(topic.event, note.updated_at) if note is not None else None,
    )


# Sessions without notes ------------------------------------------------------------------------

_STATE_RANK = {NoteState.MISSING: 0, NoteState.TEMPLATE: 1, NoteState.WRITTEN: 2}


def notes_status(*, event: Event, user: User | None) -> list[dict]:
    """For organizers: every placed session with its notes state, those lacking notes first
    (no note, then template only, then written), each group in agenda order."""
    require_organizer(user, event)
    placed = [t for t in active_topics(event) if t.status == TopicStatus.PLACED]
    notes = {
        n.topic_id: n for n in db.session.scalars(
            sa.select(Note).where(Note.topic_id.in_([t.id for t in placed]))
        )
    } if placed else {}
    rows = [
        {
            "topic": t,
            "state": _state(notes.get(t.id)),
            "updated_at": times.to_local(event, notes[t.id].updated_at) if t.id in notes else None,
        }
        for t in agenda_order(placed)
    ]
    rows.sort(key=lambda row: _STATE_RANK[row["state"]])  # stable: agenda order within a state
    return rows

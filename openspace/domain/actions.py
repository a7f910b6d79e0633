"""What the notes say: action items (`- [ ] text @owner`), the rendered note of a session, and
which sessions still lack notes (for organizers).

The note's text comes from notes.current_markdown(topic) (the CRDT side owns how it is kept).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..extensions import db
from ..models import Event, Note, Topic, TopicStatus, User
from .board import active_topics
from .notes import current_markdown
from .permissions import require_organizer, require_view
from .render import render_markdown

# A task line's first paragraph: "[ ] text" or "[x] text" (the list marker is already parsed).
_TASK_RE = re.compile(r"^\[([ xX])\][ \t]+(\S.*)$", re.S)
# "@handle": not inside a word, an email address or a URL; may hold . and - inside.
_OWNER_RE = re.compile(r"(?<![\w@./:])@(\w(?:[\w.-]*\w)?)")
# What owner tokens leave at the edges: "@ann: call Bob", "Call Bob — @ann" (but not "-5%").
_LEADING_RE = re.compile(r"^[\s,;:]*(?:[-\u2013\u2014]\s+)?")
_TRAILING_RE = re.compile(r"[\s,;:\u2013\u2014-]*$")


@dataclass
class ActionItem:
    """One task line of a note. `text` is its Markdown without the @owner tokens."""

    text: str
    owners: list[str] = field(default_factory=list)  # handles without the "@"
    done: bool = False
    topic: Topic | None = None

    def as_dict(self) -> dict:
        return {"text": self.text, "owners": list(self.owners), "done": self.done,
                "topic_id": self.topic.id if self.topic else None}


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


def _local(event: Event, utc_naive: datetime | None) -> datetime | None:
    if utc_naive is None:
        return None
    return utc_naive.replace(tzinfo=UTC).astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None)


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
    items: list[ActionItem] = []
    for i, token in enumerate(tokens):
        # The first paragraph of a list item holds its task box.
        if (token.type != "inline" or i < 2 or tokens[i - 1].type != "paragraph_open"
                or tokens[i - 2].type != "list_item_open"):
            continue
        match = _TASK_RE.match(token.content)
        if match is None:
            continue
        body = match.group(2)
        owners: list[str] = []
        for handle in _OWNER_RE.findall(body):
            if handle not in owners:
                owners.append(handle)
        text = _without_owners(body)
        if not any(c.isalnum() for c in text):
            continue  # a placeholder such as the report template's "- [ ] … @owner"
        items.append(ActionItem(text=text, owners=owners, done=match.group(1) in "xX",
                                topic=topic))
    return items


def agenda_order(topics: Iterable[Topic]) -> list[Topic]:
    """Placed topics by slot time then room position; unplaced ones after, oldest first."""

    def key(t: Topic):
        if t.slot is not None and t.room is not None:
            return (0, t.slot.starts_at, t.room.position, t.room.id, t.id)
        return (1, datetime.max, 0, 0, t.id)

    return sorted(topics, key=key)


def event_action_items(event: Event) -> list[ActionItem]:
    """Every action item of the event's active sessions, in agenda order."""
    topics = agenda_order(active_topics(event))
    return [item for t in topics for item in parse_action_items(current_markdown(t), t)]


def action_items_by_session(event: Event) -> list[tuple[Topic, list[ActionItem]]]:
    """The event's action items grouped by session, in agenda order; sessions without any are
    left out."""
    groups: list[tuple[Topic, list[ActionItem]]] = []
    for item in event_action_items(event):
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
    """The event's action items as CSV (session, item, owners, done), safe to open in Excel.

    Starts with a UTF-8 byte order mark so Excel reads names like "Zoë" right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["session", "item", "owners", "done"])
    for item in event_action_items(event):
        writer.writerow([
            csv_cell(item.topic.title if item.topic else ""),
            csv_cell(item.text),
            csv_cell(", ".join(item.owners)),
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
        html=render_markdown(markdown),
        items=parse_action_items(markdown, topic),
        state=_state(note),
        updated_at=_local(topic.event, note.updated_at) if note is not None else None,
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
            "updated_at": _local(event, notes[t.id].updated_at) if t.id in notes else None,
        }
        for t in agenda_order(placed)
    ]
    rows.sort(key=lambda row: _STATE_RANK[row["state"]])  # stable: agenda order within a state
    return rows

"""The event's summary, the "book of proceedings": the agenda as it happened and, session by
session in agenda order, its convener, room, time, interest, report (the rendered notes) and
photos, then every action item. One Summary feeds the page, the Markdown, the ZIP and the JSON.

Who may read it: organizers always (they preview it before publishing); everyone who may see the
event once the organizers published it (`summary_published`); nobody else (404, like a private
event: an unpublished summary does not exist for them).

Morning and evening news (what the projector shows between sessions, projector.py) are the
sessions whose notes were written most recently: `news()`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache

import sqlalchemy as sa
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy.orm import defer, selectinload

from ..extensions import db
from ..i18n import _
from ..models import Event, Note, Photo, Room, Slot, Topic, TopicStatus, User
from . import times
from .actions import ActionItem, NoteState, _items_of, agenda_order, parse_action_items
from .board import active_topics, days
from .checkins import attendance
from .errors import NotFound
from .permissions import can_view_event, is_organizer
from .render import md_escape, render_note, text_cache

# Session headings are level 2 (in the page and in the Markdown): a note's own headings go two
# levels below, so a note's "# ..." never reads as a new session.
HEADING_SHIFT = 2


# Who may read it -------------------------------------------------------------------------------

def can_read_summary(user: User | None, event: Event) -> bool:
    """Organizers always (preview); others once it is published and they may see the event."""
    if is_organizer(user, event):
        return True
    return event.summary_published and can_view_event(user, event)


def require_summary(user: User | None, event: Event) -> None:
    """An unpublished summary (or one of an event the user may not see) is 404, not 403."""
    if not can_read_summary(user, event):
        raise NotFound(_("This event has no published summary."))


# What it holds ---------------------------------------------------------------------------------

@dataclass
class SessionReport:
    """One session of the book: its topic, its note (as written, and ready to print), photos."""

    number: int
    topic: Topic
    markdown: str  # the note exactly as written ("" when there is none)
    state: str  # NoteState: missing, template, written
    updated_at: datetime | None  # when the note last changed, the event's local time
    items: list[ActionItem]
    photos: list[Photo]  # without their bytes (deferred)
    attended: int = 0  # people who checked in ("I'm here") at some point (domain/checkins.py)

    @property
    def anchor(self) -> str:
        return f"session-{self.number}"

    @property
    def written(self) -> bool:
        return self.state == NoteState.WRITTEN

    @cached_property
    def body(self) -> str:
        """The note for the book: its title line dropped, its headings nested under the
        session's (empty while nothing was written)."""
        return nest_headings(self.markdown, self.topic.title) if self.written else ""

    @cached_property
    def html(self) -> Markup:
        return rendered(self.body)


@dataclass
class Summary:
    event: Event
    rooms: list[Room]
    days: list[tuple[date, list[Slot]]]
    sessions: list[SessionReport]  # placed sessions, in agenda order
    unplaced: list[Topic]  # proposed but never on the agenda
    grid: dict[tuple[int, int], SessionReport] = field(default_factory=dict)

    @property
    def action_items(self) -> list[ActionItem]:
        return [item for report in self.sessions for item in report.items]

    @cached_property
    def anchors(self) -> dict[int, str]:
        """Each session's anchor on the page, by topic id."""
        return {report.topic.id: report.anchor for report in self.sessions}

    @property
    def photo_count(self) -> int:
        return sum(len(report.photos) for report in self.sessions)


def notes_of(topic_ids: list[int]) -> dict[int, Note]:
    """The notes of these topics in one query (their CRDT snapshot left unloaded)."""
    if not topic_ids:
        return {}
    return {note.topic_id: note for note in db.session.scalars(
        sa.select(Note).where(Note.topic_id.in_(topic_ids)).options(defer(Note.snapshot)))}


def photos_of(topic_ids: list[int], *, with_data: bool = False) -> dict[int, list[Photo]]:
    """The photos of these topics in one query, in the order they were added."""
    grouped: dict[int, list[Photo]] = {topic_id: [] for topic_id in topic_ids}
    if not topic_ids:
        return grouped
    options = [selectinload(Photo.uploader)]
    if not with_data:
        options += [defer(Photo.data), defer(Photo.thumbnail)]
    for photo in db.session.scalars(
        sa.select(Photo).where(Photo.topic_id.in_(topic_ids)).options(*options)
        .order_by(Photo.created_at, Photo.id)
    ):
        grouped[photo.topic_id].append(photo)
    return grouped


def _state(note: Note | None) -> str:
    if note is None:
        return NoteState.MISSING
    return NoteState.WRITTEN if note.has_content else NoteState.TEMPLATE


def build_summary(event: Event) -> Summary:
    """Everything the book shows, read in a handful of queries (whatever the event's size).

    The caller checks who may read it (require_summary)."""
    rooms = list(event.rooms)
    grouped = days(event)  # loads the slots, so topic.slot below comes from the session
    topics = active_topics(event)
    placed = agenda_order([t for t in topics if t.status == TopicStatus.PLACED])
    ids = [t.id for t in placed]
    notes = notes_of(ids)
    photos = photos_of(ids)
    sessions = []
    attended = attendance(ids)
    for number, topic in enumerate(placed, start=1):
        note = notes.get(topic.id)
        markdown = note.markdown if note is not None else ""
        state = _state(note)
        sessions.append(SessionReport(
            number=number, topic=topic, markdown=markdown, state=state,
            updated_at=times.to_local(event, note.updated_at) if note is not None else None,
            items=action_items(markdown, topic) if state == NoteState.WRITTEN else [],
            photos=photos[topic.id],
            attended=attended.get(topic.id, 0),
        ))
    unplaced = [t for t in topics if t.status != TopicStatus.PLACED]
    return Summary(event=event, rooms=rooms, days=grouped, sessions=sessions, unplaced=unplaced,
                   grid={(r.topic.room_id, r.topic.slot_id): r for r in sessions})


def summary_for(*, event: Event, user: User | None) -> Summary:
    """The summary as this user may read it (NotFound otherwise)."""
    require_summary(user, event)
    return build_summary(event)


# Notes inside the book -------------------------------------------------------------------------
#
# Reading a note costs a few milliseconds of Markdown parsing, so a 200-session book would spend
# seconds on it at every request. Notes rarely change once the event is over, so what is read
# from a note's text is kept per text (in each process, least recently used first out): a changed
# note is a new text, so nothing is ever stale.

rendered = render_note  # render.render_markdown, remembered per text (render.TextCache)


@text_cache
def _items(markdown: str) -> tuple[tuple[str, tuple[str, ...], bool], ...]:
    return tuple((item.text, tuple(item.owners), item.done)
                 for item in parse_action_items(_outline(_normal(markdown)).task_source))


def action_items(markdown: str, topic: Topic) -> list[ActionItem]:
    """actions.parse_action_items of the note, remembered per text, and given only the note's
    top-level lists and quotes that hold a task box: CommonMark's top-level blocks are read
    independently (reference definitions change only inline links, and item texts are source
    text), so the items are the same, for a fraction of the parsing."""
    return [ActionItem(text=text, owners=list(owners), done=done, topic=topic)
            for text, owners, done in _items(markdown)]


def forget_cached() -> None:
    """Empty the per-text caches (benchmarks measure the cold path with this)."""
    for cached in (rendered, _items, _outline, _nest_headings, _items_of):
        cached.cache_clear()


@lru_cache(maxsize=1)
def _block_parser() -> MarkdownIt:
    """CommonMark's block grammar (+ tables) without inline parsing, as actions.py reads notes:
    where the headings and lists are is all that is needed here, at half a full parse's cost."""
    return MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])


def _normal(markdown: str) -> str:
    """Line ends as the Markdown parser counts them (its token maps are line numbers)."""
    return markdown.replace("\r\n", "\n").replace("\r", "\n")


def _lines(text: str) -> list[str]:
    """The lines of a normalized text with their "\n" (str.splitlines also splits at other
    characters, such as U+2028, that Markdown does not count as line ends)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


@dataclass(frozen=True)
class _Outline:
    # (first line, end line, level, markup, text, is the first block) of top-level headings
    headings: tuple[tuple[int, int, int, str, str, bool], ...]
    task_source: str  # the top-level lists and quotes with a task box, blank-line separated


_TASK_BOX = re.compile(r"\[[ xX]\]")
_CONTAINERS = ("bullet_list_open", "ordered_list_open", "blockquote_open")


@text_cache
def _outline(markdown: str) -> _Outline:
    """One block-level parse of a (normalized) note: its top-level headings and task-holding
    blocks."""
    lines = _lines(markdown)
    headings = []
    blocks = []
    first = True
    tokens = _block_parser().parse(markdown)
    for i, token in enumerate(tokens):
        if token.level != 0 or token.map is None or token.type.endswith("_close"):
            continue
        start, end = token.map
        if token.type == "heading_open":
            headings.append((start, end, int(token.tag[1]), token.markup,
                             tokens[i + 1].content.strip(), first))
        elif token.type in _CONTAINERS:
            block = "".join(lines[start:end])
            if _TASK_BOX.search(block):
                blocks.append(block.rstrip("\n"))
        first = False
    return _Outline(headings=tuple(headings), task_source="\n\n".join(blocks) + "\n")


def nest_headings(markdown: str, title: str = "", shift: int = HEADING_SHIFT) -> str:
    """The note as the book prints it, under its session's heading (level `shift`): its
    headings nested one level at a time below that one (siblings stay siblings, no level is
    ever skipped, at most level 6: "## Key points" becomes "### Key points" even when the
    note has no "#"), setext headings turned into ATX ones, a first heading that repeats the
    session's title (the report template starts with one) dropped, and so are headings with
    nothing under them (the template's headings nobody wrote under). Code blocks and
    everything else stay as written: headings are found by a Markdown parser, not a regular
    expression."""
    return _nest_headings(_normal(markdown), title, shift)


def _heading_levels(levels: list[int], base: int) -> list[int]:
    """Each heading's level in the book: one below its nearest shallower heading before it."""
    out, open_levels = [], []  # the note's levels of the headings still "open" above this one
    for level in levels:
        while open_levels and open_levels[-1] >= level:
            open_levels.pop()
        out.append(min(base + len(open_levels) + 1, 6))
        open_levels.append(level)
    return out


@text_cache
def _nest_headings(markdown: str, title: str, shift: int) -> str:
    lines = _lines(markdown)
    # The report template writes the title escaped (notes.report_template); people type it plain.
    titles = {title.strip(), md_escape(title)}
    headings = list(_outline(markdown).headings)
    if headings and headings[0][5] and headings[0][2] == 1 and headings[0][4] in titles:
        first = headings.pop(0)
        lines[first[0]:first[1]] = [""] * (first[1] - first[0])
    heading_lines = {n for start, end, *_ in headings for n in range(start, end)}
    levels = _heading_levels([h[2] for h in headings], shift)
    for i in reversed(range(len(headings))):
        start, end, level, markup, text, _first = headings[i]
        following = next((h[0] for h in headings[i + 1:] if h[2] <= level), len(lines))
        if not any(lines[n].strip() for n in range(end, following) if n not in heading_lines):
            lines[start:end] = [""] * (end - start)  # nothing under it: not printed
        elif markup.startswith("#"):
            line = lines[start]
            stripped = line.lstrip(" ")
            indent = line[: len(line) - len(stripped)]
            lines[start:start + 1] = [indent + "#" * levels[i] + stripped.lstrip("#")]
        else:  # setext: "Title\n====="
            newline = "\n" if lines[end - 1].endswith("\n") else ""
            lines[start:end] = ["#" * levels[i] + " " + " ".join(text.split()) + newline]
            lines[start + 1:start + 1] = [""] * (end - start - 1)
    text = "".join(lines).strip("\n")
    return text + "\n" if text.strip() else ""


# Morning and evening news ----------------------------------------------------------------------

@dataclass
class NewsItem:
    topic: Topic
    html: Markup
    items: list[ActionItem]
    updated_at: datetime  # the event's local time


def news(event: Event, *, limit: int = 12) -> list[NewsItem]:
    """Sessions whose reports were written, the most recently changed first: what the
    projector rolls through between sessions."""
    rows = db.session.execute(
        sa.select(Note.topic_id, Note.markdown, Note.updated_at)
        .join(Topic, Topic.id == Note.topic_id)
        .where(Topic.event_id == event.id, Topic.status == TopicStatus.PLACED,
               Note.has_content.is_(True))
        .order_by(Note.updated_at.desc(), Note.topic_id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return []
    topics = {t.id: t for t in db.session.scalars(
        sa.select(Topic).where(Topic.id.in_([r.topic_id for r in rows]))
        .options(selectinload(Topic.convener), selectinload(Topic.room),
                 selectinload(Topic.slot), selectinload(Topic.interests)))}
    return [
        NewsItem(topic=topics[r.topic_id],
                 html=rendered(nest_headings(r.markdown, topics[r.topic_id].title, shift=3)),
                 items=action_items(r.markdown, topics[r.topic_id]),
                 updated_at=times.to_local(event, r.updated_at))
        for r in rows
    ]


# Plain-text helpers shared by the Markdown and iCalendar exports --------------------------------

def gh_anchor(heading: str) -> str:
    """The anchor GitHub and most Markdown viewers give a heading ("1. Pricing" -> "1-pricing")."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


PhotoUrl = Callable[[Photo], str]

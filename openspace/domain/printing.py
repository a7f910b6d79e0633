"""Room signs and session cards, printed: what goes on them, in which order, and the PDF.

A **door sign** per room and day: the room's name, the day, and its sessions of that day in
time order (title, convener, time in the event's zone, a QR code to the session's notes); a
room with nothing on that day still gets its sign, saying so, and one with more sessions than
a sign holds gets several. A **session card** per active
topic, to pin on the marketplace wall: title, convener, room and time (or "not on the board
yet"), and the QR code. Placed topics come first in board order (time, then room), then the
marketplace in the order proposed. Both in A4 or A6, in the event's language and zone.

The QR code opens the session's notes page at an address the attendees' phones reach (the join
link's address logic, domain/projector.py), carrying the event's join code, as the projector's
join QR does: scanning it takes a member straight to the notes and anyone else through the
join step back to them (`arrival`).

PDFs are made by WeasyPrint from the same HTML as the print pages. That costs CPU (a few tenths
of a second a page): it runs off the event loop, one at a time, and spends from the user's
"print" bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PIL import ImageFile

from ..extensions import db
from ..i18n import _, formats
from ..models import Event, Room, Slot, Topic, User
from . import board, ratelimit, times
from . import validation as v
from .errors import NotFound, ValidationFailed
from .events import event_for_join_code, get_room
from .offload import Slots
from .permissions import is_member, require_organizer


@dataclass(frozen=True)
class PageSize:
    name: str  # the CSS @page size keyword
    width_mm: int
    height_mm: int


SIZES = {"a4": PageSize("A4", 210, 297), "a6": PageSize("A6", 105, 148)}
# Sessions one door sign holds (a row is as tall as its QR code); a room with more that day gets
# a second sign ("2 of 2") rather than losing the rest off the bottom of the page.
PER_SIGN = {"a4": 5, "a6": 4}
# Titles longer than this are set smaller, so even 120 characters take a few lines.
LONG_TITLE = 60
KINDS = ("signs", "cards")

# One PDF at a time per server process: a second organizer's waits its turn (green, so the
# server goes on serving everyone else meanwhile).
_pdf_slots = Slots(1)


@dataclass(frozen=True)
class Session:
    """One session as printed: on a door sign's list, or alone on a card."""

    topic: Topic
    title: str
    convener: str
    url: str  # what its QR code encodes: the notes page (absolute)
    room: str = ""  # "" when not on the board
    day: str = ""  # "Monday, November 23", in the event's language
    time: str = ""  # "10:00 – 11:00 AM" in the event's language
    zone: str = ""  # "CET": the event's zone at that time

    @property
    def placed(self) -> bool:
        return bool(self.room)

    @property
    def long(self) -> bool:
        return len(self.title) > LONG_TITLE


@dataclass(frozen=True)
class DoorSign:
    room: Room
    day: date
    day_label: str
    sessions: list[Session]
    part: int = 1  # this sign's number among the room's signs of the day
    parts: int = 1


@dataclass(frozen=True)
class Sheet:
    """Everything one print page (or PDF) shows: its signs or cards, in order."""

    event: Event
    kind: str  # "signs" or "cards"
    size: PageSize
    size_key: str  # "a4", "a6"
    day: date | None  # the signs' day
    signs: list[DoorSign]
    cards: list[Session]


def _session(event: Event, topic: Topic, url: str) -> Session:
    slot: Slot | None = topic.slot
    if topic.room is None or slot is None:
        return Session(topic=topic, title=topic.title, convener=topic.convener.name, url=url)
    return Session(
        topic=topic, title=topic.title, convener=topic.convener.name, url=url,
        room=topic.room.name,
        day=formats.format_day(slot.starts_at, language=event.language),
        time=formats.format_time_range(slot.starts_at, slot.ends_at, language=event.language),
        zone=times.zone(event, slot.starts_at),
    )


def _board_order(topic: Topic) -> tuple:
    """Placed topics by time then room (as on the board), then the marketplace by age."""
    if topic.slot is not None and topic.room is not None:
        return (0, topic.slot.starts_at, topic.room.position, topic.room.id, topic.id)
    return (1, topic.created_at, topic.id)


def event_days(event: Event) -> list[date]:
    """The days the event has slots on, in order."""
    return [day for day, _slots in board.days(event)]


def default_day(event: Event, now: datetime | None = None) -> date | None:
    """Signs are for today by the event's clock (at the aware `now`, default: now), else the
    first day with slots (or the last, once the event is over)."""
    days = event_days(event)
    if not days:
        return None
    today = times.local_now(event, now).date()
    if today in days:
        return today
    return days[0] if today < days[0] else days[-1]


def _options(event: Event, *, kind: Any, size: Any, day: Any) -> tuple[str, str, date | None]:
    fields = v.Fields()
    kind = v.choice(fields, "kind", kind, KINDS, default="signs")
    size = v.choice(fields, "size", size, SIZES, default="a4")
    chosen = v.day(fields, "day", day, required=False)
    if chosen is not None and chosen not in event_days(event):
        fields.add("day", _("must be a day of the event that has slots"))
    fields.check()
    return kind, size, chosen or default_day(event)


def _query_id(name: str, value: Any) -> int:
    """An id from a query string ("7"), or ValidationFailed naming the field."""
    number = v.id_from_text(value) if isinstance(value, str) else v.as_id(value)
    if number is None:
        messages = {"room": _("must be a room id (a whole number)"),
                    "topic": _("must be a topic id (a whole number)")}
        raise ValidationFailed(fields={name: messages[name]})
    return number


def sheet(*, event: Event, user: User | None, kind: Any, size: Any = None, day: Any = None,
          room_id: Any = None, topic_id: Any = None,
          notes_url: Callable[[Topic], str]) -> Sheet:
    """What to print (organizers only): door signs of every room (or one) for a day, or cards
    for every active topic (or one); `notes_url` makes a topic's absolute notes link."""
    require_organizer(user, event)
    kind, size_key, chosen = _options(event, kind=kind, size=size, day=day)
    topics = sorted(board.active_topics(event), key=_board_order)
    signs: list[DoorSign] = []
    cards: list[Session] = []
    if kind == "signs":
        rooms = [get_room(event, _query_id("room", room_id))] if room_id not in (None, "") else \
            sorted(event.rooms, key=lambda r: (r.position, r.id))
        for room in rooms:
            here = [_session(event, t, notes_url(t)) for t in topics
                    if t.room_id == room.id and t.slot is not None
                    and t.slot.starts_at.date() == chosen]
            per = PER_SIGN[size_key]
            parts = [here[i:i + per] for i in range(0, len(here), per)] or [[]]
            label = formats.format_day(chosen, language=event.language) if chosen else ""
            signs.extend(DoorSign(room=room, day=chosen, day_label=label, sessions=part,
                                  part=number, parts=len(parts))
                         for number, part in enumerate(parts, 1))
    else:
        if topic_id not in (None, ""):
            wanted = _query_id("topic", topic_id)
            topics = [t for t in topics if t.id == wanted]
            if not topics:
                raise NotFound(_("No such topic on this event's board or marketplace."))
        cards = [_session(event, t, notes_url(t)) for t in topics]
    return Sheet(event=event, kind=kind, size=SIZES[size_key], size_key=size_key, day=chosen,
                 signs=signs, cards=cards)


def pdf(*, user: User, html: str, stylesheet: str) -> bytes:
    """The print page as a PDF, made by WeasyPrint off the event loop; each costs the user a
    token of the "print" bucket. Nothing is fetched from anywhere: the page is self-contained
    (QR codes inline, the stylesheet given, fonts from the system)."""
    ratelimit.spend(user, "print")

    def refuse(url: str, *args, **kwargs):
        raise ValueError(f"print pages load nothing: {url[:60]}")

    def work() -> bytes:
        # WeasyPrint (and pango, fontconfig's font scan) loads when the first PDF is asked for,
        # in the worker thread too: a server that never prints never pays for it, and the
        # seconds the first load takes stop nobody else.
        from weasyprint import CSS, HTML

        # Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process,
        # which would let the photo pipeline take cut-off uploads (photos.py refuses them); print
        # pages load no image through Pillow anyway.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        return HTML(string=html, url_fetcher=refuse).write_pdf(
            stylesheets=[CSS(string=stylesheet, url_fetcher=refuse)])

    return _pdf_slots.run(work)


# Scanning a printed QR code ----------------------------------------------------------------

@dataclass(frozen=True)
class Arrival:
    topic: Topic
    join: bool  # send them through the join step first (with the printed code)
    code: str = ""


def arrival(*, topic_id: Any, user: User | None, code: Any,
            client: str | None = None) -> Arrival:
    """Where a scanned session QR code leads: a member to the notes; anyone else with the
    event's code to the join step, which returns them to the notes. Without a right code (none,
    or one printed before the organizers made a new one) it is the notes page as anyone sees
    it: readable on a public event, 404 on a private one. Wrong codes spend from the join_code
    buckets, as everywhere."""
    topic = db.session.get(Topic, v.identifier("topic_id", topic_id, what="a topic id"))
    if topic is None:
        raise NotFound(_("No such topic."))
    if is_member(user, topic.event) or not code:
        return Arrival(topic=board.get_topic(topic.id, user), join=False)
    try:
        event_for_join_code(code, slug=topic.event.slug, user=user, client=client)
    except NotFound:
        return Arrival(topic=board.get_topic(topic.id, user), join=False)
    return Arrival(topic=topic, join=True, code=topic.event.join_code)

"""The board: the marketplace of proposed topics and the grid of rooms x time slots.

Every change bumps the event's board version by exactly one inside its transaction and is
announced (board_changed) only after that transaction commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import _, formats
from ..models import (
    Event,
    Interest,
    Room,
    Slot,
    SlotKind,
    Topic,
    TopicStatus,
    User,
)
from . import times
from . import validation as v
from .errors import (
    Conflict,
    ConvenerBusy,
    DomainError,
    NotFound,
    SlotTaken,
    ValidationFailed,
)
from .mail import notifications
from .permissions import (
    can_view_event,
    require_board_change,
    require_member,
    require_organizer,
    require_topic_edit,
)
from .serialize import event_dict, room_dict, slot_dict, topic_dict
from .signals import board_changed
from .tx import writing

TOPIC_FIELDS = ("title", "description", "tags")
_TOPIC_RELATIONSHIPS = tuple(sa.inspect(Topic).relationships.keys())
MERGE_INTO_ITSELF = "A topic cannot be merged into itself."  # also checked by backup.py


def bump_version(event: Event) -> int:
    """Increase the event's board version by one, in the current transaction."""
    return db.session.execute(
        sa.update(Event)
        .where(Event.id == event.id)
        .values(board_version=Event.board_version + 1)
        .returning(Event.board_version)
    ).scalar_one()


def announce(event_id: int, version: int, kind: str, **payload: Any) -> None:
    """Tell listeners (realtime.py) about a committed board change."""
    board_changed.send(event_id, version=version, kind=kind, **payload)


def _topic_changed(topic: Topic, kind: str) -> tuple[int, int, dict]:
    """Bump the version and snapshot the topic, inside the transaction (before commit).

    After the flush the topic's columns are what was written; only its relationships may be
    stale (a new room id, an interest added beside the collection): they are expired and load
    again, from the session's identity map where the transaction read them (the cell's room and
    slot, the convener), instead of reading the topic's row back."""
    db.session.flush()
    version = bump_version(topic.event)
    db.session.expire(topic, _TOPIC_RELATIONSHIPS)
    return topic.event_id, version, topic_dict(topic)


# Reading ---------------------------------------------------------------------------------------

def get_topic(topic_id: Any, user: User | None, *, field: str = "topic_id") -> Topic:
    """A topic the user may see (topics of private events 404 for non-members). An id that is
    not one (validation.as_id) is `invalid`, naming `field`, like every other id."""
    topic = db.session.get(Topic, v.identifier(field, topic_id, what="a topic id"))
    if topic is None or not can_view_event(user, topic.event):
        raise NotFound(_("No such topic."))
    return topic


def marketplace(event: Event, *, tag: str | None = None,
                query: str | None = None) -> dict[str, Any]:
    """The marketplace: topics not placed yet first (oldest first, as they were posted), then
    the placed ones in agenda order; narrowed to one tag and/or words found in a topic's title,
    description, tags or convener's name (case-insensitive); with every tag and its count."""
    topics = active_topics(event)
    counts: dict[str, int] = {}
    for topic in topics:
        for name in topic.tags or []:
            counts[name] = counts.get(name, 0) + 1
    tag = (tag or "").strip().lstrip("#").lower() or None
    words = (query or "").casefold().split()

    def matches(topic: Topic) -> bool:
        if tag and tag not in (topic.tags or []):
            return False
        haystack = " ".join([topic.title, topic.description or "", " ".join(topic.tags or []),
                             topic.convener.name]).casefold()
        return all(word in haystack for word in words)

    shown = [t for t in topics if matches(t)]
    placed = sorted((t for t in shown if t.room_id is not None),
                    key=lambda t: (t.slot.starts_at if t.slot else datetime.max,
                                   t.room.position if t.room else 0, t.id))
    return {
        "unplaced": [t for t in shown if t.room_id is None],
        "placed": placed,
        "tags": sorted(counts.items(), key=lambda item: (-item[1], item[0])),
        "tag": tag,
        "query": (query or "").strip(),
        "total": len(topics),
    }


def active_topics(event: Event) -> list[Topic]:
    return list(
        db.session.scalars(
            sa.select(Topic)
            .where(
                Topic.event_id == event.id,
                Topic.status.in_([TopicStatus.PROPOSED, TopicStatus.PLACED]),
            )
            .options(
                selectinload(Topic.interests),
                selectinload(Topic.convener),
                selectinload(Topic.room),
            )
            .order_by(Topic.created_at, Topic.id)
        )
    )


def board_snapshot(event: Event) -> dict:
    """The whole board as the public contract shapes it: {version, event, rooms, slots, topics}."""
    return {
        "version": event.board_version,
        "event": event_dict(event),
        "rooms": [room_dict(r) for r in event.rooms],
        "slots": [slot_dict(s) for s in event.slots],
        "topics": [topic_dict(t) for t in active_topics(event)],
    }


local_now = times.local_now  # the event's wall-clock time (naive, like slot times)


def now_and_next(event: Event, now: datetime | None = None) -> dict:
    """For each room: the session running now and the next one, by the event's clock."""
    clock = local_now(event, now)
    slots = [s for s in event.slots if s.kind == SlotKind.SESSION]
    current = next((s for s in slots if s.starts_at <= clock < s.ends_at), None)
    upcoming = [s for s in slots if s.starts_at > clock]
    next_slot = upcoming[0] if upcoming else None
    placed = {(t.room_id, t.slot_id): t for t in active_topics(event) if t.room_id}
    plenary = next(
        (s for s in event.slots if s.kind != SlotKind.SESSION and s.starts_at <= clock < s.ends_at),
        None,
    )
    # The next moment this answer changes by the clock alone (a slot starts or ends): a live
    # page refetches then, as it does after a board change.
    changes_at = min((t for s in event.slots for t in (s.starts_at, s.ends_at) if t > clock),
                     default=None)
    return {
        "clock": clock,
        "changes_at": changes_at,
        "current_slot": current,
        "next_slot": next_slot,
        "current_other": plenary,
        "rooms": [
            {
                "room": room,
                "now": placed.get((room.id, current.id)) if current else None,
                "next": placed.get((room.id, next_slot.id)) if next_slot else None,
            }
            for room in event.rooms
        ],
    }


def days(event: Event) -> list[tuple[Any, list[Slot]]]:
    """Slots grouped by day, in order."""
    grouped: dict[Any, list[Slot]] = {}
    for slot in event.slots:
        grouped.setdefault(slot.starts_at.date(), []).append(slot)
    return sorted(grouped.items())


def free_cells(event: Event) -> list[tuple[Slot, Room]]:
    """Session cells that hold no topic, in time then room order."""
    taken = set(
        db.session.execute(
            sa.select(Topic.room_id, Topic.slot_id).where(
                Topic.event_id == event.id, Topic.room_id.is_not(None)
            )
        ).all()
    )
    return [
        (slot, room)
        for slot in event.slots
        if slot.kind == SlotKind.SESSION
        for room in event.rooms
        if (room.id, slot.id) not in taken
    ]


def my_agenda(event: Event, user: User) -> dict:
    """What the user convenes and what they said they'll come to."""
    topics = active_topics(event)
    convening = [t for t in topics if t.convener_id == user.id]
    attending = [t for t in topics if any(i.user_id == user.id for i in t.interests)]

    def order(t: Topic):
        return (t.slot is None, t.slot.starts_at if t.slot else datetime.max, t.id)

    return {"convening": sorted(convening, key=order), "attending": sorted(attending, key=order)}


def coming_to(event: Event, user: User | None) -> frozenset[int]:
    """The ids of the event's active topics the user said they'll come to."""
    if user is None or not user.is_authenticated:
        return frozenset()
    return frozenset(db.session.scalars(
        sa.select(Interest.topic_id).join(Topic, Topic.id == Interest.topic_id)
        .where(Interest.user_id == user.id, Topic.event_id == event.id,
               Topic.status.in_([TopicStatus.PROPOSED, TopicStatus.PLACED]))))


# Topics ----------------------------------------------------------------------------------------

def topic_values(data: dict[str, Any], *, partial: bool) -> dict:
    """A topic's title, description and tags checked and cleaned (also for `openspace
    import`)."""
    v.only_known(data, TOPIC_FIELDS)
    fields = v.Fields()
    out: dict[str, Any] = {}
    if not partial or "title" in data:
        out["title"] = v.text(fields, "title", data.get("title"), max_len=v.TITLE_MAX,
                              required=True)
    if not partial or "description" in data:
        out["description"] = v.text(fields, "description", data.get("description"),
                                     max_len=v.DESCRIPTION_MAX, multiline=True)
    if not partial or "tags" in data:
        out["tags"] = v.tags(fields, "tags", data.get("tags"))
    fields.check()
    return out


def propose_topic(*, event: Event, user: User, data: dict[str, Any]) -> Topic:
    """A member posts a topic to the marketplace; they become its convener."""
    values = topic_values(data, partial=False)
    with writing():
        require_board_change(user, event)
        topic = Topic(event_id=event.id, convener_id=user.id, **values)
        db.session.add(topic)
        event_id, version, payload = _topic_changed(topic, "proposed")
    announce(event_id, version, "proposed", topic=payload)
    return topic


def update_topic(*, topic: Topic, user: User, data: dict[str, Any]) -> Topic:
    """The convener or an organizer edits title, description or tags."""
    values = topic_values(data, partial=True)
    with writing():
        require_topic_edit(user, topic)
        _require_active(topic)
        for key, value in values.items():
            setattr(topic, key, value)
        event_id, version, payload = _topic_changed(topic, "updated")
    announce(event_id, version, "updated", topic=payload)
    return topic


def _require_active(topic: Topic) -> None:
    if not topic.is_active:
        raise Conflict(_("This topic was merged.") if topic.status == TopicStatus.MERGED
                       else _("This topic was withdrawn."), code="topic_inactive")


def withdraw_topic(*, topic: Topic, user: User) -> Topic:
    """Take a topic off the board and the marketplace (its cell becomes free)."""
    with writing():
        require_topic_edit(user, topic)
        _require_active(topic)
        topic.room_id = topic.slot_id = None
        topic.status = TopicStatus.WITHDRAWN
        event_id, version, payload = _topic_changed(topic, "withdrawn")
        notifications.topics_changed([topic], actor=user)
    announce(event_id, version, "withdrawn", topic=payload)
    return topic


def _cell(topic: Topic, room_id: Any, slot_id: Any) -> tuple[Room, Slot]:
    fields = v.Fields()
    for name, value in (("room_id", room_id), ("slot_id", slot_id)):
        if not v.is_id(value):
            fields.add(name, _("must be an id (a whole number)"))
    fields.check()
    room = db.session.get(Room, v.as_id(room_id))
    slot = db.session.get(Slot, v.as_id(slot_id))
    if room is None or room.event_id != topic.event_id:
        raise NotFound(_("No such room in this event."), fields={"room_id": _("not in this event")})
    if slot is None or slot.event_id != topic.event_id:
        raise NotFound(_("No such time slot in this event."),
                       fields={"slot_id": _("not in this event")})
    return room, slot


def _holder(room_id: int, slot_id: int) -> Topic | None:
    return db.session.scalar(
        sa.select(Topic).where(Topic.room_id == room_id, Topic.slot_id == slot_id)
    )


def _convener_busy(topic: Topic, slot: Slot) -> Topic | None:
    return db.session.scalar(
        sa.select(Topic).where(
            Topic.convener_id == topic.convener_id, Topic.slot_id == slot.id, Topic.id != topic.id
        )
    )


def _when(slot: Slot) -> str:
    """A slot's weekday and start, as the viewer's language writes them ("Mon 2:30 PM")."""
    return f"{formats.format_weekday(slot.starts_at)} {formats.format_time(slot.starts_at)}"


def _slot_taken(holder: Topic) -> SlotTaken:
    return SlotTaken(
        _("%(room)s is already taken at %(time)s, by \u201c%(title)s\u201d.",
          room=holder.room.name, time=_when(holder.slot), title=holder.title),
        holder={"id": holder.id, "title": holder.title},
    )


def _busy(topic: Topic, other: Topic, viewer: User | None) -> ConvenerBusy:
    """The convener convenes `other` in the same slot; said to the convener as "you"."""
    if viewer is not None and viewer.id == topic.convener_id:
        message = _("You already convene \u201c%(title)s\u201d at that time.", title=other.title)
    else:
        message = _("%(name)s already convenes \u201c%(title)s\u201d at that time.",
                    name=topic.convener.name, title=other.title)
    return ConvenerBusy(message, holder={"id": other.id, "title": other.title})


def _not_a_session(slot: Slot) -> ValidationFailed:
    if slot.kind == SlotKind.PLENARY:
        message = (_("That time is the plenary \u201c%(label)s\u201d: everyone is together, no "
                     "sessions run.", label=slot.label) if slot.label else
                   _("That time is a plenary: everyone is together, no sessions run."))
    else:
        message = (_("That time is the break \u201c%(label)s\u201d: no sessions run.",
                     label=slot.label) if slot.label else
                   _("That time is a break: no sessions run."))
    return ValidationFailed(message, fields={"slot_id": _("is not a session slot")})


def cell_refusal(topic: Topic, room: Room, slot: Slot, *, holder: Topic | None,
                 clash: Topic | None, viewer: User | None = None) -> DomainError | None:
    """THE placement rule: why `topic` may not go into (room, slot), or None when it may.

    A topic goes only into a session slot, at a time its convener convenes nothing else, into
    a cell no other topic holds; its own cell is always allowed. `holder` is the topic in
    the cell, `clash` the convener's other topic in that slot (either may be None). The topic
    page offers exactly the cells this allows (placement_offer) and place_topic refuses with
    the same error, said to `viewer`.
    """
    if (topic.room_id, topic.slot_id) == (room.id, slot.id):
        return None
    if slot.kind != SlotKind.SESSION:
        return _not_a_session(slot)
    if clash is not None:  # first: it closes the whole slot, whichever room
        return _busy(topic, clash, viewer)
    if holder is not None and holder.id != topic.id:
        return _slot_taken(holder)
    return None


def free_cell(topic: Topic, room_id: Any, slot_id: Any, *,
              viewer: User | None = None) -> tuple[Room, Slot]:
    """The cell a topic may go into (or is in), by cell_refusal. Raises ValidationFailed,
    NotFound, SlotTaken or ConvenerBusy. `openspace import` checks every placement with it."""
    room, slot = _cell(topic, room_id, slot_id)
    refusal = cell_refusal(topic, room, slot, holder=_holder(room.id, slot.id),
                           clash=_convener_busy(topic, slot), viewer=viewer)
    if refusal is not None:
        raise refusal
    return room, slot


@dataclass(frozen=True)
class SlotOffer:
    """One time slot of the board as the topic page offers it: the rooms the topic may take
    there, the cells it may not (each with why), or why the whole slot is not offered."""

    slot: Slot
    free: list[Room] = field(default_factory=list)
    taken: list[tuple[Room, str]] = field(default_factory=list)  # (room, title of its holder)
    here: Room | None = None  # the topic's own cell in this slot
    closed: str | None = None  # why no room of this slot is offered


def placement_offer(topic: Topic, viewer: User | None) -> list[SlotOffer]:
    """Every slot of the event with what cell_refusal allows `topic` there (for `viewer`)."""
    event = topic.event
    placed = list(db.session.scalars(
        sa.select(Topic).where(Topic.event_id == event.id, Topic.room_id.is_not(None))
    ))
    holders = {(t.room_id, t.slot_id): t for t in placed}
    clashes = {t.slot_id: t for t in placed
               if t.convener_id == topic.convener_id and t.id != topic.id}
    offers = []
    for slot in event.slots:
        free, taken, here, closed = [], [], None, None
        for room in event.rooms:
            refusal = cell_refusal(topic, room, slot, holder=holders.get((room.id, slot.id)),
                                   clash=clashes.get(slot.id), viewer=viewer)
            if (topic.room_id, topic.slot_id) == (room.id, slot.id):
                here = room
            elif refusal is None:
                free.append(room)
            elif isinstance(refusal, SlotTaken):
                taken.append((room, refusal.extra["holder"]["title"]))
            else:  # a plenary or break, or the convener is elsewhere: the whole slot
                closed = refusal.message
        if closed is not None:
            free, taken = [], []
        offers.append(SlotOffer(slot=slot, free=free, taken=taken, here=here, closed=closed))
    return offers


Cells = Mapping[int, tuple[int | None, int | None]]


def _require_cells(expected: Cells | None) -> None:
    """Each topic id of `expected` still holds the (room_id, slot_id) it names, read inside the
    caller's write transaction: a change prepared on an older board (the schedule advisor's
    suggestion) fails with `board_changed` instead of undoing what someone did meanwhile."""
    for topic_id, cell in (expected or {}).items():
        now = db.session.execute(
            sa.select(Topic.room_id, Topic.slot_id).where(Topic.id == topic_id)
        ).one_or_none()
        if now is None or tuple(now) != tuple(cell):
            raise Conflict(_("The board changed since this suggestion was made: that topic is "
                             "no longer where the suggestion found it."), code="board_changed",
                           topic_id=topic_id)


def place_topic(*, topic: Topic, user: User, room_id: Any, slot_id: Any,
                expected: Cells | None = None) -> Topic:
    """Put a topic into a free session cell, or move it there from its current cell.

    One topic per cell and one cell per convener and slot, checked here and enforced by the
    database: the loser of a race gets SlotTaken naming the holder. With `expected`, the named
    topics must still be in those cells (else Conflict `board_changed`).
    """
    with writing():
        require_topic_edit(user, topic)
        _require_active(topic)
        _require_cells(expected)
        room, slot = free_cell(topic, room_id, slot_id, viewer=user)
        if (topic.room_id, topic.slot_id) == (room.id, slot.id):
            return topic  # already there: nothing changes, no version is spent
        kind = "moved" if topic.room_id else "placed"
        topic.room_id, topic.slot_id = room.id, slot.id
        topic.status = TopicStatus.PLACED
        try:
            db.session.flush()
        except IntegrityError:
            # A concurrent transaction won the cell between our check and our write.
            db.session.rollback()
            holder = _holder(room.id, slot.id)
            if holder is not None:
                raise _slot_taken(holder) from None
            raise ConvenerBusy() from None
        event_id, version, payload = _topic_changed(topic, kind)
        if kind == "moved":
            notifications.topics_changed([topic], actor=user)
    announce(event_id, version, kind, topic=payload)
    return topic


def release_topic(*, topic: Topic, user: User) -> Topic:
    """Take a topic out of its cell, back to the marketplace."""
    with writing():
        require_topic_edit(user, topic)
        if topic.room_id is None:
            return topic
        topic.room_id = topic.slot_id = None
        topic.status = TopicStatus.PROPOSED
        event_id, version, payload = _topic_changed(topic, "released")
        notifications.topics_changed([topic], actor=user)
    announce(event_id, version, "released", topic=payload)
    return topic


def swap_topics(*, first: Topic, second: Topic, user: User,
                expected: Cells | None = None) -> tuple[Topic, Topic]:
    """Organizers exchange the cells of two topics (one of them may be unplaced). With
    `expected`, the named topics must still be in those cells (else Conflict `board_changed`)."""
    with writing():
        require_organizer(user, first.event)
        if first.event_id != second.event_id:
            raise NotFound(_("Both topics must belong to this event."))
        if first.id == second.id:
            raise ValidationFailed(_("Pick two different topics."),
                                   fields={"with": _("same topic")})
        _require_active(first)
        _require_active(second)
        _require_cells(expected)
        if first.room_id is None and second.room_id is None:
            raise ValidationFailed(_("Neither topic is placed; nothing to swap."))
        cells = (first.room_id, first.slot_id), (second.room_id, second.slot_id)
        for topic, (_room_id, slot_id) in ((first, cells[1]), (second, cells[0])):
            other = slot_id and db.session.scalar(
                sa.select(Topic).where(
                    Topic.convener_id == topic.convener_id,
                    Topic.slot_id == slot_id,
                    Topic.id.not_in([first.id, second.id]),
                )
            )
            if other:
                raise _busy(topic, other, user)
        # Free both cells first so the UNIQUE constraints never see an intermediate clash.
        for topic in (first, second):
            topic.room_id = topic.slot_id = None
        db.session.flush()
        for topic, (room_id, slot_id) in ((first, cells[1]), (second, cells[0])):
            topic.room_id, topic.slot_id = room_id, slot_id
            topic.status = TopicStatus.PLACED if room_id else TopicStatus.PROPOSED
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise ConvenerBusy() from None
        version = bump_version(first.event)
        db.session.refresh(first)
        db.session.refresh(second)
        payload = [topic_dict(first), topic_dict(second)]
        event_id = first.event_id
        notifications.topics_changed([first, second], actor=user)
    announce(event_id, version, "swapped", topics=payload)
    return first, second


@dataclass(frozen=True)
class MergeUndo:
    """What a merge changed, so that it can be undone: the duplicate, the survivor, the users
    whose interest the merge added to the survivor, and the duplicate's cell before."""

    duplicate_id: int
    survivor_id: int
    carried: tuple[int, ...]
    room_id: int | None = None
    slot_id: int | None = None

    def to_dict(self) -> dict:
        return {"duplicate": self.duplicate_id, "survivor": self.survivor_id,
                "carried": list(self.carried), "room": self.room_id, "slot": self.slot_id}

    @classmethod
    def from_dict(cls, data: Any) -> MergeUndo:
        """Rebuilt from to_dict()'s shape (a signed token's content), checked field by field."""
        try:
            carried = tuple(v.as_id(i) for i in data["carried"])
            ids = [data["duplicate"], data["survivor"]]
            cell = [data["room"], data["slot"]]
            if not all(v.is_id(i) for i in ids) or None in carried or len(carried) > 10_000:
                raise ValueError
            if cell != [None, None] and not all(v.is_id(i) for i in cell):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed(_("That undo link is not valid.")) from None
        return cls(duplicate_id=v.as_id(ids[0]), survivor_id=v.as_id(ids[1]), carried=carried,
                   room_id=v.as_id(cell[0]) if cell[0] is not None else None,
                   slot_id=v.as_id(cell[1]) if cell[1] is not None else None)


def merge_topics(*, duplicate: Topic, survivor: Topic, user: User) -> Topic:
    """Organizers fold a duplicate into a survivor (merge_topics_undoable, without the undo)."""
    return merge_topics_undoable(duplicate=duplicate, survivor=survivor, user=user)[0]


def merge_topics_undoable(*, duplicate: Topic, survivor: Topic,
                          user: User) -> tuple[Topic, MergeUndo]:
    """Organizers fold a duplicate into a survivor: it points there and its interest carries over.

    The duplicate's convener counts as interested in the survivor. Returns the survivor and
    what undo_merge needs to put everything back.
    """
    with writing():
        require_organizer(user, duplicate.event)
        if duplicate.event_id != survivor.event_id:
            raise NotFound(_("Both topics must belong to this event."))
        if duplicate.id == survivor.id:
            raise ValidationFailed(_("A topic cannot be merged into itself."),
                                   fields={"into": _("same topic")})
        _require_active(duplicate)
        _require_active(survivor)
        interested = {i.user_id for i in survivor.interests}
        newcomers = {i.user_id for i in duplicate.interests} | {duplicate.convener_id}
        carried = tuple(sorted(newcomers - interested - {survivor.convener_id}))
        for user_id in carried:
            db.session.add(Interest(topic_id=survivor.id, user_id=user_id))
        undo = MergeUndo(duplicate_id=duplicate.id, survivor_id=survivor.id, carried=carried,
                         room_id=duplicate.room_id, slot_id=duplicate.slot_id)
        duplicate.room_id = duplicate.slot_id = None
        duplicate.status = TopicStatus.MERGED
        duplicate.merged_into_id = survivor.id
        db.session.flush()
        version = bump_version(survivor.event)
        db.session.refresh(survivor)
        db.session.refresh(duplicate)
        payload = [topic_dict(duplicate), topic_dict(survivor)]
        event_id = survivor.event_id
        notifications.topics_changed([duplicate], actor=user)
    announce(event_id, version, "merged", topics=payload, topic_id=duplicate.id)
    return survivor, undo


def undo_merge(*, undo: MergeUndo, user: User) -> Topic:
    """Organizers take a merge back: the duplicate is active again, with its own interest,
    in its old cell if cell_refusal still allows it (else on the marketplace), and the interest
    the merge carried over leaves the survivor. An ordinary board change (one version)."""
    with writing():
        duplicate = db.session.get(Topic, undo.duplicate_id)
        survivor = db.session.get(Topic, undo.survivor_id)
        if duplicate is None or survivor is None or duplicate.event_id != survivor.event_id:
            raise NotFound(_("No such topic."))
        require_organizer(user, duplicate.event)
        if duplicate.status != TopicStatus.MERGED or duplicate.merged_into_id != survivor.id:
            raise Conflict(_("\u201c%(title)s\u201d is no longer merged into \u201c%(into)s\u201d: "
                             "nothing to undo.", title=duplicate.title, into=survivor.title),
                           code="merge_changed")
        for user_id in undo.carried:
            interest = db.session.get(Interest, (survivor.id, user_id))
            if interest is not None:
                db.session.delete(interest)
        duplicate.status = TopicStatus.PROPOSED
        duplicate.merged_into_id = None
        room = db.session.get(Room, undo.room_id) if undo.room_id else None
        slot = db.session.get(Slot, undo.slot_id) if undo.slot_id else None
        if (room is not None and slot is not None and room.event_id == slot.event_id
                == duplicate.event_id
                and cell_refusal(duplicate, room, slot, holder=_holder(room.id, slot.id),
                                 clash=_convener_busy(duplicate, slot)) is None):
            duplicate.room_id, duplicate.slot_id = room.id, slot.id
            duplicate.status = TopicStatus.PLACED
        db.session.flush()
        version = bump_version(duplicate.event)
        db.session.refresh(survivor)
        db.session.refresh(duplicate)
        payload = [topic_dict(duplicate), topic_dict(survivor)]
        event_id = duplicate.event_id
    announce(event_id, version, "unmerged", topics=payload, topic_id=duplicate.id)
    return duplicate


def set_interest(*, topic: Topic, user: User, interested: bool) -> Topic:
    """A member says they'll come (or not) to a topic.

    Interest is allowed on a locked board: locking freezes the agenda, and attendees choose
    sessions from the frozen agenda.
    """
    with writing():
        require_member(user, topic.event)
        _require_active(topic)
        existing = db.session.get(Interest, (topic.id, user.id))
        if interested == (existing is not None):
            return topic
        if interested:
            db.session.add(Interest(topic_id=topic.id, user_id=user.id))
        else:
            db.session.delete(existing)
        event_id, version, payload = _topic_changed(topic, "interest")
        if interested:
            # Asked again under the event row's lock (the version bump), where a removal
            # (events.remove_member) queues: one committed between the check above and the
            # lock took their "I'll come"s with it and must not find this one left behind.
            require_member(user, topic.event)
    announce(event_id, version, "interest", topic=payload)
    return topic


"""The board: the marketplace of proposed topics and the grid of rooms x time slots.

Every change bumps the event's board version by exactly one inside its transaction and is
announced (board_changed) only after that transaction commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
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
from . import validation as v
from .errors import Conflict, ConvenerBusy, NotFound, SlotTaken, ValidationFailed
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
    """Bump the version and snapshot the topic, inside the transaction (before commit)."""
    db.session.flush()
    version = bump_version(topic.event)
    db.session.refresh(topic)
    return topic.event_id, version, topic_dict(topic)


# Reading ---------------------------------------------------------------------------------------

def get_topic(topic_id: Any, user: User | None) -> Topic:
    """A topic the user may see (topics of private events 404 for non-members)."""
    topic = db.session.get(Topic, topic_id) if v.is_id(topic_id) else None
    if topic is None or not can_view_event(user, topic.event):
        raise NotFound("No such topic.")
    return topic


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


def local_now(event: Event, now: datetime | None = None) -> datetime:
    """The event's wall-clock time (naive, like slot times)."""
    now = now or datetime.now(ZoneInfo("UTC"))
    return now.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None)


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
    return {
        "clock": clock,
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


# Topics ----------------------------------------------------------------------------------------

def _topic_values(data: dict[str, Any], *, partial: bool) -> dict:
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
    values = _topic_values(data, partial=False)
    with writing():
        require_board_change(user, event)
        topic = Topic(event_id=event.id, convener_id=user.id, **values)
        db.session.add(topic)
        event_id, version, payload = _topic_changed(topic, "proposed")
    announce(event_id, version, "proposed", topic=payload)
    return topic


def update_topic(*, topic: Topic, user: User, data: dict[str, Any]) -> Topic:
    """The convener or an organizer edits title, description or tags."""
    values = _topic_values(data, partial=True)
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
        raise Conflict(f"This topic was {topic.status}.", code="topic_inactive")


def withdraw_topic(*, topic: Topic, user: User) -> Topic:
    """Take a topic off the board and the marketplace (its cell becomes free)."""
    with writing():
        require_topic_edit(user, topic)
        _require_active(topic)
        topic.room_id = topic.slot_id = None
        topic.status = TopicStatus.WITHDRAWN
        event_id, version, payload = _topic_changed(topic, "withdrawn")
    announce(event_id, version, "withdrawn", topic=payload)
    return topic


def _cell(topic: Topic, room_id: Any, slot_id: Any) -> tuple[Room, Slot]:
    fields = v.Fields()
    for name, value in (("room_id", room_id), ("slot_id", slot_id)):
        if not v.is_id(value):
            fields.add(name, "must be an id (a whole number)")
    fields.check()
    room = db.session.get(Room, room_id)
    slot = db.session.get(Slot, slot_id)
    if room is None or room.event_id != topic.event_id:
        raise NotFound("No such room in this event.", fields={"room_id": "not in this event"})
    if slot is None or slot.event_id != topic.event_id:
        raise NotFound("No such time slot in this event.",
                       fields={"slot_id": "not in this event"})
    if slot.kind != SlotKind.SESSION:
        raise ValidationFailed(f"Only session slots can hold topics, not a {slot.kind}.",
                               fields={"slot_id": "is not a session slot"})
    return room, slot


def _holder(room_id: int, slot_id: int) -> Topic | None:
    return db.session.scalar(
        sa.select(Topic).where(Topic.room_id == room_id, Topic.slot_id == slot_id)
    )


def _slot_taken(holder: Topic) -> SlotTaken:
    return SlotTaken(
        f"{holder.room.name} at {holder.slot.starts_at:%a %H:%M} is taken by "
        f"\u201c{holder.title}\u201d.",
        holder={"id": holder.id, "title": holder.title},
    )


def _convener_busy(topic: Topic, slot: Slot) -> Topic | None:
    return db.session.scalar(
        sa.select(Topic).where(
            Topic.convener_id == topic.convener_id, Topic.slot_id == slot.id, Topic.id != topic.id
        )
    )


def place_topic(*, topic: Topic, user: User, room_id: Any, slot_id: Any) -> Topic:
    """Put a topic into a free session cell, or move it there from its current cell.

    One topic per cell and one cell per convener and slot, checked here and enforced by the
    database: the loser of a race gets SlotTaken naming the holder.
    """
    with writing():
        require_topic_edit(user, topic)
        _require_active(topic)
        room, slot = _cell(topic, room_id, slot_id)
        if (topic.room_id, topic.slot_id) == (room.id, slot.id):
            return topic  # already there: nothing changes, no version is spent
        holder = _holder(room.id, slot.id)
        if holder is not None:
            raise _slot_taken(holder)
        other = _convener_busy(topic, slot)
        if other is not None:
            raise ConvenerBusy(
                f"{topic.convener.name} already convenes \u201c{other.title}\u201d then.",
                holder={"id": other.id, "title": other.title},
            )
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
    announce(event_id, version, "released", topic=payload)
    return topic


def swap_topics(*, first: Topic, second: Topic, user: User) -> tuple[Topic, Topic]:
    """Organizers exchange the cells of two topics (one of them may be unplaced)."""
    with writing():
        require_organizer(user, first.event)
        if first.event_id != second.event_id:
            raise NotFound("Both topics must belong to this event.")
        if first.id == second.id:
            raise ValidationFailed("Pick two different topics.", fields={"with": "same topic"})
        _require_active(first)
        _require_active(second)
        if first.room_id is None and second.room_id is None:
            raise ValidationFailed("Neither topic is placed; nothing to swap.")
        cells = (first.room_id, first.slot_id), (second.room_id, second.slot_id)
        for topic, (_, slot_id) in ((first, cells[1]), (second, cells[0])):
            other = slot_id and db.session.scalar(
                sa.select(Topic).where(
                    Topic.convener_id == topic.convener_id,
                    Topic.slot_id == slot_id,
                    Topic.id.not_in([first.id, second.id]),
                )
            )
            if other:
                raise ConvenerBusy(
                    f"{topic.convener.name} already convenes \u201c{other.title}\u201d then.",
                    holder={"id": other.id, "title": other.title},
                )
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
    announce(event_id, version, "swapped", topics=payload)
    return first, second


def merge_topics(*, duplicate: Topic, survivor: Topic, user: User) -> Topic:
    """Organizers fold a duplicate into a survivor: it points there and its interest carries over.

    The duplicate's convener counts as interested in the survivor.
    """
    with writing():
        require_organizer(user, duplicate.event)
        if duplicate.event_id != survivor.event_id:
            raise NotFound("Both topics must belong to this event.")
        if duplicate.id == survivor.id:
            raise ValidationFailed("A topic cannot be merged into itself.",
                                   fields={"into": "same topic"})
        _require_active(duplicate)
        _require_active(survivor)
        interested = {i.user_id for i in survivor.interests}
        newcomers = {i.user_id for i in duplicate.interests} | {duplicate.convener_id}
        for user_id in sorted(newcomers - interested - {survivor.convener_id}):
            db.session.add(Interest(topic_id=survivor.id, user_id=user_id))
        duplicate.room_id = duplicate.slot_id = None
        duplicate.status = TopicStatus.MERGED
        duplicate.merged_into_id = survivor.id
        db.session.flush()
        version = bump_version(survivor.event)
        db.session.refresh(survivor)
        db.session.refresh(duplicate)
        payload = [topic_dict(duplicate), topic_dict(survivor)]
        event_id = survivor.event_id
    announce(event_id, version, "merged", topics=payload, topic_id=duplicate.id)
    return survivor


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
    announce(event_id, version, "interest", topic=payload)
    return topic


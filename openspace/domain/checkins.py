"""The law of two feet: where people actually are.

"I'm here" checks an attendee into a session that runs now (by the event's clock; from a few
minutes before it starts, when people walk in): one place at a time, so checking in elsewhere
checks them out of the previous one (a partial unique index keeps one open check-in per person,
whatever races), and a check-in ends with its slot without anyone doing anything. Organizers
see live headcounts per room against its capacity and against "I'll come"; the projector flags
a room that is over capacity now; the summary records who came to each session (everyone who
checked in at some point, also those who used their two feet later).

Every change is announced after its commit (headcount_changed: realtime.py), with the counts of
the sessions it touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..i18n import _
from ..models import CheckIn, Event, SlotKind, Topic, TopicStatus, User, utcnow
from .errors import Conflict
from .permissions import require_member, require_organizer
from .signals import headcount_changed
from .times import local_now
from .tx import writing

# People walk into the room before the session starts: "I'm here" works this early.
EARLY = timedelta(minutes=10)


@dataclass(frozen=True)
class Headcount:
    topic_id: int
    room_id: int | None
    here: int  # checked in now
    coming: int  # said "I'll come"
    capacity: int | None

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.here > self.capacity

    def as_dict(self) -> dict:
        return {"topic_id": self.topic_id, "room_id": self.room_id, "here": self.here,
                "coming": self.coming, "capacity": self.capacity,
                "over_capacity": self.over_capacity}


def is_running(topic: Topic, clock: datetime) -> bool:
    """Does the topic's session run at the event's local time `clock` (or start within EARLY)?"""
    slot = topic.slot
    return (topic.status == TopicStatus.PLACED and slot is not None
            and slot.kind == SlotKind.SESSION
            and slot.starts_at - EARLY <= clock < slot.ends_at)


def _open_query(user_id: int):
    return sa.select(CheckIn).where(CheckIn.user_id == user_id, CheckIn.left_at.is_(None))


def current(user: User | None, event: Event, *, now: datetime | None = None) -> int | None:
    """The topic this person is checked into now in this event (None: nowhere)."""
    if user is None or not user.is_authenticated:
        return None
    clock = local_now(event, now)
    row = db.session.execute(
        sa.select(CheckIn.topic_id, CheckIn.slot_id).where(
            CheckIn.user_id == user.id, CheckIn.event_id == event.id,
            CheckIn.left_at.is_(None))).first()
    if row is None:
        return None
    slot = next((s for s in event.slots if s.id == row.slot_id), None)
    return row.topic_id if slot is not None and clock < slot.ends_at else None


def check_in(*, topic: Topic, user: User | None, now: datetime | None = None) -> list[Headcount]:
    """"I'm here" in this session (members). Closes the person's previous check-in, here or in
    another event. Refused (`not_running`) unless the session runs now. Returns the headcounts
    of the sessions that changed."""
    event = topic.event
    require_member(user, event)
    if not is_running(topic, local_now(event, now)):
        raise Conflict(_("This session is not on now: check in while it runs."),
                       code="not_running")
    touched: set[int] = {topic.id}
    for attempt in range(3):  # two taps at once: the unique index lets one in, the other retries
        try:
            with writing():
                here_already = False
                for row in db.session.scalars(_open_query(user.id).with_for_update()):
                    if row.topic_id == topic.id and row.slot_id == topic.slot_id:
                        here_already = True  # nothing changes
                    else:
                        row.left_at = utcnow()  # two feet: out of the previous session
                        touched.add(row.topic_id)
                if not here_already:
                    db.session.flush()  # the old row closed before the new one opens
                    db.session.add(CheckIn(event_id=event.id, topic_id=topic.id,
                                           slot_id=topic.slot_id, user_id=user.id))
            break
        except IntegrityError:
            if attempt == 2:
                raise Conflict(_("The server is busy; try again in a moment."),
                               code="busy") from None
    if here_already and touched == {topic.id}:  # a second tap: nothing changed, nothing to say
        return [c for c in headcounts(event, now=now) if c.topic_id == topic.id]
    return announce_headcounts(event, touched, now=now)


def check_out(*, event: Event, user: User | None, now: datetime | None = None) -> list[Headcount]:
    """Leave wherever this person is checked in, in this event."""
    require_member(user, event)
    touched: set[int] = set()
    with writing():
        for row in db.session.scalars(_open_query(user.id).where(CheckIn.event_id == event.id)
                                      .with_for_update()):
            row.left_at = utcnow()
            touched.add(row.topic_id)
    return announce_headcounts(event, touched, now=now)


def announce_headcounts(event: Event, topic_ids: set[int], *,
                        now: datetime | None = None) -> list[Headcount]:
    """After a commit that changed who is checked in to these sessions: their headcounts now."""
    if not topic_ids:
        return []
    counts = [c for c in headcounts(event, now=now) if c.topic_id in topic_ids]
    known = {c.topic_id for c in counts}
    # A session that ended meanwhile (or left the board) counts nobody now.
    counts += [Headcount(topic_id, None, 0, 0, None) for topic_id in topic_ids - known]
    headcount_changed.send(event.id, counts=[c.as_dict() for c in counts])
    return counts


def headcounts(event: Event, *, now: datetime | None = None) -> list[Headcount]:
    """Per session running now (or about to): who is here, who said they'd come, the seats."""
    clock = local_now(event, now)
    running = [t for t in event.topics if is_running(t, clock)]
    if not running:
        return []
    here = dict(db.session.execute(
        sa.select(CheckIn.topic_id, sa.func.count()).where(
            CheckIn.topic_id.in_([t.id for t in running]), CheckIn.left_at.is_(None))
        .group_by(CheckIn.topic_id)).all())
    return [Headcount(t.id, t.room_id, here.get(t.id, 0), t.interest_count,
                      t.room.capacity if t.room else None)
            for t in sorted(running, key=lambda t: (t.room.position, t.room_id))]


def headcounts_by_topic(event: Event, *, now: datetime | None = None) -> dict[int, Headcount]:
    """headcounts() by topic id: what the pages' "I'm here" parts look up."""
    return {count.topic_id: count for count in headcounts(event, now=now)}


def room_headcounts(*, event: Event, user: User | None,
                    now: datetime | None = None) -> list[Headcount]:
    """The organizers' live view: every room's session now, against seats and "I'll come"."""
    require_organizer(user, event)
    return headcounts(event, now=now)


def attendance(topic_ids: list[int]) -> dict[int, int]:
    """Per topic: how many different people checked in at some point (for the summary)."""
    if not topic_ids:
        return {}
    return dict(db.session.execute(
        sa.select(CheckIn.topic_id, sa.func.count(sa.distinct(CheckIn.user_id)))
        .where(CheckIn.topic_id.in_(topic_ids)).group_by(CheckIn.topic_id)).all())

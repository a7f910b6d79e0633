"""The opening marketplace's pitch queue: conveners announce their topics one by one.

In the opening circle each convener walks to the centre and announces their topic. A convener
queues a topic of theirs (an organizer may queue one on their behalf) while the organizers
keep the queue open; the projector shows who announces now, with a countdown of the event's
pitch seconds (30-90), the next three in line and how many wait. The facilitator taps "next"
(the current pitch is done, the first in line starts), or the convener taps "done"; a convener
may leave the queue (and queue again later, at its end).

Race-safety: every change takes the event row's lock first (SELECT ... FOR UPDATE; on SQLite
the write transaction's BEGIN IMMEDIATE) and increases the event's pitch version by one, so
changes are decided one at a time and places in line are handed out in increasing order; a
UNIQUE (event_id, position) and a UNIQUE topic_id back that up. Each change commits, then sends
one signal (pitch_changed -> realtime.py: one `pitch:changed` broadcast with the new state).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import _
from ..models import Event, Pitch, PitchState, Topic, TopicStatus, User, utcnow
from . import validation as v
from .board import propose_topic
from .errors import Conflict, NotAllowed, NotFound, ValidationFailed
from .permissions import can_edit_topic, can_view_event, require_member, require_organizer
from .signals import pitch_changed
from .tx import writing

SECONDS_MIN, SECONDS_MAX, SECONDS_DEFAULT = 30, 90, 60
NEXT_SHOWN = 3  # the projector shows this many of those in line
IN_QUEUE = (PitchState.WAITING, PitchState.CURRENT)
SETTINGS = ("open", "seconds")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="milliseconds") + "Z"


# Reading ---------------------------------------------------------------------------------------

def _in_queue(event_id: int) -> list[Pitch]:
    return list(db.session.scalars(
        sa.select(Pitch).where(Pitch.event_id == event_id, Pitch.state.in_(IN_QUEUE))
        .options(selectinload(Pitch.topic).selectinload(Topic.convener))
        .order_by(Pitch.position)))


def _line(pitches: list[Pitch]) -> tuple[Pitch | None, list[Pitch]]:
    """The current pitch and those waiting, in order (a topic withdrawn or merged meanwhile
    is not announced: it waits for nobody)."""
    current = next((p for p in pitches if p.state == PitchState.CURRENT), None)
    waiting = [p for p in pitches if p.state == PitchState.WAITING and p.topic.is_active]
    return current, waiting


def ends_at(pitch: Pitch, event: Event) -> datetime | None:
    if pitch.started_at is None:
        return None
    return pitch.started_at + timedelta(seconds=event.pitch_seconds)


def pitch_dict(pitch: Pitch, event: Event) -> dict:
    topic = pitch.topic
    return {"id": pitch.id, "state": str(pitch.state), "position": pitch.position,
            "topic": {"id": topic.id, "title": topic.title},
            "convener": {"id": topic.convener.id, "name": topic.convener.name},
            "started_at": _iso(pitch.started_at), "ends_at": _iso(ends_at(pitch, event))}


def queue_state(event: Event, *, now: datetime | None = None) -> dict:
    """The queue as pages, the API and broadcasts show it: open, seconds, the current pitch
    (with when its countdown ends), the next three, how many wait, every waiting pitch's id in
    order (phones find their own place in it), the version, and the server's clock (UTC) so
    that countdowns on devices with a wrong clock still end on time."""
    current, waiting = _line(_in_queue(event.id))
    return {
        "version": event.pitch_version,
        "open": event.pitch_queue_open,
        "seconds": event.pitch_seconds,
        "server_time": _iso(now or utcnow()),
        "current": pitch_dict(current, event) if current else None,
        "next": [pitch_dict(p, event) for p in waiting[:NEXT_SHOWN]],
        "waiting": len(waiting),
        "order": [p.id for p in waiting],
    }


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.removesuffix("Z"))


def seconds_left(ends_at: str, server_time: str) -> int:
    """Whole seconds from the state's server time to a pitch's end (the countdown)."""
    return max(0, math.ceil((_parse(ends_at) - _parse(server_time)).total_seconds()))


def wait_seconds(state: dict, place: int, *, now: datetime | None = None) -> int:
    """About how long until the pitch at `place` (1: first in line) starts: what is left of the
    current pitch plus a full pitch for each one ahead."""
    current = state["current"]
    left = seconds_left(current["ends_at"], _iso(now or utcnow())) \
        if current and current["ends_at"] else 0
    return left + (place - 1) * state["seconds"]


def mine(event: Event, user: User | None, state: dict) -> list[dict]:
    """The viewer's own topics in the queue: {pitch, place (None: announcing now), minutes}."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    order = state["order"]
    out = []
    for pitch in _in_queue(event.id):
        if pitch.topic.convener_id != user.id:
            continue
        if pitch.state == PitchState.CURRENT:
            out.append({"pitch": pitch, "place": None, "minutes": 0})
        elif pitch.id in order:
            place = order.index(pitch.id) + 1
            out.append({"pitch": pitch, "place": place,
                        "minutes": math.ceil(wait_seconds(state, place) / 60)})
    return out


def queueable(event: Event, user: User | None) -> list[Topic]:
    """The viewer's active topics that may join the queue (not in it, not announced yet)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    queued = set(db.session.scalars(
        sa.select(Pitch.topic_id).where(Pitch.event_id == event.id,
                                        Pitch.state != PitchState.LEFT)))
    return list(db.session.scalars(
        sa.select(Topic).where(Topic.event_id == event.id, Topic.convener_id == user.id,
                               Topic.status.in_([TopicStatus.PROPOSED, TopicStatus.PLACED]),
                               Topic.id.not_in(queued) if queued else sa.true())
        .order_by(Topic.created_at, Topic.id)))


def get_pitch(event: Event, pitch_id: Any, user: User | None, *,
              field: str = "pitch_id") -> Pitch:
    """A pitch of this event that the user may see (a private event's: members only)."""
    pitch = db.session.get(Pitch, v.identifier(field, pitch_id))
    if pitch is None or pitch.event_id != event.id or not can_view_event(user, event):
        raise NotFound(_("No such place in the queue."))
    return pitch


# Changing --------------------------------------------------------------------------------------

def _locked(event: Event) -> Event:
    """Take the event row's lock, in the current transaction: every queue change of the event
    waits here for the one before it to commit, and then reads what that one wrote."""
    return db.session.execute(
        sa.select(Event).where(Event.id == event.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def _lock(event: Event) -> Event:
    """The event row's lock and the next pitch version: for a change that will happen."""
    locked = _locked(event)
    locked.pitch_version += 1
    return locked


def _announce(event_id: int, state: dict) -> None:
    pitch_changed.send(event_id, queue=state)


def _advance(event: Event, current: Pitch | None, waiting: list[Pitch]) -> None:
    """The current pitch is done; the first in line announces now (its countdown starts)."""
    now = utcnow()
    if current is not None:
        current.state = PitchState.DONE
        current.ended_at = now
    if waiting:
        first = waiting[0]
        first.state = PitchState.CURRENT
        first.started_at = now
    # Topics withdrawn while they waited leave the queue as they reach its head.
    for pitch in db.session.scalars(sa.select(Pitch).where(
            Pitch.event_id == event.id, Pitch.state == PitchState.WAITING,
            Pitch.position < (waiting[0].position if waiting else 2**62))):
        if not pitch.topic.is_active:
            pitch.state = PitchState.LEFT
            pitch.ended_at = now


def _changed(event: Event) -> dict:
    db.session.flush()
    return queue_state(event)


def join_queue(*, event: Event, user: User, topic: Topic) -> tuple[Pitch, dict]:
    """A convener queues their own topic (an organizer may queue any topic of the event) while
    the queue is open: once per topic; after leaving it, again at its end. Returns the pitch
    and the queue's new state."""
    for attempt in range(3):
        try:
            with writing():
                require_member(user, event)
                if topic.event_id != event.id:
                    raise NotFound(_("No such topic in this event."),
                                   fields={"topic_id": _("not in this event")})
                if not can_edit_topic(user, topic):
                    raise NotAllowed(_("Only the topic's convener or an organizer can queue "
                                       "it."))
                locked = _lock(event)
                if not topic.is_active:
                    raise Conflict(_("This topic was withdrawn or merged."),
                                   code="topic_inactive")
                if not locked.pitch_queue_open:
                    raise Conflict(_("The queue is closed: the organizers open it in the "
                                     "opening circle."), code="queue_closed")
                pitch = db.session.scalar(sa.select(Pitch).where(Pitch.topic_id == topic.id))
                if pitch is not None and pitch.state in IN_QUEUE:
                    raise Conflict(_("This topic is in the queue already."),
                                   code="already_queued")
                if pitch is not None and pitch.state == PitchState.DONE:
                    raise Conflict(_("This topic was announced already."),
                                   code="already_announced")
                position = 1 + (db.session.scalar(
                    sa.select(sa.func.max(Pitch.position)).where(
                        Pitch.event_id == event.id)) or 0)
                if pitch is None:
                    pitch = Pitch(event_id=event.id, topic_id=topic.id)
                    db.session.add(pitch)
                pitch.position = position
                pitch.state = PitchState.WAITING
                pitch.queued_by_id = user.id
                pitch.queued_at = utcnow()
                pitch.started_at = pitch.ended_at = None
                state = _changed(locked)
            break
        except IntegrityError:  # cannot happen under the lock; never a 500 if it does
            if attempt == 2:
                raise Conflict(_("The server is busy; try again in a moment."),
                               code="busy") from None
    _announce(event.id, state)
    return pitch, state


def propose_and_join(*, event: Event, user: User, data: dict[str, Any]) -> tuple[Pitch, dict]:
    """"I want to announce a topic": propose it (the title first, so the topic exists) and
    queue it, in one step. A closed queue is refused before the topic is made."""
    require_member(user, event)
    if not event.pitch_queue_open:
        raise Conflict(_("The queue is closed: the organizers open it in the opening circle."),
                       code="queue_closed")
    topic = propose_topic(event=event, user=user, data=data)
    return join_queue(event=event, user=user, topic=topic)


def _lock_for_convener(event: Event, user: User, pitch: Pitch) -> Event:
    """In a write transaction: the topic's convener or an organizer changes its pitch; the
    event locked (_lock) and the pitch read again under that lock."""
    require_member(user, event)
    if not can_edit_topic(user, pitch.topic):
        raise NotAllowed(_("Only the topic's convener or an organizer can do that."))
    locked = _lock(event)
    db.session.refresh(pitch)
    return locked


def leave_queue(*, event: Event, user: User, pitch: Pitch) -> dict:
    """The convener (or an organizer) takes a topic out of the queue; leaving while announcing
    ends the pitch, as "done" does."""
    with writing():
        locked = _lock_for_convener(event, user, pitch)
        if pitch.state not in IN_QUEUE:
            raise Conflict(_("This topic is not in the queue."), code="not_queued")
        if pitch.state == PitchState.CURRENT:
            current, waiting = _line(_in_queue(event.id))
            _advance(locked, current, waiting)
        else:
            pitch.state = PitchState.LEFT
            pitch.ended_at = utcnow()
        state = _changed(locked)
    _announce(event.id, state)
    return state


def _expected(value: Any) -> int | None:
    """`current_id` as sent: the pitch the facilitator saw announcing (0 or null: nobody)."""
    if isinstance(value, bool):
        raise ValidationFailed(fields={"current_id": _("must be an id (a whole number)")})
    if value is None or value == 0 or value in ("", "0"):
        return None
    return v.identifier("current_id", v.id_from_text(value) if isinstance(value, str)
                        else value)


_MISSING = object()


def next_pitch(*, event: Event, user: User, current_id: Any = _MISSING) -> dict:
    """The facilitator's "next": the current pitch is done, the first in line announces. With
    `current_id` (the pitch they saw announcing; null: nobody), a queue that moved on meanwhile
    (a second tap, the convener's "done") is refused (`queue_changed`) instead of skipping
    someone."""
    expected = _MISSING if current_id is _MISSING else _expected(current_id)
    with writing():
        require_organizer(user, event)
        locked = _lock(event)
        current, waiting = _line(_in_queue(event.id))
        if expected is not _MISSING and expected != (current.id if current else None):
            raise Conflict(_("The queue moved on meanwhile; look again."),
                           code="queue_changed")
        if current is None and not waiting:
            raise Conflict(_("Nobody is waiting to announce a topic."), code="queue_empty")
        _advance(locked, current, waiting)
        state = _changed(locked)
    _announce(event.id, state)
    return state


def finish_pitch(*, event: Event, user: User, pitch: Pitch) -> dict:
    """The convener announcing now (or an organizer) says "done": the next one starts."""
    with writing():
        locked = _lock_for_convener(event, user, pitch)
        if pitch.state != PitchState.CURRENT:
            raise Conflict(_("This topic is not being announced now."), code="not_current")
        current, waiting = _line(_in_queue(event.id))
        _advance(locked, current, waiting)
        state = _changed(locked)
    _announce(event.id, state)
    return state


def settings_values(data: dict[str, Any]) -> dict:
    """The queue's settings checked: open (true/false), seconds (30-90)."""
    v.only_known(data, SETTINGS)
    fields = v.Fields()
    out: dict[str, Any] = {}
    if "open" in data:
        out["open"] = v.boolean(fields, "open", data["open"])
        if data["open"] is None:
            fields.add("open", _("must be true or false"))
    if "seconds" in data:
        out["seconds"] = v.integer(fields, "seconds", data["seconds"], minimum=SECONDS_MIN,
                                   maximum=SECONDS_MAX, required=True)
    fields.check()
    return out


def update_queue(*, event: Event, user: User, data: dict[str, Any]) -> dict:
    """Organizers open or close the queue (closed: nobody new joins; those in line still
    announce) and set how long each pitch may take. What changes nothing is not announced."""
    values = settings_values(data)
    with writing():
        require_organizer(user, event)
        locked = _locked(event)
        changed = (values.get("open", locked.pitch_queue_open) != locked.pitch_queue_open
                   or values.get("seconds", locked.pitch_seconds) != locked.pitch_seconds)
        if changed:
            locked.pitch_version += 1
            locked.pitch_queue_open = values.get("open", locked.pitch_queue_open)
            locked.pitch_seconds = values.get("seconds", locked.pitch_seconds)
        state = _changed(locked)
    if changed:
        _announce(event.id, state)
    return state

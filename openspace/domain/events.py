"""Events: creation and settings, rooms, time slots, membership and organizers."""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from datetime import date, timedelta
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa

from .. import i18n
from ..extensions import db
from ..i18n import _, ngettext
from ..models import (
    BoardState,
    CheckIn,
    Event,
    Interest,
    Membership,
    Notice,
    ProjectorMode,
    Role,
    Room,
    Slot,
    SlotKind,
    Topic,
    TopicStatus,
    User,
    Visibility,
    utcnow,
)
from . import checkins, ratelimit, times
from . import validation as v
from .board import announce, bump_version
from .errors import Conflict, NotAllowed, NotFound, ValidationFailed
from .mail import notifications
from .permissions import is_member, require_member, require_organizer, require_view
from .serialize import room_dict, slot_dict, topic_dict
from .signals import access_changed, projector_changed
from .tx import writing

# Join codes avoid look-alike characters (0/O, 1/I/L): people type them from a projector.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
MAX_EVENT_DAYS = 14
EVENT_FIELDS = ("name", "slug", "timezone", "starts_on", "ends_on", "visibility", "theme",
                "hashtag", "venue", "language")
EVENT_PATCH_FIELDS = tuple(f for f in EVENT_FIELDS if f != "slug") + (
    "board_state", "summary_published", "projector_mode")

_ZONES: set[str] | None = None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[: v.SLUG_MAX - 6].strip("-") or "event"


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def get_event(slug: Any, user: User | None) -> Event:
    """The event with this slug as this user may see it; private events 404 for non-members."""
    event = None
    if v.lookup_key(slug, max_len=v.SLUG_MAX):
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFound(_("No such event."))
    require_view(user, event)
    return event


def visible_events(user: User | None) -> list[Event]:
    """Public events, plus every event the user is a member of, newest first."""
    query = sa.select(Event).where(Event.visibility == Visibility.PUBLIC)
    if user is not None and user.is_authenticated:
        mine = sa.select(Membership.event_id).where(Membership.user_id == user.id)
        query = sa.select(Event).where(
            sa.or_(Event.visibility == Visibility.PUBLIC, Event.id.in_(mine))
        )
    return list(db.session.scalars(query.order_by(Event.starts_on.desc(), Event.id.desc())))


def event_values(data: dict[str, Any], *, creating: bool, event: Event | None = None) -> dict:
    """An event's settings checked and cleaned (ValidationFailed naming every bad field); also
    what `openspace import` runs a file's event through."""
    fields = v.Fields()
    out: dict[str, Any] = {}
    if creating or "name" in data:
        out["name"] = v.text(fields, "name", data.get("name"), max_len=v.EVENT_NAME_MAX,
                             required=True)
    if creating:
        slug = data.get("slug")
        if slug in (None, ""):
            out["slug"] = None
        else:
            slug = v.text(fields, "slug", slug, max_len=v.SLUG_MAX).lower()
            if slug and not v.SLUG_RE.match(slug):
                fields.add("slug", _("use lowercase letters, digits and dashes"))
            out["slug"] = slug
    for name, max_len, multiline in (("theme", v.THEME_MAX, True), ("venue", v.VENUE_MAX, False)):
        if creating or name in data:
            out[name] = v.text(fields, name, data.get(name), max_len=max_len, multiline=multiline)
    if creating or "hashtag" in data:
        tag = v.text(fields, "hashtag", data.get("hashtag"), max_len=v.HASHTAG_MAX)
        if tag and not v.HASHTAG_RE.match(tag):
            fields.add("hashtag", _("letters, digits, _ and - only"))
        out["hashtag"] = ("#" + tag.lstrip("#")) if tag else ""
    if creating or "timezone" in data:
        zone = data.get("timezone")
        if not isinstance(zone, str) or zone not in _zones():
            fields.add("timezone", _("must be an IANA time zone like Europe/Brussels"))
        out["timezone"] = zone
    if creating or "starts_on" in data:
        out["starts_on"] = v.day(fields, "starts_on", data.get("starts_on"))
    if creating or "ends_on" in data:
        out["ends_on"] = v.day(fields, "ends_on", data.get("ends_on"), required=False)
    if creating or "language" in data:
        out["language"] = v.choice(fields, "language", data.get("language"), i18n.LANGUAGES,
                                   default=i18n.DEFAULT if creating else None)
    if creating or "visibility" in data:
        out["visibility"] = v.choice(fields, "visibility", data.get("visibility"),
                                     [x.value for x in Visibility],
                                     default=Visibility.PUBLIC.value if creating else None)
    # Never in a new event's data from the API (create_event allows EVENT_FIELDS only); an
    # imported event brings them.
    if "board_state" in data:
        out["board_state"] = v.choice(fields, "board_state", data.get("board_state"),
                                      [x.value for x in BoardState])
    if "projector_mode" in data:
        out["projector_mode"] = v.choice(fields, "projector_mode", data.get("projector_mode"),
                                         [x.value for x in ProjectorMode])
    if "summary_published" in data:
        out["summary_published"] = v.boolean(fields, "summary_published",
                                             data.get("summary_published"))
        if out["summary_published"] is None:
            fields.add("summary_published", _("must be true or false"))
    if creating or "starts_on" in out or "ends_on" in out:
        starts = out["starts_on"] if "starts_on" in out else event.starts_on
        ends = out.get("ends_on") if "ends_on" in out else event.ends_on
        ends = ends or starts
        if isinstance(starts, date) and isinstance(ends, date):
            if ends < starts:
                fields.add("ends_on", _("must not be before starts_on"))
            elif (ends - starts).days >= MAX_EVENT_DAYS:
                fields.add("ends_on", ngettext("an event lasts at most %(num)d day",
                                               "an event lasts at most %(num)d days",
                                               MAX_EVENT_DAYS))
        out["starts_on"], out["ends_on"] = starts, ends
    fields.check()
    return out


def create_event(*, user: User, data: dict[str, Any]) -> Event:
    """Create an event; its creator becomes its first organizer."""
    v.only_known(data, EVENT_FIELDS)
    values = event_values(data, creating=True)
    with writing():
        slug = values.pop("slug")
        if slug is None:
            base = slugify(values["name"])
            slug = base
            while db.session.scalar(sa.select(Event.id).where(Event.slug == slug)):
                slug = f"{base}-{secrets.token_hex(2)}"
        elif db.session.scalar(sa.select(Event.id).where(Event.slug == slug)):
            raise Conflict(_("That address is taken."), code="slug_taken",
                           fields={"slug": _("is already used by another event")})
        code = new_join_code()
        while db.session.scalar(sa.select(Event.id).where(Event.join_code == code)):
            code = new_join_code()
        event = Event(slug=slug, join_code=code, created_by_id=user.id, **values)
        event.memberships.append(Membership(user_id=user.id, role=Role.ORGANIZER))
        db.session.add(event)
    return event


def update_event(*, event: Event, user: User, data: dict[str, Any]) -> Event:
    """Organizers change settings; opening or locking the board is a board change, a new
    projector mode switches every open projector."""
    v.only_known(data, EVENT_PATCH_FIELDS)
    require_organizer(user, event)
    values = event_values(data, creating=False, event=event)
    with writing():
        require_organizer(user, event)
        state_changed = "board_state" in values and values["board_state"] != event.board_state
        mode_changed = "projector_mode" in values and \
            values["projector_mode"] != event.projector_mode
        published = values.get("summary_published") is True and not event.summary_published
        hidden = "visibility" in values and values["visibility"] != event.visibility
        for key, value in values.items():
            setattr(event, key, value)
        version = bump_version(event) if state_changed else None
        if published:
            notifications.summary_published(event, actor=user)
        state, mode = str(event.board_state), str(event.projector_mode)
    if version is not None:
        announce(event.id, version, "board_state", board_state=state)
    if mode_changed:
        projector_changed.send(event.id, kind="mode", mode=mode)
    if hidden:
        announce_access(event)
    return event


def topic_ids(event_id: int) -> list[int]:
    """The event's topics (each has a note room), withdrawn and merged ones included."""
    return list(db.session.scalars(sa.select(Topic.id).where(Topic.event_id == event_id)))


def announce_access(event: Event) -> None:
    """After a change of who may see the event has committed: every server process re-checks
    the connections in the event's room and its notes' rooms and removes those no longer
    allowed (realtime.py, sockets.py)."""
    access_changed.send(event.id, topic_ids=topic_ids(event.id), deleted=False)


def set_board_state(*, event: Event, user: User, state: str) -> Event:
    return update_event(event=event, user=user, data={"board_state": state})


def regenerate_join_code(*, event: Event, user: User) -> str:
    """A new join code (the old link stops working), e.g. after it leaked."""
    with writing():
        require_organizer(user, event)
        code = new_join_code()
        while db.session.scalar(sa.select(Event.id).where(Event.join_code == code)):
            code = new_join_code()
        event.join_code = code
    return code


def event_for_join_code(join_code: Any, *, slug: Any = None, user: User | None = None,
                        client: str | None = None) -> Event:
    """The event a join code opens (codes are unique), even a private one: the code is the key.

    With a slug, the code must belong to that event. NotFound otherwise.
    Wrong codes are limited per user and per client address (`client`, for a request from the
    network): each one spends from their "join_code" buckets, and once a bucket is empty no
    code is checked at all (else a refusal would still tell right from wrong).
    """
    guessers = ([f"user:{user.id}"] if user is not None else []) + (
        [f"addr:{client}"] if client is not None else [])
    for key in guessers:
        ratelimit.hit(key, "join_code", cost=0)
    code = (v.lookup_key(join_code, max_len=64) or "").strip().upper()
    event = None
    if code and len(code) <= 16:
        event = db.session.scalar(sa.select(Event).where(Event.join_code == code))
    if event is None or (slug is not None and event.slug != slug):
        if code:
            for key in guessers:
                ratelimit.hit(key, "join_code")
        raise NotFound(_("That join code does not open this event.") if slug is not None
                       else _("No event has that join code."),
                       fields={"join_code": _("is not a valid join code")})
    return event


def join_event(*, event: Event, user: User, join_code: Any) -> Membership:
    """Join as a participant with the event's join code; joining twice changes nothing."""
    code = join_code.strip().upper() if isinstance(join_code, str) else ""
    if not hmac.compare_digest(code.encode(), event.join_code.encode()):
        raise NotAllowed(_("That join code is not right."), code="bad_join_code",
                         fields={"join_code": _("does not match this event")})
    with writing():
        membership = db.session.scalar(
            sa.select(Membership).where(
                Membership.event_id == event.id, Membership.user_id == user.id
            )
        )
        if membership is None:
            membership = Membership(event_id=event.id, user_id=user.id, role=Role.PARTICIPANT)
            db.session.add(membership)
    return membership


def join_by_code(*, slug: Any, user: User, join_code: Any,
                 client: str | None = None) -> tuple[Membership, bool]:
    """Join the event with this slug by its join code, even a private one (the code is the key).

    Returns the membership and whether it is new. A wrong code is NotFound, like an unknown
    event, so codes cannot be used to probe for private events.
    """
    event = event_for_join_code(join_code, slug=slug, user=user, client=client)
    was_member = is_member(user, event)
    return join_event(event=event, user=user, join_code=join_code), not was_member


def list_members(*, event: Event, user: User) -> list[Membership]:
    """Members see who else is in the event, with their roles."""
    require_member(user, event)
    return members(event)


def members(event: Event) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.event_id == event.id)
            .join(Membership.user)
            .order_by(Membership.role, User.name)
        )
    )


def set_role(*, event: Event, user: User, member_id: Any, role: Any) -> Membership:
    """Organizers make a member a co-organizer or a participant; an event keeps one organizer,
    and its creator stays an organizer unless they step down themselves."""
    fields = v.Fields()
    member_id_ = v.integer(fields, "user_id", member_id, minimum=1, maximum=2**31,
                           required=True)
    role_ = v.choice(fields, "role", role, [r.value for r in Role])
    fields.check()
    with writing():
        membership = _member_for_change(event, user, member_id_)
        if role_ == Role.PARTICIPANT and membership.role == Role.ORGANIZER:
            _keep_an_organizer(event, user, membership,
                               _("An event needs at least one organizer."))
        membership.role = Role(role_)
    announce_access(event)
    return membership


def _member_for_change(event: Event, user: User, member_id: int) -> Membership:
    """The membership an organizer changes (a role, a removal), read under the event row's
    lock: changes of the event's organizers queue there, so two organizers who step each other
    down (or remove each other) at the same moment cannot leave the event with none (the
    second one finds it is no longer an organizer, or that the other is the last one)."""
    db.session.execute(sa.select(Event.id).where(Event.id == event.id).with_for_update())
    require_organizer(user, event)
    membership = db.session.scalar(
        sa.select(Membership).where(
            Membership.event_id == event.id, Membership.user_id == member_id
        )
    )
    if membership is None:
        raise NotFound(_("That person is not a member of this event."))
    return membership


def creator_stays(event: Event, user: User | None, member_id: int) -> bool:
    """The member is the event's creator and `user` someone else: the creator stays an
    organizer and a member unless they step down or leave themselves. (The settings page
    offers no demotion or removal where this holds.)"""
    return member_id == event.created_by_id and getattr(user, "id", None) != event.created_by_id


def _keep_an_organizer(event: Event, user: User, membership: Membership, last: str) -> None:
    """An organizer stops being one (stepped down or removed): refused for the event's creator
    unless they do it themselves (`creator`), and for the last organizer (`last_organizer`,
    with the message `last`)."""
    if creator_stays(event, user, membership.user_id):
        raise Conflict(_("The event's creator stays an organizer: only they can step "
                         "down."), code="creator")
    organizers = db.session.scalar(
        sa.select(sa.func.count()).where(
            Membership.event_id == event.id, Membership.role == Role.ORGANIZER
        )
    )
    if organizers <= 1:
        raise Conflict(last, code="last_organizer")


def remove_member(*, event: Event, user: User, member_id: Any) -> User:
    """Organizers remove a member from the event (returned: the person removed); an event
    keeps one organizer, and its creator stays unless they leave themselves (the rules of
    set_role). An organizer may remove themselves while another organizer remains.

    What was theirs in the event's record stays: the topics they proposed (still convened by
    them, on the board or the marketplace, now changed only by organizers), their notes and
    photos, their closed check-ins (who came to a session, for the summary), their pitches.
    What was theirs as a member goes: their "I'll come" on the event's topics (one board change
    when there was any, so the counts drop everywhere), an open check-in (closed now), and the
    mails about the event they were still waiting for. Removal is not a ban: the join code or
    a pending invitation lets them in again (make a new join code, revoke the invitation).

    After the commit: the access change first (their sockets leave a private event's rooms;
    their kept note grants end, on every process), then the board change and the headcounts.
    """
    member_id_ = v.identifier("user_id", member_id)
    with writing():
        require_organizer(user, event)  # refused before anything is written
        # The member's rows first and the event row's lock last, the order every board change
        # takes them in (set_interest: the interest, then the version), so none waits on the
        # other in a circle.
        event_topics = sa.select(Topic.id).where(Topic.event_id == event.id)
        touched = list(db.session.scalars(
            sa.delete(Interest)
            .where(Interest.user_id == member_id_, Interest.topic_id.in_(event_topics))
            .returning(Interest.topic_id)
            .execution_options(synchronize_session=False)))
        checked_out = list(db.session.scalars(
            sa.update(CheckIn)
            .where(CheckIn.user_id == member_id_, CheckIn.event_id == event.id,
                   CheckIn.left_at.is_(None))
            .values(left_at=utcnow())
            .returning(CheckIn.topic_id)
            .execution_options(synchronize_session=False)))
        db.session.execute(sa.delete(Notice).where(
            Notice.user_id == member_id_, Notice.event_id == event.id)
            .execution_options(synchronize_session=False))
        membership = _member_for_change(event, user, member_id_)
        if membership.role == Role.ORGANIZER:
            _keep_an_organizer(event, user, membership,
                               _("An event needs at least one organizer: make someone else "
                                 "an organizer first."))
        member = membership.user
        db.session.delete(membership)
        db.session.flush()
        for holder in (event, member):  # loaded collections would keep the deleted row
            db.session.expire(holder, ["memberships"])
        version, payload = None, []
        if touched:
            version = bump_version(event)
            for topic in db.session.scalars(sa.select(Topic).where(Topic.id.in_(touched))
                                            .order_by(Topic.id)):
                db.session.refresh(topic)  # its interests as they are now
                payload.append(topic_dict(topic))
    announce_access(event)
    if version is not None:
        announce(event.id, version, "member_removed", topics=payload)
    if checked_out:
        checkins.announce_headcounts(event, set(checked_out))
    return member


# Rooms ---------------------------------------------------------------------------------------

def room_values(data: dict[str, Any], *, partial: bool) -> dict:
    """A room's name and capacity checked and cleaned (also for `openspace import`)."""
    v.only_known(data, ("name", "capacity"))
    fields = v.Fields()
    out: dict[str, Any] = {}
    if not partial or "name" in data:
        out["name"] = v.text(fields, "name", data.get("name"), max_len=v.ROOM_NAME_MAX,
                             required=True)
    if not partial or "capacity" in data:
        out["capacity"] = v.integer(fields, "capacity", data.get("capacity"), minimum=1,
                                    maximum=v.CAPACITY_MAX)
    fields.check()
    return out


def room_name_free(event: Event, name: str, exclude: int | None = None) -> None:
    query = sa.select(Room.id).where(Room.event_id == event.id, Room.name == name)
    if exclude is not None:
        query = query.where(Room.id != exclude)
    if db.session.scalar(query) is not None:
        raise Conflict(_("A room with that name exists already."), code="room_exists",
                       fields={"name": _("is already used by another room")})


def add_room(*, event: Event, user: User, data: dict[str, Any]) -> Room:
    values = room_values(data, partial=False)
    with writing():
        require_organizer(user, event)
        room_name_free(event, values["name"])
        position = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.max(Room.position), -1)).where(
                Room.event_id == event.id
            )
        )
        room = Room(event_id=event.id, position=position + 1, **values)
        db.session.add(room)
        db.session.flush()
        version = bump_version(event)
        payload = room_dict(room)
    announce(event.id, version, "room_added", room=payload)
    return room


def get_room(event: Event, room_id: Any) -> Room:
    room = db.session.get(Room, v.identifier("room_id", room_id))
    if room is None or room.event_id != event.id:
        raise NotFound(_("No such room in this event."))
    return room


def update_room(*, room: Room, user: User, data: dict[str, Any]) -> Room:
    values = room_values(data, partial=True)
    with writing():
        require_organizer(user, room.event)
        if "name" in values:
            room_name_free(room.event, values["name"], exclude=room.id)
        for key, value in values.items():
            setattr(room, key, value)
        version = bump_version(room.event)
        payload = room_dict(room)
        event_id = room.event_id
    announce(event_id, version, "room_changed", room=payload)
    return room


def delete_room(*, room: Room, user: User) -> None:
    """Remove a room; sessions placed in it go back to the marketplace (and whoever said
    they'll come to one hears of it, if they asked to: mail/notifications.py)."""
    with writing():
        event = room.event
        require_organizer(user, event)
        placed = list(db.session.scalars(sa.select(Topic).where(Topic.room_id == room.id)))
        for topic in placed:
            topic.room_id = topic.slot_id = None
            topic.status = TopicStatus.PROPOSED
        db.session.flush()
        notifications.topics_changed(placed, actor=user)
        room_id = room.id
        db.session.delete(room)
        version = bump_version(event)
    announce(event.id, version, "room_removed", room_id=room_id)


# Slots ---------------------------------------------------------------------------------------

def slot_values(data: dict[str, Any], *, event: Event, slot: Slot | None = None) -> dict:
    """A time slot checked against the event (its dates, its zone's clock, the other slots)
    and cleaned; also for `openspace import`."""
    v.only_known(data, ("starts_at", "ends_at", "kind", "label"))
    fields = v.Fields()
    out: dict[str, Any] = {}
    creating = slot is None
    if creating or "starts_at" in data:
        out["starts_at"] = v.local_time(fields, "starts_at", data.get("starts_at"))
    if creating or "ends_at" in data:
        out["ends_at"] = v.local_time(fields, "ends_at", data.get("ends_at"))
    if creating or "kind" in data:
        out["kind"] = v.choice(fields, "kind", data.get("kind"), [k.value for k in SlotKind],
                               default=SlotKind.SESSION.value if creating else None)
    if creating or "label" in data:
        out["label"] = v.text(fields, "label", data.get("label"), max_len=v.SLOT_LABEL_MAX)
    starts = out.get("starts_at") or (slot.starts_at if slot else None)
    ends = out.get("ends_at") or (slot.ends_at if slot else None)
    for name in ("starts_at", "ends_at"):
        v.wall_clock(fields, name, out.get(name), event.timezone)
    if starts and ends:
        if ends <= starts:
            fields.add("ends_at", _("must be after starts_at"))
        elif ends - starts > timedelta(hours=24):
            fields.add("ends_at", _("a slot lasts at most 24 hours"))
        if not event.starts_on <= starts.date() <= event.ends_on:
            fields.add("starts_at", _("must fall within the event's dates"))
    fields.check()
    if starts and ends:
        overlap = sa.select(Slot).where(
            Slot.event_id == event.id, Slot.starts_at < ends, Slot.ends_at > starts
        )
        if slot is not None:
            overlap = overlap.where(Slot.id != slot.id)
        clash = db.session.scalar(overlap)
        if clash is not None:
            raise ValidationFailed(
                _("Time slots may not overlap."),
                fields={"starts_at": _("overlaps %(slot)s", slot=times.weekday(clash.starts_at)
                                       + " " + times.span(clash.starts_at, clash.ends_at))},
            )
    return out


def add_slot(*, event: Event, user: User, data: dict[str, Any]) -> Slot:
    """Add a time slot; only session slots can hold topics."""
    require_organizer(user, event)
    with writing():
        require_organizer(user, event)
        values = slot_values(data, event=event)
        slot = Slot(event_id=event.id, **values)
        db.session.add(slot)
        db.session.flush()
        version = bump_version(event)
        payload = slot_dict(slot)
    announce(event.id, version, "slot_added", slot=payload)
    return slot


def get_slot(event: Event, slot_id: Any) -> Slot:
    slot = db.session.get(Slot, v.identifier("slot_id", slot_id))
    if slot is None or slot.event_id != event.id:
        raise NotFound(_("No such time slot in this event."))
    return slot


def update_slot(*, slot: Slot, user: User, data: dict[str, Any]) -> Slot:
    """Change a time slot; a new time moves the sessions placed in it, which whoever said
    they'll come to one hears of (if they asked to)."""
    with writing():
        event = slot.event
        require_organizer(user, event)
        values = slot_values(data, event=event, slot=slot)
        if values.get("kind") not in (None, SlotKind.SESSION.value) and db.session.scalar(
            sa.select(Topic.id).where(Topic.slot_id == slot.id)
        ):
            raise Conflict(_("Sessions are placed in this slot; move them first."),
                           code="slot_in_use")
        moved = any(getattr(slot, key) != values[key] for key in ("starts_at", "ends_at")
                    if key in values)
        for key, value in values.items():
            setattr(slot, key, value)
        if moved:  # the sessions placed in it moved in time
            notifications.topics_changed(
                db.session.scalars(sa.select(Topic).where(Topic.slot_id == slot.id)),
                actor=user)
        version = bump_version(event)
        payload = slot_dict(slot)
    announce(event.id, version, "slot_changed", slot=payload)
    return slot


def delete_slot(*, slot: Slot, user: User) -> None:
    """Remove a time slot; sessions placed in it go back to the marketplace (and whoever said
    they'll come to one hears of it, if they asked to)."""
    with writing():
        event = slot.event
        require_organizer(user, event)
        placed = list(db.session.scalars(sa.select(Topic).where(Topic.slot_id == slot.id)))
        for topic in placed:
            topic.room_id = topic.slot_id = None
            topic.status = TopicStatus.PROPOSED
        db.session.flush()
        notifications.topics_changed(placed, actor=user)
        slot_id = slot.id
        db.session.delete(slot)
        version = bump_version(event)
    announce(event.id, version, "slot_removed", slot_id=slot_id)


"""The schedule as iCalendar (RFC 5545): the whole agenda, or one person's ("my agenda") as a
feed calendar apps subscribe to without a cookie, through a secret per-user URL.

Times are the event's local times with a TZID and the matching VTIMEZONE (generated from the
tz database by icalendar), so a session at 10:00 in Brussels is at 10:00 in Brussels whatever
zone the reader's phone is in, also across a daylight-saving change. A local time that happens
twice (the hour repeated when the clocks go back) is written in UTC instead: see _local().

The personal feed also carries the person's action items (those that name them as an owner) as
VTODO tasks, done or not.

The personal feed's token is an HMAC of (user, event, the user's session epoch) under the
server's secret key: nothing to store, and "log out everywhere" (which bumps the epoch) also
turns every old feed URL off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar, Todo
from icalendar import Event as VEvent

from ..extensions import db
from ..i18n import _, in_language, ngettext
from ..models import Event, SlotKind, Topic, TopicStatus, User
from . import validation as v
from .actions import ActionItem, agenda_order, event_action_items, filter_items
from .board import active_topics, my_agenda
from .errors import NotFound
from .permissions import can_view_event, is_member

PRODID = "-//openspace//Open Space agenda//EN"
REFRESH = timedelta(minutes=15)
TopicUrl = Callable[[Topic], str]


def _utc(naive_utc: datetime) -> datetime:
    return naive_utc.replace(tzinfo=UTC, microsecond=0)


def _calendar(event: Event, name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", name)  # RFC 7986
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", event.timezone)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT15M")
    return cal


def _local(event: Event, value: datetime) -> datetime:
    """A slot time for DTSTART/DTEND: local with its TZID, except a time the zone has twice
    (when the clocks go back), which is written in UTC (its first occurrence, the rule of
    validation.wall_clock): RFC 5545 says a TZID time means the first occurrence too, but
    ical.js and node-ical read the second, an hour later. A UTC time means one instant to all."""
    local = value.replace(tzinfo=ZoneInfo(event.timezone), fold=0)
    if v.is_ambiguous(value, event.timezone):
        return local.astimezone(UTC)
    return local


def _topic_event(event: Event, topic: Topic, *, domain: str, url: str) -> VEvent:
    item = VEvent()
    item.add("uid", f"topic-{topic.id}.{event.slug}@{domain}")
    item.add("dtstamp", _utc(topic.updated_at))
    item.add("last-modified", _utc(topic.updated_at))
    item.add("dtstart", _local(event, topic.slot.starts_at))
    item.add("dtend", _local(event, topic.slot.ends_at))
    item.add("summary", topic.title)
    item.add("location", ", ".join(x for x in (topic.room.name, event.venue) if x))
    lines = [_("Convened by %(name)s", name=topic.convener.name) + " · "
             + ngettext("%(num)d said they'd come", "%(num)d said they'd come",
                        topic.interest_count)]
    if topic.description:
        lines += ["", topic.description]
    lines += ["", url]
    item.add("description", "\n".join(lines))
    item.add("url", url)
    if topic.tags:
        item.add("categories", list(topic.tags))
    item.add("status", "CONFIRMED")
    item.add("transp", "OPAQUE")
    return item


def _plenaries(event: Event, cal: Calendar, *, domain: str) -> None:
    for slot in event.slots:
        if slot.kind != SlotKind.PLENARY:
            continue
        item = VEvent()
        item.add("uid", f"slot-{slot.id}.{event.slug}@{domain}")
        item.add("dtstamp", _utc(event.created_at))
        item.add("dtstart", _local(event, slot.starts_at))
        item.add("dtend", _local(event, slot.ends_at))
        item.add("summary", slot.label or _("Plenary"))
        if event.venue:
            item.add("location", event.venue)
        item.add("status", "CONFIRMED")
        cal.add_component(item)


def _todo(event: Event, item: ActionItem, *, domain: str, url: str) -> Todo:
    """An action item as a task: its UID follows the item's session and text (not its place
    in the note, which moves as others are added), so a calendar keeps one task per item."""
    todo = Todo()
    digest = hashlib.sha256(item.text.encode()).hexdigest()[:16]
    todo.add("uid", f"action-{item.topic.id}-{digest}.{event.slug}@{domain}")
    todo.add("dtstamp", _utc(item.topic.updated_at))
    todo.add("summary", item.text)
    todo.add("description", _("From the notes of %(session)s", session=item.topic.title)
             + "\n\n" + url)
    todo.add("url", url)
    todo.add("status", "COMPLETED" if item.done else "NEEDS-ACTION")
    if item.done:
        todo.add("percent-complete", 100)
    return todo


def _build(event: Event, name: str, topics: Iterable[Topic], *, domain: str,
           topic_url: TopicUrl, todos: Iterable[ActionItem] = ()) -> bytes:
    """The feed's texts are in the event's language."""
    with in_language(event.language):
        return _build_calendar(event, name, topics, domain=domain, topic_url=topic_url,
                               todos=todos)


def _build_calendar(event: Event, name: str, topics: Iterable[Topic], *, domain: str,
                    topic_url: TopicUrl, todos: Iterable[ActionItem]) -> bytes:
    cal = _calendar(event, name)
    _plenaries(event, cal, domain=domain)
    for topic in agenda_order(t for t in topics if t.status == TopicStatus.PLACED):
        cal.add_component(_topic_event(event, topic, domain=domain, url=topic_url(topic)))
    for item in todos:
        cal.add_component(_todo(event, item, domain=domain, url=topic_url(item.topic)))
    # The zone's rules around the event only (the default spans 1970-2038: 3 KB per feed).
    cal.add_missing_timezones(first_date=date(event.starts_on.year - 1, 1, 1),
                              last_date=date(event.ends_on.year + 2, 1, 1))
    return cal.to_ical()


def schedule_ics(event: Event, *, domain: str, topic_url: TopicUrl) -> bytes:
    """The event's agenda: every placed session and every plenary (opening, news, closing).
    The caller checks that the reader may see the event."""
    return _build(event, event.name, active_topics(event), domain=domain, topic_url=topic_url)


def agenda_ics(event: Event, user: User, *, domain: str, topic_url: TopicUrl) -> bytes:
    """One person's agenda: the sessions they convene or said they'll come to, and the
    plenaries."""
    agenda = my_agenda(event, user)
    topics = {t.id: t for t in agenda["convening"] + agenda["attending"]}
    todos = filter_items(event_action_items(event), owner=user)
    return _build(event, f"{event.name} · {user.name}", topics.values(), domain=domain,
                  topic_url=topic_url, todos=todos)


# The personal feed's secret URL -----------------------------------------------------------------

def _mac(secret: bytes, user: User, event: Event) -> str:
    message = f"agenda-feed:{user.id}:{user.session_epoch}:{event.id}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def feed_token(*, user: User, event: Event, secret: bytes) -> str:
    """The secret part of a member's personal feed URL ("<user id>-<mac>")."""
    return f"{user.id}-{_mac(secret, user, event)}"


def event_for_feed(slug: Any) -> Event:
    """The event of a feed URL, found without a viewer: the token says who reads (so private
    events' members can subscribe too)."""
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug)) \
        if isinstance(slug, str) else None
    if event is None:
        raise NotFound(_("No such calendar feed."))
    return event


def user_for_feed(*, event: Event, token: Any, secret: bytes) -> User:
    """Whose feed this token opens; NotFound for a wrong or revoked token, or someone who is no
    longer a member (a feed URL never says which of these it was)."""
    not_found = NotFound("No such calendar feed.")
    if not isinstance(token, str) or "-" not in token or len(token) > 64:
        raise not_found
    user_text, _, mac = token.partition("-")
    user_id = v.id_from_text(user_text)
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not hmac.compare_digest(mac, _mac(secret, user, event)):
        raise not_found
    if not is_member(user, event) or not can_view_event(user, event):
        raise not_found
    return user

"""Notifications people opt into (account page): the sessions they said they'll come to moved
or were withdrawn; the summary of an event of theirs was published.

A change records a Notice per person to tell, in the change's own transaction (none for the
person who made it, none for someone without an address or no longer able to see the event).
The worker turns a burst of notices into one mail per person and event: a burst ends when
QUIET has passed without a new change, or MAX_WAIT after its first change, whichever comes
first; the mail tells each session's state at that moment (moved twice: one line, the last
place). Taking the notices and queuing the mail is one transaction whose DELETE only one
worker can win, so no notice is mailed twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request, url_for

from ...extensions import db
from ...i18n import _, in_language, ngettext
from ...models import Event, Interest, Membership, Notice, Topic, TopicStatus, User, utcnow
from .. import times
from ..permissions import can_view_event
from ..tx import writing
from . import enabled, queue

SESSIONS = "sessions"
SUMMARY = "summary"
QUIET = timedelta(minutes=2)
MAX_WAIT = timedelta(minutes=10)


def _base_url() -> str:
    configured = current_app.config.get("BASE_URL") or ""
    if configured:
        return configured
    return request.host_url.rstrip("/") if has_request_context() else ""


def topics_changed(topics: Iterable[Topic], *, actor: User | None) -> None:
    """In the caller's transaction: these topics moved, went back to the marketplace, were
    withdrawn or merged; note it for everyone interested who asked to hear about it."""
    if not enabled():
        return
    topics = list(topics)
    ids = [t.id for t in topics]
    if not ids:
        return
    rows = db.session.execute(
        sa.select(Interest.topic_id, User.id).join(User, User.id == Interest.user_id).where(
            Interest.topic_id.in_(ids), User.notify_sessions.is_(True), User.email.is_not(None),
            User.disabled_at.is_(None)))
    event_of = {t.id: t.event_id for t in topics}
    base, now = _base_url(), utcnow()
    for topic_id, user_id in rows:
        if actor is not None and user_id == actor.id:
            continue
        db.session.add(Notice(user_id=user_id, event_id=event_of[topic_id], kind=SESSIONS,
                              topic_id=topic_id, base_url=base, created_at=now))


def summary_published(event: Event, *, actor: User | None) -> None:
    """In the caller's transaction: the event's summary was just published."""
    if not enabled():
        return
    base, now = _base_url(), utcnow()
    user_ids = db.session.scalars(
        sa.select(User.id).join(Membership, Membership.user_id == User.id).where(
            Membership.event_id == event.id, User.notify_summary.is_(True),
            User.email.is_not(None), User.disabled_at.is_(None)))
    for user_id in user_ids:
        if actor is None or user_id != actor.id:
            db.session.add(Notice(user_id=user_id, event_id=event.id, kind=SUMMARY,
                                  base_url=base, created_at=now))


def _due_groups(now: datetime) -> list[tuple[int, int, str, int]]:
    """(user, event, kind, last notice id) of every burst that is over."""
    rows = db.session.execute(
        sa.select(Notice.user_id, Notice.event_id, Notice.kind, sa.func.max(Notice.id))
        .group_by(Notice.user_id, Notice.event_id, Notice.kind)
        .having(sa.or_(sa.func.max(Notice.created_at) <= now - QUIET,
                       sa.func.min(Notice.created_at) <= now - MAX_WAIT)))
    return [tuple(row) for row in rows]


def flush_due(*, now: datetime | None = None) -> int:
    """Queue one mail for each burst that is over; returns how many were queued."""
    now = now or utcnow()
    queued = 0
    for user_id, event_id, kind, last_id in _due_groups(now):
        with writing():
            taken = db.session.execute(sa.delete(Notice).where(
                Notice.user_id == user_id, Notice.event_id == event_id, Notice.kind == kind,
                Notice.id <= last_id).returning(Notice.topic_id, Notice.base_url)
                .execution_options(synchronize_session=False)).all()
            if not taken:
                continue  # another worker took this burst
            if _mail(user_id, event_id, kind, taken):
                queued += 1
    return queued


def _mail(user_id: int, event_id: int, kind: str, taken: list) -> bool:
    user, event = db.session.get(User, user_id), db.session.get(Event, event_id)
    if user is None or event is None or not user.email or user.is_disabled:
        return False
    wanted = user.notify_sessions if kind == SESSIONS else user.notify_summary
    if not wanted or not can_view_event(user, event):
        return False
    base = current_app.config.get("BASE_URL") or taken[-1].base_url or "http://localhost"
    with current_app.test_request_context("/", base_url=base):
        if kind == SUMMARY:
            if not event.summary_published:
                return False
            queue.enqueue(to=user.email,
                          subject=lambda: _("The summary of %(event)s is out", event=event.name),
                          template="notify_summary", kind="notify_summary", user_id=user.id,
                          event_id=event.id, user=user, event=event,
                          link=url_for("summary.show", slug=event.slug, _external=True),
                          account=url_for("auth.account", _external=True))
            return True
        ids = sorted({row.topic_id for row in taken if row.topic_id is not None})
        topics = list(db.session.scalars(sa.select(Topic).where(Topic.id.in_(ids))
                                         .order_by(Topic.id)))
        if not topics:
            return False
        with in_language(queue.language_for(user, event)):
            changes = [_describe(topic) for topic in topics]

        def subject() -> str:
            if len(changes) == 1:
                what = _("%(title)s has changed", title=changes[0]["title"])
            else:
                what = ngettext("%(num)d session you'll come to has changed",
                                "%(num)d sessions you'll come to have changed", len(changes))
            return _("%(event)s: %(what)s", event=event.name, what=what)

        queue.enqueue(to=user.email, subject=subject,
                      template="notify_sessions", kind="notify_sessions", user_id=user.id,
                      event_id=event.id, user=user, event=event, changes=changes,
                      link=url_for("board.my_agenda", slug=event.slug, _external=True),
                      account=url_for("auth.account", _external=True))
    return True


def _describe(topic: Topic) -> dict:
    """What a session is now, in words."""
    if topic.status == TopicStatus.WITHDRAWN:
        now = _("was withdrawn by its convener or the organizers")
    elif topic.status == TopicStatus.MERGED and topic.merged_into is not None:
        now = _("was merged into \u201c%(title)s\u201d", title=topic.merged_into.title)
    elif topic.room is not None and topic.slot is not None:
        now = _("is now in %(room)s, %(when)s", room=topic.room.name,
                when=times.slot_when(topic.event, topic.slot))
    else:
        now = _("is back on the marketplace, without a room or time for now")
    return {"title": topic.title, "now": now,
            "url": url_for("topics.show", topic_id=topic.id, _external=True)}

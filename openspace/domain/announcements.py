"""Announcements: short organizer news for the projector ticker and the phones."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..i18n import _
from ..models import Announcement, Event, User
from . import times
from . import validation as v
from .errors import NotFound
from .permissions import require_organizer
from .signals import announcement_changed
from .tx import writing

TEXT_MAX = 280
SHOWN = 5


def announcement_dict(item: Announcement, event: Event) -> dict:
    """What live pages are sent: the instant in UTC, and the time to show on the event's clock
    (live.js shows `time` as it is; the server formats every time)."""
    return {
        "id": item.id,
        "text": item.text,
        "author": item.author.name if item.author else None,
        "created_at": item.created_at.isoformat(timespec="seconds") + "Z",
        "time": times.clock(times.to_local(event, item.created_at)),
    }


def recent(event: Event, limit: int = SHOWN) -> list[Announcement]:
    return list(db.session.scalars(
        sa.select(Announcement).where(Announcement.event_id == event.id)
        .order_by(Announcement.created_at.desc(), Announcement.id.desc()).limit(limit)))


def post_announcement(*, event: Event, user: User, text: Any) -> Announcement:
    """Organizers post a line of news; every open board and projector shows it at once."""
    fields = v.Fields()
    text_ = v.text(fields, "text", text, max_len=TEXT_MAX, required=True)
    fields.check()
    with writing():
        require_organizer(user, event)
        item = Announcement(event_id=event.id, author_id=user.id, text=text_)
        db.session.add(item)
        db.session.flush()
        payload = announcement_dict(item, event)
        event_id = event.id
    announcement_changed.send(event_id, kind="posted", announcement=payload)
    return item


def delete_announcement(*, event: Event, user: User, announcement_id: Any) -> None:
    with writing():
        require_organizer(user, event)
        item = db.session.get(Announcement, v.identifier("announcement_id", announcement_id))
        if item is None or item.event_id != event.id:
            raise NotFound(_("No such announcement."))
        db.session.delete(item)
        event_id = event.id
    announcement_changed.send(event_id, kind="deleted", announcement={"id": announcement_id})

"""Who may do what: predicates used by domain functions, which raise NotAllowed on False.

Views and socket handlers never re-check: they call domain functions and map the errors.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..i18n import _
from ..models import BoardState, Event, Membership, Role, Topic, User, Visibility
from .errors import BoardLocked, NotAllowed, NotAuthenticated, NotFound


def _authenticated(user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def role_in(user: User | None, event: Event) -> Role | None:
    if not _authenticated(user):
        return None
    return db.session.scalar(
        sa.select(Membership.role).where(
            Membership.event_id == event.id, Membership.user_id == user.id
        )
    )


def is_member(user: User | None, event: Event) -> bool:
    return role_in(user, event) is not None


def is_organizer(user: User | None, event: Event) -> bool:
    return role_in(user, event) == Role.ORGANIZER


def can_view_event(user: User | None, event: Event) -> bool:
    return event.visibility != Visibility.PRIVATE or is_member(user, event)


def viewers(event: Event | None) -> set[int] | None:
    """Who may see the event, for checking many connections at once: None for anyone, else
    the ids of the users who may (its members; nobody for a deleted event). The same rule as
    can_view_event."""
    if event is None:
        return set()
    if event.visibility != Visibility.PRIVATE:
        return None
    return set(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.event_id == event.id)))


def can_edit_topic(user: User | None, topic: Topic) -> bool:
    """The convener and the organizers may edit, place and withdraw a topic."""
    if not _authenticated(user):
        return False
    return topic.convener_id == user.id or is_organizer(user, topic.event)


def require_view(user: User | None, event: Event) -> None:
    """Private events are invisible to non-members: they get 404, not 403."""
    if not can_view_event(user, event):
        raise NotFound(_("No such event."))


def require_member(user: User | None, event: Event) -> Role:
    require_view(user, event)
    if not _authenticated(user):
        raise NotAuthenticated()
    role = role_in(user, event)
    if role is None:
        raise NotAllowed(_("Join the event first."))
    return role


def require_organizer(user: User | None, event: Event) -> None:
    if require_member(user, event) != Role.ORGANIZER:
        raise NotAllowed(_("Only organizers can do that."))


def require_board_change(user: User | None, event: Event) -> Role:
    """Members change an open board; a locked board changes only by organizers."""
    role = require_member(user, event)
    if event.board_state == BoardState.LOCKED and role != Role.ORGANIZER:
        raise BoardLocked()
    return role


def require_topic_edit(user: User | None, topic: Topic) -> Role:
    role = require_board_change(user, topic.event)
    if role != Role.ORGANIZER and topic.convener_id != user.id:
        raise NotAllowed(_("Only the convener or an organizer can change this topic."))
    return role


def can_write_note(user: User | None, topic: Topic) -> bool:
    """Members write a topic's note while the topic is on the board (proposed or placed)."""
    return topic.is_active and is_member(user, topic.event)


def require_note_write(user: User | None, topic: Topic) -> Role:
    """A withdrawn or merged topic's note is kept as it was: read-only, even for organizers
    (the convener withdrew the session; what was written stays the record)."""
    role = require_member(user, topic.event)
    if not topic.is_active:
        raise NotAllowed(_("This session was withdrawn or merged: its notes are kept as they "
                           "were and can no longer be changed."), code="note_read_only")
    return role


def is_instance_admin(user: User | None) -> bool:
    """An instance admin (`openspace admin add EMAIL`): runs the whole site, not one event."""
    return _authenticated(user) and bool(getattr(user, "is_admin", False))


def require_instance_admin(user: User | None) -> None:
    """Admin pages are invisible to everyone else: they get 404, as for a private event."""
    if not is_instance_admin(user):
        raise NotFound()

"""Plain-dict views of models: the shapes of the public JSON contract and of broadcasts."""

from __future__ import annotations

from ..models import Event, Membership, Role, Room, Slot, Topic, User
from .permissions import is_organizer


def user_brief(user: User) -> dict:
    return {"id": user.id, "name": user.name}


def event_dict(event: Event, *, with_join_code: bool = False) -> dict:
    data = {
        "slug": event.slug,
        "name": event.name,
        "theme": event.theme,
        "venue": event.venue,
        "timezone": event.timezone,
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "hashtag": event.hashtag,
        "language": event.language,
        "visibility": str(event.visibility),
        "board_state": str(event.board_state),
        "summary_published": event.summary_published,
        "projector_mode": str(event.projector_mode),
    }
    if with_join_code:
        data["join_code"] = event.join_code
    return data


def event_for(user: User | None, event: Event) -> dict:
    """The event as this user sees it: organizers also get the join code."""
    return event_dict(event, with_join_code=is_organizer(user, event))


def account_dict(user: User) -> dict:
    """A user as they see themselves (with email); everyone else gets user_brief."""
    return {"id": user.id, "name": user.name, "email": user.email}


def member_dict(membership: Membership) -> dict:
    return {
        "user": user_brief(membership.user),
        "role": str(membership.role),
        "joined_at": membership.joined_at.isoformat(timespec="seconds") + "Z",
    }


def me_dict(user: User) -> dict:
    """The account plus the events it belongs to, with its role (join codes for organizers)."""
    return {
        **account_dict(user),
        "memberships": [
            {
                "event": event_dict(m.event, with_join_code=m.role == Role.ORGANIZER),
                "role": str(m.role),
            }
            for m in sorted(user.memberships, key=lambda m: (m.joined_at, m.id))
        ],
    }


def room_dict(room: Room) -> dict:
    return {"id": room.id, "name": room.name, "capacity": room.capacity}


def slot_dict(slot: Slot) -> dict:
    return {
        "id": slot.id,
        "starts_at": slot.starts_at.isoformat(timespec="minutes"),
        "ends_at": slot.ends_at.isoformat(timespec="minutes"),
        "kind": str(slot.kind),
        "label": slot.label,
    }


def topic_dict(topic: Topic) -> dict:
    return {
        "id": topic.id,
        "title": topic.title,
        "description": topic.description,
        "tags": list(topic.tags or []),
        "convener": user_brief(topic.convener),
        "room_id": topic.room_id,
        "slot_id": topic.slot_id,
        "status": str(topic.status),
        "interest_count": topic.interest_count,
        "over_capacity": topic.over_capacity,
        "merged_into_id": topic.merged_into_id,
    }

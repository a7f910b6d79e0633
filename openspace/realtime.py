"""Domain signals -> Socket.IO broadcasts (event rooms, note rooms), sent after the commit."""

from __future__ import annotations

from .domain.signals import announcement_changed, board_changed, note_awareness, note_updated
from .extensions import socketio


def event_room(event_id: int) -> str:
    return f"event:{event_id}"


def note_room(topic_id: int) -> str:
    return f"note:{topic_id}"


@board_changed.connect
def _broadcast_board_change(event_id: int, *, version: int, kind: str, **payload) -> None:
    socketio.emit(
        "board:changed", {"version": version, "kind": kind, **payload}, to=event_room(event_id)
    )


@announcement_changed.connect
def _broadcast_announcement(event_id: int, *, kind: str, announcement: dict) -> None:
    socketio.emit("announcement", {"kind": kind, "announcement": announcement},
                  to=event_room(event_id))


@note_updated.connect
def _relay_note_update(topic_id: int, *, update: bytes, origin: str | None = None) -> None:
    # The sender already has its own update: skip its connection (the origin is its sid).
    socketio.emit("note:update", {"topic_id": topic_id, "update": update},
                  to=note_room(topic_id), skip_sid=origin)


@note_awareness.connect
def _relay_note_awareness(topic_id: int, *, update: bytes, origin: str | None = None) -> None:
    socketio.emit("note:awareness", {"topic_id": topic_id, "update": update},
                  to=note_room(topic_id), skip_sid=origin)

"""Board signals -> Socket.IO broadcasts to the event's room, sent after the commit."""

from __future__ import annotations

from .domain.signals import announcement_changed, board_changed
from .extensions import socketio


def event_room(event_id: int) -> str:
    return f"event:{event_id}"


@board_changed.connect
def _broadcast_board_change(event_id: int, *, version: int, kind: str, **payload) -> None:
    socketio.emit(
        "board:changed", {"version": version, "kind": kind, **payload}, to=event_room(event_id)
    )


@announcement_changed.connect
def _broadcast_announcement(event_id: int, *, kind: str, announcement: dict) -> None:
    socketio.emit("announcement", {"kind": kind, "announcement": announcement},
                  to=event_room(event_id))

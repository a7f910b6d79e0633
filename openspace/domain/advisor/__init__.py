"""The schedule advisor: a few moves and swaps that leave fewer attendees with clashing choices
and fewer people than seats, moving as few topics as possible. An advisor, not an autopilot:
it suggests, the organizer applies what they like, each move an ordinary board change.

What counts (the same numbers the page and the API show):
- a *clash*: an attendee two of whose chosen sessions run in the same time slot. Chosen means
  "I'll come" on a placed topic, or convening it (a convener who says they'll come to another
  session at the same time clashes with their own). `clashes` counts attendees, not pairs.
- *over capacity*: for each placed topic, how many more people said they'll come than its room
  holds (rooms without a capacity hold everyone), summed.

The model (OR-Tools CP-SAT): one boolean per placed topic and session cell it may take. Pinned
topics keep their cell. A topic may move only to a cell that is free now, or swap with the
topic in it; never into a time slot where its convener convenes something else now, nor where
they will afterwards. So every suggested move is independent of the others: any subset can be
applied, in any order, with the board functions that check the same rules (place_topic,
swap_topics). Minimized: (attendees with a clash + people over capacity) first, then the number
of topics moved, with at most `max_moves` topics moved (a swap moves two).

`suggest` reads the board, solves off the server's event loop (offload.py) within
ADVISOR_TIME_LIMIT seconds, and says what cannot be improved and why; `apply_moves` applies the
organizer's choice of moves, each failing with `board_changed` (409) when the board moved on
since the suggestion (the topic is no longer in the cell the suggestion found it in) or with
`slot_taken` when its target cell was taken meanwhile.
"""


from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

from ...extensions import db
from ...i18n import _, ngettext
from ...models import Event, SlotKind, User
from .. import board
from .. import validation as v
from ..errors import DomainError, NotFound, ValidationFailed
from ..offload import Slots
from ..permissions import require_organizer
from ..serialize import topic_dict
from .explain import explain
from .model import (
    MAX_MOVES_DEFAULT,
    TIME_LIMIT_DEFAULT,
    WORKERS_DEFAULT,
    Change,
    Problem,
    Score,
    Solution,
    changes,
    greedy,
    score,
    solve,
)

MAX_MOVES_MAX = 50
PINNED_MAX = 2000
APPLY_MAX = 100

# Each solve keeps up to ADVISOR_WORKERS cores busy for up to ADVISOR_TIME_LIMIT seconds: two
# at once per server process, further organizers wait their turn (green, so nobody else does).
_solves = Slots(2)

__all__ = ["Change", "Problem", "Score", "Solution", "apply_moves", "changes", "explain",
           "greedy", "overview", "read_board", "score", "solve", "suggest", "suggestion"]


# On the board ------------------------------------------------------------------------------

@dataclass
class Board:
    """A Problem and what turns its indices back into ids and titles."""

    problem: Problem
    version: int
    cells: list[tuple[int, int]]  # cell -> (room_id, slot_id)
    topics: list[dict]  # placed topic -> {"id", "title"}
    unplaced: int


def suggest_values(data: Any) -> tuple[list[int], int]:
    """`pinned` (topic ids, at most PINNED_MAX) and `max_moves` (1..MAX_MOVES_MAX) checked."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("Send a JSON object."))
    v.only_known(data, ("pinned", "max_moves"))
    fields = v.Fields()
    pinned = data.get("pinned", [])
    ids: list[int] = []
    if not isinstance(pinned, list) or len(pinned) > PINNED_MAX:
        fields.add("pinned", ngettext("must be a list of at most %(num)d topic id",
                                       "must be a list of at most %(num)d topic ids", PINNED_MAX))
    else:
        for value in pinned:
            number = v.as_id(value)
            if number is None:
                fields.add("pinned", _("must hold topic ids (whole numbers)"))
                break
            ids.append(number)
    max_moves = v.integer(fields, "max_moves", data.get("max_moves"), minimum=1,
                          maximum=MAX_MOVES_MAX)
    fields.check()
    return sorted(set(ids)), MAX_MOVES_DEFAULT if max_moves is None else max_moves


def read_board(event: Event, pinned: Sequence[int] = ()) -> Board:
    """The event's board as a Problem; `pinned` must be ids of this event's active topics."""
    topics = board.active_topics(event)
    known = {t.id for t in topics}
    strangers = [i for i in pinned if i not in known]
    if strangers:
        raise NotFound(_("No such topic in this event."),
                       fields={"pinned": _("not a topic of this event: %(id)s", id=strangers[0])})
    slots = [s for s in event.slots if s.kind == SlotKind.SESSION]
    slot_index = {s.id: i for i, s in enumerate(slots)}
    cells = [(room.id, slot.id) for slot in slots for room in event.rooms]
    cell_index = {cell: i for i, cell in enumerate(cells)}
    capacity = {room.id: room.capacity for room in event.rooms}
    placed = [t for t in topics if (t.room_id, t.slot_id) in cell_index]
    position = {t.id: i for i, t in enumerate(placed)}
    chosen: dict[int, set[int]] = defaultdict(set)
    for t in placed:
        chosen[t.convener_id].add(position[t.id])
        for interest in t.interests:
            chosen[interest.user_id].add(position[t.id])
    problem = Problem(
        cell_slot=[slot_index[slot_id] for _room, slot_id in cells],
        cell_capacity=[capacity[room_id] for room_id, _slot in cells],
        topic_cell=[cell_index[t.room_id, t.slot_id] for t in placed],
        topic_convener=[t.convener_id for t in placed],
        topic_interest=[t.interest_count for t in placed],
        choices=[tuple(sorted(c)) for c in chosen.values() if len(c) > 1],
        pinned={position[i] for i in pinned if i in position},
    )
    return Board(problem, event.board_version, cells,
                 [{"id": t.id, "title": t.title} for t in placed], len(topics) - len(placed))


def _cell_dict(board_: Board, cell: int) -> dict:
    room_id, slot_id = board_.cells[cell]
    return {"room_id": room_id, "slot_id": slot_id}


def suggestion(board_: Board, solution: Solution, *, max_moves: int) -> dict:
    """The answer of `suggest`, as the API and the page show it."""
    problem = board_.problem
    after = score(problem, solution.assignment)
    moves = []
    for change in changes(problem, solution.assignment):
        move = {
            "kind": "swap" if change.partner is not None else "move",
            "topic": board_.topics[change.topic],
            "from": _cell_dict(board_, problem.topic_cell[change.topic]),
            "to": _cell_dict(board_, change.target),
            "with": board_.topics[change.partner] if change.partner is not None else None,
            "gains": change.gains.as_dict(),
        }
        moves.append(move)
    return {
        "version": board_.version,
        "status": solution.status,
        "seconds": round(solution.seconds, 3),
        "max_moves": max_moves,
        "pinned": sorted(board_.topics[t]["id"] for t in problem.pinned),
        "before": score(problem, problem.topic_cell).as_dict(),
        "after": after.as_dict(),
        "moves": moves,
        "explanations": explain(problem, solution, after, max_moves=max_moves,
                                titles=[t["title"] for t in board_.topics],
                                unplaced=board_.unplaced),
    }


def overview(*, event: Event, user: User | None) -> dict:
    """What the advisor page shows before any suggestion: the board's figures now, its session
    slots and rooms, and the placed topics (to pin) by cell."""
    require_organizer(user, event)
    board_ = read_board(event)
    placed = {(t.room_id, t.slot_id): t for t in board.active_topics(event) if t.room_id}
    return {
        "now": score(board_.problem, board_.problem.topic_cell),
        "slots": [s for s in event.slots if s.kind == SlotKind.SESSION],
        "rooms": list(event.rooms),
        "placed": placed,
        "unplaced": board_.unplaced,
    }


def suggest(*, event: Event, user: User | None, data: Any) -> dict:
    """An organizer asks for advice: moves and swaps with what each gains, and what stays."""
    require_organizer(user, event)
    pinned, max_moves = suggest_values(data)
    board_ = read_board(event, pinned)
    # No transaction (nor pooled connection) stays open while the solver thinks.
    db.session.rollback()
    config = current_app.config
    time_limit = float(config.get("ADVISOR_TIME_LIMIT", TIME_LIMIT_DEFAULT))
    workers = int(config.get("ADVISOR_WORKERS", WORKERS_DEFAULT))
    solution = _solves.run(lambda: solve(board_.problem, max_moves=max_moves,
                                         time_limit=time_limit, workers=workers))
    return suggestion(board_, solution, max_moves=max_moves)


# Applying -----------------------------------------------------------------------------------

MOVE_FIELDS = ("kind", "topic_id", "from", "to", "with_topic_id")


def _cell_value(fields: v.Fields, name: str, value: Any) -> tuple[int, int] | None:
    if not isinstance(value, dict) or set(value) != {"room_id", "slot_id"}:
        fields.add(name, _("must be {room_id, slot_id}"))
        return None
    room_id, slot_id = v.as_id(value["room_id"]), v.as_id(value["slot_id"])
    if room_id is None or slot_id is None:
        fields.add(name, _("room_id and slot_id must be ids (whole numbers)"))
        return None
    return room_id, slot_id


@dataclass(frozen=True)
class MoveRequest:
    kind: str
    topic_id: int
    source: tuple[int, int]
    target: tuple[int, int]
    partner_id: int | None


def move_values(data: Any) -> list[MoveRequest]:
    """`moves`: 1..APPLY_MAX moves as `suggest` returned them ({kind, topic_id, from, to,
    with_topic_id for a swap}), each checked; a bad one names its index (moves.2.to)."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("Send a JSON object."))
    v.only_known(data, ("moves",))
    moves = data.get("moves")
    if not isinstance(moves, list) or not 1 <= len(moves) <= APPLY_MAX:
        raise ValidationFailed(fields={"moves": _("must be a list of 1 to %(max)d moves",
                                                 max=APPLY_MAX)})
    fields = v.Fields()
    out = []
    for i, move in enumerate(moves):
        name = f"moves.{i}"
        if not isinstance(move, dict):
            fields.add(name, _("must be an object"))
            continue
        unknown = sorted(set(move) - set(MOVE_FIELDS))
        if unknown:
            fields.add(f"{name}.{unknown[0]}", _("unknown field"))
            continue
        kind = v.choice(fields, f"{name}.kind", move.get("kind"), ("move", "swap"))
        topic_id = v.as_id(move.get("topic_id"))
        if topic_id is None:
            fields.add(f"{name}.topic_id", _("must be a topic id (a whole number)"))
        source = _cell_value(fields, f"{name}.from", move.get("from"))
        target = _cell_value(fields, f"{name}.to", move.get("to"))
        partner = move.get("with_topic_id")
        partner_id = v.as_id(partner) if partner is not None else None
        if kind == "swap" and partner_id is None:
            fields.add(f"{name}.with_topic_id", _("a swap needs the other topic's id"))
        # Present at all (null too: the document says an id) is an error for a move.
        if kind == "move" and "with_topic_id" in move:
            fields.add(f"{name}.with_topic_id", _("only a swap has another topic"))
        if kind and topic_id and source and target and (kind == "move" or partner_id):
            out.append(MoveRequest(kind, topic_id, source, target, partner_id))
    fields.check()
    return out


def _topic_of(event: Event, user: User, topic_id: int):
    topic = board.get_topic(topic_id, user)
    if topic.event_id != event.id:
        raise NotFound(_("No such topic in this event."))
    return topic


def apply_moves(*, event: Event, user: User | None, data: Any) -> dict:
    """Apply the chosen moves one by one, each an ordinary board change (its own transaction,
    version + 1, broadcast after commit). A move that no longer fits the board fails alone,
    with the error the board gives (board_changed, slot_taken, convener_busy ...); the others
    still apply: they are independent by construction."""
    require_organizer(user, event)
    moves = move_values(data)
    results = []
    for move in moves:
        try:
            topic = _topic_of(event, user, move.topic_id)
            if move.kind == "move":
                board.place_topic(topic=topic, user=user, room_id=move.target[0],
                                  slot_id=move.target[1], expected={topic.id: move.source})
                done = [topic]
            else:
                other = _topic_of(event, user, move.partner_id)
                done = list(board.swap_topics(
                    first=topic, second=other, user=user,
                    expected={topic.id: move.source, other.id: move.target}))
            results.append({"ok": True, "topics": [topic_dict(t) for t in done]})
        except DomainError as error:
            db.session.rollback()
            results.append({"ok": False, "error": error.to_dict()})
    return {"applied": sum(1 for r in results if r["ok"]), "results": results,
            "version": db.session.get(Event, event.id).board_version}

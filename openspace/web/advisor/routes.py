"""The schedule advisor's page: the board's clashes now, a suggestion as a diff on the board,
and a form that applies the moves the organizer ticks (domain/advisor/ has the rules)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ...domain import advisor, events
from ...domain import validation as v
from ...domain.errors import ValidationFailed
from ...i18n import _, ngettext
from ..pages import login_required, me
from . import bp

SEPARATOR = "."


def move_token(move: dict) -> str:
    """A suggested move as one form value: kind.topic.from_room.from_slot.to_room.to_slot[.with]."""
    parts = [move["kind"], move["topic"]["id"], move["from"]["room_id"], move["from"]["slot_id"],
             move["to"]["room_id"], move["to"]["slot_id"]]
    if move["with"]:
        parts.append(move["with"]["id"])
    return SEPARATOR.join(str(p) for p in parts)


def _move_of(token: str) -> dict | str:
    """The API's shape of a move from its form value (bad pieces stay text, so the domain's
    check names them)."""
    parts = token.split(SEPARATOR) if isinstance(token, str) and len(token) < 200 else []
    if len(parts) not in (6, 7):
        return token
    ids = [v.id_from_text(p) or p for p in parts[1:]]
    move = {"kind": parts[0], "topic_id": ids[0],
            "from": {"room_id": ids[1], "slot_id": ids[2]},
            "to": {"room_id": ids[3], "slot_id": ids[4]}}
    if len(ids) == 6:
        move["with_topic_id"] = ids[5]
    return move


def _after(overview: dict, answer: dict | None) -> dict:
    """(room_id, slot_id) -> (topic, how it got there: "moved" | None) after every move."""
    cells = {cell: (topic, None) for cell, topic in overview["placed"].items()}
    if not answer:
        return cells
    by_id = {topic.id: topic for topic in overview["placed"].values()}
    for move in answer["moves"]:
        source = (move["from"]["room_id"], move["from"]["slot_id"])
        target = (move["to"]["room_id"], move["to"]["slot_id"])
        topic, partner = by_id.get(move["topic"]["id"]), move["with"]
        cells.pop(source, None)
        cells[target] = (topic, "moved")
        if partner:
            cells[source] = (by_id.get(partner["id"]), "moved")
    return cells


def _page(event, *, answer: dict | None = None, pinned=(), max_moves=None, problem=None,
          status: int = 200):
    overview = advisor.overview(event=event, user=me())
    return render_template(
        "advisor/show.html", event=event, overview=overview, answer=answer,
        after=_after(overview, answer),
        rooms_by_id={room.id: room for room in overview["rooms"]},
        slots_by_id={slot.id: slot for slot in overview["slots"]},
        pinned=set(pinned), max_moves=max_moves or advisor.MAX_MOVES_DEFAULT, problem=problem,
        move_token=move_token,
    ), status


@bp.get("/e/<slug>/advisor")
@login_required
def show(slug):
    return _page(events.get_event(slug, me()))


@bp.post("/e/<slug>/advisor")
@login_required
def suggest(slug):
    event = events.get_event(slug, me())
    pinned = [v.id_from_text(p) or p for p in request.form.getlist("pinned")]
    data = {"pinned": pinned, "max_moves": request.form.get("max_moves") or None}
    try:
        answer = advisor.suggest(event=event, user=me(), data=data)
    except ValidationFailed as error:
        return _page(event, pinned=pinned, problem=error, status=400)
    return _page(event, answer=answer, pinned=answer["pinned"], max_moves=answer["max_moves"])


@bp.post("/e/<slug>/advisor/apply")
@login_required
def apply(slug):
    event = events.get_event(slug, me())
    moves = [_move_of(token) for token in request.form.getlist("move")]
    if not moves:
        flash(_("Tick at least one move to apply."), "error")
        return redirect(url_for(".show", slug=event.slug))
    try:
        result = advisor.apply_moves(event=event, user=me(), data={"moves": moves})
    except ValidationFailed as error:
        flash(_("Not applied: %(reason)s", reason=error.message), "error")
        return redirect(url_for(".show", slug=event.slug))
    applied = result["applied"]
    if applied:
        flash(ngettext("%(num)d move applied.", "%(num)d moves applied.", applied), "success")
    for item in result["results"]:
        if not item["ok"]:
            flash(_("Not applied: %(reason)s", reason=item["error"]["message"]), "error")
    return redirect(url_for(".show", slug=event.slug))

"""Routes of the topics blueprint: the topic page and what conveners and organizers do to it."""

from __future__ import annotations

from itertools import groupby

from flask import flash, redirect, render_template, request, url_for

from ...domain import board, permissions
from ...domain.errors import Conflict, DomainError, ValidationFailed
from ..pages import allowed, back, login_required, me
from . import bp
from .forms import TopicForm

# Errors a tap on a button can run into that the topic page explains in place; a missing
# permission (403) or topic (404) still ends on the error page.
RECOVERABLE = (Conflict, ValidationFailed)


def _topic_page(topic, *, problem: str | None = None, status: int = 200):
    user = me()
    event = topic.event
    can_edit = topic.is_active and allowed(permissions.require_topic_edit, user, topic)
    organizer = topic.is_active and permissions.is_organizer(user, event)
    cells = board.free_cells(event) if can_edit else []
    free_by_slot = [(slot, [room for _, room in group])
                    for slot, group in groupby(cells, key=lambda cell: cell[0])]
    others = [t for t in board.active_topics(event) if t.id != topic.id] if organizer else []
    return render_template(
        "topics/show.html",
        topic=topic,
        event=event,
        can_edit=can_edit,
        organizer=organizer,
        is_member=allowed(permissions.require_member, user, event),
        interested=user is not None and any(i.user_id == user.id for i in topic.interests),
        free_by_slot=free_by_slot,
        others=others,
        problem=problem,
    ), status


def _topic(topic_id):
    return board.get_topic(topic_id, me())


def _to_topic(topic):
    return redirect(url_for("topics.show", topic_id=topic.id))


@bp.get("/t/<int:topic_id>")
def show(topic_id):
    return _topic_page(_topic(topic_id))


@bp.post("/t/<int:topic_id>/interest")
@login_required
def interest(topic_id):
    topic = _topic(topic_id)
    coming = request.form.get("interested") == "1"
    try:
        board.set_interest(topic=topic, user=me(), interested=coming)
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash("You said you\u2019ll come." if coming else "Noted: you\u2019re not coming.", "success")
    return back(url_for("topics.show", topic_id=topic.id))


@bp.route("/t/<int:topic_id>/edit", methods=["GET", "POST"])
@login_required
def edit(topic_id):
    topic = _topic(topic_id)
    permissions.require_topic_edit(me(), topic)  # a 403 before typing, not after
    if request.method == "GET":
        form = TopicForm(formdata=None, title=topic.title, description=topic.description,
                         tags=", ".join(topic.tags or []))
        return render_template("topics/edit.html", topic=topic, event=topic.event, form=form)
    form = TopicForm()
    if form.posted():
        try:
            board.update_topic(topic=topic, user=me(), data=form.topic_data())
        except DomainError as error:
            form.show_error(error)
            page = render_template("topics/edit.html", topic=topic, event=topic.event, form=form)
            return page, error.status
        flash("Topic saved.", "success")
    return _to_topic(topic)


def _cell_ids(value: str | None) -> tuple[int | None, int | None]:
    """A free-cell button's value, "<room id>:<slot id>"."""
    room, _, slot = (value or "").partition(":")
    return (int(room) if room.isdigit() else None, int(slot) if slot.isdigit() else None)


@bp.post("/t/<int:topic_id>/place")
@login_required
def place(topic_id):
    topic = _topic(topic_id)
    room_id, slot_id = _cell_ids(request.form.get("cell"))
    try:
        board.place_topic(topic=topic, user=me(), room_id=room_id, slot_id=slot_id)
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash(f"Placed in {topic.room.name}, {topic.slot.starts_at:%a %H:%M}.", "success")
    return _to_topic(topic)


@bp.post("/t/<int:topic_id>/release")
@login_required
def release(topic_id):
    topic = _topic(topic_id)
    board.release_topic(topic=topic, user=me())
    flash("Taken off the board; the topic is back on the marketplace.", "success")
    return _to_topic(topic)


@bp.post("/t/<int:topic_id>/withdraw")
@login_required
def withdraw(topic_id):
    topic = _topic(topic_id)
    try:
        board.withdraw_topic(topic=topic, user=me())
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash(f"\u201c{topic.title}\u201d is withdrawn.", "success")
    return redirect(url_for("board.show", slug=topic.event.slug))


@bp.post("/t/<int:topic_id>/swap")
@login_required
def swap(topic_id):
    topic = _topic(topic_id)
    other = _topic(request.form.get("with_topic", type=int))
    try:
        board.swap_topics(first=topic, second=other, user=me())
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash(f"Swapped with \u201c{other.title}\u201d.", "success")
    return _to_topic(topic)


@bp.post("/t/<int:topic_id>/merge")
@login_required
def merge(topic_id):
    topic = _topic(topic_id)
    survivor = _topic(request.form.get("into", type=int))
    try:
        board.merge_topics(duplicate=topic, survivor=survivor, user=me())
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash(f"Merged into \u201c{survivor.title}\u201d; its interest carried over.", "success")
    return _to_topic(survivor)

"""Routes of the topics blueprint: the topic page and what conveners and organizers do to it."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ...domain import board, checkins, permissions
from ...domain import validation as v
from ...domain.errors import Conflict, DomainError, ValidationFailed
from ...i18n import _, formats
from ..pages import allowed, back, login_required, me
from . import bp
from .forms import TopicForm

# Errors a tap on a button can run into that the topic page explains in place; a missing
# permission (403) or topic (404) still ends on the error page.
RECOVERABLE = (Conflict, ValidationFailed)

# How long the "Undo" after a merge stays offered (and its signed token accepted).
UNDO_SECONDS = 30 * 60


def _undo_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="openspace-merge-undo")


def undo_token(undo: board.MergeUndo) -> str:
    """A merge's undo, signed: the undo form carries it, so nothing is stored for it."""
    return _undo_signer().dumps(undo.to_dict())


def read_undo_token(token: str | None) -> board.MergeUndo:
    try:
        data = _undo_signer().loads(token or "", max_age=UNDO_SECONDS)
    except BadSignature:
        raise ValidationFailed(_("This undo has expired or is not valid."),
                               fields={"undo": "expired or not valid"}) from None
    return board.MergeUndo.from_dict(data)


def _topic_page(topic, *, problem: str | None = None, status: int = 200):
    user = me()
    event = topic.event
    can_edit = topic.is_active and allowed(permissions.require_topic_edit, user, topic)
    organizer = topic.is_active and permissions.is_organizer(user, event)
    others = [t for t in board.active_topics(event) if t.id != topic.id] if organizer else []
    undo = session.pop("merge_undo", None)
    if not (isinstance(undo, dict) and undo.get("survivor") == topic.id):
        undo = None
    return render_template(
        "topics/show.html",
        topic=topic,
        event=event,
        can_edit=can_edit,
        organizer=organizer,
        is_member=allowed(permissions.require_member, user, event),
        can_write_note=permissions.can_write_note(user, topic),
        interested=user is not None and any(i.user_id == user.id for i in topic.interests),
        offers=board.placement_offer(topic, user) if can_edit else [],
        locked_for_me=(topic.is_active and user is not None and user.id == topic.convener_id
                       and not can_edit),
        others=others,
        undo=undo,
        problem=problem,
        checked_in=checkins.current(user, event),
        headcounts=checkins.headcounts_by_topic(event),
        may_check_in=permissions.is_member(user, event),
    ), status


def _topic(topic_id):
    return board.get_topic(topic_id, me())


def _to_topic(topic):
    return redirect(url_for("topics.show", topic_id=topic.id))


@bp.get("/t/<id:topic_id>")
def show(topic_id):
    return _topic_page(_topic(topic_id))


@bp.post("/t/<id:topic_id>/interest")
@login_required
def interest(topic_id):
    topic = _topic(topic_id)
    coming = request.form.get("interested") == "1"
    try:
        board.set_interest(topic=topic, user=me(), interested=coming)
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash(_("You said you\u2019ll come.") if coming else _("Noted: you\u2019re not coming."),
          "success")
    return back(url_for("topics.show", topic_id=topic.id))


@bp.route("/t/<id:topic_id>/edit", methods=["GET", "POST"])
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
        flash(_("Topic saved."), "success")
    return _to_topic(topic)


def _cell_ids(value: str | None) -> tuple[int | None, int | None]:
    """A free-cell button's value, "<room id>:<slot id>"."""
    room, _, slot = (value or "").partition(":")
    return v.id_from_text(room), v.id_from_text(slot)


@bp.post("/t/<id:topic_id>/place")
@login_required
def place(topic_id):
    topic = _topic(topic_id)
    room_id, slot_id = _cell_ids(request.form.get("cell"))
    try:
        board.place_topic(topic=topic, user=me(), room_id=room_id, slot_id=slot_id)
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash(_("Placed in %(room)s, %(day)s %(time)s.", room=topic.room.name,
            day=formats.format_weekday(topic.slot.starts_at),
            time=formats.format_time(topic.slot.starts_at)), "success")
    return _to_topic(topic)


@bp.post("/t/<id:topic_id>/release")
@login_required
def release(topic_id):
    topic = _topic(topic_id)
    board.release_topic(topic=topic, user=me())
    flash(_("Taken off the board; the topic is back on the marketplace."), "success")
    return _to_topic(topic)


@bp.post("/t/<id:topic_id>/withdraw")
@login_required
def withdraw(topic_id):
    topic = _topic(topic_id)
    try:
        board.withdraw_topic(topic=topic, user=me())
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash(_("\u201c%(title)s\u201d is withdrawn.", title=topic.title), "success")
    return redirect(url_for("board.show", slug=topic.event.slug))


@bp.post("/t/<id:topic_id>/swap")
@login_required
def swap(topic_id):
    topic = _topic(topic_id)
    other = _topic(request.form.get("with_topic", type=int))
    try:
        board.swap_topics(first=topic, second=other, user=me())
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash(_("Swapped with \u201c%(title)s\u201d.", title=other.title), "success")
    return _to_topic(topic)


@bp.route("/t/<id:topic_id>/merge", methods=["GET", "POST"])
@login_required
def merge(topic_id):
    """GET (the topic page's "Merge…" form) asks to confirm; POST with confirm=1 merges."""
    topic = _topic(topic_id)
    permissions.require_organizer(me(), topic.event)
    into = v.id_from_text(request.values.get("into"))
    if into is None:
        return _topic_page(topic, problem=_("Choose the topic to merge this one into."),
                           status=400)
    survivor = _topic(into)
    if request.method == "GET" or request.form.get("confirm") != "1":
        return render_template("topics/merge.html", topic=topic, survivor=survivor,
                               event=topic.event)
    try:
        survivor, undo = board.merge_topics_undoable(duplicate=topic, survivor=survivor,
                                                     user=me())
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    # Shown once, on the survivor's page, as a message with its "Undo" button.
    session["merge_undo"] = {"survivor": survivor.id, "title": topic.title,
                             "duplicate": topic.id, "token": undo_token(undo)}
    return _to_topic(survivor)


@bp.post("/t/<id:topic_id>/unmerge")
@login_required
def unmerge(topic_id):
    """The "Undo" after a merge: the duplicate (this topic) comes back as it was."""
    topic = _topic(topic_id)
    permissions.require_organizer(me(), topic.event)
    try:
        undo = read_undo_token(request.form.get("undo"))
        if undo.duplicate_id != topic.id:
            raise ValidationFailed(_("This undo belongs to another topic."),
                                   fields={"undo": "another topic"})
        board.undo_merge(undo=undo, user=me())
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash(_("Merge undone: \u201c%(title)s\u201d is back, with its interest.",
            title=topic.title), "success")
    return _to_topic(topic)

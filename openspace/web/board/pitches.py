"""Pages of the opening marketplace's pitch queue: joining it from the marketplace ("I want to
announce a topic"), the queue page with the facilitator's controls, leaving, "done", "next"."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ...domain import board, events, pitches
from ...domain import validation as v
from ...domain.errors import Conflict, ValidationFailed
from ...domain.permissions import is_member, is_organizer
from ...i18n import _
from ..pages import back, login_required, me
from . import bp
from .forms import PitchForm, PitchSecondsForm


def pitch_context(event, *, form: PitchForm | None = None) -> dict:
    """What the pitch parts of a page need: the queue, the viewer's places and topics."""
    user = me()
    state = pitches.queue_state(event)
    return {"queue": state, "my_pitches": pitches.mine(event, user, state),
            "queueable": pitches.queueable(event, user),
            "pitch_form": form or PitchForm(formdata=None),
            "pitch_member": is_member(user, event)}


@bp.get("/e/<slug>/pitches")
def pitches_page(slug):
    """The queue on a phone: who announces now, who is next, your place; for organizers the
    facilitator's controls (next, open or close, the seconds per pitch)."""
    event = events.get_event(slug, me())
    return _queue_page(event)


def _queue_page(event, *, seconds_form: PitchSecondsForm | None = None, status: int = 200):
    context = pitch_context(event)
    seconds_form = seconds_form or PitchSecondsForm(formdata=None,
                                                    seconds=event.pitch_seconds)
    return render_template("board/pitches.html", event=event, seconds_form=seconds_form,
                           organizer=is_organizer(me(), event), **context), status


def _back_to_queue(event):
    return back(url_for("board.pitches_page", slug=event.slug))


@bp.post("/e/<slug>/pitches")
@login_required
def pitch_join(slug):
    """Join the queue: with a title, propose that topic first (one step); with topic_id, one
    of your topics already proposed."""
    from .routes import marketplace_page  # routes imports this module's pitch_context

    event = events.get_event(slug, me())
    form = PitchForm()
    if not form.posted():
        return redirect(url_for("board.marketplace", slug=slug, _anchor="pitches"))
    try:
        if form.topic_id.data:
            topic = board.get_topic(v.id_from_text(form.topic_id.data), me())
            pitch, state = pitches.join_queue(event=event, user=me(), topic=topic)
        else:
            pitch, state = pitches.propose_and_join(event=event, user=me(),
                                                    data={"title": form.title.data})
    except (Conflict, ValidationFailed) as error:
        # The typed title stays in the form; nothing was queued.
        form.show_error(error)
        return marketplace_page(event, pitch_form=form, status=error.status)
    place = state["order"].index(pitch.id) + 1 if pitch.id in state["order"] else 1
    flash(_("\u201c%(title)s\u201d is in the queue: number %(place)d in line. Watch this "
            "page: it tells you when it's your turn.", title=pitch.topic.title, place=place),
          "success")
    return redirect(url_for("board.marketplace", slug=slug, _anchor="pitches"))


@bp.post("/e/<slug>/pitches/<id:pitch_id>/leave")
@login_required
def pitch_leave(slug, pitch_id):
    event = events.get_event(slug, me())
    pitch = pitches.get_pitch(event, pitch_id, me())
    try:
        pitches.leave_queue(event=event, user=me(), pitch=pitch)
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(_("\u201c%(title)s\u201d left the queue.", title=pitch.topic.title), "success")
    return back(url_for("board.marketplace", slug=slug, _anchor="pitches"))


@bp.post("/e/<slug>/pitches/<id:pitch_id>/done")
@login_required
def pitch_done(slug, pitch_id):
    event = events.get_event(slug, me())
    pitch = pitches.get_pitch(event, pitch_id, me())
    try:
        pitches.finish_pitch(event=event, user=me(), pitch=pitch)
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(_("Thank you! The next convener is on."), "success")
    return back(url_for("board.marketplace", slug=slug, _anchor="pitches"))


@bp.post("/e/<slug>/pitches/next")
@login_required
def pitch_next(slug):
    event = events.get_event(slug, me())
    try:
        state = pitches.next_pitch(event=event, user=me(),
                                   current_id=request.form.get("current_id", ""))
    except (Conflict, ValidationFailed) as error:
        flash(error.message, "error")
    else:
        current = state["current"]
        flash(_("Now: \u201c%(title)s\u201d by %(name)s.", title=current["topic"]["title"],
                name=current["convener"]["name"]) if current
              else _("That was the last one: nobody is waiting."), "success")
    return _back_to_queue(event)


@bp.post("/e/<slug>/pitches/settings")
@login_required
def pitch_settings(slug):
    """Open or close the queue (open=1/0), or set the seconds per pitch (seconds=30..90)."""
    event = events.get_event(slug, me())
    data: dict = {}
    if "open" in request.form:
        data["open"] = {"1": True, "0": False}.get(request.form["open"], request.form["open"])
    seconds_form = PitchSecondsForm()
    if "seconds" in request.form:
        data["seconds"] = request.form["seconds"]
    if not seconds_form.posted():
        return _back_to_queue(event)
    try:
        state = pitches.update_queue(event=event, user=me(), data=data)
    except ValidationFailed as error:
        # The typed number stays in its box, with what is wrong with it.
        seconds_form.show_error(error)
        if "open" in error.fields:
            flash(error.message, "error")
        return _queue_page(event, seconds_form=seconds_form, status=error.status)
    if "open" in data:
        flash(_("The queue is open: conveners can line up from their phones.") if state["open"]
              else _("The queue is closed: nobody new can line up; those in line still "
                     "announce."), "success")
    if "seconds" in data:
        flash(_("Each pitch now has %(num)d seconds.", num=state["seconds"]), "success")
    return _back_to_queue(event)

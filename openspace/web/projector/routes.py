"""The wall screen (projector view), its organizer controls, and the announcements."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ... import netaddrs
from ...domain import announcements, board, checkins, events, projector, times
from ...domain.errors import ValidationFailed
from ...domain.permissions import is_organizer
from ...i18n import _, _l
from ...models import ProjectorMode, SlotKind
from ..helpers import join_link, qr_svg
from ..pages import back, login_required, me
from . import bp

# What the projector shows, as the controls name it (lazy: read at import time).
MODE_LABELS = {ProjectorMode.AUTO: _l("Automatic"), ProjectorMode.BOARD: _l("Agenda"),
               ProjectorMode.NEWS: _l("News"), ProjectorMode.ACTIONS: _l("Action items to take"),
               ProjectorMode.PITCHES: _l("Opening marketplace")}
# The flash after switching: whole sentences (a label glued into one would not translate).
MODE_SWITCHED = {ProjectorMode.AUTO: _l("Every projector shows: automatic."),
                 ProjectorMode.BOARD: _l("Every projector shows: agenda."),
                 ProjectorMode.NEWS: _l("Every projector shows: news."),
                 ProjectorMode.ACTIONS: _l("Every projector shows: action items to take."),
                 ProjectorMode.PITCHES: _l("Every projector shows: the opening marketplace.")}


def _projector_day(event):
    """The day to show: today by the event's clock, else the first (or last) day."""
    today = board.local_now(event).date()
    grouped = board.days(event)
    if not grouped:
        return None, []
    for day, slots in grouped:
        if day == today:
            return day, slots
    return grouped[0] if today < grouped[0][0] else grouped[-1]


def _controls(event) -> dict:
    """What the organizers' projector controls show (here, on the wall and on the news page)."""
    link = join_link(event)
    return {"link": link, "interfaces": {a.ip: a.interface for a in netaddrs.lan_addresses()},
            "mode_labels": MODE_LABELS, "organizer": is_organizer(me(), event)}


@bp.route("/e/<slug>/projector")
def show(slug):
    event = events.get_event(slug, me())
    clock = times.local_now(event)
    wall = projector.wall(event, clock, asked=request.args.get("mode"))
    day, slots = _projector_day(event)
    placed = {(t.room_id, t.slot_id): t for t in board.active_topics(event) if t.room_id}
    controls = _controls(event)
    return render_template(
        "projector/show.html", event=event, day=day, slots=slots, placed=placed,
        qr=qr_svg(controls["link"].url, title=_("QR code of the join link")),
        session_kind=SlotKind.SESSION,
        announcements=announcements.recent(event), clock=clock, wall=wall,
        asked=request.args.get("mode") in projector.MODES, **controls,
        headcounts=checkins.headcounts_by_topic(event),
    )


@bp.post("/e/<slug>/projector/mode")
@login_required
def set_mode(slug):
    event = events.get_event(slug, me())
    try:
        projector.set_mode(event=event, user=me(), mode=request.form.get("mode"))
    except ValidationFailed as error:
        flash(error.message + " " + " ".join(error.fields.values()), "error")
    else:
        flash(str(MODE_SWITCHED[event.projector_mode]), "success")
    return back(url_for(".announcements_page", slug=slug))


@bp.post("/e/<slug>/projector/join-address")
@login_required
def set_join_address(slug):
    event = events.get_event(slug, me())
    offered = [a.ip for a in netaddrs.lan_addresses()]
    try:
        projector.set_join_address(event=event, user=me(), address=request.form.get("address"),
                                   offered=offered)
    except ValidationFailed as error:
        flash(_("Address %(problem)s", problem=error.fields.get("address", error.message)), "error")
    else:
        flash(_("The join QR code uses %(address)s.", address=event.join_address)
              if event.join_address else _("The join QR code uses the address the app finds."),
              "success")
    return back(url_for("events.settings", slug=slug, _anchor="join"))


@bp.route("/e/<slug>/announcements", methods=["GET", "POST"])
@login_required
def announcements_page(slug):
    event = events.get_event(slug, me())
    typed, status = "", 200
    if request.method == "POST":
        typed = request.form.get("text", "")
        try:
            announcements.post_announcement(event=event, user=me(), text=typed)
        except ValidationFailed as error:  # keep what was typed; other refusals are error pages
            flash(_("News %(problem)s", problem=error.fields.get("text", error.message)), "error")
            status = error.status
        else:
            flash(_("Announced on every board and the projector."), "success")
            return redirect(url_for(".announcements_page", slug=slug))
    wall = projector.wall(event, times.local_now(event))
    return render_template("projector/announcements.html", event=event, typed=typed,
                           items=announcements.recent(event, limit=50), wall=wall,
                           text_max=announcements.TEXT_MAX, **_controls(event)), status


@bp.post("/e/<slug>/announcements/<id:announcement_id>/delete")
@login_required
def delete_announcement(slug, announcement_id):
    event = events.get_event(slug, me())
    announcements.delete_announcement(event=event, user=me(),
                                      announcement_id=announcement_id)
    flash(_("Announcement removed."), "success")
    return redirect(url_for(".announcements_page", slug=slug))

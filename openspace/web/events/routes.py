"""Routes of the events blueprint: the home page, creating an event, the organizers' settings."""

from __future__ import annotations

from datetime import timedelta

import segno
from flask import flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from ...domain import board, events, permissions
from ...domain.errors import Conflict, DomainError, ValidationFailed
from ..helpers import join_url
from ..pages import login_required, me
from . import bp
from .forms import (
    COMMON_ZONES,
    EVENT_FIELDS,
    EventForm,
    EventSettingsForm,
    FindByCodeForm,
    OrganizerForm,
    RoomForm,
    SlotForm,
)


def _index(form: FindByCodeForm, status: int = 200):
    return render_template("events/index.html", events=events.visible_events(me()),
                           form=form), status


@bp.get("/")
def index():
    return _index(FindByCodeForm(formdata=None))


@bp.get("/join")
def find_by_code():
    """The home page's code box: find the event, then join on its quick-join page."""
    form = FindByCodeForm(request.args)
    try:
        event = events.event_for_join_code(form.code.data)
    except DomainError as error:
        form.show_error(error)
        return _index(form, error.status)
    return redirect(url_for("auth.quick_join", slug=event.slug, code=event.join_code))


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def create():
    form = EventForm()
    if not form.is_submitted():
        form.visibility.data = "public"
    if form.posted():
        try:
            event = events.create_event(user=me(), data=form.values("slug", *EVENT_FIELDS))
        except DomainError as error:
            form.show_error(error)
            return render_template("events/new.html", form=form, zones=COMMON_ZONES), \
                error.status
        flash(f"{event.name} is created. Add rooms and time slots, then share the join link.",
              "success")
        return redirect(url_for("events.settings", slug=event.slug))
    return render_template("events/new.html", form=form, zones=COMMON_ZONES)


# Settings --------------------------------------------------------------------------------------

def _event_days(event) -> list[SelectChoice]:
    count = (event.ends_on - event.starts_on).days + 1
    days = [event.starts_on + timedelta(days=n) for n in range(max(count, 1))]
    return [SelectChoice(d.isoformat(), d.strftime("%a %-d %b")) for d in days]


def _slot_form(event, prefix: str, slot=None, formdata=None) -> SlotForm:
    """A slot form; formdata=None shows the stored slot (or the defaults for a new one)."""
    if formdata is None and slot is not None:
        form = SlotForm(formdata=None, prefix=prefix, day=slot.starts_at.date().isoformat(),
                        start=slot.starts_at.strftime("%H:%M"), end=slot.ends_at.strftime("%H:%M"),
                        kind=str(slot.kind), label=slot.label)
    elif formdata is None:
        form = SlotForm(formdata=None, prefix=prefix, kind="session")
    else:
        form = SlotForm(prefix=prefix)
    form.day.choices = _event_days(event)
    if slot is not None and form.day.data not in {c.value for c in form.day.choices}:
        # The event's dates moved after this slot was made: keep its day selectable.
        form.day.choices.append(SelectChoice(form.day.data))
    return form


def _settings(event, status: int = 200, *, room_forms=None, slot_forms=None, **forms):
    """The settings page; only organizers ever see it, whatever led here."""
    permissions.require_organizer(me(), event)
    room_forms = room_forms or {}
    slot_forms = slot_forms or {}
    for room in event.rooms:
        room_forms.setdefault(room.id, RoomForm(formdata=None, prefix=f"room{room.id}", obj=room))
    for slot in event.slots:
        slot_forms.setdefault(slot.id, _slot_form(event, f"slot{slot.id}", slot))
    values = {
        "form": EventSettingsForm(formdata=None, obj=event),
        "new_room": RoomForm(formdata=None, prefix="newroom"),
        "new_slot": _slot_form(event, "newslot"),
        "organizer_form": OrganizerForm(formdata=None),
    }
    values.update(forms)
    link = join_url(event)
    return render_template(
        "events/settings.html", event=event, room_forms=room_forms, slot_forms=slot_forms,
        days=board.days(event), members=events.members(event), link=link, zones=COMMON_ZONES,
        qr=segno.make(link, error="m").svg_data_uri(scale=5, border=2), **values,
    ), status


def _to_settings(event, anchor: str | None = None):
    return redirect(url_for("events.settings", slug=event.slug, _anchor=anchor))


@bp.get("/e/<slug>/settings")
@login_required
def settings(slug):
    return _settings(events.get_event(slug, me()))


@bp.post("/e/<slug>/settings")
@login_required
def update(slug):
    event = events.get_event(slug, me())
    form = EventSettingsForm()
    if form.posted():
        try:
            events.update_event(event=event, user=me(), data=form.values(*EVENT_FIELDS))
        except DomainError as error:
            form.show_error(error)
            return _settings(event, error.status, form=form)
        flash("Settings saved.", "success")
    return _to_settings(event)


@bp.post("/e/<slug>/join-code")
@login_required
def regenerate_code(slug):
    event = events.get_event(slug, me())
    code = events.regenerate_join_code(event=event, user=me())
    flash(f"The new join code is {code}. The old code and link no longer work.", "success")
    return _to_settings(event, "join")


@bp.post("/e/<slug>/rooms")
@login_required
def add_room(slug):
    event = events.get_event(slug, me())
    form = RoomForm(prefix="newroom")
    if form.posted():
        try:
            room = events.add_room(event=event, user=me(), data=form.values("name", "capacity"))
        except DomainError as error:
            form.show_error(error)
            return _settings(event, error.status, new_room=form)
        flash(f"Room {room.name} added.", "success")
    return _to_settings(event, "rooms")


@bp.post("/e/<slug>/rooms/<int:room_id>")
@login_required
def update_room(slug, room_id):
    event = events.get_event(slug, me())
    room = events.get_room(event, room_id)
    form = RoomForm(prefix=f"room{room_id}")
    if form.posted():
        try:
            events.update_room(room=room, user=me(), data=form.values("name", "capacity"))
        except DomainError as error:
            form.show_error(error)
            return _settings(event, error.status, room_forms={room_id: form})
        flash(f"Room {room.name} saved.", "success")
    return _to_settings(event, "rooms")


@bp.post("/e/<slug>/rooms/<int:room_id>/delete")
@login_required
def delete_room(slug, room_id):
    event = events.get_event(slug, me())
    room = events.get_room(event, room_id)
    name = room.name
    events.delete_room(room=room, user=me())
    flash(f"Room {name} removed; its sessions went back to the marketplace.", "success")
    return _to_settings(event, "rooms")


@bp.post("/e/<slug>/slots")
@login_required
def add_slot(slug):
    event = events.get_event(slug, me())
    form = _slot_form(event, "newslot", formdata=request.form)
    if form.posted():
        try:
            events.add_slot(event=event, user=me(), data=form.slot_data())
        except DomainError as error:
            form.show_error(error)
            return _settings(event, error.status, new_slot=form)
        flash("Time slot added.", "success")
    return _to_settings(event, "slots")


@bp.post("/e/<slug>/slots/<int:slot_id>")
@login_required
def update_slot(slug, slot_id):
    event = events.get_event(slug, me())
    slot = events.get_slot(event, slot_id)
    form = _slot_form(event, f"slot{slot_id}", slot, formdata=request.form)
    if form.posted():
        try:
            events.update_slot(slot=slot, user=me(), data=form.slot_data())
        except DomainError as error:
            form.show_error(error)
            return _settings(event, error.status, slot_forms={slot_id: form})
        flash("Time slot saved.", "success")
    return _to_settings(event, "slots")


@bp.post("/e/<slug>/slots/<int:slot_id>/delete")
@login_required
def delete_slot(slug, slot_id):
    event = events.get_event(slug, me())
    slot = events.get_slot(event, slot_id)
    events.delete_slot(slot=slot, user=me())
    flash("Time slot removed; its sessions went back to the marketplace.", "success")
    return _to_settings(event, "slots")


@bp.post("/e/<slug>/members/<int:user_id>/role")
@login_required
def set_role(slug, user_id):
    event = events.get_event(slug, me())
    try:
        membership = events.set_role(event=event, user=me(), member_id=user_id,
                                     role=request.form.get("role"))
    except (ValidationFailed, Conflict) as error:
        flash(error.message, "error")
        return _to_settings(event, "members")
    flash(f"{membership.user.name} is now {'an' if membership.role == 'organizer' else 'a'} "
          f"{membership.role}.", "success")
    if membership.user_id == me().id and membership.role != "organizer":
        return redirect(url_for("board.show", slug=event.slug))
    return _to_settings(event, "members")


@bp.post("/e/<slug>/organizers")
@login_required
def add_organizer(slug):
    event = events.get_event(slug, me())
    form = OrganizerForm()
    if form.posted():
        try:
            membership = events.add_organizer_by_email(event=event, user=me(),
                                                       email=form.email.data)
        except DomainError as error:
            form.show_error(error)
            return _settings(event, error.status, organizer_form=form)
        flash(f"{membership.user.name} is now an organizer.", "success")
    return _to_settings(event, "members")

"""Routes of the events blueprint: the home page, creating an event, the organizers' settings."""

from __future__ import annotations

from datetime import timedelta

import segno
from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from ... import i18n, netaddrs
from ...domain import board, events, mail, permissions, times
from ...domain import restore as restore_domain
from ...domain.errors import Conflict, DomainError, RateLimited, TooLarge, ValidationFailed
from ...domain.mail import invitations
from ...domain.mail import queue as mail_queue
from ...extensions import csrf
from ...i18n import _, ngettext
from ..helpers import join_link
from ..pages import login_required, me
from . import bp
from .forms import (
    COMMON_ZONES,
    EVENT_FIELDS,
    EventForm,
    EventSettingsForm,
    FindByCodeForm,
    InviteForm,
    OrganizerForm,
    RestoreForm,
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
        event = events.event_for_join_code(form.code.data, user=me(), client=request.remote_addr)
    except RateLimited:
        raise  # the plain error page: a flood of guesses costs no home page each
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
        form.language.data = event_language_default()
    if form.posted():
        try:
            event = events.create_event(user=me(), data=_event_data(form, "slug"))
        except DomainError as error:
            form.show_error(error)
            return render_template("events/new.html", form=form, zones=COMMON_ZONES), \
                error.status
        flash(_("%(event)s is created. Add rooms and time slots, then share the join link.",
                event=event.name), "success")
        return redirect(url_for("events.settings", slug=event.slug))
    return render_template("events/new.html", form=form, zones=COMMON_ZONES)


def _event_data(form, *extra: str) -> dict:
    """The event form's values; a form posted without the language (an older page, a script)
    keeps the event's (or the default's)."""
    data = form.values(*extra, *EVENT_FIELDS)
    if not data.get("language"):
        data.pop("language")
    return data


def event_language_default() -> str:
    """A new event speaks its creator's language (when it is a launch language)."""
    return i18n.current() if i18n.current() in i18n.LANGUAGES else i18n.DEFAULT


# Settings --------------------------------------------------------------------------------------

def _event_days(event) -> list[SelectChoice]:
    count = (event.ends_on - event.starts_on).days + 1
    days = [event.starts_on + timedelta(days=n) for n in range(max(count, 1))]
    return [SelectChoice(d.isoformat(), times.short_day(d)) for d in days]


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
        "mail_on": mail.enabled(),
    }
    values.update(forms)
    join = join_link(event)
    return render_template(
        "events/settings.html", event=event, room_forms=room_forms, slot_forms=slot_forms,
        days=board.days(event), members=events.members(event), link=join.url, join=join,
        creator_stays=events.creator_stays,
        interfaces={a.ip: a.interface for a in netaddrs.lan_addresses()}, zones=COMMON_ZONES,
        qr=segno.make(join.url, error="m").svg_data_uri(scale=5, border=2), **values,
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
            events.update_event(event=event, user=me(), data=_event_data(form))
        except DomainError as error:
            form.show_error(error)
            return _settings(event, error.status, form=form)
        flash(_("Settings saved."), "success")
    return _to_settings(event)


@bp.post("/e/<slug>/join-code")
@login_required
def regenerate_code(slug):
    event = events.get_event(slug, me())
    code = events.regenerate_join_code(event=event, user=me())
    flash(_("The new join code is %(code)s. The old code and link no longer work.", code=code),
          "success")
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
        flash(_("Room %(room)s added.", room=room.name), "success")
    return _to_settings(event, "rooms")


@bp.post("/e/<slug>/rooms/<id:room_id>")
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
        flash(_("Room %(room)s saved.", room=room.name), "success")
    return _to_settings(event, "rooms")


@bp.post("/e/<slug>/rooms/<id:room_id>/delete")
@login_required
def delete_room(slug, room_id):
    event = events.get_event(slug, me())
    room = events.get_room(event, room_id)
    name = room.name
    events.delete_room(room=room, user=me())
    flash(_("Room %(room)s removed; its sessions went back to the marketplace.", room=name),
          "success")
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
        flash(_("Time slot added."), "success")
    return _to_settings(event, "slots")


@bp.post("/e/<slug>/slots/<id:slot_id>")
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
        flash(_("Time slot saved."), "success")
    return _to_settings(event, "slots")


@bp.post("/e/<slug>/slots/<id:slot_id>/delete")
@login_required
def delete_slot(slug, slot_id):
    event = events.get_event(slug, me())
    slot = events.get_slot(event, slot_id)
    events.delete_slot(slot=slot, user=me())
    flash(_("Time slot removed; its sessions went back to the marketplace."), "success")
    return _to_settings(event, "slots")


@bp.post("/e/<slug>/members/<id:user_id>/role")
@login_required
def set_role(slug, user_id):
    event = events.get_event(slug, me())
    try:
        membership = events.set_role(event=event, user=me(), member_id=user_id,
                                     role=request.form.get("role"))
    except (ValidationFailed, Conflict) as error:
        flash(error.message, "error")
        return _to_settings(event, "members")
    if membership.role == "organizer":
        flash(_("%(name)s is now an organizer.", name=membership.user.name), "success")
    else:
        flash(_("%(name)s is now a participant.", name=membership.user.name), "success")
    if membership.user_id == me().id and membership.role != "organizer":
        return redirect(url_for("board.show", slug=event.slug))
    return _to_settings(event, "members")


@bp.post("/e/<slug>/members/<id:user_id>/remove")
@login_required
def remove_member(slug, user_id):
    """The settings page's "Remove" (behind its own <details>, the confirmation step)."""
    event = events.get_event(slug, me())
    try:
        member = events.remove_member(event=event, user=me(), member_id=user_id)
    except (ValidationFailed, Conflict) as error:
        flash(error.message, "error")
        return _to_settings(event, "members")
    if member.id == me().id:
        flash(_("You left %(event)s.", event=event.name), "success")
        return redirect(url_for("events.index"))
    flash(_("%(name)s was removed from the event.", name=member.name), "success")
    return _to_settings(event, "members")


@bp.post("/e/<slug>/organizers")
@login_required
def add_organizer(slug):
    event = events.get_event(slug, me())
    form = OrganizerForm()
    if form.posted():
        # An invitation, whether or not the address has an account: the answer is the same
        # either way, and nothing changes on this page until they accept (no enumeration).
        try:
            invitations.invite(event=event, user=me(), email=form.email.data,
                               role="organizer")
        except DomainError as error:
            form.show_error(error)
            return _settings(event, error.status, organizer_form=form)
        flash(_("The invitation to co-organize is on its way to %(email)s: they become an "
                "organizer when they open it.", email=form.email.data.strip()), "success")
    return _to_settings(event, "members")


# Invitations by mail ---------------------------------------------------------------------------

def _invitations_page(event, form=None, status: int = 200):
    permissions.require_organizer(me(), event)
    return render_template(
        "events/invitations.html", event=event, form=form or InviteForm(formdata=None),
        pending=invitations.pending(event), failed=mail_queue.failed_for_event(event),
        mail_on=mail.enabled()), status


@bp.get("/e/<slug>/invitations")
@login_required
def invitations_page(slug):
    return _invitations_page(events.get_event(slug, me()))


@bp.post("/e/<slug>/invitations")
@login_required
def invite(slug):
    event = events.get_event(slug, me())
    form = InviteForm()
    if form.posted():
        try:
            invitations.invite(event=event, user=me(), email=form.email.data,
                               role=form.role.data)
        except DomainError as error:
            form.show_error(error)
            return _invitations_page(event, form, error.status)
        flash(_("The invitation to %(email)s is on its way.", email=form.email.data.strip()),
              "success")
    return redirect(url_for("events.invitations_page", slug=event.slug))


@bp.post("/e/<slug>/invitations/<id:invitation_id>/revoke")
@login_required
def revoke_invitation(slug, invitation_id):
    event = events.get_event(slug, me())
    invitations.revoke(event=event, user=me(), invitation_id=invitation_id)
    flash(_("The invitation is taken back: its link no longer works."), "info")
    return redirect(url_for("events.invitations_page", slug=event.slug))


# Restoring an event from its JSON export -------------------------------------------------------

def _restore_page(form=None, status: int = 200, **context):
    return render_template("events/restore.html", form=form or RestoreForm(formdata=None),
                           max_mb=current_app.config["MAX_RESTORE_SIZE"] // 2**20,
                           **context), status


def _show_import_error(form, error: DomainError) -> dict:
    """The message on top, the address's problem under its field; the file's problems, one per
    JSON path, are returned for the list."""
    form.problem = error.message
    if "slug" in error.fields:
        form.slug.errors = [error.fields["slug"]]
    return {where: message for where, message in error.fields.items() if where != "slug"}


@bp.get("/events/restore")
@login_required
def restore_page():
    return _restore_page()


def _uploaded_export() -> bytes:
    """The uploaded file, under the restore size limit (raised for this request only, before
    anything reads the body: so CSRF is checked here, as for photos)."""
    limit = current_app.config["MAX_RESTORE_SIZE"]
    too_large = TooLarge(_("That file is too large: at most %(num)d MB.", num=limit // 2**20),
                         fields={"file": _("too large")})
    request.max_content_length = limit + 64 * 1024
    if (request.content_length or 0) > request.max_content_length:
        raise too_large
    try:
        request.form  # noqa: B018 - parse the body now, under the raised limit
    except RequestEntityTooLarge as error:
        raise too_large from error
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    upload = next((f for f in request.files.getlist("file") if f and f.filename), None)
    if upload is None:
        raise ValidationFailed(_("Choose the export file (.json) to restore."),
                               fields={"file": _("is required")})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return data


@bp.post("/events/restore")
@csrf.exempt  # checked in _uploaded_export, after the size limit is raised
@login_required
def restore():
    form = RestoreForm(meta={"csrf": False})
    try:
        key, preview = restore_domain.stage(user=me(), document=_uploaded_export(),
                                            slug=form.slug.data)
    except DomainError as error:
        if error.status in (401, 429):
            raise
        return _restore_page(form, error.status, problems=_show_import_error(form, error))
    return _restore_page(form, preview=preview, key=key)


@bp.post("/events/restore/confirm")
@login_required
def confirm_restore():
    form = RestoreForm()
    if not form.posted():
        return redirect(url_for("events.restore_page"))
    try:
        event = restore_domain.confirm(user=me(), key=request.form.get("key"),
                                       slug=form.slug.data)
    except DomainError as error:
        if error.status in (401, 429):
            raise
        return _restore_page(form, error.status, problems=_show_import_error(form, error))
    flash(_("%(event)s is restored: %(topics)s, %(rooms)s, %(slots)s.", event=event.name,
            topics=ngettext("%(num)d topic", "%(num)d topics", len(event.topics)),
            rooms=ngettext("%(num)d room", "%(num)d rooms", len(event.rooms)),
            slots=ngettext("%(num)d time slot", "%(num)d time slots", len(event.slots))),
          "success")
    return redirect(url_for("events.settings", slug=event.slug))

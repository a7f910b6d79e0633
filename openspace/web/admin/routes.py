"""Routes of the instance admins' pages: events, accounts, the mail queue, the log.

Everyone else gets 404 from the domain (permissions.require_instance_admin), as for a private
event: the pages do not even admit that they exist.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ...domain import admin, backup, mail
from ...domain.errors import DomainError
from ...domain.mail import queue as mail_queue
from ...i18n import _
from ..pages import login_required, me
from ..summary.routes import _download
from . import bp


def _offset() -> int:
    value = request.args.get("offset", "0")
    return int(value) if value.isdigit() and len(value) < 7 else 0


@bp.get("")
@login_required
def index():
    query = request.args.get("q", "")
    return render_template(
        "admin/index.html", query=query,
        events=admin.find_events(user=me(), query=query),
        accounts=admin.find_accounts(user=me(), query=query),
        mail_counts=admin.mail_overview(user=me(), status=None, limit=0)[0],
        mail_on=mail.enabled())


@bp.get("/events")
@login_required
def events():
    query, offset = request.args.get("q", ""), _offset()
    return render_template("admin/events.html", query=query, offset=offset, page=admin.PAGE,
                           events=admin.find_events(user=me(), query=query, offset=offset))


@bp.get("/events/<id:event_id>")
@login_required
def event(event_id):
    found = admin.get_event(user=me(), event_id=event_id)
    return render_template("admin/event.html", event=found,
                           organizers=admin.organizers_of(found),
                           failed=mail_queue.failed_for_event(found))


@bp.get("/events/<id:event_id>/export.json")
@login_required
def export_event(event_id):
    found = admin.get_event(user=me(), event_id=event_id)
    admin.log_export(user=me(), event=found)
    data = backup.export_event(found, private=True)
    return _download(backup.dumps(data), "application/json", f"{found.slug}-backup.json")


@bp.post("/events/<id:event_id>/delete")
@login_required
def delete_event(event_id):
    try:
        slug = admin.delete_event(user=me(), event_id=event_id,
                                  confirm=request.form.get("confirm", "").strip())
    except DomainError as error:
        if error.status != 400:
            raise
        flash(error.message, "error")
        return redirect(url_for(".event", event_id=event_id))
    flash(_("The event %(slug)s is deleted.", slug=slug), "success")
    return redirect(url_for(".events"))


@bp.get("/accounts")
@login_required
def accounts():
    query, offset = request.args.get("q", ""), _offset()
    return render_template("admin/accounts.html", query=query, offset=offset, page=admin.PAGE,
                           accounts=admin.find_accounts(user=me(), query=query, offset=offset))


@bp.get("/accounts/<id:account_id>")
@login_required
def account(account_id):
    found = admin.get_account(user=me(), account_id=account_id)
    return render_template("admin/account.html", account=found,
                           memberships=admin.memberships_of(found))


@bp.post("/accounts/<id:account_id>/disable")
@login_required
def disable_account(account_id):
    return _set_disabled(account_id, True)


@bp.post("/accounts/<id:account_id>/enable")
@login_required
def enable_account(account_id):
    return _set_disabled(account_id, False)


def _set_disabled(account_id: int, disabled: bool):
    try:
        found = admin.set_account_disabled(user=me(), account_id=account_id, disabled=disabled)
    except DomainError as error:
        if error.status != 409:
            raise
        flash(error.message, "error")
    else:
        flash(_("%(name)s's account is disabled: its sessions have ended.", name=found.name)
              if disabled else _("%(name)s's account is enabled again.", name=found.name),
              "success")
    return redirect(url_for(".account", account_id=account_id))


@bp.get("/mail")
@login_required
def mail_page():
    status = request.args.get("status") or None
    counts, messages = admin.mail_overview(user=me(), status=status)
    return render_template("admin/mail.html", status=status, mail_on=mail.enabled(),
                           counts=counts, messages=messages)


@bp.post("/mail/<id:message_id>/retry")
@login_required
def retry_mail(message_id):
    try:
        admin.retry_mail(user=me(), message_id=message_id)
    except DomainError as error:
        if error.status != 409:
            raise
        flash(error.message, "error")
    else:
        flash(_("The mail is back in the queue."), "success")
    return redirect(url_for(".mail_page", status="failed"))


@bp.get("/log")
@login_required
def log():
    return render_template("admin/log.html", actions=admin.actions(user=me(), offset=_offset()))

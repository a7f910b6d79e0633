"""What instance admins do: find events and accounts, disable an account, delete an event,
look after the mail queue. Every action is logged (AdminAction) with who did it and when.

Admins are made and unmade from the command line only (`openspace admin add|remove EMAIL`):
whoever runs the server decides, and no web request can make an admin.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..i18n import _
from ..models import (
    AdminAction,
    Event,
    MailMessage,
    MailStatus,
    Membership,
    Role,
    User,
    utcnow,
)
from . import accounts, events
from . import validation as v
from .errors import Conflict, NotFound, ValidationFailed
from .mail import queue
from .permissions import require_instance_admin
from .signals import access_changed
from .tx import writing

COMMAND_LINE = "command line"
PAGE = 50
SEARCH_MAX = 100


def _label(user: User | None) -> str:
    if user is None:
        return COMMAND_LINE
    return f"{user.name} <{user.email}>" if user.email else f"{user.name} (#{user.id})"


def _log(admin: User | None, action: str, target: str) -> None:
    """In the caller's transaction: the record commits with what it records."""
    db.session.add(AdminAction(admin_id=admin.id if admin else None, admin_label=_label(admin),
                               action=action, target=target[:340], created_at=utcnow()))


def _like(query: object) -> str | None:
    text = v.lookup_key(query, max_len=SEARCH_MAX)
    text = (text or "").strip().lower()
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_events(*, user: User, query: object = "", offset: int = 0) -> list[tuple[Event, int]]:
    """Events whose name or address contains the text (all when empty), newest first, with
    their number of members."""
    require_instance_admin(user)
    members = (sa.select(sa.func.count()).where(Membership.event_id == Event.id)
               .scalar_subquery())
    statement = sa.select(Event, members).order_by(Event.id.desc()).offset(offset).limit(PAGE)
    if (pattern := _like(query)) is not None:
        statement = statement.where(sa.or_(sa.func.lower(Event.name).like(pattern, escape="\\"),
                                           Event.slug.like(pattern, escape="\\")))
    return [(event, count) for event, count in db.session.execute(statement)]


def find_accounts(*, user: User, query: object = "", offset: int = 0) -> list[User]:
    """Accounts whose name or address contains the text (all when empty), newest first."""
    require_instance_admin(user)
    statement = sa.select(User).order_by(User.id.desc()).offset(offset).limit(PAGE)
    if (pattern := _like(query)) is not None:
        statement = statement.where(sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"),
                                           User.email.like(pattern, escape="\\")))
    return list(db.session.scalars(statement))


def get_account(*, user: User, account_id: Any) -> User:
    require_instance_admin(user)
    account = db.session.get(User, v.identifier("account_id", account_id))
    if account is None:
        raise NotFound(_("No such account."))
    return account


def get_event(*, user: User, event_id: Any) -> Event:
    require_instance_admin(user)
    event = db.session.get(Event, v.identifier("event_id", event_id))
    if event is None:
        raise NotFound(_("No such event."))
    return event


def memberships_of(account: User) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(Membership.user_id == account.id)
                                   .order_by(Membership.joined_at)))


def organizers_of(event: Event) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(Membership).where(
        Membership.event_id == event.id, Membership.role == Role.ORGANIZER).order_by(User.name)))


def set_account_disabled(*, user: User, account_id: Any, disabled: bool) -> User:
    """Disable an account (its sessions, tokens and live connections end at once) or enable it
    again. An admin cannot disable themselves (someone must be left to undo it)."""
    account = get_account(user=user, account_id=account_id)
    if disabled and account.id == user.id:
        raise Conflict(_("You cannot disable your own account."), code="self")
    accounts.set_disabled(user=account, disabled=disabled)
    with writing():
        _log(user, "disable_account" if disabled else "enable_account", _label(account))
    return account


def delete_event(*, user: User, event_id: Any, confirm: object) -> str:
    """Delete an event and everything in it; `confirm` must repeat its address (the page
    offers its export first). Returns the deleted event's address."""
    event = get_event(user=user, event_id=event_id)
    slug = event.slug
    if confirm != slug:
        raise ValidationFailed(_("Type the event's address to confirm."),
                               fields={"confirm": _("must be %(slug)s", slug=slug)})
    event_id = event.id
    with writing():
        target = f"{event.name} ({slug}, #{event.id})"
        topic_ids = events.topic_ids(event_id)  # their note rooms, listed while they exist
        db.session.execute(sa.delete(Event).where(Event.id == event_id)
                           .execution_options(synchronize_session=False))
        _log(user, "delete_event", target)
    db.session.expunge_all()
    # Its open pages hear that it is gone, and every process takes their sockets out of its
    # rooms (realtime.py, sockets.py).
    access_changed.send(event_id, topic_ids=topic_ids, deleted=True)
    return slug


def log_export(*, user: User, event: Event) -> None:
    """Downloading an event's full export (emails included) is logged like any admin action."""
    with writing():
        _log(user, "export_event", f"{event.name} ({event.slug}, #{event.id})")


def retry_mail(*, user: User, message_id: Any) -> MailMessage:
    """Put a failed mail back in the queue, due now, with its attempts counted from zero."""
    require_instance_admin(user)
    with writing():
        message = db.session.get(MailMessage, v.identifier("message_id", message_id))
        if message is None:
            raise NotFound(_("No such mail."))
        if message.status != MailStatus.FAILED:
            raise Conflict(_("Only a failed mail can be retried."), code="not_failed")
        message.status = MailStatus.QUEUED
        message.attempts = 0
        message.next_attempt_at = utcnow()
        _log(user, "retry_mail", f"mail #{message.id} ({message.kind}) to {message.to_address}")
    return message


def mail_overview(*, user: User, status: str | None,
                  limit: int = 200) -> tuple[dict[str, int], list[MailMessage]]:
    """The queue's counts per status and its newest mails (of one status, if given)."""
    require_instance_admin(user)
    return queue.counts(), queue.overview(status=status, limit=limit) if limit else []


def actions(*, user: User, offset: int = 0) -> list[AdminAction]:
    require_instance_admin(user)
    return list(db.session.scalars(sa.select(AdminAction).order_by(AdminAction.id.desc())
                                   .offset(offset).limit(PAGE * 4)))


def set_admin(*, email: object, admin: bool) -> User:
    """Make the account with this address an instance admin, or no longer one (the CLI)."""
    fields = v.Fields()
    email_ = v.email(fields, "email", email)
    fields.check()
    with writing():
        account = db.session.scalar(sa.select(User).where(User.email == email_))
        if account is None:
            raise NotFound(_("No account has the address %(email)s.", email=email_))
        account.is_admin = admin
        _log(None, "add_admin" if admin else "remove_admin", _label(account))
    return account


def admins() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.is_admin.is_(True))
                                   .order_by(User.id)))

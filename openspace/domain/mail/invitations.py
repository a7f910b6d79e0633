"""Invitations: organizers invite people by email to an event (a private one, typically) as
participants or co-organizers. The mailed link joins whoever opens it with the invitation's
role, creating a password-less account with the invited address when there is none: the click
proves the address is theirs, and they sign in later by link (tokens.py) or set a password.

An address that has an account already must log in as it first (or ask for a sign-in link),
so a forwarded invitation never opens someone's existing account.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for

from ...extensions import db
from ...i18n import _
from ...models import Event, MailToken, Membership, Role, User, utcnow
from .. import ratelimit
from .. import validation as v
from ..errors import NotAuthenticated, NotFound
from ..permissions import require_organizer
from ..tx import writing
from . import queue, require_enabled, tokens


def invite(*, event: Event, user: User, email: object, role: object = "participant") -> MailToken:
    """An organizer invites this address; the mail is queued with the invitation."""
    require_organizer(user, event)
    require_enabled()
    fields = v.Fields()
    email_ = v.email(fields, "email", email)
    role_ = v.choice(fields, "role", role, [r.value for r in Role], default=Role.PARTICIPANT)
    fields.check()
    ratelimit.hit(f"to:{email_}", "mail_address")
    with writing():
        require_organizer(user, event)
        secret = tokens.issue(purpose=tokens.INVITE, email=email_, event_id=event.id,
                              role=role_, created_by=user)
        row = db.session.scalar(sa.select(MailToken).where(
            MailToken.token_hash == tokens._hash(secret)))
        queue.enqueue(to=email_, subject=lambda: _("You are invited to %(event)s",
                                                    event=event.name),
                      template="invite", kind=tokens.INVITE, event_id=event.id, event=event,
                      inviter=user, role=role_,
                      link=url_for("auth.invitation", token=secret, _external=True),
                      days=tokens.LIFETIME[tokens.INVITE].days)
    return row


def pending(event: Event) -> list[MailToken]:
    """The event's invitations not used yet and not expired, newest first."""
    return list(db.session.scalars(sa.select(MailToken).where(
        MailToken.event_id == event.id, MailToken.purpose == tokens.INVITE,
        MailToken.used_at.is_(None), MailToken.expires_at > utcnow())
        .order_by(MailToken.id.desc())))


def revoke(*, event: Event, user: User, invitation_id: Any) -> None:
    """An organizer takes an invitation back: its link stops working."""
    with writing():
        require_organizer(user, event)
        row = db.session.get(MailToken, v.identifier("invitation_id", invitation_id))
        if row is None or row.event_id != event.id or row.purpose != tokens.INVITE:
            raise NotFound(_("No such invitation."))
        row.used_at = row.used_at or utcnow()


def look(token: object) -> MailToken:
    """The invitation behind a link, while it works (the page that asks to accept it)."""
    return tokens.peek(token, tokens.INVITE)


def account_for(row: MailToken) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == row.email))


def accept(*, token: object, user: User | None, name: object = None) -> tuple[User, Event, bool]:
    """Use an invitation: the logged-in user, or else a new account with the invited address
    and this name, joins the event with the invitation's role (an organizer stays one).
    Returns the user, the event, and whether the account is new."""
    row = tokens.peek(token, tokens.INVITE)
    name_ = None
    if user is None:
        if account_for(row) is not None:
            raise NotAuthenticated(_("That address has an account here: log in first (or ask for "
                                   "a sign-in link), then open the invitation again."),
                                   code="log_in_first")
        fields = v.Fields()
        name_ = v.text(fields, "name", name, max_len=v.NAME_MAX, required=True)
        fields.check()
    with writing():
        row = tokens.consume(token, tokens.INVITE)
        event = row.event
        created = user is None
        if user is None:
            if account_for(row) is not None:  # made meanwhile
                raise NotAuthenticated(_("That address has an account here: log in first."),
                                       code="log_in_first")
            user = User(name=name_, email=row.email)
            db.session.add(user)
            db.session.flush()
        membership = db.session.scalar(sa.select(Membership).where(
            Membership.event_id == event.id, Membership.user_id == user.id))
        if membership is None:
            membership = Membership(event_id=event.id, user_id=user.id, role=Role.PARTICIPANT)
            db.session.add(membership)
        if row.role == Role.ORGANIZER:
            membership.role = Role.ORGANIZER
    return user, event, created

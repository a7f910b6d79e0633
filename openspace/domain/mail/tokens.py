"""Links sent by mail: reset a password, sign in without one, confirm an address.

A link carries a random secret (32 bytes from `secrets`); only its sha256 is stored, in a
MailToken row with what it is for, whom, and until when. It works once: using it marks the row
used in the same transaction as what it does, by an UPDATE that only an unused, unexpired row
matches, so two tabs racing with one link get one success. A new reset or sign-in link for an
account ends that account's older unused ones; resetting the password ends all of them and
every other session of the account.

Asking for a reset or sign-in link answers the same whether or not an account has the address:
the same buckets are spent, the same message shown; only a real account gets a mail.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import url_for

from ...extensions import db
from ...i18n import _, _l
from ...models import MailToken, User, utcnow
from .. import accounts, ratelimit
from .. import validation as v
from ..errors import Conflict, DomainError, NotAllowed
from ..signals import sessions_ended
from ..tx import writing
from . import queue, require_enabled

RESET = "reset"
SIGNIN = "signin"
CONFIRM = "confirm_email"
INVITE = "invite"
LIFETIME = {
    RESET: timedelta(hours=1),
    SIGNIN: timedelta(hours=1),
    CONFIRM: timedelta(hours=24),
    INVITE: timedelta(days=7),
}
SECRET_BYTES = 32
# The same for every request, whatever the address: nobody learns who has an account here.
SENT_MESSAGE = _l("If an account has that address, a link is on its way to it. It works once, "
                  "for an hour. Nothing there? Look in the spam folder, or ask again later.")


class LinkInvalid(DomainError):
    code = "link_invalid"
    status = 400
    message = _l("This link is not valid: it may have been copied incompletely.")


class LinkExpired(LinkInvalid):
    code = "link_expired"
    message = _l("This link has expired. Ask for a new one.")


class LinkUsed(LinkInvalid):
    code = "link_used"
    message = _l("This link was used already, or a newer one replaced it. Ask for a new one.")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(*, purpose: str, email: str, user: User | None = None, event_id: int | None = None,
          role: str | None = None, created_by: User | None = None, next_path: str = "",
          now: datetime | None = None) -> str:
    """A new link's secret, in the caller's transaction. For a reset or sign-in link, the
    account's older unused links of that purpose stop working."""
    now = now or utcnow()
    if user is not None and purpose in (RESET, SIGNIN, CONFIRM):
        _end_unused(user.id, purpose, now)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    db.session.add(MailToken(
        token_hash=_hash(secret), purpose=purpose, email=email,
        user_id=user.id if user else None, event_id=event_id, role=role,
        created_by_id=created_by.id if created_by else None, next_path=next_path[:500],
        created_at=now, expires_at=now + LIFETIME[purpose]))
    return secret


def _end_unused(user_id: int, purpose: str | tuple[str, ...], now: datetime) -> None:
    purposes = (purpose,) if isinstance(purpose, str) else purpose
    db.session.execute(sa.update(MailToken).where(
        MailToken.user_id == user_id, MailToken.purpose.in_(purposes),
        MailToken.used_at.is_(None)).values(used_at=now)
        .execution_options(synchronize_session=False))


def _lookup(secret: object) -> MailToken | None:
    if not isinstance(secret, str) or not 20 <= len(secret) <= 100:
        return None
    return db.session.scalar(sa.select(MailToken).where(MailToken.token_hash == _hash(secret)))


def peek(secret: object, purpose: str, *, now: datetime | None = None) -> MailToken:
    """The link's row if it still works (for the page that asks to confirm); changes nothing."""
    row = _lookup(secret)
    if row is None or row.purpose != purpose:
        raise LinkInvalid()
    if row.used_at is not None:
        raise LinkUsed()
    if row.expires_at <= (now or utcnow()):
        raise LinkExpired()
    return row


def consume(secret: object, purpose: str, *, now: datetime | None = None) -> MailToken:
    """Use the link, inside the caller's write transaction: exactly one caller wins it."""
    now = now or utcnow()
    row = peek(secret, purpose, now=now)
    won = db.session.execute(sa.update(MailToken).where(
        MailToken.id == row.id, MailToken.used_at.is_(None), MailToken.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        raise LinkUsed()
    return row


@dataclass(frozen=True)
class Sent:
    message: str  # what the asker is told, in the request's language


def _account_for(email: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    return None if user is None or user.is_disabled else user


def _request(email: object, client: str | None, purpose: str, next_path: str = "") -> Sent:
    require_enabled()
    fields = v.Fields()
    email_ = v.email(fields, "email", email)
    fields.check()
    ratelimit.from_client(client, "mail_request")
    ratelimit.hit(f"to:{email_}", "mail_address")
    with writing():
        user = _account_for(email_)
        if user is not None:
            secret = issue(purpose=purpose, email=email_, user=user, next_path=next_path)
            if purpose == RESET:
                queue.enqueue(to=email_, subject=lambda: _("Reset your openspace password"),
                              template="reset", kind=RESET, user_id=user.id, user=user,
                              link=url_for("auth.reset_password", token=secret, _external=True),
                              hours=1)
            else:
                queue.enqueue(to=email_, subject=lambda: _("Your openspace sign-in link"),
                              template="signin", kind=SIGNIN, user_id=user.id, user=user,
                              link=url_for("auth.signin_link", token=secret, _external=True),
                              hours=1)
    return Sent(str(SENT_MESSAGE))


def request_password_reset(*, email: object, client: str | None = None) -> Sent:
    """Mail a password-reset link to the account with this address, if there is one."""
    return _request(email, client, RESET)


def request_signin_link(*, email: object, client: str | None = None,
                        next_path: str = "") -> Sent:
    """Mail a sign-in link to the account with this address, if there is one (accounts
    without a password, imported ones included, sign in this way)."""
    return _request(email, client, SIGNIN, next_path)


def _usable(user: User | None) -> User:
    if user is None or user.is_disabled:
        raise LinkInvalid(_("This link's account is gone or disabled."))
    return user


def reset_password(*, token: object, password: object) -> User:
    """Set a new password with a reset link; the account's other sessions and links end."""
    fields = v.Fields()
    password_ = v.password(fields, "password", password)
    fields.check()
    peek(token, RESET)  # a dead link is refused before the password is hashed
    password_hash = accounts.hash_password(password_)
    with writing():
        row = consume(token, RESET)
        user = _usable(row.user)
        user.password_hash = password_hash
        accounts.end_every_login(user)  # every device's cookies, as on a password change
        _end_unused(user.id, (RESET, SIGNIN), utcnow())
    sessions_ended.send(user.id, login=None, tokens=False)
    return user


def sign_in(*, token: object) -> tuple[User, str]:
    """Use a sign-in link: its account, and the page it was asked from (or "")."""
    with writing():
        row = consume(token, SIGNIN)
        user = _usable(row.user)
        next_path = row.next_path
    return user, next_path


def request_email_confirmation(*, user: User, email: object) -> Sent:
    """An account without an address (a quick join) asks to add one: a link to confirm it goes
    there. If the address has an account already, that account gets a sign-in link instead;
    either way the answer is the same. (The asker's own `mail_request` budget is spent by the
    transport's per-user gate, web/limits.py: a venue shares one client address.)"""
    require_enabled()
    if user.email:
        raise NotAllowed(_("This account has an email address already."))
    fields = v.Fields()
    email_ = v.email(fields, "email", email)
    fields.check()
    ratelimit.hit(f"to:{email_}", "mail_address")
    with writing():
        owner = _account_for(email_)
        if owner is None:
            secret = issue(purpose=CONFIRM, email=email_, user=user)
            queue.enqueue(to=email_, subject=lambda: _("Confirm your address for openspace"),
                          template="confirm_email", kind=CONFIRM, user_id=user.id, user=user,
                          link=url_for("auth.confirm_email", token=secret, _external=True))
        else:
            secret = issue(purpose=SIGNIN, email=email_, user=owner)
            queue.enqueue(to=email_, subject=lambda: _("Your openspace sign-in link"),
                          template="signin", kind=SIGNIN, user_id=owner.id, user=owner,
                          link=url_for("auth.signin_link", token=secret, _external=True),
                          hours=1, already=True)
    return Sent(_("A link to confirm %(email)s is on its way there. Open it on any device to "
                  "keep this account there too.", email=email_))


def confirm_email(*, token: object) -> User:
    """Use an address-confirmation link: the address becomes the account's (which the link
    then signs in, on whatever device it was opened)."""
    with writing():
        row = consume(token, CONFIRM)
        user = _usable(row.user)
        if user.email:
            raise Conflict(_("This account has an email address already."), code="has_email")
        taken = db.session.scalar(sa.select(User.id).where(User.email == row.email))
        if taken is not None:
            raise Conflict(_("That address belongs to another account now."), code="email_taken")
        user.email = row.email
    return user


def issue_signin_link(*, email: object) -> tuple[User, str]:
    """A sign-in link's secret for the account with this address, without mailing it: for
    whoever runs the server (`openspace mail link EMAIL`), even when mail is off."""
    fields = v.Fields()
    email_ = v.email(fields, "email", email)
    fields.check()
    with writing():
        user = _account_for(email_)
        if user is None:
            raise NotAllowed(_("No enabled account has the address %(email)s.", email=email_))
        secret = issue(purpose=SIGNIN, email=email_, user=user)
    return user, secret

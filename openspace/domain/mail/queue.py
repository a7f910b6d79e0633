"""The outgoing mail queue: mails are rows (MailMessage) written in the transaction of what
caused them, and sent later by a worker, so no request ever waits for an SMTP server.

Any number of workers (one green thread in each `openspace serve`, or `openspace mail worker`)
share the queue: a worker claims a batch of due rows in one statement (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so two workers never claim the same row and never wait for each
other; on SQLite the claim is one UPDATE under the database's write lock), sends them, and
marks each sent. A claim is a lease: if its worker dies mid-batch, the rows become due again
after CLAIM_LEASE. A temporary failure (server down, slow, 4xx) retries after a growing delay;
a permanent one (5xx) or the last attempt marks the mail failed, which organizers (for their
event's mails) and instance admins see.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, render_template

from ... import i18n
from ...extensions import db
from ...models import Event, MailMessage, MailStatus, User, utcnow
from ..tx import writing
from . import require_enabled, transport

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)  # longer than a batch can take (BATCH x the SMTP timeout)
BATCH = 5
MAX_ATTEMPTS = 10
POLL_EVERY = 5.0  # seconds between two looks at the queue when nothing woke the worker
KEEP_SENT = timedelta(days=30)  # sent mails are forgotten after this (failed ones are kept)

# Set when this process queues a mail, so its own worker sends it without waiting for a poll.
_wake = threading.Event()


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 1, 2, 4, 8 ... minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def render(template: str, **context) -> tuple[str, str]:
    """The text and HTML bodies of mail/<template>.txt and .html (outside a request, e.g. a
    command, in one made up for the site's address: templates and their helpers expect one)."""
    if not has_request_context():
        base = current_app.config.get("BASE_URL") or "http://localhost"
        with current_app.test_request_context("/", base_url=base):
            return render(template, **context)
    return (render_template(f"mail/{template}.txt", **context),
            render_template(f"mail/{template}.html", **context))


def language_for(user: User | None = None, event: Event | None = None) -> str:
    """The language a mail is written in: its reader's choice (the account's), else the event's
    it is about, else the language of the page that sends it (someone asking for a link reads
    that page), else English."""
    for tag in (getattr(user, "locale", None), getattr(event, "language", None)):
        if i18n.supported(tag):
            return tag
    return i18n.current() if has_request_context() else i18n.DEFAULT


def enqueue(*, to: str, subject: str | Callable[[], str], template: str, kind: str,
            language: str | None = None, user_id: int | None = None,
            event_id: int | None = None, **context) -> MailMessage:
    """Queue one mail in the caller's transaction (it is sent only if that commits); raises
    MailOff when this instance sends no mail. The subject (a function, so that it is written
    in the mail's language) and the bodies speak `language` (default: language_for the user
    and event of the context)."""
    require_enabled()
    language = language or language_for(context.get("user"), context.get("event"))
    with i18n.in_language(language):
        subject = subject() if callable(subject) else subject
        text, html = render(template, subject=subject, **context)
    message = MailMessage(to_address=to, subject=subject[:200], text_body=text, html_body=html,
                          kind=kind, user_id=user_id, event_id=event_id,
                          next_attempt_at=utcnow())
    db.session.add(message)
    _wake.set()
    return message


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


def claim(worker: str, *, now: datetime | None = None, limit: int = BATCH) -> list[int]:
    """Claim up to `limit` due mails for this worker: queued ones whose time has come, and
    ones whose earlier claim ran out (its worker died). No two workers get the same row."""
    now = now or utcnow()
    due = sa.or_(
        sa.and_(MailMessage.status == MailStatus.QUEUED, MailMessage.next_attempt_at <= now),
        sa.and_(MailMessage.status == MailStatus.SENDING, MailMessage.claimed_until < now))
    with writing():
        ids = sa.select(MailMessage.id).where(due).order_by(MailMessage.next_attempt_at,
                                                            MailMessage.id).limit(limit)
        if db.session.get_bind().dialect.name == "postgresql":
            ids = ids.with_for_update(skip_locked=True)
        claimed = db.session.scalars(
            sa.update(MailMessage)
            .where(MailMessage.id.in_(ids.scalar_subquery()), due)
            .values(status=MailStatus.SENDING, claimed_by=worker,
                    claimed_until=now + CLAIM_LEASE)
            .returning(MailMessage.id)
            .execution_options(synchronize_session=False)).all()
    return sorted(claimed)


def _email(row: MailMessage, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = sender
    message["To"] = row.to_address
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message.set_content(row.text_body)
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html")
    return message


def _finish(message_id: int, worker: str, **values) -> None:
    with writing():
        db.session.execute(sa.update(MailMessage).where(
            MailMessage.id == message_id, MailMessage.claimed_by == worker,
            MailMessage.status == MailStatus.SENDING).values(
            claimed_by=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False))


def deliver(message_id: int, worker: str, *, server: transport.Server, sender: str,
            now: datetime | None = None) -> MailStatus:
    """Send one claimed mail and record how it went."""
    row = db.session.get(MailMessage, message_id)
    if row is None or row.claimed_by != worker:
        return MailStatus.QUEUED  # someone else's now (our lease ran out): theirs to send
    message = _email(row, sender)
    attempts = row.attempts + 1
    db.session.rollback()  # no transaction stays open while the SMTP server takes its time
    try:
        transport.send(server, message)
    except transport.PermanentFailure as error:
        status, problem = MailStatus.FAILED, str(error)
    except transport.TemporaryFailure as error:
        status = MailStatus.FAILED if attempts >= MAX_ATTEMPTS else MailStatus.QUEUED
        problem = str(error)
    else:
        _finish(message_id, worker, status=MailStatus.SENT, attempts=attempts,
                sent_at=utcnow(), last_error="")
        return MailStatus.SENT
    log.warning("mail %s to %s: attempt %s failed: %s", message_id, row.to_address, attempts,
                problem)
    _finish(message_id, worker, status=status, attempts=attempts, last_error=problem[:500],
            next_attempt_at=(now or utcnow()) + retry_delay(attempts))
    return status


def server() -> transport.Server:
    return transport.parse_url(current_app.config["MAIL_URL"])


def sender() -> str:
    configured = current_app.config["MAIL_FROM"]
    return configured if "<" in configured else formataddr(("openspace", configured))


def send_due(*, worker: str | None = None, now: datetime | None = None) -> int:
    """One round of a worker: turn due notices into mails, then send every due mail, a batch at
    a time. Returns how many mails were sent."""
    from . import notifications  # notifications queue mails through this module

    require_enabled()
    worker = worker or worker_name()
    notifications.flush_due(now=now)
    smtp, from_ = server(), sender()
    sent = 0
    while batch := claim(worker, now=now):
        for message_id in batch:
            sent += deliver(message_id, worker, server=smtp, sender=from_,
                            now=now) == MailStatus.SENT
    _forget_old(now or utcnow())
    return sent


def _forget_old(now: datetime) -> None:
    with writing():
        db.session.execute(sa.delete(MailMessage).where(
            MailMessage.status == MailStatus.SENT, MailMessage.sent_at < now - KEEP_SENT))


def run_worker(app: Flask, *, sleep: Callable[[float], object] | None = None,
               rounds: int | None = None) -> None:
    """Send mail until the process ends (or for `rounds` rounds): a round when this process
    queued a mail, else every POLL_EVERY seconds. A database or SMTP outage only delays."""
    done = 0
    while rounds is None or done < rounds:
        with app.app_context():
            try:
                send_due()
            except sa.exc.SQLAlchemyError as error:
                log.warning("mail worker: database unavailable (%s); trying again soon", error)
            except Exception:  # never let one bad round stop mail for good
                log.exception("mail worker round failed")
            finally:
                db.session.remove()
        done += 1
        _wake.clear()
        if rounds is None or done < rounds:
            if sleep is not None:
                _wait(sleep)
            else:
                _wake.wait(POLL_EVERY)


def _wait(sleep: Callable[[float], object]) -> None:
    """Wait up to POLL_EVERY seconds, waking early when a mail was queued here (green sleep)."""
    waited = 0.0
    while waited < POLL_EVERY and not _wake.is_set():
        sleep(0.25)
        waited += 0.25


# What organizers and admins see -------------------------------------------------------------

def failed_for_event(event: Event) -> list[MailMessage]:
    """The event's mails that could not be sent (invitations, notifications)."""
    return list(db.session.scalars(sa.select(MailMessage).where(
        MailMessage.event_id == event.id, MailMessage.status == MailStatus.FAILED)
        .order_by(MailMessage.id.desc()).limit(100)))


def overview(*, status: str | None = None, limit: int = 200) -> list[MailMessage]:
    """The queue, newest first, optionally one status only."""
    query = sa.select(MailMessage).order_by(MailMessage.id.desc()).limit(limit)
    if status in {s.value for s in MailStatus}:
        query = query.where(MailMessage.status == status)
    return list(db.session.scalars(query))


def counts() -> dict[str, int]:
    rows = db.session.execute(sa.select(MailMessage.status, sa.func.count())
                              .group_by(MailMessage.status))
    found = {str(status): n for status, n in rows}
    return {s.value: found.get(s.value, 0) for s in MailStatus}

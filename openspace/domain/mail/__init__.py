"""Outgoing mail: a queue in the database (queue.py) sent over SMTP (transport.py) by a worker
that any number of processes may run; links sent by mail (tokens.py: password reset, sign-in
links, address confirmation), invitations to events (invitations.py) and the notifications
people opt into (notifications.py).

Mail is off unless OPENSPACE_MAIL_URL names an SMTP server: then every function that would send
raises MailOff, and the pages that offer it say so (the embedded default runs without mail).
"""

from __future__ import annotations

from flask import current_app

from ...i18n import _l
from ..errors import DomainError


class MailOff(DomainError):
    code = "mail_off"
    status = 503
    message = _l("This server sends no mail (its operator has not set up OPENSPACE_MAIL_URL), "
                 "so nothing can be sent by email.")


def enabled() -> bool:
    """Is outgoing mail configured on this instance?"""
    return bool(current_app.config.get("MAIL_URL"))


def require_enabled() -> None:
    if not enabled():
        raise MailOff()

"""Sending one message over SMTP with the standard library (smtplib, email).

OPENSPACE_MAIL_URL names the server: `smtp://[user:password@]host[:port][?starttls=1]` (port 25
by default, 587 is usual with starttls), or `smtps://...` for TLS from the first byte (465).
`timeout=` (seconds, default 30) bounds every network wait. Under eventlet or gevent the socket
I/O is cooperative, so a slow server holds only the worker's green thread.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit


class TemporaryFailure(Exception):
    """Try again later: the server is down, slow, or said 4xx."""


class PermanentFailure(Exception):
    """Never try again: the server refused this mail for good (5xx)."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    tls: bool  # TLS from the first byte (smtps://)
    starttls: bool
    username: str | None
    password: str | None
    timeout: float


def parse_url(url: str) -> Server:
    """The server an OPENSPACE_MAIL_URL names; a bad one is a ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"OPENSPACE_MAIL_URL must start with smtp:// or smtps://, not {url!r}")
    if not parts.hostname:
        raise ValueError("OPENSPACE_MAIL_URL names no host")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise ValueError(f"OPENSPACE_MAIL_URL: unknown option(s) {', '.join(sorted(unknown))}")
    try:
        timeout = float(query.get("timeout", "30"))
        port = parts.port
    except ValueError as error:
        raise ValueError(f"OPENSPACE_MAIL_URL: {error}") from None
    if not 0 < timeout <= 600:
        raise ValueError("OPENSPACE_MAIL_URL: timeout must be between 0 and 600 seconds")
    tls = parts.scheme == "smtps"
    return Server(
        host=parts.hostname, port=port or (465 if tls else 25), tls=tls,
        starttls=query.get("starttls", "0").lower() in {"1", "true", "yes", "on"},
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None, timeout=timeout)


def send(server: Server, message: EmailMessage) -> None:
    """Hand one message to the server; raises TemporaryFailure or PermanentFailure."""
    context = ssl.create_default_context()
    try:
        if server.tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port,
                                                  timeout=server.timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        with smtp:
            if server.starttls:
                smtp.starttls(context=context)
            if server.username:
                smtp.login(server.username, server.password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            raise PermanentFailure(_describe(error)) from error
        raise TemporaryFailure(_describe(error)) from error
    except smtplib.SMTPResponseException as error:
        if error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPAuthenticationError):
            raise PermanentFailure(_describe(error)) from error
        raise TemporaryFailure(_describe(error)) from error
    except (smtplib.SMTPException, OSError) as error:  # refused, unreachable, timed out, TLS
        raise TemporaryFailure(_describe(error)) from error


def _describe(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    return text[:480]

"""Security headers on every response, in one place.

The Content-Security-Policy allows scripts only from our own origin (no inline script, no
eval), so text that slipped through escaping still cannot run; styles also inline (the notes
editor needs them); images also from data: URLs (the join QR code); connections to our own
origin over HTTP and WebSocket (Socket.IO). Nothing may frame our pages, no plugin may load.
docs/security.md lists what else the app promises and the tests that prove it.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request
from werkzeug.sansio.utils import host_is_trusted
from werkzeug.wrappers import Response

from .. import netaddrs
from ..i18n import _

log = logging.getLogger(__name__)

# A Host header we are willing to echo into the policy (anything else: 'self' alone).
_SANE_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$")

BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    # The notes editor (CodeMirror) writes its theme as <style> elements and style attributes
    # at run time; styles cannot run code, and user text is escaped anyway.
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",  # blob: the photo picker's preview of the chosen file
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(host: str | None) -> str:
    """The policy for a response to a request for this Host."""
    policy = dict(BASE_POLICY)
    connect = ["'self'"]
    if host and _SANE_HOST.match(host):
        # CSP Level 3 lets 'self' match ws(s):// of our own host, older browsers do not.
        connect += [f"ws://{host}", f"wss://{host}"]
    policy["connect-src"] = " ".join(connect)
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    host = None if g.get("host_refused") else request.host
    headers.setdefault("Content-Security-Policy", content_security_policy(host))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # same-origin: the join code in /e/<slug>/join?code=... never leaks to another site.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors, for older browsers
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


# This machine's own names: what the venue LAN's phones and the laptop itself open.
LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")
INTERFACES_EVERY = 10.0  # seconds: a laptop that changed networks is found again this soon
_machine: dict[str, object] = {"at": -INTERFACES_EVERY, "hosts": []}
_warned: set[str] = set()


def _machine_hosts() -> list[str]:
    """localhost, the host name and every network address of this machine, re-read at most
    every INTERFACES_EVERY seconds (the laptop may have joined another network)."""
    now = time.monotonic()
    if now - float(_machine["at"]) >= INTERFACES_EVERY:
        name = socket.gethostname().lower()
        _machine["hosts"] = [*LOCAL_NAMES, name, f"{name}.local",
                             *(a.ip for a in netaddrs.lan_addresses())]
        _machine["at"] = now
    return list(_machine["hosts"])  # type: ignore[arg-type]


def allowed_hosts(app: Flask) -> list[str] | None:
    """The hosts this site answers to (config.py ALLOWED_HOSTS), or None: any (debug and
    testing without ALLOWED_HOSTS)."""
    if app.config.get("ALLOWED_HOSTS"):
        return list(app.config["ALLOWED_HOSTS"])
    if app.debug or app.testing:
        return None
    if app.config.get("BASE_URL"):
        return [urlsplit(app.config["BASE_URL"]).hostname or ""]
    return _machine_hosts()


def refuse_unknown_hosts() -> None:
    """A request for a Host this site does not answer to is refused (400) before any page can
    write that Host into a link, a QR code, a mail or the CSP."""
    hosts = allowed_hosts(current_app)
    if hosts is None:
        return
    host = request.host  # SERVER_NAME aside, exactly what the client sent
    if host_is_trusted(host, hosts):
        return
    g.host_refused = True  # nor into this answer's own CSP
    shown = host[:100]
    if len(_warned) < 100 and shown not in _warned:
        _warned.add(shown)
        log.warning("refused a request for the unknown host %r (OPENSPACE_ALLOWED_HOSTS: %s)",
                    shown, ", ".join(hosts))
    abort(400, description=_("This site does not answer to the address %(host)s. Whoever runs "
                             "it lists its addresses in OPENSPACE_ALLOWED_HOSTS.", host=shown))


def register(app: Flask) -> None:
    # First of all: nothing else may look at the request's Host before it is checked.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unknown_hosts)
    app.after_request(add_security_headers)

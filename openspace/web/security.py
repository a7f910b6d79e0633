"""Security headers on every response, in one place.

The Content-Security-Policy allows scripts only from our own origin (no inline script, no
eval), so text that slipped through escaping still cannot run; styles also inline (the notes
editor needs them); images also from data: URLs (the join QR code); connections to our own
origin over HTTP and WebSocket (Socket.IO). Nothing may frame our pages, no plugin may load.
docs/security.md lists what else the app promises and the tests that prove it.
"""

from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.wrappers import Response

# A Host header we are willing to echo into the policy (anything else: 'self' alone).
_SANE_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$")

BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    # The notes editor (CodeMirror) writes its theme as <style> elements and style attributes
    # at run time; styles cannot run code, and user text is escaped anyway.
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
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
    headers.setdefault("Content-Security-Policy", content_security_policy(request.host))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # same-origin: the join code in /e/<slug>/join?code=... never leaks to another site.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors, for older browsers
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def register(app: Flask) -> None:
    app.after_request(add_security_headers)

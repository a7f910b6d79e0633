"""Security headers on every response, cookie flags, and pages CSP can run (no inline script)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from openspace.web.converters import IdConverter
from openspace.web.security import content_security_policy
from tests.conftest import login

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\s on[a-z]+\s*=", re.I | re.X)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _assert_headers(response):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe" not in csp.replace("style-src 'self' 'unsafe-inline'", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def _assert_csp_runnable(html: str, path: str):
    assert not INLINE_SCRIPT.search(html), f"inline <script> on {path}"
    assert not EVENT_HANDLER.search(html), f"inline event handler on {path}"
    assert not JS_URL.search(html), f"javascript: URL on {path}"


def _get_paths(app, world) -> list[str]:
    """Every GET route of the app with its parameters filled from the world."""
    values = {"slug": world.slug, "topic_id": world.placed, "room_id": world.rooms[0],
              "slot_id": world.slots[0], "user_id": world.users["participant"][0],
              "photo_id": world.photo, "announcement_id": world.announcement,
              "filename": "css/app.css", "name": "event-export-v1.json",
              "event_id": world.event_id}
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        # A parameter the world has no value for gets one of its converter's type (an id route
        # answers 404 for an id that does not exist, which is what is checked here).
        args = {name: values.get(name, 1 if isinstance(rule._converters.get(name), IdConverter)
                                  else "x") for name in rule.arguments}
        with app.test_request_context():
            from flask import url_for
            paths.append(url_for(rule.endpoint, **args))
    return sorted(paths)


def test_every_get_route_has_the_headers_and_no_inline_script(app, world):
    client = app.test_client()
    assert login(client, world.users["organizer"][1]).status_code == 302
    paths = _get_paths(app, world)
    assert len(paths) > 20
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        _assert_headers(response)
        if response.mimetype == "text/html":
            _assert_csp_runnable(response.get_data(as_text=True), path)
        response.close()


@pytest.mark.parametrize("path", ["/no-such-page", "/api/v1/no-such", "/e/no-such-event"])
def test_error_responses_have_the_headers_too(client, path):
    response = client.get(path)
    assert response.status_code == 404
    _assert_headers(response)


def test_api_and_post_responses_have_the_headers(client, world):
    _assert_headers(client.post("/api/v1/tokens", json={"email": "x@example.org",
                                                        "password": "nope nope"}))
    _assert_headers(client.post("/login", data={"email": "x", "password": "y"}))


def test_connect_src_allows_our_own_websocket_only():
    assert "connect-src 'self' ws://ost.example.org wss://ost.example.org" in (
        content_security_policy("ost.example.org"))
    assert "connect-src 'self' ws://127.0.0.1:5000 " in content_security_policy("127.0.0.1:5000")
    # A forged Host header is not echoed into the policy.
    policy = content_security_policy("evil.org; script-src *")
    assert "evil" not in policy
    assert "connect-src 'self';" in policy + ";"


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "correct horse",
                                           "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} >= {"session", "remember_token"}
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # TestConfig: plain http, like the default LAN run


def _secure_setting(**env) -> str:
    code = "import config; print(config.Config.SESSION_COOKIE_SECURE, " \
           "config.Config.REMEMBER_COOKIE_SECURE)"
    clean = {k: v for k, v in __import__("os").environ.items()
             if k not in ("OPENSPACE_SECURE_COOKIES", "OPENSPACE_BASE_URL")}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_secure_cookies_follow_the_https_base_url_unless_set(tmp_path):
    env = {"OPENSPACE_SECRET_KEY": "k", "OPENSPACE_INSTANCE_DIR": str(tmp_path)}
    assert _secure_setting(**env) == "False False"
    assert _secure_setting(**env, OPENSPACE_BASE_URL="https://ost.example.org") == "True True"
    assert _secure_setting(**env, OPENSPACE_BASE_URL="http://10.0.0.5:5000") == "False False"
    assert _secure_setting(**env, OPENSPACE_BASE_URL="https://ost.example.org",
                           OPENSPACE_SECURE_COOKIES="0") == "False False"
    assert _secure_setting(**env, OPENSPACE_SECURE_COOKIES="1") == "True True"


def test_secure_cookie_setting_reaches_the_cookie(app, make_user):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    user = make_user()
    response = app.test_client().post("/login", data={
        "email": user.email, "password": "correct horse", "remember": "y"})
    for cookie in response.headers.getlist("Set-Cookie"):
        assert "Secure" in cookie

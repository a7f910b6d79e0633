"""The Host header never flows into links, QR codes, mails or the CSP: outside debug and
testing, a request naming a host the site does not answer to (OPENSPACE_ALLOWED_HOSTS, else
OPENSPACE_BASE_URL's host, else this machine's own names and addresses) is refused with 400."""

from __future__ import annotations

import subprocess
import sys

import pytest

from openspace import netaddrs
from openspace.domain import events
from openspace.extensions import db
from openspace.models import User
from tests.security.test_headers_cookies import ROOT
from tests.web.conftest import login_as


@pytest.fixture
def production(app):
    """The test app as `openspace serve` runs it: neither debug nor testing."""
    app.config.update(TESTING=False, SERVER_NAME=None, BASE_URL="", ALLOWED_HOSTS=[])
    return app


@pytest.fixture
def organizer_and_event(production, make_user):
    user = make_user(email="kristof@example.org")
    with production.app_context():
        event = events.create_event(user=db.session.get(User, user.id), data={
            "name": "Venue day", "timezone": "Europe/Brussels", "starts_on": "2027-05-01",
            "visibility": "public"})
        slug = event.slug
    return user, slug


def _get(app, path, host, user=None):
    client = app.test_client()
    if user is not None:
        login_as(client, user)
    return client.get(path, headers={"Host": host})


def test_an_unknown_host_is_refused_and_not_written_into_the_page(production,
                                                                   organizer_and_event):
    production.config["ALLOWED_HOSTS"] = ["ost.example.org"]
    user, slug = organizer_and_event

    forged = _get(production, f"/e/{slug}/projector", "evil.example", user)
    allowed = _get(production, f"/e/{slug}/projector", "ost.example.org", user)

    assert forged.status_code == 400
    assert "OPENSPACE_ALLOWED_HOSTS" in forged.get_data(as_text=True)
    assert "evil.example" not in forged.headers["Content-Security-Policy"]
    assert allowed.status_code == 200
    page = allowed.get_data(as_text=True)
    assert "http://ost.example.org/e/" in page  # the join link names the allowed host
    assert "wss://ost.example.org" in allowed.headers["Content-Security-Policy"]


def test_subdomains_with_a_leading_dot_and_any_port(production):
    production.config["ALLOWED_HOSTS"] = [".example.org"]
    assert _get(production, "/", "ost.example.org:8443").status_code == 200
    assert _get(production, "/", "example.org").status_code == 200
    assert _get(production, "/", "example.org.evil.example").status_code == 400


def test_without_allowed_hosts_the_base_urls_host_is_the_one(production):
    production.config["BASE_URL"] = "https://ost.example.org"
    assert _get(production, "/", "ost.example.org").status_code == 200
    assert _get(production, "/", "127.0.0.1:5000").status_code == 400
    assert _get(production, "/api/v1/events", "evil.example").status_code == 400


def test_with_neither_the_machines_own_names_and_addresses_are_allowed(production):
    """The venue LAN: the laptop opens 127.0.0.1, the phones its network address; a forged
    Host gets nowhere."""
    ok = ["127.0.0.1:5000", "localhost:5000",
          *(f"{a.ip}:8000" for a in netaddrs.lan_addresses())]
    assert [_get(production, "/", host).status_code for host in ok] == [200] * len(ok)
    assert _get(production, "/", "evil.example").status_code == 400
    assert _get(production, "/", "evil.example:5000").status_code == 400


def test_debug_and_testing_answer_any_host_unless_allowed_hosts_are_set(app):
    app.config["BASE_URL"] = "https://ost.example.org"
    assert app.testing
    assert _get(app, "/", "anything.example").status_code == 200
    app.config["ALLOWED_HOSTS"] = ["ost.example.org"]
    assert _get(app, "/", "anything.example").status_code == 400


def test_allowed_hosts_come_from_the_environment():
    script = ("from config import Config; print(Config.ALLOWED_HOSTS)")
    env = {"OPENSPACE_ALLOWED_HOSTS": " OST.example.org, .example.net ,,", "PATH": "/usr/bin"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    assert done.stdout.strip() == "['ost.example.org', '.example.net']"

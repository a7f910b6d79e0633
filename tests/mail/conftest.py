"""Fixtures of the mail tests: a real SMTP server per test, an app that sends to it, and
helpers to deliver the queue and read what arrived."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from openspace.domain.mail import queue
from openspace.extensions import db
from tests.conftest import close_app
from tests.conftest import make_app as make_test_app
from tests.mail.smtp import SmtpServer
from tests.web.conftest import _TEMPLATES

SENDER = "openspace@example.org"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def make_app(tmp_path, mail_url: str):
    app = make_test_app(tmp_path, MAIL_URL=mail_url, MAIL_FROM=SENDER)
    app.jinja_env.bytecode_cache = _TEMPLATES
    return app


@pytest.fixture
def app(tmp_path, smtp):
    app = make_app(tmp_path, smtp.url)
    yield app
    close_app(app)


@pytest.fixture
def deliver(app):
    """Run one worker round now (or at `now`): what is due is sent to the SMTP server."""

    def run(now=None) -> int:
        with app.app_context():
            try:
                return queue.send_due(now=now)
            finally:
                db.session.remove()

    return run


@pytest.fixture
def exported(app, make_event, make_user, join, make_topic):
    """A small event's full export (as `openspace export` writes it) as a dict, whose people's
    emails the test may rewrite: a file from another instance."""
    from openspace.domain import backup
    from openspace.models import Event

    organizer = make_user(name="Olga", email="olga@elsewhere.example.org")
    event = make_event(organizer, name="Restored Camp", slug="restored-camp")
    attendee = make_user(name="Pat", email="pat@elsewhere.example.org")
    join(event, attendee)
    make_topic(event, attendee, "Knowledge sharing")
    with app.app_context():
        data = backup.export_event(db.session.get(Event, event.id), private=True)
        from openspace.models import User

        db.session.execute(sa.delete(Event).where(Event.id == event.id))
        db.session.execute(sa.delete(User))  # the file comes from another instance
        db.session.commit()
    return data


def rewrite_emails(data: dict, mapping: dict[str, str | None]) -> dict:
    for user in data["users"]:
        if user.get("email") in mapping:
            user["email"] = mapping[user["email"]]
    return data


@pytest.fixture
def make_user_in():
    """An account with this email in that app (no password: fast)."""
    from openspace.models import User

    def make(app, email: str, name: str = "Ada") -> int:
        with app.app_context():
            user = User(name=name, email=email)
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def world_of():
    """An organizer (quick account) and a private event of theirs, in that app."""
    from openspace.domain import accounts, events

    def make(app):
        with app.app_context():
            organizer = accounts.create_quick_user(name="Olga")
            event = events.create_event(user=organizer, data={
                "name": "Private Camp", "timezone": "Europe/Brussels",
                "starts_on": "2026-11-23", "visibility": "private"})
            db.session.refresh(organizer)
            db.session.refresh(event)
            db.session.expunge(organizer)
            db.session.expunge(event)
            return organizer, event

    return make


@pytest.fixture
def quick_user_in():
    from openspace.domain import accounts

    def make(app, name: str):
        with app.app_context():
            user = accounts.create_quick_user(name=name)
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def mail_off_client(tmp_path):
    """A test client of an app that sends no mail (no OPENSPACE_MAIL_URL)."""
    (tmp_path / "off").mkdir()
    app = make_app(tmp_path / "off", "")
    yield app.test_client()
    close_app(app)

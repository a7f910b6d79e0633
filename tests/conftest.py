"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when
OPENSPACE_TEST_DATABASE_URL points at one), an app, clients, and factories."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask import has_app_context

from config import TestConfig, database_url
from openspace import create_app, sockets
from openspace.domain import accounts, board, events, ratelimit
from openspace.extensions import db
from openspace.models import Event, Topic, User


@contextmanager
def _in_app(app):
    """Reuse the test's app context if it has one (a nested context would get its own session
    and detach the test's objects); otherwise push one and detach what the factory returns."""
    if has_app_context():
        yield False
    else:
        with app.app_context():
            yield True


def _detach(obj, pushed: bool):
    db.session.refresh(obj)
    if pushed:
        db.session.expunge(obj)
    return obj


def _database_url(tmp_path) -> str:
    url = os.environ.get("OPENSPACE_TEST_DATABASE_URL")
    if url:
        return database_url(url)
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(tmp_path)

    app = create_app(Config)
    ratelimit.reset()  # buckets are per process and ids repeat across test databases
    sockets.forget_connections()  # so are the sockets' logins, which the sweep checks
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context for calling domain functions directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(name: str | None = None, email: str | None = None,
             password: str = "correct horse") -> User:
        n = next(counter)
        with _in_app(app) as pushed:
            user = accounts.register_user(
                email=email or f"user{n}@example.org", password=password,
                name=name or f"User {n}",
            )
            return _detach(user, pushed)

    return make


@pytest.fixture
def make_event(app, make_user):
    """An event with two rooms and a day of slots: 09:00 plenary, two sessions, a break."""

    def make(organizer: User | None = None, **data) -> Event:
        organizer = organizer or make_user(name="Organizer")
        values = {
            "name": "Drupal CXO", "timezone": "Europe/Brussels",
            "starts_on": "2026-11-23", "visibility": "public",
        }
        values.update(data)
        with _in_app(app) as pushed:
            user = db.session.get(User, organizer.id)
            event = events.create_event(user=user, data=values)
            day = event.starts_on
            events.add_room(event=event, user=user, data={"name": "Atrium", "capacity": 3})
            events.add_room(event=event, user=user, data={"name": "Library", "capacity": 20})
            for start, end, kind in (("09:00", "10:00", "plenary"), ("10:00", "11:00", "session"),
                                     ("11:00", "12:00", "session"), ("12:00", "13:00", "break")):
                events.add_slot(event=event, user=user, data={
                    "starts_at": f"{day}T{start}", "ends_at": f"{day}T{end}", "kind": kind})
            event = _detach(event, pushed)
            event.organizer_id = organizer.id  # convenience for tests
            return event

    return make


@pytest.fixture
def join(app):
    def do(event: Event, user: User) -> None:
        with _in_app(app):
            e = db.session.get(Event, event.id)
            events.join_event(event=e, user=db.session.get(User, user.id), join_code=e.join_code)

    return do


@pytest.fixture
def make_topic(app):
    def make(event: Event, user: User, title: str = "Back-office tools", **data) -> Topic:
        with _in_app(app) as pushed:
            e = db.session.get(Event, event.id)
            topic = board.propose_topic(event=e, user=db.session.get(User, user.id),
                                        data={"title": title, **data})
            return _detach(topic, pushed)

    return make


def login(client, email: str, password: str = "correct horse"):
    return client.post("/login", data={"email": email, "password": password})


__all__ = ["login", "date", "datetime"]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A real `openspace serve` (eventlet) with the demo event, on a free local port.

    One per test module (starting one costs seconds); tests add their own topics."""
    from tests.live import LiveServer

    server = LiveServer(tmp_path_factory.mktemp("live"))
    server.command("db", "upgrade")
    server.command("demo")
    server.start()
    yield server
    server.stop()

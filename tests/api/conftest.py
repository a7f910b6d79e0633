"""API test helpers: bearer tokens, fast password-less accounts, and a ready event.

Accounts made here are quick-join accounts (a name, no password), which skips password
hashing; only the tests of /users and /tokens pay for real passwords.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from openspace.domain import accounts, events, ratelimit
from openspace.extensions import db
from openspace.models import Event, Room, Slot, SlotKind, User

API = "/api/v1"


@dataclass
class Person:
    id: int
    name: str
    headers: dict


@dataclass
class World:
    """An event ("Drupal CXO", public) with an organizer, a participant and an outsider.

    Rooms Atrium (capacity 3) and Library; slots 09:00 plenary, 10:00 and 11:00 sessions,
    12:00 break.
    """

    slug: str
    event_id: int
    join_code: str
    organizer: Person
    alice: Person
    outsider: Person
    atrium: int
    library: int
    session1: int
    session2: int
    plenary: int
    lunch: int


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Buckets live in process memory and user ids repeat across test databases.
    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture
def bearer(app):
    """Authorization headers with a real API token for this user (made by the domain)."""

    def make(user_id: int) -> dict:
        with app.app_context():
            token = accounts.create_token(user=db.session.get(User, user_id), label="tests")
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def person(app, bearer):
    """A quick-join account with bearer headers, optionally a member of an event (by slug)."""

    def make(name: str = "Attendee", *, joins: str | None = None) -> Person:
        with app.app_context():
            user = accounts.create_quick_user(name=name)
            if joins:
                event = db.session.scalar(sa.select(Event).where(Event.slug == joins))
                events.join_event(event=event, user=user, join_code=event.join_code)
            user_id = user.id
        return Person(user_id, name, bearer(user_id))

    return make


@pytest.fixture
def world(app, make_event, person) -> World:
    organizer = person("Kristof")
    with app.app_context():
        user = db.session.get(User, organizer.id)
    event = make_event(user)
    with app.app_context():
        rooms = dict(db.session.execute(
            sa.select(Room.name, Room.id).where(Room.event_id == event.id)).all())
        slots = db.session.scalars(
            sa.select(Slot).where(Slot.event_id == event.id).order_by(Slot.starts_at)).all()
        sessions = [s.id for s in slots if s.kind == SlotKind.SESSION]
        plenary = next(s.id for s in slots if s.kind == SlotKind.PLENARY)
        lunch = next(s.id for s in slots if s.kind == SlotKind.BREAK)
    return World(
        slug=event.slug, event_id=event.id, join_code=event.join_code, organizer=organizer,
        alice=person("Alice", joins=event.slug), outsider=person("Olga"),
        atrium=rooms["Atrium"], library=rooms["Library"], session1=sessions[0],
        session2=sessions[1], plenary=plenary, lunch=lunch,
    )


def cookie_login(client, user_id: int) -> None:
    """Log the test client in with a session cookie, as the web login page would."""
    with client.application.app_context():
        session_id = accounts.start_login(user=db.session.get(User, user_id))
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


def board_version(client, slug: str, headers: dict | None = None) -> int:
    response = client.get(f"{API}/events/{slug}/board", headers=headers or {})
    assert response.status_code == 200
    return response.get_json()["version"]

"""Fixtures for the page tests: password-less users (fast: no hashing), logging a test client in
as a user, and a ready event with an organizer, a participant and an outsider."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from jinja2 import BytecodeCache

from openspace.domain import accounts, board, events
from openspace.extensions import db
from openspace.models import Event, Room, Slot, SlotKind, Topic, User


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by the tests' many apps (keyed by name and source checksum),
    so each test does not compile every template again."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _MemoryBytecodeCache()


@pytest.fixture(autouse=True)
def _share_compiled_templates(app):
    app.jinja_env.bytecode_cache = _TEMPLATES


@pytest.fixture
def quick_user(app):
    """A quick-join account (a name, no password): cheap to make, logged in with login_as."""

    def make(name: str = "Attendee") -> User:
        with app.app_context():
            user = accounts.create_quick_user(name=name)
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return make


def login_as(client, user: User) -> None:
    """Log a test client in as this user without a password round (login has its own tests)."""
    with client.application.app_context():
        session_id = accounts.start_login(user=db.session.get(User, user.id))
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


@pytest.fixture
def world(app, quick_user, make_event, join):
    """The fixture event (Atrium 3 seats, Library 20; 09:00 plenary, 10:00 and 11:00 sessions,
    12:00 break) with an organizer, a joined participant and a logged-in-able outsider."""
    organizer = quick_user("Olga")
    event = make_event(organizer)
    participant = quick_user("Pat")
    join(event, participant)
    outsider = quick_user("Oscar")
    with app.app_context():
        rooms = {r.name: r.id for r in db.session.scalars(
            sa.select(Room).where(Room.event_id == event.id))}
        sessions = list(db.session.scalars(
            sa.select(Slot.id).where(Slot.event_id == event.id, Slot.kind == SlotKind.SESSION)
            .order_by(Slot.starts_at)))
    return SimpleNamespace(event=event, organizer=organizer, participant=participant,
                           outsider=outsider, rooms=rooms, sessions=sessions)


@pytest.fixture
def place(app):
    """Put a topic into a cell through the domain, as the given user."""

    def do(topic: Topic, user: User, room_id: int, slot_id: int) -> None:
        with app.app_context():
            board.place_topic(topic=db.session.get(Topic, topic.id),
                              user=db.session.get(User, user.id), room_id=room_id,
                              slot_id=slot_id)

    return do


@pytest.fixture
def interest(app):
    def do(topic: Topic, user: User) -> None:
        with app.app_context():
            board.set_interest(topic=db.session.get(Topic, topic.id),
                               user=db.session.get(User, user.id), interested=True)

    return do


@pytest.fixture
def fetch(app):
    """Read a row back from the database after a request (detached, attributes loaded)."""

    def get(model, ident):
        with app.app_context():
            obj = db.session.get(model, ident)
            if obj is not None:
                db.session.refresh(obj)
                db.session.expunge(obj)
            return obj

    return get


@pytest.fixture
def set_board_state(app):
    def do(event: Event, user: User, state: str) -> None:
        with app.app_context():
            events.set_board_state(event=db.session.get(Event, event.id),
                                   user=db.session.get(User, user.id), state=state)

    return do

"""The schedule advisor's search runs off the server's event loop (domain/offload.py): while an
organizer's suggestion computes, a real `openspace serve` process goes on answering everyone.

No clock is read: the proof is order, as in test_hashing_off_the_loop.py. The event has a board
CP-SAT cannot finish with in its time limit (44 sessions, 300 attendees with 5 choices each, as
bench/advisor.py's), so the suggestion takes its whole limit; while it is outstanding a second
client sends requests one after another. On the event loop the search would stop the server,
so at most the request already under way could be answered before the suggestion; off the
loop, request after request is.
"""

from __future__ import annotations

import random
import threading

import pytest
import requests

from config import TestConfig
from openspace import create_app
from openspace.domain import accounts, board, events
from openspace.extensions import db
from openspace.models import Interest, Room, Slot, SlotKind, User
from tests.live import LiveServer

pytestmark = pytest.mark.slow

ANSWERED_MEANWHILE = 5  # well above the one a blocked loop could let through
SLUG = "advisor-load"


def _crowded_board(database_url: str) -> None:
    """8 rooms x 6 slots, 44 sessions placed first come first served, 300 attendees x 5."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    rng = random.Random(3)
    with app.app_context():
        organizer = db.session.scalar(db.select(User).where(User.email == "kristof@example.org"))
        event = events.create_event(user=organizer, data={
            "name": "Advisor under load", "slug": SLUG, "timezone": "Europe/Brussels",
            "starts_on": "2026-11-25", "visibility": "public"})
        for n in range(8):
            events.add_room(event=event, user=organizer,
                            data={"name": f"Room {n + 1}", "capacity": 20 + 10 * n})
        for hour in range(9, 15):
            events.add_slot(event=event, user=organizer, data={
                "starts_at": f"2026-11-25T{hour:02d}:00", "ends_at": f"2026-11-25T{hour:02d}:50",
                "kind": "session"})
        rooms = list(db.session.scalars(db.select(Room.id).where(Room.event_id == event.id)))
        slots = list(db.session.scalars(db.select(Slot.id).where(
            Slot.event_id == event.id, Slot.kind == SlotKind.SESSION)))
        cells = rng.sample([(r, s) for s in slots for r in rooms], 44)
        people = []
        for n in range(300):
            person = accounts.create_quick_user(name=f"Attendee {n}")
            events.join_event(event=event, user=person, join_code=event.join_code)
            people.append(person)
        topics = []
        for n, (room_id, slot_id) in enumerate(cells):
            topic = board.propose_topic(event=event, user=people[n], data={"title": f"S{n}"})
            board.place_topic(topic=topic, user=organizer, room_id=room_id, slot_id=slot_id)
            topics.append(topic.id)
        weights = [1 / (rank + 1) ** 0.7 for rank in range(len(topics))]
        for person in people:
            chosen: set[int] = set()
            while len(chosen) < 5:
                chosen.add(rng.choices(topics, weights)[0])
            db.session.add_all(Interest(topic_id=t, user_id=person.id) for t in chosen)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("advisor-offloop")
    server = LiveServer(folder, OPENSPACE_ADVISOR_TIME_LIMIT="5")
    server.prepare(("db", "upgrade"), ("demo",))
    _crowded_board(f"sqlite:///{folder / 'live.db'}")
    server.start()
    yield server
    server.stop()


def test_other_requests_are_answered_while_the_advisor_searches(server):
    token = server.token("kristof@example.org")
    answers: list[requests.Response] = []
    ask = threading.Thread(target=lambda: answers.append(server.api(
        "POST", f"/events/{SLUG}/advisor/suggest", token, json={})))
    ask.start()
    answered_meanwhile = 0
    try:
        while not answers and answered_meanwhile < ANSWERED_MEANWHILE:
            reply = requests.get(f"{server.url}/api/v1/events/{SLUG}/board", timeout=60)
            assert reply.status_code == 200
            if not answers:
                answered_meanwhile += 1
    finally:
        ask.join(timeout=120)

    assert answered_meanwhile == ANSWERED_MEANWHILE, "the server stopped while it searched"
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json()["before"]["clashes"] > 0

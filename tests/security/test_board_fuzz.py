"""Random sequences of board operations by random users keep every invariant (hypothesis).

Operations: propose, place (which moves a placed topic), release, swap, merge, withdraw,
interest; actors: the organizer, the convener, a participant, an outsider and the organizer of
another event. A refusal must be a DomainError (never a database error leaking out) and change
nothing; after every step: one topic per cell, only session slots hold topics, no convener in
two rooms at once, merged/withdrawn topics hold no cell, and the board_changed signals carry
versions that are consecutive and end at the event's board_version.
"""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openspace.domain import board
from openspace.domain.errors import DomainError
from openspace.domain.signals import board_changed
from openspace.extensions import db
from openspace.models import Event, Slot, SlotKind, Topic, TopicStatus, User
from tests.security.conftest import ROLES, snapshot

# The anonymous cannot even call these (the transports refuse first); those with most rights
# come up more often, so that more of the steps succeed.
ACTORS = (*ROLES[1:], "organizer", "organizer", "convener")
OPS = ("propose", "place", "release", "swap", "merge", "withdraw", "interest", "uninterest")

step = st.tuples(st.sampled_from(OPS), st.sampled_from(ACTORS), st.integers(0, 7),
                 st.integers(0, 7), st.integers(0, 2), st.integers(0, 3))


def _apply(world, op, actor, a, b, room_i, slot_i):
    user = db.session.get(User, world.users[actor][0])
    event = db.session.get(Event, world.event_id)
    topics = list(db.session.scalars(sa.select(Topic).where(Topic.event_id == event.id)
                                     .order_by(Topic.id)))
    slots = list(db.session.scalars(sa.select(Slot.id).where(Slot.event_id == event.id)
                                    .order_by(Slot.starts_at)))
    first, second = topics[a % len(topics)], topics[b % len(topics)]
    if op == "propose":
        board.propose_topic(event=event, user=user, data={"title": f"T{len(topics)}"})
    elif op == "place":
        board.place_topic(topic=first, user=user, room_id=world.rooms[room_i],
                          slot_id=slots[slot_i % len(slots)])
    elif op == "release":
        board.release_topic(topic=first, user=user)
    elif op == "swap":
        board.swap_topics(first=first, second=second, user=user)
    elif op == "merge":
        board.merge_topics(duplicate=first, survivor=second, user=user)
    elif op == "withdraw":
        board.withdraw_topic(topic=first, user=user)
    else:
        board.set_interest(topic=first, user=user, interested=op == "interest")


def _check_invariants(world, versions):
    topics = list(db.session.scalars(sa.select(Topic).where(Topic.event_id == world.event_id)))
    placed = [t for t in topics if t.room_id is not None or t.slot_id is not None]
    cells = [(t.room_id, t.slot_id) for t in placed]
    assert len(cells) == len(set(cells)), "two topics in one cell"
    assert all(t.room_id is not None and t.slot_id is not None for t in placed)
    by_slot = [(t.convener_id, t.slot_id) for t in placed]
    assert len(by_slot) == len(set(by_slot)), "a convener in two places at once"
    for t in placed:
        assert t.status == TopicStatus.PLACED
        assert db.session.get(Slot, t.slot_id).kind == SlotKind.SESSION
    for t in topics:
        if t.status == TopicStatus.MERGED:
            assert t.merged_into_id is not None and t.room_id is None
        if t.status == TopicStatus.PROPOSED:
            assert t.room_id is None
    version = db.session.get(Event, world.event_id).board_version
    assert versions == list(range(versions[0], versions[0] + len(versions))) if versions else True
    assert (versions[-1] if versions else world.version0) == version


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_random_board_operations_keep_every_invariant(template, steps):
    world = template.reset()
    versions: list[int] = []

    def record(event_id, *, version, **_payload):
        if event_id == world.event_id:
            versions.append(version)

    board_changed.connect(record)
    try:
        with template.app.app_context():
            world.version0 = db.session.get(Event, world.event_id).board_version
            for op, actor, a, b, room_i, slot_i in steps:
                before, seen = snapshot(template.app), len(versions)
                try:
                    _apply(world, op, actor, a, b, room_i, slot_i)
                except DomainError:
                    db.session.rollback()
                    assert snapshot(template.app) == before, f"refused {op} changed rows"
                    assert len(versions) == seen, f"refused {op} was broadcast"
                db.session.expire_all()
                _check_invariants(world, versions)
    finally:
        board_changed.disconnect(record)

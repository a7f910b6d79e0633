"""The board rules: one topic per cell, conveners in one place per slot, locks, membership."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from openspace.domain import board, events
from openspace.domain.errors import (
    BoardLocked,
    Conflict,
    ConvenerBusy,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    SlotTaken,
    ValidationFailed,
)
from openspace.domain.signals import board_changed
from openspace.extensions import db
from openspace.models import Event, Room, Slot, SlotKind, Topic, TopicStatus, User

pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)


def load(model, obj):
    return db.session.get(model, obj.id)


def cell(event_id: int, room_name: str = "Atrium", slot_index: int = 0) -> tuple[int, int]:
    """(room_id, slot_id) of a session cell of the fixture event."""
    room = db.session.scalar(
        sa.select(Room).where(Room.event_id == event_id, Room.name == room_name))
    slots = db.session.scalars(
        sa.select(Slot).where(Slot.event_id == event_id, Slot.kind == SlotKind.SESSION)
        .order_by(Slot.starts_at)
    ).all()
    return room.id, slots[slot_index].id


@pytest.fixture
def setup(make_user, make_event, join):
    organizer = make_user(name="Kristof")
    event = make_event(organizer)
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    join(event, alice)
    join(event, bob)
    return event, organizer, alice, bob


@pytest.fixture
def signals():
    received: list[dict] = []

    def listener(event_id, **kwargs):
        received.append({"event_id": event_id, **kwargs})

    board_changed.connect(listener)
    yield received
    board_changed.disconnect(listener)


def test_propose_topic_makes_the_member_its_convener(ctx, setup):
    event, _, alice, _ = setup
    topic = board.propose_topic(event=load(Event, event), user=load(User, alice),
                                data={"title": "  Knowledge management ", "tags": "km, Tools,km"})
    assert topic.convener_id == alice.id
    assert topic.title == "Knowledge management"
    assert topic.tags == ["km", "tools"]
    assert topic.status == TopicStatus.PROPOSED
    assert topic.room_id is None


def test_propose_topic_refuses_non_members(ctx, setup, make_user):
    event, *_ = setup
    outsider = make_user()
    with pytest.raises(NotAllowed):
        board.propose_topic(event=load(Event, event), user=load(User, outsider),
                            data={"title": "Sneaky"})
    assert db.session.scalar(sa.select(sa.func.count(Topic.id))) == 0


def test_propose_topic_refuses_anonymous(ctx, setup):
    event, *_ = setup
    with pytest.raises(NotAuthenticated):
        board.propose_topic(event=load(Event, event), user=None, data={"title": "Anon"})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"title": 5}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"title": "nul\x00byte"}, "title"),
        ({"title": "ok", "description": "d" * 5001}, "description"),
        ({"title": "ok", "tags": [1, 2]}, "tags"),
        ({"title": "ok", "tags": ["t"] * 11 + [str(i) for i in range(11)]}, "tags"),
        ({"title": "ok", "convener_id": 1}, "convener_id"),
        ({"title": "ok", "event_id": 2}, "event_id"),
    ],
)
def test_propose_topic_rejects_bad_fields(ctx, setup, data, field):
    event, _, alice, _ = setup
    with pytest.raises(ValidationFailed) as caught:
        board.propose_topic(event=load(Event, event), user=load(User, alice), data=data)
    assert field in caught.value.fields
    assert db.session.scalar(sa.select(sa.func.count(Topic.id))) == 0


def test_place_topic_claims_a_free_cell(ctx, setup, make_topic):
    event, _, alice, _ = setup
    topic = make_topic(event, alice)
    room_id, slot_id = cell(event.id)
    placed = board.place_topic(topic=load(Topic, topic), user=load(User, alice),
                               room_id=room_id, slot_id=slot_id)
    assert (placed.room_id, placed.slot_id, placed.status) == (room_id, slot_id, TopicStatus.PLACED)


def test_place_topic_conflicts_when_cell_taken_naming_the_holder(ctx, setup, make_topic):
    event, _, alice, bob = setup
    first = make_topic(event, alice, "Marketing Drupal")
    second = make_topic(event, bob, "Fighting FUD")
    room_id, slot_id = cell(event.id)
    board.place_topic(topic=load(Topic, first), user=load(User, alice), room_id=room_id,
                      slot_id=slot_id)
    with pytest.raises(SlotTaken) as caught:
        board.place_topic(topic=load(Topic, second), user=load(User, bob), room_id=room_id,
                          slot_id=slot_id)
    assert caught.value.status == 409
    assert caught.value.to_dict()["holder"] == {"id": first.id, "title": "Marketing Drupal"}
    assert load(Topic, second).room_id is None


def test_place_topic_refuses_a_convener_in_two_rooms_at_once(ctx, setup, make_topic):
    event, _, alice, _ = setup
    first = make_topic(event, alice, "An app store")
    second = make_topic(event, alice, "Pitch session")
    atrium = cell(event.id, "Atrium")
    library = cell(event.id, "Library")
    board.place_topic(topic=load(Topic, first), user=load(User, alice), room_id=atrium[0],
                      slot_id=atrium[1])
    with pytest.raises(ConvenerBusy):
        board.place_topic(topic=load(Topic, second), user=load(User, alice),
                          room_id=library[0], slot_id=library[1])
    later = cell(event.id, "Library", 1)
    board.place_topic(topic=load(Topic, second), user=load(User, alice), room_id=later[0],
                      slot_id=later[1])
    assert load(Topic, second).slot_id == later[1]


def test_place_topic_moves_between_cells_and_frees_the_old_one(ctx, setup, make_topic):
    event, _, alice, bob = setup
    topic = make_topic(event, alice)
    a = cell(event.id, "Atrium")
    b = cell(event.id, "Library", 1)
    board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=a[0], slot_id=a[1])
    board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=b[0], slot_id=b[1])
    other = make_topic(event, bob, "Takes the freed cell")
    board.place_topic(topic=load(Topic, other), user=load(User, bob), room_id=a[0], slot_id=a[1])
    assert (load(Topic, topic).room_id, load(Topic, topic).slot_id) == b


def test_place_topic_refuses_plenary_and_break_slots(ctx, setup, make_topic):
    event, _, alice, _ = setup
    topic = make_topic(event, alice)
    plenary = db.session.scalar(sa.select(Slot).where(Slot.event_id == event.id,
                                                      Slot.kind == SlotKind.PLENARY))
    room_id, _ = cell(event.id)
    with pytest.raises(ValidationFailed) as caught:
        board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=room_id,
                          slot_id=plenary.id)
    assert "slot_id" in caught.value.fields


def test_place_topic_refuses_rooms_and_slots_of_another_event(ctx, setup, make_topic, make_event):
    event, _, alice, _ = setup
    other_event = make_event(slug="other-event")
    topic = make_topic(event, alice)
    foreign_room, foreign_slot = cell(other_event.id)
    room_id, slot_id = cell(event.id)
    with pytest.raises(NotFound):
        board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=foreign_room,
                          slot_id=slot_id)
    with pytest.raises(NotFound):
        board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=room_id,
                          slot_id=foreign_slot)


@pytest.mark.parametrize("bad", ["1", None, 1.5, True, [1]])
def test_place_topic_rejects_ids_that_are_not_integers(ctx, setup, make_topic, bad):
    event, _, alice, _ = setup
    topic = make_topic(event, alice)
    _, slot_id = cell(event.id)
    with pytest.raises(ValidationFailed) as caught:
        board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=bad,
                          slot_id=slot_id)
    assert "room_id" in caught.value.fields


def test_only_convener_or_organizer_may_place_a_topic(ctx, setup, make_topic):
    event, organizer, alice, bob = setup
    topic = make_topic(event, alice)
    room_id, slot_id = cell(event.id)
    with pytest.raises(NotAllowed):
        board.place_topic(topic=load(Topic, topic), user=load(User, bob), room_id=room_id,
                          slot_id=slot_id)
    board.place_topic(topic=load(Topic, topic), user=load(User, organizer), room_id=room_id,
                      slot_id=slot_id)
    assert load(Topic, topic).room_id == room_id


def test_locked_board_refuses_participants_but_not_organizers(ctx, setup, make_topic):
    event, organizer, alice, _ = setup
    topic = make_topic(event, alice)
    events.set_board_state(event=load(Event, event), user=load(User, organizer), state="locked")
    room_id, slot_id = cell(event.id)
    with pytest.raises(BoardLocked):
        board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=room_id,
                          slot_id=slot_id)
    with pytest.raises(BoardLocked):
        board.propose_topic(event=load(Event, event), user=load(User, alice), data={"title": "x"})
    with pytest.raises(BoardLocked):
        board.withdraw_topic(topic=load(Topic, topic), user=load(User, alice))
    board.place_topic(topic=load(Topic, topic), user=load(User, organizer), room_id=room_id,
                      slot_id=slot_id)
    assert load(Topic, topic).room_id == room_id


def test_release_topic_returns_it_to_the_marketplace(ctx, setup, make_topic):
    event, _, alice, _ = setup
    topic = make_topic(event, alice)
    room_id, slot_id = cell(event.id)
    board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=room_id,
                      slot_id=slot_id)
    released = board.release_topic(topic=load(Topic, topic), user=load(User, alice))
    assert (released.room_id, released.slot_id, released.status) == (None, None,
                                                                     TopicStatus.PROPOSED)


def test_withdraw_topic_frees_its_cell_and_leaves_the_board(ctx, setup, make_topic):
    event, _, alice, _ = setup
    topic = make_topic(event, alice)
    room_id, slot_id = cell(event.id)
    board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=room_id,
                      slot_id=slot_id)
    board.withdraw_topic(topic=load(Topic, topic), user=load(User, alice))
    snapshot = board.board_snapshot(load(Event, event))
    assert snapshot["topics"] == []
    with pytest.raises(Conflict):
        board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=room_id,
                          slot_id=slot_id)


def test_swap_topics_exchanges_cells_for_organizers_only(ctx, setup, make_topic):
    event, organizer, alice, bob = setup
    first = make_topic(event, alice, "Back-office tools")
    second = make_topic(event, bob, "Knowledge management")
    a = cell(event.id, "Atrium")
    b = cell(event.id, "Library")
    board.place_topic(topic=load(Topic, first), user=load(User, alice), room_id=a[0], slot_id=a[1])
    board.place_topic(topic=load(Topic, second), user=load(User, bob), room_id=b[0], slot_id=b[1])
    with pytest.raises(NotAllowed):
        board.swap_topics(first=load(Topic, first), second=load(Topic, second),
                          user=load(User, alice))
    board.swap_topics(first=load(Topic, first), second=load(Topic, second),
                      user=load(User, organizer))
    assert (load(Topic, first).room_id, load(Topic, first).slot_id) == b
    assert (load(Topic, second).room_id, load(Topic, second).slot_id) == a


def test_swap_topics_with_an_unplaced_one_moves_it_into_the_cell(ctx, setup, make_topic):
    event, organizer, alice, bob = setup
    placed = make_topic(event, alice)
    waiting = make_topic(event, bob, "Waiting")
    a = cell(event.id)
    board.place_topic(topic=load(Topic, placed), user=load(User, alice), room_id=a[0],
                      slot_id=a[1])
    board.swap_topics(first=load(Topic, placed), second=load(Topic, waiting),
                      user=load(User, organizer))
    assert load(Topic, placed).status == TopicStatus.PROPOSED
    assert (load(Topic, waiting).room_id, load(Topic, waiting).slot_id) == a


def test_swap_refuses_when_a_convener_would_be_in_two_places(ctx, setup, make_topic):
    event, organizer, alice, bob = setup
    first = make_topic(event, alice, "Alice at ten")
    other = make_topic(event, alice, "Alice at eleven")
    bobs = make_topic(event, bob, "Bob at eleven")
    a10 = cell(event.id, "Atrium", 0)
    l11 = cell(event.id, "Library", 1)
    a11 = cell(event.id, "Atrium", 1)
    for topic, user, (room_id, slot_id) in ((first, alice, a10), (other, alice, l11),
                                            (bobs, bob, a11)):
        board.place_topic(topic=load(Topic, topic), user=load(User, user), room_id=room_id,
                          slot_id=slot_id)
    with pytest.raises(ConvenerBusy):
        board.swap_topics(first=load(Topic, first), second=load(Topic, bobs),
                          user=load(User, organizer))
    assert (load(Topic, first).room_id, load(Topic, first).slot_id) == a10
    assert (load(Topic, bobs).room_id, load(Topic, bobs).slot_id) == a11


def test_merge_topics_points_to_survivor_and_carries_interest(ctx, setup, make_topic, make_user,
                                                              join):
    event, organizer, alice, bob = setup
    carol = make_user(name="Carol")
    join(event, carol)
    survivor = make_topic(event, alice, "Open sourcing our back-office")
    duplicate = make_topic(event, bob, "Sharing & building tools")
    board.set_interest(topic=load(Topic, duplicate), user=load(User, carol), interested=True)
    board.set_interest(topic=load(Topic, survivor), user=load(User, carol), interested=True)
    board.set_interest(topic=load(Topic, duplicate), user=load(User, alice), interested=True)
    with pytest.raises(NotAllowed):
        board.merge_topics(duplicate=load(Topic, duplicate), survivor=load(Topic, survivor),
                           user=load(User, bob))
    board.merge_topics(duplicate=load(Topic, duplicate), survivor=load(Topic, survivor),
                       user=load(User, organizer))
    merged = load(Topic, duplicate)
    assert merged.status == TopicStatus.MERGED
    assert merged.merged_into_id == survivor.id
    # Carol counted once; Bob (the duplicate's convener) now interested; Alice convenes it.
    assert sorted(i.user_id for i in load(Topic, survivor).interests) == sorted([carol.id, bob.id])


def test_set_interest_counts_once_and_flags_rooms_too_small(ctx, setup, make_topic, make_user,
                                                            join):
    event, _, alice, bob = setup
    topic = make_topic(event, alice)
    room_id, slot_id = cell(event.id, "Atrium")  # capacity 3
    board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=room_id,
                      slot_id=slot_id)
    people = [make_user() for _ in range(3)] + [bob]
    for person in people:
        join(event, person)
        board.set_interest(topic=load(Topic, topic), user=load(User, person), interested=True)
        board.set_interest(topic=load(Topic, topic), user=load(User, person), interested=True)
    topic = load(Topic, topic)
    assert topic.interest_count == 4
    assert topic.over_capacity is True
    board.set_interest(topic=topic, user=load(User, bob), interested=False)
    assert load(Topic, topic).interest_count == 3
    assert load(Topic, topic).over_capacity is False


def test_set_interest_refuses_non_members(ctx, setup, make_topic, make_user):
    event, _, alice, _ = setup
    topic = make_topic(event, alice)
    with pytest.raises(NotAllowed):
        board.set_interest(topic=load(Topic, topic), user=load(User, make_user()), interested=True)


def test_every_change_bumps_the_version_by_one_and_signals_after_commit(ctx, setup, make_topic,
                                                                        signals):
    event, organizer, alice, _ = setup
    start = load(Event, event).board_version
    topic = make_topic(event, alice)
    room_id, slot_id = cell(event.id)
    board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=room_id,
                      slot_id=slot_id)
    board.set_interest(topic=load(Topic, topic), user=load(User, organizer), interested=True)
    board.release_topic(topic=load(Topic, topic), user=load(User, alice))
    events.set_board_state(event=load(Event, event), user=load(User, organizer), state="locked")
    assert [s["version"] for s in signals] == list(range(start + 1, start + 6))
    assert [s["kind"] for s in signals] == ["proposed", "placed", "interest", "released",
                                            "board_state"]
    assert load(Event, event).board_version == start + 5
    # The signal carries the committed state, seen from a brand-new connection.
    with db.engine.connect() as other:
        assert other.execute(sa.select(Event.board_version).where(Event.id == event.id)
                             ).scalar_one() == start + 5


def test_refused_changes_neither_bump_the_version_nor_signal(ctx, setup, make_topic, signals):
    event, _, alice, bob = setup
    topic = make_topic(event, alice)
    signals.clear()
    before = load(Event, event).board_version
    room_id, slot_id = cell(event.id)
    with pytest.raises(NotAllowed):
        board.place_topic(topic=load(Topic, topic), user=load(User, bob), room_id=room_id,
                          slot_id=slot_id)
    board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=room_id,
                      slot_id=slot_id)
    board.place_topic(topic=load(Topic, topic), user=load(User, alice), room_id=room_id,
                      slot_id=slot_id)  # already there: no change
    assert load(Event, event).board_version == before + 1
    assert len(signals) == 1


def test_private_event_topics_are_invisible_to_non_members(ctx, make_user, make_event, make_topic):
    owner = make_user()
    event = make_event(owner, visibility="private", slug="secret")
    topic = make_topic(event, owner)
    with pytest.raises(NotFound):
        events.get_event("secret", load(User, make_user()))
    with pytest.raises(NotFound):
        board.get_topic(topic.id, None)
    assert board.get_topic(topic.id, load(User, owner)).id == topic.id


def test_now_and_next_follows_the_event_clock(ctx, setup, make_topic):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    event, _, alice, bob = setup
    first = make_topic(event, alice, "At ten")
    second = make_topic(event, bob, "At eleven")
    a10 = cell(event.id, "Atrium", 0)
    a11 = cell(event.id, "Atrium", 1)
    board.place_topic(topic=load(Topic, first), user=load(User, alice), room_id=a10[0],
                      slot_id=a10[1])
    board.place_topic(topic=load(Topic, second), user=load(User, bob), room_id=a11[0],
                      slot_id=a11[1])
    # 10:30 in Brussels is 09:30 UTC in November.
    now = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("UTC"))
    view = board.now_and_next(load(Event, event), now)
    atrium = next(r for r in view["rooms"] if r["room"].name == "Atrium")
    assert atrium["now"].title == "At ten"
    assert atrium["next"].title == "At eleven"


def _place_in_thread(app, topic_id: int, user_id: int, room_id: int, slot_id: int,
                     barrier: threading.Barrier, outcomes: list) -> None:
    with app.app_context():
        topic = db.session.get(Topic, topic_id)
        user = db.session.get(User, user_id)
        db.session.rollback()  # hand the connection back: 20 waiting threads outnumber the pool
        barrier.wait()
        try:
            board.place_topic(topic=topic, user=user, room_id=room_id, slot_id=slot_id)
            outcomes.append("won")
        except SlotTaken as error:
            outcomes.append(("taken", error.to_dict()["holder"]["id"]))
        except Exception as error:  # noqa: BLE001 - the test reports any other outcome
            outcomes.append(repr(error))
        finally:
            db.session.remove()


def test_twenty_concurrent_placements_into_one_cell_have_one_winner(app, make_user, make_event,
                                                                     join, make_topic):
    organizer = make_user()
    event = make_event(organizer)
    conveners = [make_user(name=f"Convener {i}") for i in range(20)]
    topics = []
    for person in conveners:
        join(event, person)
        topics.append(make_topic(event, person, f"Topic by {person.name}"))
    with app.app_context():
        room_id, slot_id = cell(event.id)
    barrier = threading.Barrier(20)
    outcomes: list = []
    threads = [
        threading.Thread(target=_place_in_thread,
                         args=(app, t.id, p.id, room_id, slot_id, barrier, outcomes))
        for t, p in zip(topics, conveners, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("won") == 1, outcomes
    with app.app_context():
        holders = db.session.scalars(
            sa.select(Topic).where(Topic.room_id == room_id, Topic.slot_id == slot_id)
        ).all()
        assert len(holders) == 1
        losers = [o for o in outcomes if o != "won"]
        assert losers == [("taken", holders[0].id)] * 19


# What the topic page offers, and why not: one rule (board.cell_refusal) ------------------------

def _offer_by_slot(topic, viewer):
    return {offer.slot.id: offer for offer in board.placement_offer(load(Topic, topic),
                                                                    load(User, viewer))}


def test_placement_offer_leaves_out_taken_cells_the_conveners_clash_and_plenaries(
        ctx, setup, make_topic):
    event, organizer, alice, bob = setup
    mine = make_topic(event, alice, "Mine elsewhere")
    holder = make_topic(event, bob, "Holder")
    topic = make_topic(event, alice, "To place")
    board.place_topic(topic=load(Topic, mine), user=load(User, alice),
                      **dict(zip(("room_id", "slot_id"), cell(event.id, "Atrium", 0),
                                 strict=True)))
    board.place_topic(topic=load(Topic, holder), user=load(User, bob),
                      **dict(zip(("room_id", "slot_id"), cell(event.id, "Atrium", 1),
                                 strict=True)))
    slots = {s.kind: s for s in load(Event, event).slots}
    first, second = cell(event.id, "Atrium", 0)[1], cell(event.id, "Atrium", 1)[1]

    offers = _offer_by_slot(topic, alice)
    organizers_view = _offer_by_slot(topic, organizer)

    assert offers[first].free == [] and offers[first].taken == []
    assert offers[first].closed == "You already convene \u201cMine elsewhere\u201d at that time."
    assert organizers_view[first].closed == (
        "Alice already convenes \u201cMine elsewhere\u201d at that time.")
    assert [room.name for room in offers[second].free] == ["Library"]
    assert [(room.name, title) for room, title in offers[second].taken] == [
        ("Atrium", "Holder")]
    assert offers[slots[SlotKind.PLENARY].id].free == []
    assert offers[slots[SlotKind.PLENARY].id].closed.startswith("That time is ")
    assert offers[slots[SlotKind.BREAK].id].closed.startswith("That time is ")


def test_every_cell_not_offered_is_refused_by_place_topic_with_the_offers_reason(
        ctx, setup, make_topic):
    event, _, alice, bob = setup
    mine = make_topic(event, alice, "Mine elsewhere")
    holder = make_topic(event, bob, "Holder")
    topic = make_topic(event, alice, "To place")
    for placed, user, (room_id, slot_id) in ((mine, alice, cell(event.id, "Atrium", 0)),
                                             (holder, bob, cell(event.id, "Library", 1))):
        board.place_topic(topic=load(Topic, placed), user=load(User, user), room_id=room_id,
                          slot_id=slot_id)
    offered = set()
    reasons = {}
    for offer in board.placement_offer(load(Topic, topic), load(User, alice)):
        offered |= {(room.id, offer.slot.id) for room in offer.free}
        for room in load(Event, event).rooms:
            if (room.id, offer.slot.id) not in offered:
                taken = dict((r.id, t) for r, t in offer.taken)
                reasons[(room.id, offer.slot.id)] = offer.closed or taken[room.id]

    refused = {}
    for room in load(Event, event).rooms:
        for slot in load(Event, event).slots:
            try:
                board.place_topic(topic=load(Topic, topic), user=load(User, alice),
                                  room_id=room.id, slot_id=slot.id)
                board.release_topic(topic=load(Topic, topic), user=load(User, alice))
            except (ConvenerBusy, SlotTaken, ValidationFailed) as error:
                refused[(room.id, slot.id)] = error.message

    all_cells = {(r.id, s.id) for r in load(Event, event).rooms for s in load(Event, event).slots}
    assert set(refused) == all_cells - offered
    for key, message in refused.items():
        assert reasons[key] in message  # the same words on the page as in the refusal


def test_convener_busy_speaks_to_the_convener_as_you(ctx, setup, make_topic):
    event, organizer, alice, _ = setup
    first = make_topic(event, alice, "First")
    second = make_topic(event, alice, "Second")
    board.place_topic(topic=load(Topic, first), user=load(User, alice),
                      room_id=cell(event.id, "Atrium")[0], slot_id=cell(event.id, "Atrium")[1])

    with pytest.raises(ConvenerBusy) as by_alice:
        board.place_topic(topic=load(Topic, second), user=load(User, alice),
                          room_id=cell(event.id, "Library")[0],
                          slot_id=cell(event.id, "Library")[1])
    with pytest.raises(ConvenerBusy) as by_organizer:
        board.place_topic(topic=load(Topic, second), user=load(User, organizer),
                          room_id=cell(event.id, "Library")[0],
                          slot_id=cell(event.id, "Library")[1])

    assert by_alice.value.message == "You already convene \u201cFirst\u201d at that time."
    assert by_organizer.value.message == "Alice already convenes \u201cFirst\u201d at that time."


# Undoing a merge ---------------------------------------------------------------------------------

def test_undo_merge_restores_the_duplicate_its_cell_and_the_survivors_interest(
        ctx, setup, make_topic, make_user, join, signals):
    event, organizer, alice, bob = setup
    carol, dave = make_user(name="Carol"), make_user(name="Dave")
    join(event, carol)
    join(event, dave)
    survivor = make_topic(event, alice, "Open sourcing our back-office")
    duplicate = make_topic(event, bob, "Sharing & building tools")
    room_id, slot_id = cell(event.id, "Library", 1)
    board.place_topic(topic=load(Topic, duplicate), user=load(User, bob), room_id=room_id,
                      slot_id=slot_id)
    board.set_interest(topic=load(Topic, survivor), user=load(User, carol), interested=True)
    for user in (carol, dave):
        board.set_interest(topic=load(Topic, duplicate), user=load(User, user), interested=True)
    before = sorted(i.user_id for i in load(Topic, survivor).interests)

    _, undo = board.merge_topics_undoable(duplicate=load(Topic, duplicate),
                                          survivor=load(Topic, survivor),
                                          user=load(User, organizer))
    version = load(Event, event).board_version
    del signals[:]
    with pytest.raises(NotAllowed):
        board.undo_merge(undo=undo, user=load(User, bob))
    board.undo_merge(undo=undo, user=load(User, organizer))

    back = load(Topic, duplicate)
    assert sorted(undo.carried) == sorted([bob.id, dave.id])  # Carol was there already
    assert (back.status, back.merged_into_id) == (TopicStatus.PLACED, None)
    assert (back.room_id, back.slot_id) == (room_id, slot_id)
    assert sorted(i.user_id for i in back.interests) == sorted([carol.id, dave.id])
    assert sorted(i.user_id for i in load(Topic, survivor).interests) == before
    assert load(Event, event).board_version == version + 1
    assert [(s["kind"], s["version"]) for s in signals] == [("unmerged", version + 1)]
    assert [t["id"] for t in signals[0]["topics"]] == [duplicate.id, survivor.id]
    with pytest.raises(Conflict):  # only once
        board.undo_merge(undo=undo, user=load(User, organizer))


def test_undo_merge_puts_the_duplicate_on_the_marketplace_when_its_cell_was_taken(
        ctx, setup, make_topic):
    event, organizer, alice, bob = setup
    survivor = make_topic(event, alice, "Survivor")
    duplicate = make_topic(event, bob, "Duplicate")
    newcomer = make_topic(event, alice, "Newcomer")
    room_id, slot_id = cell(event.id, "Library", 1)
    board.place_topic(topic=load(Topic, duplicate), user=load(User, bob), room_id=room_id,
                      slot_id=slot_id)
    _, undo = board.merge_topics_undoable(duplicate=load(Topic, duplicate),
                                          survivor=load(Topic, survivor),
                                          user=load(User, organizer))
    board.place_topic(topic=load(Topic, newcomer), user=load(User, alice), room_id=room_id,
                      slot_id=slot_id)

    board.undo_merge(undo=undo, user=load(User, organizer))

    back = load(Topic, duplicate)
    assert (back.status, back.room_id, back.slot_id) == (TopicStatus.PROPOSED, None, None)
    assert load(Topic, newcomer).room_id == room_id


@pytest.mark.parametrize("data", [
    None, [], {}, {"duplicate": 1, "survivor": 2, "carried": "x", "room": None, "slot": None},
    {"duplicate": "1", "survivor": 2, "carried": [], "room": None, "slot": None},
    {"duplicate": 1, "survivor": 2, "carried": [0], "room": None, "slot": None},
    {"duplicate": 1, "survivor": 2, "carried": [], "room": 3, "slot": None},
])
def test_merge_undo_from_dict_refuses_what_it_did_not_write(data):
    with pytest.raises(ValidationFailed):
        board.MergeUndo.from_dict(data)

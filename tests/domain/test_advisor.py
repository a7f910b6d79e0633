"""The schedule advisor: small boards whose best answer is known, the rules it keeps (pins,
conveners' times, independent moves), what it explains, and applying its moves on a real board."""

from __future__ import annotations

import itertools
import random

import pytest
import sqlalchemy as sa

from openspace.domain import advisor, board
from openspace.domain.advisor import Problem, changes, greedy, score, solve
from openspace.domain.errors import NotAllowed, ValidationFailed
from openspace.domain.signals import board_changed
from openspace.extensions import db
from openspace.models import Event, Interest, Room, Slot, SlotKind, Topic, User

# Two time slots x two rooms: cells 0, 1 at slot 0 and 2, 3 at slot 1.
TWO_BY_TWO = {"cell_slot": [0, 0, 1, 1], "cell_capacity": [None, None, None, None]}


def problem(**values) -> Problem:
    data = {**TWO_BY_TWO, **values}
    count = len(data["topic_cell"])
    data.setdefault("topic_convener", list(range(100, 100 + count)))
    data.setdefault("topic_interest", [0] * count)
    data.setdefault("choices", [])
    return Problem(**data)


def run(p: Problem, **kw):
    solution = solve(p, time_limit=5, workers=1, **kw)
    return solution, score(p, solution.assignment), changes(p, solution.assignment)


def codes(p: Problem, solution, *, max_moves=10, unplaced=0) -> list[str]:
    after = score(p, solution.assignment)
    titles = [f"T{t}" for t in range(len(p.topic_cell))]
    return [item["code"] for item in advisor.explain(p, solution, after, titles=titles,
                                                     max_moves=max_moves, unplaced=unplaced)]


def test_a_clash_is_resolved_by_one_move_into_the_free_cell(app):
    # Topics 0 and 1 run at slot 0, topic 2 at slot 1; cell 3 is free. One attendee wants 0 and 1.
    p = problem(topic_cell=[0, 1, 2], choices=[(0, 1)])
    solution, after, found = run(p)
    assert (score(p, p.topic_cell).clashes, after.clashes) == (1, 0)
    assert solution.status == "optimal"
    assert len(found) == 1 and found[0].target == 3 and found[0].partner is None
    assert found[0].gains.clashes == 1
    assert solution.moved == 1


def test_without_a_free_cell_a_swap_resolves_the_clash(app):
    p = problem(topic_cell=[0, 1, 2, 3], choices=[(0, 1)])
    solution, after, found = run(p)
    assert after.clashes == 0
    assert [(c.partner is not None) for c in found] == [True]
    assert solution.moved == 2


def test_pinned_topics_never_move(app):
    p = problem(topic_cell=[0, 1, 2], choices=[(0, 1)], pinned={0})
    solution, after, found = run(p)
    assert after.clashes == 0
    assert [c.topic for c in found] == [1]  # the other one moved
    p = problem(topic_cell=[0, 1, 2], choices=[(0, 1)], pinned={0, 1})
    solution, after, found = run(p)
    assert (found, after.clashes, solution.assignment) == ([], 1, [0, 1, 2])
    assert "pinned_clash" in codes(p, solution)


def test_a_crowded_topic_trades_rooms_with_a_small_one(app):
    # Cell 0 seats 3, cell 1 seats 20 (same slot): 15 people want topic 0, one wants topic 1.
    p = problem(cell_capacity=[3, 20, 3, 20], topic_cell=[0, 1], topic_interest=[15, 1])
    solution, after, found = run(p)
    assert (score(p, p.topic_cell).over_capacity, after.over_capacity) == (12, 0)
    assert len(found) == 1
    assert found[0].gains.over_capacity == 12
    assert p.cell_capacity[solution.assignment[0]] == 20


def test_a_convener_is_never_put_in_two_places(app):
    # Topics 0 and 2 have one convener (slots 0 and 1): topic 0 may not go to slot 1, and the
    # clash of 0 and 1 can only be resolved by moving topic 1.
    p = problem(topic_cell=[0, 1, 2], topic_convener=[7, 8, 7], choices=[(0, 1)])
    solution, after, found = run(p)
    assert after.clashes == 0
    assert [c.topic for c in found] == [1]
    # Swapping the convener's own two topics is fine (still one place per slot) ...
    p.pinned = {1}
    solution, after, found = run(p)
    assert [(c.topic, c.partner) for c in found] == [(0, 2)]
    # ... but with that pinned too, topic 0 could only go to slot 1, where its convener
    # already convenes: the clash stays, explained.
    p.pinned = {1, 2}
    solution, after, found = run(p)
    assert (found, after.clashes) == ([], 1)
    assert codes(p, solution) == ["optimal"]


def test_nothing_to_improve_is_said_so(app):
    p = problem(topic_cell=[0, 2], choices=[(0, 1)])
    solution, after, found = run(p)
    assert found == []
    assert codes(p, solution, unplaced=2) == ["unplaced", "nothing_to_improve"]
    empty = problem(topic_cell=[])
    assert codes(empty, solve(empty)) == ["empty_board"]


def test_an_attendee_with_more_choices_than_slots_keeps_a_clash(app):
    p = problem(topic_cell=[0, 1, 2], choices=[(0, 1, 2)])
    solution, after, found = run(p)
    assert after.clashes == 1
    assert codes(p, solution)[:1] == ["too_many_choices"]


def test_a_topic_bigger_than_every_room_is_named(app):
    p = problem(cell_capacity=[10, 20, 10, 20], topic_cell=[1], topic_interest=[50])
    solution, after, found = run(p)
    assert (after.over_capacity, found) == (30, [])
    assert codes(p, solution) == ["room_too_small", "optimal"]


def test_the_move_limit_is_kept_and_said(app):
    # Two independent clashes (0/1 in slot 0, 4/5 in slot 2), one move allowed.
    p = problem(cell_slot=[0, 0, 1, 1, 2, 2, 3, 3], cell_capacity=[None] * 8,
                topic_cell=[0, 1, 2, 4, 5, 6], choices=[(0, 1), (3, 4)])
    solution, after, found = run(p, max_moves=1)
    assert (solution.moved, after.clashes, len(found)) == (1, 1, 1)
    assert "move_limit" in codes(p, solution, max_moves=1)
    solution, after, found = run(p, max_moves=2)
    assert (solution.moved, after.clashes) == (2, 0)


def _valid(p: Problem, assignment) -> bool:
    cells = list(assignment)
    by_slot = [(p.topic_convener[t], p.cell_slot[c]) for t, c in enumerate(cells)]
    return len(set(cells)) == len(cells) and len(set(by_slot)) == len(by_slot)


@pytest.mark.parametrize("seed", range(6))
def test_every_subset_of_the_moves_can_be_applied_alone(app, seed):
    rng = random.Random(seed)
    slots, rooms = 3, 3
    cell_slot = [s for s in range(slots) for _ in range(rooms)]
    topic_cell = rng.sample(range(slots * rooms), 7)
    p = Problem(cell_slot=cell_slot, cell_capacity=[rng.choice([2, 5, None]) for _ in cell_slot],
                topic_cell=topic_cell, topic_convener=[rng.randrange(4) for _ in topic_cell],
                topic_interest=[rng.randrange(8) for _ in topic_cell],
                choices=[tuple(rng.sample(range(7), 2)) for _ in range(12)],
                pinned={rng.randrange(7)})
    # Conveners of the random board must start in one place per slot.
    if not _valid(p, p.topic_cell):
        p.topic_convener = list(range(len(topic_cell)))
    solution, after, found = run(p)
    assert after.clashes + after.over_capacity <= sum(
        (lambda s: (s.clashes, s.over_capacity))(score(p, greedy(p))))
    assert all(p.topic_cell[t] == solution.assignment[t] for t in p.pinned)
    for size in range(len(found) + 1):
        for subset in itertools.combinations(found, size):
            cells = list(p.topic_cell)
            for change in subset:
                if change.partner is not None:
                    cells[change.partner] = p.topic_cell[change.topic]
                cells[change.topic] = change.target
            assert _valid(p, cells)


# On a real board --------------------------------------------------------------------------

def _cells(event_id):
    rooms = {r.name: r.id for r in db.session.scalars(sa.select(Room).where(
        Room.event_id == event_id))}
    slots = db.session.scalars(sa.select(Slot).where(
        Slot.event_id == event_id, Slot.kind == SlotKind.SESSION).order_by(Slot.starts_at)).all()
    return rooms, [s.id for s in slots]


@pytest.fixture
def clashing(ctx, make_user, make_event, join, make_topic):
    """Two sessions at 10:00 that one attendee both wants; 11:00 has both rooms free."""
    organizer = make_user(name="Kristof")
    event = make_event(organizer)
    alice, bob, carol = (make_user(name=n) for n in ("Alice", "Bob", "Carol"))
    for person in (alice, bob, carol):
        join(event, person)
    rooms, slots = _cells(event.id)
    first = make_topic(event, alice, "Headless CMS")
    second = make_topic(event, bob, "Hiring juniors")
    for topic, room in ((first, "Atrium"), (second, "Library")):
        board.place_topic(topic=db.session.get(Topic, topic.id), user=db.session.get(
            User, organizer.id), room_id=rooms[room], slot_id=slots[0])
    for topic in (first, second):
        board.set_interest(topic=db.session.get(Topic, topic.id),
                           user=db.session.get(User, carol.id), interested=True)
    return db.session.get(Event, event.id), db.session.get(User, organizer.id), carol, rooms, \
        slots, first, second


def test_suggest_reads_the_board_and_names_the_move(clashing):
    event, organizer, carol, rooms, slots, first, second = clashing
    answer = advisor.suggest(event=event, user=organizer, data={})
    assert answer["version"] == event.board_version
    assert answer["before"]["clashes"] == 1 and answer["after"]["clashes"] == 0
    assert answer["status"] == "optimal"
    (move,) = answer["moves"]
    assert move["kind"] == "move" and move["with"] is None
    assert move["to"]["slot_id"] == slots[1]
    assert move["gains"] == {"clashes": 1, "over_capacity": 0, "rooms_over_capacity": 0}
    # Pinning the topic that moved moves the other one.
    pinned = advisor.suggest(event=event, user=organizer, data={"pinned": [move["topic"]["id"]]})
    assert [m["topic"]["id"] for m in pinned["moves"]] == [
        ({first.id, second.id} - {move["topic"]["id"]}).pop()]
    assert pinned["pinned"] == [move["topic"]["id"]]


def test_only_organizers_get_advice(clashing):
    event, organizer, carol, *_ = clashing
    with pytest.raises(NotAllowed):
        advisor.suggest(event=event, user=db.session.get(User, carol.id), data={})
    with pytest.raises(NotAllowed):
        advisor.apply_moves(event=event, user=db.session.get(User, carol.id),
                            data={"moves": []})


def test_applying_a_move_is_an_ordinary_board_change(clashing):
    event, organizer, *_ = clashing
    answer = advisor.suggest(event=event, user=organizer, data={})
    move = answer["moves"][0]
    request = {"kind": "move", "topic_id": move["topic"]["id"], "from": move["from"],
               "to": move["to"]}
    received = []

    def receiver(event_id, **kw):
        received.append(kw)

    # (connected_to, never receivers.clear(): that would also drop the app's own receivers,
    # the broadcasts, for every later test in this process.)
    with board_changed.connected_to(receiver):
        result = advisor.apply_moves(event=event, user=organizer, data={"moves": [request]})
    assert result["applied"] == 1
    assert result["version"] == answer["version"] + 1
    assert [(r["kind"], r["version"]) for r in received] == [("moved", answer["version"] + 1)]
    topic = db.session.get(Topic, move["topic"]["id"])
    assert (topic.room_id, topic.slot_id) == (move["to"]["room_id"], move["to"]["slot_id"])
    # The same move again: the topic is no longer where the suggestion found it.
    again = advisor.apply_moves(event=event, user=organizer, data={"moves": [request]})
    assert again["applied"] == 0
    assert again["results"][0]["error"]["code"] == "board_changed"
    assert db.session.get(Event, event.id).board_version == answer["version"] + 1


def test_a_move_whose_cell_was_taken_meanwhile_fails_alone(clashing, make_topic):
    event, organizer, carol, rooms, slots, first, second = clashing
    answer = advisor.suggest(event=event, user=organizer, data={})
    move = answer["moves"][0]
    squatter = make_topic(event, db.session.get(User, carol.id), "Squatter")
    board.place_topic(topic=db.session.get(Topic, squatter.id), user=organizer,
                      room_id=move["to"]["room_id"], slot_id=move["to"]["slot_id"])
    request = {"kind": "move", "topic_id": move["topic"]["id"], "from": move["from"],
               "to": move["to"]}
    result = advisor.apply_moves(event=event, user=organizer, data={"moves": [request]})
    assert result["results"][0]["error"]["code"] == "slot_taken"
    topic = db.session.get(Topic, move["topic"]["id"])
    assert (topic.room_id, topic.slot_id) == (move["from"]["room_id"], move["from"]["slot_id"])


def test_a_swap_is_applied_as_one_board_change(clashing, make_user, join):
    event, organizer, carol, rooms, slots, first, second = clashing
    # Fill 11:00 so only a swap can help: two more topics (by the organizer and Dave).
    dave = make_user(name="Dave")
    join(event, dave)
    for who, room in ((organizer, "Atrium"), (db.session.get(User, dave.id), "Library")):
        extra = board.propose_topic(event=event, user=who, data={"title": f"Late {room}"})
        board.place_topic(topic=extra, user=organizer, room_id=rooms[room], slot_id=slots[1])
    answer = advisor.suggest(event=event, user=organizer, data={})
    (move,) = answer["moves"]
    assert move["kind"] == "swap"
    request = {"kind": "swap", "topic_id": move["topic"]["id"], "from": move["from"],
               "to": move["to"], "with_topic_id": move["with"]["id"]}
    result = advisor.apply_moves(event=event, user=organizer, data={"moves": [request]})
    assert result["applied"] == 1 and result["version"] == answer["version"] + 1
    assert advisor.suggest(event=event, user=organizer, data={})["before"]["clashes"] == 0


@pytest.mark.parametrize(("data", "field"), [
    ({"pinned": "7"}, "pinned"),
    ({"pinned": [True]}, "pinned"),
    ({"pinned": [0]}, "pinned"),
    ({"pinned": list(range(1, 2002))}, "pinned"),
    ({"max_moves": 0}, "max_moves"),
    ({"max_moves": 51}, "max_moves"),
    ({"max_moves": "ten"}, "max_moves"),
    ({"bogus": 1}, "bogus"),
])
def test_bad_suggest_input_names_the_field(clashing, data, field):
    event, organizer, *_ = clashing
    with pytest.raises(ValidationFailed) as caught:
        advisor.suggest(event=event, user=organizer, data=data)
    assert field in caught.value.fields


def test_pinning_a_topic_of_another_event_is_refused(clashing, make_event, make_topic):
    event, organizer, *_ = clashing
    other = make_event(organizer, name="Elsewhere")
    stranger = make_topic(other, organizer, "Elsewhere topic")
    with pytest.raises(Exception) as caught:
        advisor.suggest(event=event, user=organizer, data={"pinned": [stranger.id]})
    assert caught.value.code == "not_found" and "pinned" in caught.value.fields


CELL = {"room_id": 1, "slot_id": 1}


@pytest.mark.parametrize(("data", "field"), [
    ({}, "moves"),
    ({"moves": []}, "moves"),
    ({"moves": "all"}, "moves"),
    ({"moves": [7]}, "moves.0"),
    ({"moves": [{"kind": "jump", "topic_id": 1, "from": CELL, "to": CELL}]}, "moves.0.kind"),
    ({"moves": [{"kind": "move", "topic_id": "1", "from": CELL, "to": CELL}]},
     "moves.0.topic_id"),
    ({"moves": [{"kind": "move", "topic_id": 1, "from": [1, 1], "to": CELL}]}, "moves.0.from"),
    ({"moves": [{"kind": "move", "topic_id": 1, "from": CELL, "to": {"room_id": 1}}]},
     "moves.0.to"),
    ({"moves": [{"kind": "swap", "topic_id": 1, "from": CELL, "to": CELL}]},
     "moves.0.with_topic_id"),
    ({"moves": [{"kind": "move", "topic_id": 1, "from": CELL, "to": CELL,
                 "with_topic_id": 2}]}, "moves.0.with_topic_id"),
    ({"moves": [{"kind": "move", "topic_id": 1, "from": CELL, "to": CELL,
                 "with_topic_id": None}]}, "moves.0.with_topic_id"),
    ({"moves": [{"kind": "move", "topic_id": 1, "from": CELL, "to": CELL, "x": 1}]},
     "moves.0.x"),
    ({"moves": [{"kind": "move", "topic_id": 1, "from": CELL, "to": CELL}] * 101}, "moves"),
])
def test_bad_apply_input_names_the_field(clashing, data, field):
    event, organizer, *_ = clashing
    with pytest.raises(ValidationFailed) as caught:
        advisor.apply_moves(event=event, user=organizer, data=data)
    assert field in caught.value.fields


def test_interest_counts_and_conveners_come_from_the_board(clashing):
    event, organizer, carol, rooms, slots, first, second = clashing
    read = advisor.read_board(event)
    assert read.problem.topic_interest == [1, 1]
    # Carol chose both; the conveners chose their own (one each: no clash of their own).
    assert read.problem.choices == [(0, 1)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Interest)) == 2


def test_a_search_cut_short_is_never_worse_than_greedy(app):
    # However little time the solver gets, it answers at least what its greedy start found
    # (a search stopped before it took up its hint used to answer the board unchanged).
    rng = random.Random(7)
    cell_slot = [s for s in range(4) for _ in range(4)]
    p = Problem(cell_slot=cell_slot, cell_capacity=[rng.choice([5, 10, 20]) for _ in cell_slot],
                topic_cell=rng.sample(range(16), 14), topic_convener=list(range(14)),
                topic_interest=[rng.randrange(25) for _ in range(14)],
                choices=[tuple(rng.sample(range(14), 3)) for _ in range(60)])

    def cost(assignment):
        s = score(p, assignment)
        return s.clashes + s.over_capacity

    # With no time at all, greedy still takes its first (best) step, and that stands.
    first_step = cost(greedy(p, max_moves=4, deadline=0.0))
    assert first_step < cost(p.topic_cell)
    solution = solve(p, max_moves=4, time_limit=0.0, workers=1)
    assert cost(solution.assignment) <= first_step
    assert solution.moved <= 4
    # With time, at least the whole greedy answer.
    solution = solve(p, max_moves=4, time_limit=30, workers=1)
    assert cost(solution.assignment) <= cost(greedy(p, max_moves=4))


def test_a_search_stopped_by_the_time_limit_says_so_in_the_reader_s_numbers(app):
    from openspace.i18n import in_language

    p = problem(topic_cell=[0, 1, 2], choices=[(0, 1)])
    stopped = advisor.Solution([0, 1, 2], "feasible", 4.46, 0)
    with app.test_request_context(), in_language("de"):
        items = advisor.explain(p, stopped, score(p, p.topic_cell), titles=["A", "B", "C"],
                                max_moves=10, unplaced=0)
    (message,) = [i["message"] for i in items if i["code"] == "time_limit"]
    assert "4,5 Sekunden" in message

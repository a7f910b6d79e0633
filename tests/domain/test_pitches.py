"""The opening marketplace's pitch queue: joining (own topics, once, while open), the order,
next / done / leave, the settings, one signal per change, and many phones joining at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openspace.domain import board, pitches
from openspace.domain.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from openspace.domain.signals import pitch_changed
from openspace.extensions import db
from openspace.models import Event, Pitch, PitchState, Topic, User

pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)


def load(model, obj):
    return db.session.get(model, obj.id)


@pytest.fixture
def setup(ctx, make_user, make_event, join, make_topic):
    organizer = make_user(name="Kristof")
    event = make_event(organizer)
    people = [make_user(name=name) for name in ("Alice", "Bob", "Chloe", "Dirk", "Eva")]
    topics = []
    for person in people:
        join(event, person)
        topics.append(make_topic(event, person, f"{person.name}'s topic"))
    pitches.update_queue(event=load(Event, event), user=load(User, organizer),
                         data={"open": True})
    return event, organizer, people, topics


@pytest.fixture
def signals():
    received: list[dict] = []

    def listener(event_id, **kwargs):
        received.append({"event_id": event_id, **kwargs})

    pitch_changed.connect(listener)
    yield received
    pitch_changed.disconnect(listener)


def queue(event, person, topic):
    return pitches.join_queue(event=load(Event, event), user=load(User, person),
                              topic=load(Topic, topic))


def nxt(event, organizer, **kwargs):
    return pitches.next_pitch(event=load(Event, event), user=load(User, organizer), **kwargs)


def test_conveners_queue_their_topics_in_the_order_they_tap(setup):
    event, organizer, people, topics = setup
    ids = [queue(event, p, t)[0].id for p, t in zip(people, topics, strict=True)]

    state = pitches.queue_state(load(Event, event))

    assert state["order"] == ids
    assert state["waiting"] == 5
    assert state["current"] is None
    assert [p["topic"]["title"] for p in state["next"]] == [
        "Alice's topic", "Bob's topic", "Chloe's topic"]
    assert state["next"][0]["convener"]["name"] == "Alice"
    assert (state["open"], state["seconds"]) == (True, 60)


def test_joining_is_refused_when_closed_twice_for_others_or_for_a_withdrawn_topic(
        setup, make_user, make_topic):
    event, organizer, people, topics = setup
    alice, bob = people[0], people[1]
    with pytest.raises(NotAllowed):  # Bob cannot queue Alice's topic
        queue(event, bob, topics[0])
    queue(event, alice, topics[0])
    with pytest.raises(Conflict) as twice:
        queue(event, alice, topics[0])
    assert twice.value.code == "already_queued"
    board.withdraw_topic(topic=load(Topic, topics[1]), user=load(User, bob))
    with pytest.raises(Conflict) as withdrawn:
        queue(event, bob, topics[1])
    assert withdrawn.value.code == "topic_inactive"
    outsider = make_user(name="Oscar")
    with pytest.raises(NotAllowed):
        queue(event, outsider, topics[2])
    pitches.update_queue(event=load(Event, event), user=load(User, organizer),
                         data={"open": False})
    with pytest.raises(Conflict) as closed:
        queue(event, people[2], topics[2])
    assert closed.value.code == "queue_closed"
    assert pitches.queue_state(load(Event, event))["waiting"] == 1


def test_an_organizer_may_queue_a_conveners_topic_for_them(setup):
    event, organizer, people, topics = setup

    pitch, state = queue(event, organizer, topics[3])

    assert state["order"] == [pitch.id]
    assert load(Pitch, pitch).queued_by_id == organizer.id


def test_a_topic_of_another_event_cannot_join_this_queue(setup, make_event, make_topic):
    event, organizer, people, topics = setup
    other = make_event(organizer, name="Elsewhere", slug="elsewhere")
    foreign = make_topic(other, organizer, "Foreign")

    with pytest.raises(NotFound):
        queue(event, organizer, foreign)


def test_next_starts_the_first_in_line_and_ends_the_current_pitch(setup):
    event, organizer, people, topics = setup
    first, _ = queue(event, people[0], topics[0])
    second, _ = queue(event, people[1], topics[1])

    state = nxt(event, organizer)
    assert state["current"]["id"] == first.id
    started = load(Pitch, first).started_at
    assert state["current"]["ends_at"] == pitches._iso(started + timedelta(seconds=60))
    assert state["order"] == [second.id]

    state = nxt(event, organizer, current_id=first.id)
    assert state["current"]["id"] == second.id
    assert load(Pitch, first).state == PitchState.DONE
    assert state["waiting"] == 0

    state = nxt(event, organizer, current_id=second.id)
    assert state["current"] is None
    with pytest.raises(Conflict) as empty:
        nxt(event, organizer)
    assert empty.value.code == "queue_empty"


def test_a_second_tap_on_next_does_not_skip_anyone(setup):
    event, organizer, people, topics = setup
    first, _ = queue(event, people[0], topics[0])
    queue(event, people[1], topics[1])
    nxt(event, organizer, current_id=None)

    with pytest.raises(Conflict) as stale:
        nxt(event, organizer, current_id=None)  # the same tap again: it saw nobody on

    assert stale.value.code == "queue_changed"
    assert pitches.queue_state(load(Event, event))["current"]["id"] == first.id


@pytest.mark.parametrize("bad", [True, "abc", -1, 1.5, [1]])
def test_next_names_a_bad_current_id(setup, bad):
    event, organizer, people, topics = setup
    with pytest.raises(ValidationFailed) as error:
        nxt(event, organizer, current_id=bad)
    assert set(error.value.fields) == {"current_id"}


def test_only_organizers_call_next(setup):
    event, organizer, people, topics = setup
    queue(event, people[0], topics[0])
    with pytest.raises(NotAllowed):
        nxt(event, people[0])


def test_the_convener_announcing_says_done_and_the_next_one_starts(setup):
    event, organizer, people, topics = setup
    first, _ = queue(event, people[0], topics[0])
    second, _ = queue(event, people[1], topics[1])
    nxt(event, organizer)
    with pytest.raises(NotAllowed):  # Bob cannot end Alice's pitch
        pitches.finish_pitch(event=load(Event, event), user=load(User, people[1]),
                             pitch=load(Pitch, first))
    with pytest.raises(Conflict) as waiting:
        pitches.finish_pitch(event=load(Event, event), user=load(User, people[1]),
                             pitch=load(Pitch, second))
    assert waiting.value.code == "not_current"

    state = pitches.finish_pitch(event=load(Event, event), user=load(User, people[0]),
                                 pitch=load(Pitch, first))

    assert state["current"]["id"] == second.id
    assert load(Pitch, first).state == PitchState.DONE
    with pytest.raises(Conflict) as again:
        queue(event, people[0], topics[0])
    assert again.value.code == "already_announced"


def test_leaving_the_queue_and_queueing_again_goes_to_its_end(setup):
    event, organizer, people, topics = setup
    first, _ = queue(event, people[0], topics[0])
    second, _ = queue(event, people[1], topics[1])

    state = pitches.leave_queue(event=load(Event, event), user=load(User, people[0]),
                                pitch=load(Pitch, first))
    assert state["order"] == [second.id]
    assert load(Pitch, first).state == PitchState.LEFT
    with pytest.raises(Conflict) as gone:
        pitches.leave_queue(event=load(Event, event), user=load(User, people[0]),
                            pitch=load(Pitch, first))
    assert gone.value.code == "not_queued"

    again, state = queue(event, people[0], topics[0])
    assert again.id == first.id
    assert state["order"] == [second.id, first.id]


def test_leaving_while_announcing_ends_the_pitch(setup):
    event, organizer, people, topics = setup
    first, _ = queue(event, people[0], topics[0])
    second, _ = queue(event, people[1], topics[1])
    nxt(event, organizer)

    state = pitches.leave_queue(event=load(Event, event), user=load(User, people[0]),
                                pitch=load(Pitch, first))

    assert state["current"]["id"] == second.id


def test_a_topic_withdrawn_while_waiting_is_skipped(setup):
    event, organizer, people, topics = setup
    queue(event, people[0], topics[0])
    third, _ = queue(event, people[2], topics[2])
    board.withdraw_topic(topic=load(Topic, topics[0]), user=load(User, people[0]))
    assert pitches.queue_state(load(Event, event))["order"] == [third.id]

    state = nxt(event, organizer)

    assert state["current"]["id"] == third.id
    withdrawn = db.session.scalar(sa.select(Pitch).where(Pitch.topic_id == topics[0].id))
    assert withdrawn.state == PitchState.LEFT


def test_places_and_waits_of_my_topics(setup):
    event, organizer, people, topics = setup
    for person, topic in zip(people[:3], topics[:3], strict=True):
        queue(event, person, topic)
    state = nxt(event, organizer)  # Alice announces; Bob is first in line, Chloe second

    chloe = pitches.mine(load(Event, event), load(User, people[2]), state)
    alice = pitches.mine(load(Event, event), load(User, people[0]), state)

    assert [(m["place"], m["minutes"]) for m in chloe] == [(2, 2)]  # <= 60 s left + 60 s
    assert [m["place"] for m in alice] == [None]  # announcing now
    assert pitches.mine(load(Event, event), None, state) == []
    assert [t.title for t in pitches.queueable(load(Event, event), load(User, people[3]))] == [
        "Dirk's topic"]
    assert pitches.queueable(load(Event, event), load(User, people[0])) == []


@pytest.mark.parametrize("data,field", [
    ({"seconds": 29}, "seconds"), ({"seconds": 91}, "seconds"), ({"seconds": "abc"}, "seconds"),
    ({"seconds": 45.5}, "seconds"), ({"seconds": True}, "seconds"), ({"seconds": None}, "seconds"),
    ({"seconds": "9" * 500}, "seconds"), ({"open": "yes"}, "open"), ({"open": None}, "open"),
    ({"colour": "red"}, "colour"),
])
def test_settings_refuse_bad_input_naming_the_field(setup, signals, data, field):
    event, organizer, people, topics = setup
    with pytest.raises(ValidationFailed) as error:
        pitches.update_queue(event=load(Event, event), user=load(User, organizer), data=data)
    assert field in error.value.fields or field in error.value.message
    assert signals == []
    assert load(Event, event).pitch_seconds == 60


def test_settings_set_the_seconds_that_countdowns_use(setup):
    event, organizer, people, topics = setup
    queue(event, people[0], topics[0])
    state = pitches.update_queue(event=load(Event, event), user=load(User, organizer),
                                 data={"seconds": "30"})
    assert state["seconds"] == 30
    state = nxt(event, organizer)
    started = db.session.scalar(sa.select(Pitch.started_at).where(Pitch.topic_id == topics[0].id))
    assert state["current"]["ends_at"] == pitches._iso(started + timedelta(seconds=30))
    with pytest.raises(NotAllowed):
        pitches.update_queue(event=load(Event, event), user=load(User, people[0]),
                             data={"seconds": 90})


def test_settings_that_change_nothing_say_nothing(setup, signals):
    event, organizer, people, topics = setup
    version = load(Event, event).pitch_version

    state = pitches.update_queue(event=load(Event, event), user=load(User, organizer),
                                 data={"open": True, "seconds": 60})

    assert signals == [] and state["version"] == version == load(Event, event).pitch_version


def test_every_change_sends_one_signal_with_the_next_version_and_refusals_none(setup, signals):
    event, organizer, people, topics = setup
    start = load(Event, event).pitch_version
    first, _ = queue(event, people[0], topics[0])
    queue(event, people[1], topics[1])
    nxt(event, organizer)
    with pytest.raises(Conflict):
        queue(event, people[0], topics[0])
    pitches.finish_pitch(event=load(Event, event), user=load(User, people[0]),
                         pitch=load(Pitch, first))

    assert [s["queue"]["version"] for s in signals] == [start + 1, start + 2, start + 3,
                                                        start + 4]
    assert {s["event_id"] for s in signals} == {event.id}
    assert signals[-1]["queue"] == {**pitches.queue_state(load(Event, event)),
                                    "server_time": signals[-1]["queue"]["server_time"]}


def _join_in_thread(app, event_id, user_id, topic_id, barrier, outcomes) -> None:
    with app.app_context():
        event, user = db.session.get(Event, event_id), db.session.get(User, user_id)
        topic = db.session.get(Topic, topic_id)
        db.session.rollback()  # hand the connection back while the others get ready
        barrier.wait()
        try:
            pitch, _ = pitches.join_queue(event=event, user=user, topic=topic)
            outcomes.append(pitch.id)
        except Exception as error:  # noqa: BLE001 - the test reports any other outcome
            outcomes.append(repr(error))
        finally:
            db.session.remove()


def test_many_phones_joining_at_once_get_distinct_places_in_one_order(
        app, make_user, make_event, join, make_topic, signals):
    organizer = make_user(name="Organizer")
    event = make_event(organizer)
    people, topics = [], []
    for i in range(24):
        person = make_user(name=f"Convener {i}")
        join(event, person)
        people.append(person)
        topics.append(make_topic(event, person, f"Topic {i}"))
    with app.app_context():
        pitches.update_queue(event=db.session.get(Event, event.id),
                             user=db.session.get(User, organizer.id), data={"open": True})
    barrier = threading.Barrier(len(people))
    outcomes: list = []
    threads = [threading.Thread(target=_join_in_thread,
                                args=(app, event.id, p.id, t.id, barrier, outcomes))
               for p, t in zip(people, topics, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(isinstance(o, int) for o in outcomes) and len(outcomes) == 24, outcomes
    with app.app_context():
        rows = db.session.execute(sa.select(Pitch.id, Pitch.position).where(
            Pitch.event_id == event.id).order_by(Pitch.position)).all()
        state = pitches.queue_state(db.session.get(Event, event.id))
    assert [position for _, position in rows] == list(range(1, 25))
    assert state["order"] == [pitch_id for pitch_id, _ in rows]
    # The opening and 24 joins: one signal each, every version once.
    assert sorted(s["queue"]["version"] for s in signals) == list(range(1, 26))

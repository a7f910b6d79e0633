"""Removing a member (events.remove_member): organizers only, the event keeps an organizer and
its creator, what was the member's in the event's record stays, what they had as a member goes,
and the access change is announced after the commit."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from openspace.domain import board, checkins, events
from openspace.domain.errors import (
    Conflict,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    ValidationFailed,
)
from openspace.domain.signals import access_changed, board_changed, headcount_changed
from openspace.extensions import db
from openspace.models import (
    CheckIn,
    Event,
    Interest,
    Membership,
    Notice,
    Role,
    Room,
    Slot,
    SlotKind,
    Topic,
    TopicStatus,
    User,
)
from tests.live import wait_for

pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)


def load(model, obj):
    return db.session.get(model, obj.id)


def role_of(event, user) -> Role | None:
    return db.session.scalar(sa.select(Membership.role).where(
        Membership.event_id == event.id, Membership.user_id == user.id))


def remove(event, by, member_id):
    return events.remove_member(event=load(Event, event), user=load(User, by) if by else None,
                                member_id=member_id)


def promote(event, by, member):
    events.set_role(event=load(Event, event), user=load(User, by), member_id=member.id,
                    role="organizer")


@pytest.fixture
def setup(make_user, make_event, join):
    organizer = make_user(name="Kristof")
    event = make_event(organizer)
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    join(event, alice)
    join(event, bob)
    return event, organizer, alice, bob


@pytest.fixture
def heard():
    """What the signals say, in order, with whether the member row was gone by then."""
    received: list[tuple[str, int, dict]] = []

    def listener(name):
        def receive(event_id, **kwargs):
            received.append((name, event_id, kwargs))
        return receive

    receivers = {access_changed: listener("access"), board_changed: listener("board"),
                 headcount_changed: listener("headcount")}
    for signal, receiver in receivers.items():
        signal.connect(receiver)
    yield received
    for signal, receiver in receivers.items():
        signal.disconnect(receiver)


def test_an_organizer_removes_a_participant_and_the_access_change_is_announced(
        ctx, setup, heard):
    event, organizer, alice, bob = setup
    version = load(Event, event).board_version

    removed = remove(event, organizer, alice.id)

    assert removed.id == alice.id
    assert role_of(event, alice) is None
    assert role_of(event, bob) == Role.PARTICIPANT
    assert [name for name, *_ in heard] == ["access"]  # no "I'll come" to drop: no board change
    assert heard[0][1] == event.id and heard[0][2]["deleted"] is False
    assert load(Event, event).board_version == version


def test_their_topics_stay_and_their_interest_goes_in_one_board_change(ctx, setup, make_topic,
                                                                       heard):
    event, organizer, alice, bob = setup
    mine = make_topic(event, alice, "Alice's session")
    bobs = make_topic(event, bob, "Bob's session")
    other = make_topic(event, bob, "Another of Bob's")
    for topic in (bobs, other):
        board.set_interest(topic=load(Topic, topic), user=load(User, alice), interested=True)
    board.set_interest(topic=load(Topic, mine), user=load(User, bob), interested=True)
    version = load(Event, event).board_version
    heard.clear()

    remove(event, organizer, alice.id)

    kept = load(Topic, mine)
    assert (kept.convener_id, kept.status) == (alice.id, TopicStatus.PROPOSED)
    assert [i.user_id for i in kept.interests] == [bob.id]  # others' interest in it stays
    assert db.session.scalars(sa.select(Interest.topic_id).where(
        Interest.user_id == alice.id)).all() == []
    assert load(Event, event).board_version == version + 1
    assert [name for name, *_ in heard] == ["access", "board"]
    change = heard[1][2]
    assert (change["version"], change["kind"]) == (version + 1, "member_removed")
    assert [(t["id"], t["interest_count"]) for t in change["topics"]] == [(bobs.id, 0),
                                                                           (other.id, 0)]


def test_an_open_check_in_is_closed_and_past_ones_stay(ctx, setup, make_topic, heard):
    event, organizer, alice, bob = setup
    room = db.session.scalar(sa.select(Room).where(Room.event_id == event.id))
    first, second = db.session.scalars(sa.select(Slot).where(
        Slot.event_id == event.id, Slot.kind == SlotKind.SESSION).order_by(Slot.starts_at)).all()
    earlier, running = make_topic(event, bob, "Earlier"), make_topic(event, bob, "Running")
    board.place_topic(topic=load(Topic, earlier), user=load(User, bob), room_id=room.id,
                      slot_id=first.id)
    board.place_topic(topic=load(Topic, running), user=load(User, bob), room_id=room.id,
                      slot_id=second.id)
    # 10:30 and 11:30 in Brussels (UTC+1 in November).
    checkins.check_in(topic=load(Topic, earlier), user=load(User, alice),
                      now=datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    checkins.check_in(topic=load(Topic, running), user=load(User, alice),
                      now=datetime(2026, 11, 23, 10, 30, tzinfo=UTC))
    heard.clear()

    remove(event, organizer, alice.id)

    rows = db.session.execute(sa.select(CheckIn.topic_id, CheckIn.left_at).where(
        CheckIn.user_id == alice.id).order_by(CheckIn.id)).all()
    assert [topic_id for topic_id, _ in rows] == [earlier.id, running.id]
    assert all(left_at is not None for _, left_at in rows)
    assert [name for name, *_ in heard] == ["access", "headcount"]
    assert [c["topic_id"] for c in heard[1][2]["counts"]] == [running.id]


def test_the_mails_they_were_waiting_for_about_the_event_are_dropped(ctx, setup, make_event):
    event, organizer, alice, bob = setup
    elsewhere = make_event(organizer, name="Elsewhere")
    events.join_event(event=load(Event, elsewhere), user=load(User, alice),
                      join_code=load(Event, elsewhere).join_code)
    for person, on in ((alice, event), (alice, elsewhere), (bob, event)):
        db.session.add(Notice(user_id=person.id, event_id=on.id, kind="summary"))
    db.session.commit()

    remove(event, organizer, alice.id)

    assert sorted(db.session.execute(sa.select(Notice.user_id, Notice.event_id)).all()) == \
        sorted([(alice.id, elsewhere.id), (bob.id, event.id)])
    assert role_of(elsewhere, alice) == Role.PARTICIPANT


def test_participants_and_other_events_organizers_cannot_remove(ctx, setup, make_user,
                                                               make_event, heard):
    event, organizer, alice, bob = setup
    stranger = make_user(name="Olga")
    make_event(stranger, name="Olga's event")
    heard.clear()

    with pytest.raises(NotAllowed):
        remove(event, alice, bob.id)
    with pytest.raises(NotAllowed):
        remove(event, alice, alice.id)  # leaving is an organizer's removal too
    with pytest.raises(NotAllowed):
        remove(event, stranger, bob.id)
    with pytest.raises(NotAuthenticated):
        remove(event, None, bob.id)

    assert (role_of(event, alice), role_of(event, bob)) == (Role.PARTICIPANT, Role.PARTICIPANT)
    assert heard == []


def test_a_private_event_is_not_found_for_outsiders(ctx, make_user, make_event, join):
    organizer, member, outsider = make_user(), make_user(), make_user()
    event = make_event(organizer, visibility="private")
    join(event, member)

    with pytest.raises(NotFound):
        remove(event, outsider, member.id)
    with pytest.raises(NotFound):
        remove(event, None, member.id)

    assert role_of(event, member) == Role.PARTICIPANT


def test_someone_who_is_not_a_member_of_this_event_is_not_found(ctx, setup, make_user,
                                                               make_event):
    event, organizer, alice, bob = setup
    elsewhere_organizer = make_user(name="Olga")
    elsewhere = make_event(elsewhere_organizer, name="Elsewhere")

    with pytest.raises(NotFound) as error:
        remove(event, organizer, elsewhere_organizer.id)
    with pytest.raises(NotFound):
        remove(event, organizer, 2**63 - 1)

    assert error.value.message == "That person is not a member of this event."
    assert role_of(elsewhere, elsewhere_organizer) == Role.ORGANIZER


@pytest.mark.parametrize("bad", ["2", "abc", True, None, 0, -1, 1.5, 2**63, [2], {"id": 2}])
def test_a_member_id_that_is_not_an_id_is_invalid(ctx, setup, bad):
    event, organizer, alice, bob = setup

    with pytest.raises(ValidationFailed) as error:
        remove(event, organizer, bad)

    assert list(error.value.fields) == ["user_id"]
    assert role_of(event, alice) == Role.PARTICIPANT


def test_the_last_organizer_cannot_remove_themselves(ctx, setup, heard):
    event, organizer, alice, bob = setup

    with pytest.raises(Conflict) as error:
        remove(event, organizer, organizer.id)

    assert error.value.code == "last_organizer"
    assert "at least one organizer" in error.value.message
    assert role_of(event, organizer) == Role.ORGANIZER
    assert heard == []


def test_an_organizer_leaves_while_another_remains_and_the_creator_stays(ctx, setup):
    event, organizer, alice, bob = setup
    promote(event, organizer, alice)
    promote(event, organizer, bob)

    with pytest.raises(Conflict) as error:
        remove(event, alice, organizer.id)  # the creator: only they can leave
    remove(event, alice, bob.id)  # a co-organizer removes another
    remove(event, alice, alice.id)  # and leaves, the creator remaining

    assert error.value.code == "creator"
    assert [(m.user_id, m.role) for m in events.members(load(Event, event))] == [
        (organizer.id, Role.ORGANIZER)]


def test_the_creator_may_leave_when_another_organizer_remains(ctx, setup):
    event, organizer, alice, bob = setup
    promote(event, organizer, alice)

    remove(event, organizer, organizer.id)

    assert role_of(event, organizer) is None
    with pytest.raises(Conflict) as error:
        remove(event, alice, alice.id)  # now the last one
    assert error.value.code == "last_organizer"


def test_a_removed_member_can_no_longer_act_and_can_join_again(ctx, setup, make_topic):
    event, organizer, alice, bob = setup
    topic = make_topic(event, alice, "Alice's session")
    remove(event, organizer, alice.id)

    with pytest.raises(NotAllowed):
        board.set_interest(topic=load(Topic, topic), user=load(User, alice), interested=True)
    with pytest.raises(NotAllowed):
        board.update_topic(topic=load(Topic, topic), user=load(User, alice),
                           data={"title": "Mine still?"})
    board.update_topic(topic=load(Topic, topic), user=load(User, organizer),
                       data={"title": "Kept by the organizers"})
    events.join_event(event=load(Event, event), user=load(User, alice),
                      join_code=load(Event, event).join_code)

    assert role_of(event, alice) == Role.PARTICIPANT
    assert load(Topic, topic).convener_id == alice.id


def _remove_in_thread(app, event_id, by_id, member_id, barrier, outcomes):
    with app.app_context():
        event, user = db.session.get(Event, event_id), db.session.get(User, by_id)
        db.session.rollback()
        barrier.wait()
        try:
            events.remove_member(event=event, user=user, member_id=member_id)
            outcomes.append("removed")
        except (Conflict, NotAllowed) as error:
            outcomes.append(error.code)
        except Exception as error:  # noqa: BLE001 - the test reports any other outcome
            outcomes.append(repr(error))
        finally:
            db.session.remove()


def test_two_organizers_removing_each_other_at_once_leave_one(app, make_user, make_event, join):
    creator, first, second = make_user(), make_user(), make_user()
    event = make_event(creator)
    for person in (first, second):
        join(event, person)
    with app.app_context():
        for person in (first, second):
            promote(event, creator, person)
        remove(event, creator, creator.id)  # first and second are the organizers left
    barrier = threading.Barrier(2)
    outcomes: list = []
    threads = [threading.Thread(target=_remove_in_thread,
                                args=(app, event.id, by.id, other.id, barrier, outcomes))
               for by, other in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["forbidden", "removed"], outcomes
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(
            Membership.event_id == event.id, Membership.role == Role.ORGANIZER)) == 1


def test_an_ill_come_that_waited_for_the_removal_is_refused(app, setup, make_topic):
    """PostgreSQL: "I'll come" checks the membership, then waits for the event row's lock held
    by a removal that has already taken the member's "I'll come"s; once the removal commits,
    the new one is refused rather than left behind for someone no longer a member. (SQLite
    runs one writer at a time: the race cannot happen there.)"""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("one writer at a time on SQLite")
    event, organizer, alice, _bob = setup
    topic = make_topic(event, organizer)
    outcome: list = []

    def say_ill_come():
        with app.app_context():
            try:
                board.set_interest(topic=load(Topic, topic), user=load(User, alice),
                                   interested=True)
                outcome.append("stored")
            except NotAllowed:
                outcome.append("refused")

    with app.app_context():
        own = sa.create_engine(db.engine.url)  # the app's pool may hold one connection
        remover = own.connect()
        removal = remover.begin()
        # What remove_member does, held open: the event row locked, the membership gone.
        remover.execute(sa.select(Event.id).where(Event.id == event.id).with_for_update())
        remover.execute(sa.delete(Membership).where(Membership.event_id == event.id,
                                                    Membership.user_id == alice.id))
        thread = threading.Thread(target=say_ill_come)
        thread.start()
        wait_for(lambda: remover.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()")).scalar() == 1, timeout=30)
        removal.commit()
        remover.close()
        own.dispose()
        thread.join(timeout=30)

        assert outcome == ["refused"]
        assert db.session.get(Interest, (topic.id, alice.id)) is None

"""The law of two feet: "I'm here" checks an attendee into the session that runs now; one place
at a time (moving checks out of the previous one), ended by the slot; live headcounts for
organizers and the projector's over-capacity flag; attendance in the summary."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from openspace.domain import accounts, board, checkins, events
from openspace.domain.errors import Conflict, DomainError
from openspace.domain.signals import headcount_changed
from openspace.extensions import db, socketio
from openspace.models import CheckIn, Event, Topic, User

from .conftest import login_as

ZONE = ZoneInfo("Europe/Brussels")


def _at(hour: int, minute: int = 0) -> datetime:
    """2026-11-23 at this Brussels time, as the aware UTC instant `now` parameters take."""
    return datetime(2026, 11, 23, hour, minute, tzinfo=ZONE).astimezone(UTC)


def _topic(topic_id: int) -> Topic:
    return db.session.get(Topic, topic_id)


def _event(world) -> Event:
    return db.session.get(Event, world.event.id)


def _user(user: User) -> User:
    return db.session.get(User, user.id)


@pytest.fixture
def sessions(app, world, make_topic, place, quick_user, join):
    """Two sessions at 10:00 (Atrium, 3 seats; Library) and one at 11:00, and five attendees."""
    first = make_topic(world.event, world.participant, "Pricing")
    second = make_topic(world.event, world.organizer, "Hiring")
    later = make_topic(world.event, world.participant, "Later")
    place(first, world.participant, world.rooms["Atrium"], world.sessions[0])
    place(second, world.organizer, world.rooms["Library"], world.sessions[0])
    place(later, world.participant, world.rooms["Atrium"], world.sessions[1])
    people = [quick_user(f"Person {n}") for n in range(5)]
    for person in people:
        join(world.event, person)
    return first, second, later, people


def test_one_place_at_a_time_and_the_counts_follow(world, sessions, ctx):
    first, second, _later, people = sessions
    heard: list[list[dict]] = []
    listener = lambda sender, counts: heard.append(counts)  # noqa: E731
    headcount_changed.connect(listener)
    try:
        for person in people[:4]:
            checkins.check_in(topic=_topic(first.id), user=_user(person), now=_at(10, 5))
        counts = {c.topic_id: c for c in checkins.headcounts(_event(world), now=_at(10, 5))}
        assert counts[first.id].here == 4 and counts[first.id].capacity == 3
        assert counts[first.id].over_capacity  # 4 people, 3 seats
        # Person 0 uses their two feet: out of Pricing, into Hiring.
        moved = checkins.check_in(topic=_topic(second.id), user=_user(people[0]),
                                  now=_at(10, 20))
    finally:
        headcount_changed.disconnect(listener)
    assert {c.topic_id: c.here for c in moved} == {first.id: 3, second.id: 1}
    assert heard[-1] == [c.as_dict() for c in moved]  # announced with both counts
    assert checkins.current(_user(people[0]), _event(world), now=_at(10, 20)) == second.id
    # The same tap again changes nothing.
    assert {c.topic_id: c.here for c in checkins.check_in(
        topic=_topic(second.id), user=_user(people[0]), now=_at(10, 21))} == {second.id: 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn).where(
        CheckIn.user_id == people[0].id)) == 2


def test_a_check_in_ends_with_its_slot_and_only_a_running_session_takes_one(world, sessions,
                                                                           ctx):
    first, _second, later, people = sessions
    with pytest.raises(Conflict) as early:
        checkins.check_in(topic=_topic(later.id), user=_user(people[0]), now=_at(10, 30))
    assert early.value.code == "not_running"
    checkins.check_in(topic=_topic(later.id), user=_user(people[0]), now=_at(10, 52))  # 8 min early
    checkins.check_in(topic=_topic(first.id), user=_user(people[1]), now=_at(10, 55))
    assert checkins.current(_user(people[1]), _event(world), now=_at(10, 59)) == first.id
    assert checkins.current(_user(people[1]), _event(world), now=_at(11, 0)) is None  # slot over
    assert [c.topic_id for c in checkins.headcounts(_event(world), now=_at(11, 5))] == [later.id]
    with pytest.raises(Conflict):
        checkins.check_in(topic=_topic(first.id), user=_user(people[2]), now=_at(11, 5))


def test_members_only(world, sessions, ctx):
    first, *_ = sessions
    with pytest.raises(DomainError):
        checkins.check_in(topic=_topic(first.id), user=_user(world.outsider), now=_at(10, 5))
    with pytest.raises(DomainError):
        checkins.check_in(topic=_topic(first.id), user=None, now=_at(10, 5))
    with pytest.raises(DomainError):
        checkins.room_headcounts(event=_event(world), user=_user(world.participant))


def test_attendance_counts_everyone_who_came(world, sessions, ctx):
    first, second, _later, people = sessions
    for person in people[:3]:
        checkins.check_in(topic=_topic(first.id), user=_user(person), now=_at(10, 5))
    checkins.check_in(topic=_topic(second.id), user=_user(people[0]), now=_at(10, 30))
    checkins.check_out(event=_event(world), user=_user(people[1]), now=_at(10, 40))
    assert checkins.attendance([first.id, second.id]) == {first.id: 3, second.id: 1}


@pytest.mark.database  # the partial unique index decides the race
def test_two_taps_at_once_leave_one_open_check_in(app, world, sessions):
    first, second, _later, people = sessions
    errors: list[BaseException] = []

    def tap(topic_id: int) -> None:
        with app.app_context():
            try:
                checkins.check_in(topic=_topic(topic_id), user=_user(people[0]),
                                  now=_at(10, 5))
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

    threads = [threading.Thread(target=tap, args=(t,)) for t in (first.id, second.id) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [e for e in errors if not isinstance(e, Conflict)] == []
    with app.app_context():
        open_rows = db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn).where(
            CheckIn.user_id == people[0].id, CheckIn.left_at.is_(None)))
    assert open_rows == 1


# Pages and the live count, on the real clock: an event with a session running now ------------

@pytest.fixture
def running(app, quick_user):
    organizer = quick_user("Olga")
    with app.app_context():
        olga = db.session.get(User, organizer.id)
        local = datetime.now(ZONE).replace(second=0, microsecond=0, tzinfo=None)
        event = events.create_event(user=olga, data={
            "name": "Today", "timezone": "Europe/Brussels", "visibility": "public",
            "starts_on": local.date().isoformat()})
        room = events.add_room(event=event, user=olga, data={"name": "Atrium", "capacity": 1})
        start = local - timedelta(minutes=20)
        end = min(local + timedelta(minutes=40), local.replace(hour=23, minute=59))
        if start.date() != local.date():
            start = local.replace(hour=0, minute=0)
        slot = events.add_slot(event=event, user=olga, data={
            "starts_at": start.isoformat(timespec="minutes"),
            "ends_at": end.isoformat(timespec="minutes"), "kind": "session"})
        topic = board.propose_topic(event=event, user=olga, data={"title": "Live now"})
        board.place_topic(topic=topic, user=olga, room_id=room.id, slot_id=slot.id)
        people = []
        for name in ("Pat", "Quinn"):
            person = accounts.create_quick_user(name=name)
            events.join_event(event=event, user=person, join_code=event.join_code)
            people.append(person)
        return {"slug": event.slug, "topic_id": topic.id, "organizer": organizer,
                "people": [db.session.get(User, p.id) for p in people]}


def test_im_here_on_now_and_next_and_the_organizers_see_the_rooms(app, running):
    pat, quinn = running["people"]
    watcher = socketio.test_client(app)
    assert watcher.emit("event:join", {"slug": running["slug"]}, callback=True)["ok"]
    watcher.get_received()
    phone = app.test_client()
    login_as(phone, pat)

    page = phone.get(f"/e/{running['slug']}/now").get_data(as_text=True)
    assert "I'm here" in page and "0 here" in page
    response = phone.post(f"/t/{running['topic_id']}/here",
                          data={"next": f"/e/{running['slug']}/now"})
    assert response.status_code == 302
    page = phone.get(f"/e/{running['slug']}/now").get_data(as_text=True)
    assert "You're here" in page and "1 here" in page
    [message] = [m for m in watcher.get_received() if m["name"] == "headcount:changed"]
    assert message["args"][0]["counts"][0]["here"] == 1

    other = app.test_client()
    login_as(other, quinn)
    other.post(f"/t/{running['topic_id']}/here")
    organizer = app.test_client()
    login_as(organizer, running["organizer"])
    rooms = organizer.get(f"/e/{running['slug']}/rooms-now").get_data(as_text=True)
    assert "Live now" in rooms and "2 here" in rooms  # 2 people, 1 seat: flagged
    assert '<tr data-headcount-row class="over">' in rooms
    assert phone.get(f"/e/{running['slug']}/rooms-now").status_code == 403
    topic_page = phone.get(f"/t/{running['topic_id']}").get_data(as_text=True)
    assert "You're here" in topic_page and "2 here" in topic_page

    left = phone.post(f"/e/{running['slug']}/here/leave")
    assert left.status_code == 302
    assert "I'm here" in phone.get(f"/e/{running['slug']}/now").get_data(as_text=True)


def _bearer(app, user: User) -> dict:
    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, user.id), label="tests")
    return {"Authorization": f"Bearer {token}"}


def test_the_api_checks_in_moves_and_checks_out_and_the_counts_follow(app, running, quick_user):
    pat, quinn = running["people"]
    slug, topic_id = running["slug"], running["topic_id"]
    api = app.test_client()
    watcher = socketio.test_client(app)
    assert watcher.emit("event:join", {"slug": slug}, callback=True)["ok"]
    watcher.get_received()

    before = api.get(f"/api/v1/events/{slug}/here")  # anonymous on a public event: the counts
    assert before.status_code == 200
    assert before.json == {"checked_in": None, "headcounts": [
        {"topic_id": topic_id, "room_id": before.json["headcounts"][0]["room_id"], "here": 0,
         "coming": 0, "capacity": 1, "over_capacity": False}]}

    here = api.put(f"/api/v1/topics/{topic_id}/here", headers=_bearer(app, pat))
    assert here.status_code == 200
    assert here.json["checked_in"] == topic_id and here.json["headcounts"][0]["here"] == 1
    assert api.put(f"/api/v1/topics/{topic_id}/here",  # twice: still one person here
                   headers=_bearer(app, pat)).json["headcounts"][0]["here"] == 1
    crowded = api.put(f"/api/v1/topics/{topic_id}/here", headers=_bearer(app, quinn)).json
    assert crowded["headcounts"][0]["here"] == 2 and crowded["headcounts"][0]["over_capacity"]
    counts = [m["args"][0]["counts"] for m in watcher.get_received()
              if m["name"] == "headcount:changed"]
    assert [c[0]["here"] for c in counts] == [1, 2]  # the repeat changed nothing, said nothing

    mine = api.get(f"/api/v1/events/{slug}/here", headers=_bearer(app, pat)).json
    assert mine["checked_in"] == topic_id
    left = api.delete(f"/api/v1/events/{slug}/here", headers=_bearer(app, pat))
    assert left.status_code == 200
    assert left.json["checked_in"] is None and left.json["headcounts"][0]["here"] == 1

    stranger = quick_user("Not a member")
    refused = api.put(f"/api/v1/topics/{topic_id}/here", headers=_bearer(app, stranger))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert api.put(f"/api/v1/topics/{topic_id}/here").status_code == 401
    assert api.put("/api/v1/topics/99999999/here", headers=_bearer(app, pat)).status_code == 404
    assert api.put("/api/v1/topics/0x1/here", headers=_bearer(app, pat)).status_code == 404


def test_the_api_refuses_a_session_that_is_not_on_now(app, world, sessions):
    first, _second, _later, people = sessions  # 2026-11-23: long over
    response = app.test_client().put(f"/api/v1/topics/{first.id}/here",
                                     headers=_bearer(app, people[0]))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_running"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


def test_the_summary_records_who_came(world, sessions, ctx):
    from openspace.domain import exports, summary

    first, second, _later, people = sessions
    for person in people[:2]:
        checkins.check_in(topic=_topic(first.id), user=_user(person), now=_at(10, 5))
    checkins.check_in(topic=_topic(second.id), user=_user(people[0]), now=_at(10, 30))
    book = summary.build_summary(_event(world))
    attended = {report.topic.id: report.attended for report in book.sessions}
    assert attended[first.id] == 2 and attended[second.id] == 1
    markdown = exports.summary_markdown(book, photo_url=lambda photo: f"photo-{photo.id}")
    assert "**Attendance:** 2 checked in" in markdown and "**Attendance:** 1 checked in" in markdown

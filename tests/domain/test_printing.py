"""The rules of printed signs and cards (domain/printing.py): which sessions, in which order,
which day, in the event's language and zone; who may print; where a scanned code leads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from openspace.domain import board, events, printing
from openspace.domain.errors import NotAllowed, NotFound, ValidationFailed
from openspace.extensions import db
from openspace.models import Event, User


def url(topic) -> str:
    return f"https://openspace.example/t/{topic.id}/notes"


@pytest.fixture
def two_days(ctx, make_user, make_event, join):
    """The fixture day (rooms Atrium, Library; sessions 10:00 and 11:00 on 23 November) and a
    second day with one 10:00 session; an organizer and a participant."""
    organizer = make_user(name="Kristof")
    event = make_event(organizer, ends_on="2026-11-24")
    participant = make_user(name="Roel")
    join(event, participant)
    event = db.session.get(Event, event.id)
    user = db.session.get(User, organizer.id)
    events.add_slot(event=event, user=user, data={
        "starts_at": "2026-11-24T10:00", "ends_at": "2026-11-24T11:00", "kind": "session"})
    sessions = sorted((s for s in event.slots if s.kind == "session"), key=lambda s: s.starts_at)
    rooms = {r.name: r for r in event.rooms}
    conveners = iter(range(1, 100))

    def convener() -> User:  # each topic its own (one convener is in one room at a time)
        person = make_user(name=f"Convener {next(conveners)}")
        join(event, person)
        return db.session.get(User, person.id)

    return SimpleNamespace(event=event, organizer=user, participant=db.session.get(
        User, participant.id), sessions=sessions, rooms=rooms, convener=convener)


def _topic(w, title, room=None, slot=None):
    topic = board.propose_topic(event=w.event, user=w.convener(), data={"title": title})
    if room is not None:
        board.place_topic(topic=topic, user=w.organizer, room_id=w.rooms[room].id,
                          slot_id=slot.id)
    return topic


def test_signs_list_each_rooms_sessions_of_the_day_in_time_order(two_days):
    w = two_days
    late = _topic(w, "Late", "Atrium", w.sessions[1])
    early = _topic(w, "Early", "Atrium", w.sessions[0])
    _topic(w, "Next day", "Atrium", w.sessions[2])
    _topic(w, "Library talk", "Library", w.sessions[1])
    _topic(w, "On the marketplace")
    sheet = printing.sheet(event=w.event, user=w.organizer, kind="signs", day="2026-11-23",
                           notes_url=url)
    assert [s.room.name for s in sheet.signs] == ["Atrium", "Library"]
    atrium, library = sheet.signs
    assert [s.title for s in atrium.sessions] == ["Early", "Late"]
    assert [s.url for s in atrium.sessions] == [url(early), url(late)]
    assert [s.title for s in library.sessions] == ["Library talk"]
    assert atrium.day_label == "Monday, 23 November"
    nextday = printing.sheet(event=w.event, user=w.organizer, kind="signs", day="2026-11-24",
                             notes_url=url)
    assert [[s.title for s in sign.sessions] for sign in nextday.signs] == [["Next day"], []]


def test_withdrawn_and_merged_topics_are_on_no_sign_or_card(two_days):
    w = two_days
    kept = _topic(w, "Kept", "Atrium", w.sessions[0])
    gone = _topic(w, "Gone", "Library", w.sessions[0])
    duplicate = _topic(w, "Duplicate")
    board.withdraw_topic(topic=gone, user=w.organizer)
    board.merge_topics(duplicate=duplicate, survivor=kept, user=w.organizer)
    signs = printing.sheet(event=w.event, user=w.organizer, kind="signs", day="2026-11-23",
                           notes_url=url)
    assert [[s.title for s in sign.sessions] for sign in signs.signs] == [["Kept"], []]
    cards = printing.sheet(event=w.event, user=w.organizer, kind="cards", notes_url=url)
    assert [c.title for c in cards.cards] == ["Kept"]


def test_cards_come_in_board_order_then_the_marketplace(two_days):
    w = two_days
    _topic(w, "Proposed first")
    _topic(w, "Library at ten", "Library", w.sessions[0])
    _topic(w, "Atrium at eleven", "Atrium", w.sessions[1])
    _topic(w, "Atrium at ten", "Atrium", w.sessions[0])
    _topic(w, "Proposed second")
    cards = printing.sheet(event=w.event, user=w.organizer, kind="cards", notes_url=url).cards
    assert [c.title for c in cards] == ["Atrium at ten", "Library at ten", "Atrium at eleven",
                                        "Proposed first", "Proposed second"]
    assert [c.placed for c in cards] == [True, True, True, False, False]
    assert (cards[0].room, cards[0].time, cards[0].zone) == ("Atrium", "10:00–11:00", "CET")
    assert cards[3].room == cards[3].time == ""


def test_signs_and_cards_speak_the_events_language_and_keep_its_clock(ctx, make_user,
                                                                     make_event):
    organizer = make_user(name="Hanako")
    event = db.session.get(Event, make_event(organizer, timezone="Asia/Tokyo",
                                             language="de").id)
    user = db.session.get(User, organizer.id)
    slot = min((s for s in event.slots if s.kind == "session"), key=lambda s: s.starts_at)
    topic = board.propose_topic(event=event, user=user, data={"title": "Zeitzonen"})
    board.place_topic(topic=topic, user=user, room_id=event.rooms[0].id, slot_id=slot.id)
    [card] = printing.sheet(event=event, user=user, kind="cards", notes_url=url).cards
    assert (card.day, card.time, card.zone) == ("Montag, 23. November", "10:00–11:00 Uhr", "JST")


def test_the_day_defaults_to_today_then_the_first_or_last_day(two_days):
    w = two_days
    during = datetime(2026, 11, 24, 9, tzinfo=UTC)
    assert printing.default_day(w.event, during) == date(2026, 11, 24)
    assert printing.default_day(w.event, datetime(2026, 1, 1, tzinfo=UTC)) == date(2026, 11, 23)
    assert printing.default_day(w.event, datetime(2027, 1, 1, tzinfo=UTC)) == date(2026, 11, 24)


def test_only_organizers_print(two_days):
    w = two_days
    with pytest.raises(NotAllowed):
        printing.sheet(event=w.event, user=w.participant, kind="cards", notes_url=url)


@pytest.mark.parametrize("choices,field", [
    ({"kind": "posters"}, "kind"), ({"size": "letter"}, "size"), ({"size": 4}, "size"),
    ({"day": "2026-11-25"}, "day"), ({"day": "tomorrow"}, "day"), ({"room_id": "1x"}, "room"),
    ({"kind": "cards", "topic_id": "-3"}, "topic"),
])
def test_bad_choices_name_their_field(two_days, choices, field):
    w = two_days
    with pytest.raises(ValidationFailed) as refused:
        printing.sheet(event=w.event, user=w.organizer, **{"kind": "signs", **choices},
                       notes_url=url)
    assert list(refused.value.fields) == [field]


def test_a_room_of_another_event_is_not_found(two_days, make_event):
    w = two_days
    other = db.session.get(Event, make_event(slug="other").id)
    with pytest.raises(NotFound):
        printing.sheet(event=w.event, user=w.organizer, kind="signs",
                       room_id=str(other.rooms[0].id), notes_url=url)


def test_a_scan_leads_members_to_the_notes_and_others_to_the_join_step(two_days, make_user):
    w = two_days
    topic = _topic(w, "Scanned", "Atrium", w.sessions[0])
    code = w.event.join_code
    member = printing.arrival(topic_id=topic.id, user=w.participant, code=code)
    assert (member.topic.id, member.join) == (topic.id, False)
    newcomer = printing.arrival(topic_id=topic.id, user=None, code=code.lower())
    assert (newcomer.join, newcomer.code) == (True, code)
    stale = printing.arrival(topic_id=topic.id, user=make_user(name="Ann"), code="OLD123")
    assert stale.join is False  # a public event's notes, read-only until joined
    with pytest.raises(NotFound):
        printing.arrival(topic_id=999_999, user=None, code=code)


def test_a_full_room_gets_as_many_signs_as_it_needs(two_days):
    w = two_days
    for hour in range(13, 18):
        events.add_slot(event=w.event, user=w.organizer, data={
            "starts_at": f"2026-11-23T{hour}:00", "ends_at": f"2026-11-23T{hour}:50",
            "kind": "session"})
    day = sorted((s for s in w.event.slots if s.kind == "session"
                  and s.starts_at.date() == date(2026, 11, 23)), key=lambda s: s.starts_at)
    for number, slot in enumerate(day):
        _topic(w, f"Session {number}", "Atrium", slot)
    for size, split in (("a4", [5, 2]), ("a6", [4, 3])):
        sheet = printing.sheet(event=w.event, user=w.organizer, kind="signs", size=size,
                               day="2026-11-23", room_id=str(w.rooms["Atrium"].id),
                               notes_url=url)
        assert [len(sign.sessions) for sign in sheet.signs] == split
        assert [(sign.part, sign.parts) for sign in sheet.signs] == [(1, 2), (2, 2)]
        assert [s.title for sign in sheet.signs for s in sign.sessions] == [
            f"Session {n}" for n in range(7)]

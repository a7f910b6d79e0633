"""The schedule as iCalendar, parsed by icalendar: every session at its time in the event's
zone, and a personal feed behind a secret URL."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest

from openspace.domain import accounts, ical
from openspace.extensions import db
from openspace.models import Event, Slot, Topic, User

from .conftest import login_as

BRUSSELS = ZoneInfo("Europe/Brussels")


def _calendar(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(response.data)


def _sessions(cal) -> dict[str, tuple[datetime, datetime]]:
    return {str(e["summary"]): (e.decoded("dtstart"), e.decoded("dtend"))
            for e in cal.walk("VEVENT")}


def _expected(app, topic_ids) -> dict[str, tuple[datetime, datetime]]:
    with app.app_context():
        out = {}
        for topic_id in topic_ids:
            topic = db.session.get(Topic, topic_id)
            slot = db.session.get(Slot, topic.slot_id)
            out[topic.title] = (slot.starts_at.replace(tzinfo=BRUSSELS),
                                slot.ends_at.replace(tzinfo=BRUSSELS))
        return out


def test_schedule_has_every_session_at_its_time_in_the_events_zone(app, client, finished):
    cal = _calendar(client.get(f"/e/{finished.event.slug}/schedule.ics"))

    assert str(cal["version"]) == "2.0" and cal["prodid"]
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Brussels"]
    events = cal.walk("VEVENT")
    sessions = _sessions(cal)
    expected = _expected(app, [finished.pricing.id, finished.hostile.id, finished.silent.id])
    for title, (start, end) in expected.items():
        assert sessions[title] == (start, end)
        assert sessions[title][0].tzinfo.key == "Europe/Brussels"
        assert sessions[title][0].utcoffset().total_seconds() == 3600  # CET in November
    assert sessions["Plenary"][0] == datetime(2026, 11, 23, 9, 0, tzinfo=BRUSSELS)
    assert "Never placed" not in sessions
    for event in events:
        assert event["uid"] and event.decoded("dtstamp").tzinfo is not None
    assert len({str(e["uid"]) for e in events}) == len(events)
    pricing = next(e for e in events if str(e["summary"]) == "Value pricing")
    assert str(pricing["location"]) == "Atrium"
    assert "Convened by Pat" in str(pricing["description"])
    assert str(pricing["url"]) == f"http://localhost/t/{finished.pricing.id}"


def test_a_session_across_the_daylight_saving_change_keeps_its_local_time(app, client,
                                                                          make_event, quick_user):
    organizer = quick_user("Org")
    event = make_event(organizer, starts_on="2026-10-25", name="DST")
    cal = _calendar(client.get(f"/e/{event.slug}/schedule.ics"))
    start = _sessions(cal)["Plenary"][0]
    assert start == datetime(2026, 10, 25, 9, 0, tzinfo=BRUSSELS)
    assert start.utcoffset().total_seconds() == 3600  # CET: summer time ended at 03:00


def test_private_schedule_is_hidden_from_strangers(app, client, finished):
    with app.app_context():
        db.session.get(Event, finished.event.id).visibility = "private"
        db.session.commit()
    assert client.get(f"/e/{finished.event.slug}/schedule.ics").status_code == 404


def _feed_url(client, event) -> str:
    page = client.get(f"/e/{event.slug}/calendar").get_data(as_text=True)
    return re.search(r"<code>http://localhost(/e/[^<]+/agenda/[^<]+\.ics)</code>", page)[1]


def test_personal_feed_works_without_a_cookie_and_holds_my_agenda(app, client, finished,
                                                                   interest):
    interest(finished.hostile, finished.participant)
    login_as(client, finished.participant)
    url = _feed_url(client, finished.event)

    anonymous = app.test_client()
    cal = _calendar(anonymous.get(url))

    # Pat convenes "Value pricing" and "Silent session" and said they'll come to the other one.
    assert set(_sessions(cal)) == {"Plenary", "Value pricing", "Silent session",
                                   '<script>alert("x")</script><img src=x onerror=alert(1)>'}
    assert "Pat" in str(cal["x-wr-calname"])


def test_personal_feed_refuses_wrong_or_revoked_tokens(app, client, finished):
    login_as(client, finished.participant)
    url = _feed_url(client, finished.event)
    anonymous = app.test_client()
    tampered = url[:-6] + ("A" if url[-6] != "A" else "B") + url[-5:]
    other_user = url.replace(f"/agenda/{finished.participant.id}-",
                             f"/agenda/{finished.organizer.id}-")

    assert anonymous.get(tampered).status_code == 404
    assert anonymous.get(other_user).status_code == 404
    with app.app_context():
        accounts.end_all_sessions(user=db.session.get(User, finished.participant.id))
    assert anonymous.get(url).status_code == 404  # "log out everywhere" turns it off


def test_feed_token_is_for_one_event_and_one_person(app, finished):
    with app.app_context():
        user = db.session.get(User, finished.participant.id)
        event = db.session.get(Event, finished.event.id)
        token = ical.feed_token(user=user, event=event, secret=b"s")
        assert ical.user_for_feed(event=event, token=token, secret=b"s").id == user.id
        for bad in ("", "x", "1-", f"{user.id}-", "999-abc", None, 5):
            with pytest.raises(Exception) as raised:
                ical.user_for_feed(event=event, token=bad, secret=b"s")
            assert raised.value.code == "not_found"


def test_calendar_page_offers_the_personal_feed_to_members_only(client, finished):
    slug = finished.event.slug
    assert "/agenda/" not in client.get(f"/e/{slug}/calendar").get_data(as_text=True)
    login_as(client, finished.outsider)
    assert "/agenda/" not in client.get(f"/e/{slug}/calendar").get_data(as_text=True)
    login_as(client, finished.participant)
    page = client.get(f"/e/{slug}/calendar").get_data(as_text=True)
    assert "webcal://localhost/e/" in page


def test_personal_feed_of_a_private_event_works_for_its_member(app, client, finished):
    with app.app_context():
        db.session.get(Event, finished.event.id).visibility = "private"
        db.session.commit()
    login_as(client, finished.participant)
    url = _feed_url(client, finished.event)

    assert app.test_client().get(f"/e/{finished.event.slug}/schedule.ics").status_code == 404
    assert "Value pricing" in _sessions(_calendar(app.test_client().get(url)))

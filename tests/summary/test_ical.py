"""The schedule as iCalendar, parsed by icalendar: every session at its time in the event's
zone, and a personal feed behind a secret URL."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from openspace.domain import accounts, events, ical
from openspace.domain.errors import ValidationFailed
from openspace.extensions import db
from openspace.models import Event, Slot, Topic, User

from .conftest import HOSTILE, login_as

BRUSSELS = ZoneInfo("Europe/Brussels")
ROOT = Path(__file__).resolve().parents[2]
READER = Path(__file__).with_name("read_ics.mjs")


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


def test_personal_feed_holds_my_action_items_as_tasks(app, client, finished):
    login_as(client, finished.organizer)
    cal = _calendar(app.test_client().get(_feed_url(client, finished.event)))

    todos = {str(t["summary"]): t for t in cal.walk("VTODO")}
    # Olga's items (@olga), done or not; not Pat's.
    assert set(todos) == {"Share the slides", HOSTILE}
    assert str(todos["Share the slides"]["status"]) == "COMPLETED"
    assert str(todos[HOSTILE]["status"]) == "NEEDS-ACTION"
    assert "Value pricing" in str(todos["Share the slides"]["description"])
    assert str(todos["Share the slides"]["url"]).endswith(f"/t/{finished.pricing.id}")
    uids = [str(t["uid"]) for t in todos.values()]
    assert len(set(uids)) == 2 and all(uid.startswith("action-") for uid in uids)
    # The same feed again: the same UIDs (a calendar keeps one task per item).
    again = _calendar(app.test_client().get(_feed_url(client, finished.event)))
    assert sorted(str(t["uid"]) for t in again.walk("VTODO")) == sorted(uids)


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


# Daylight saving: times that do not exist, times that happen twice, and other readers ---------

def _node_readers() -> str:
    """node, with ical.js and node-ical installed (`npm ci`): skipped on a developer's machine
    without them, a failure in CI (CI=true), where .ci/run installs them."""
    node = shutil.which("node")
    missing = [name for name in ("ical.js", "node-ical")
               if not (ROOT / "node_modules" / name / "package.json").is_file()]
    if node is None or missing:
        why = ("node is not installed" if node is None
               else f"npm packages {', '.join(missing)} are missing: run `npm ci`")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must read the feed with ical.js and node-ical, but {why}")
        pytest.skip(why)
    return node


def _instants(feed: bytes, tmp_path) -> dict[str, dict[str, tuple[str, str]]]:
    """Each reader's (start, end) of every VEVENT by UID, as UTC ISO times."""
    path = tmp_path / "feed.ics"
    path.write_bytes(feed)
    python = {}
    for item in icalendar.Calendar.from_ical(feed).walk("VEVENT"):
        python[str(item["uid"])] = tuple(
            item.decoded(key).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            for key in ("dtstart", "dtend"))
    result = subprocess.run([_node_readers(), str(READER), str(path)], capture_output=True,
                            text=True, timeout=60, check=True, cwd=ROOT)
    others = {name: {uid: tuple(times) for uid, times in found.items()}
              for name, found in json.loads(result.stdout).items()}
    return {"icalendar": python, **others}


def _fall_back_event(app, make_event, quick_user):
    """Brussels, 2027-10-31: at 03:00 summer time the clocks go back to 02:00, so 02:00-02:59
    happens twice. Plenaries at 02:15-02:45 and 01:00-02:10 (in or into the repeated hour's
    first occurrence) and one at 09:00."""
    organizer = quick_user("Org")
    event = make_event(organizer, starts_on="2027-10-31", name="Fall back")
    with app.app_context():
        user, e = db.session.get(User, organizer.id), db.session.get(Event, event.id)
        for start, end in (("02:15", "02:45"), ("01:00", "02:10")):
            events.add_slot(event=e, user=user, data={
                "starts_at": f"2027-10-31T{start}", "ends_at": f"2027-10-31T{end}",
                "kind": "plenary", "label": f"At {start}"})
    return event


def test_a_time_that_happens_twice_means_its_first_occurrence_to_every_reader(
        app, client, make_event, quick_user, tmp_path):
    event = _fall_back_event(app, make_event, quick_user)
    feed = client.get(f"/e/{event.slug}/schedule.ics")
    assert feed.status_code == 200

    readers = _instants(feed.data, tmp_path)

    by_label = {}
    for item in icalendar.Calendar.from_ical(feed.data).walk("VEVENT"):
        by_label[str(item["summary"])] = str(item["uid"])
    expected = {  # 02:15 CEST is 00:15 UTC; the 09:00 plenary is in CET, after the change
        "At 02:15": ("2027-10-31T00:15:00.000Z", "2027-10-31T00:45:00.000Z"),
        "At 01:00": ("2027-10-30T23:00:00.000Z", "2027-10-31T00:10:00.000Z"),
        "Plenary": ("2027-10-31T08:00:00.000Z", "2027-10-31T09:00:00.000Z"),
    }
    for reader, found in readers.items():
        assert {label: found[uid] for label, uid in by_label.items()} == expected, reader


def test_a_time_the_clocks_skip_is_refused_with_a_clear_message(app, make_event, quick_user):
    organizer = quick_user("Org")
    event = make_event(organizer, starts_on="2027-03-28", name="Spring forward")
    with app.app_context():
        user, e = db.session.get(User, organizer.id), db.session.get(Event, event.id)
        before = len(e.slots)
        with pytest.raises(ValidationFailed) as raised:
            events.add_slot(event=e, user=user, data={
                "starts_at": "2027-03-28T02:30", "ends_at": "2027-03-28T03:15"})
        with pytest.raises(ValidationFailed) as ending:
            events.add_slot(event=e, user=user, data={
                "starts_at": "2027-03-28T01:30", "ends_at": "2027-03-28T02:00"})
        after = events.add_slot(event=e, user=user, data={  # 01:30-03:00 is an hour of real time
            "starts_at": "2027-03-28T01:30", "ends_at": "2027-03-28T03:00"})
        assert len(db.session.get(Event, event.id).slots) == before + 1

    assert raised.value.fields == {"starts_at": "2027-03-28 02:30 does not exist in "
                                                "Europe/Brussels: the clocks go forward then "
                                                "and skip it"}
    assert ending.value.fields == {"ends_at": "2027-03-28 02:00 does not exist in "
                                              "Europe/Brussels: the clocks go forward then "
                                              "and skip it"}
    assert after.starts_at == datetime(2027, 3, 28, 1, 30)


def test_the_api_refuses_a_skipped_time_for_a_slot_it_changes(app, client, make_event,
                                                              quick_user):
    organizer = quick_user("Org")
    event = make_event(organizer, starts_on="2027-03-28", name="Spring forward")
    login_as(client, organizer)
    token = client.get("/api/v1/csrf").get_json()["csrf_token"]
    with app.app_context():
        slot_id = db.session.get(Event, event.id).slots[0].id

    response = client.patch(f"/api/v1/events/{event.slug}/slots/{slot_id}",
                            headers={"X-CSRFToken": token},
                            json={"starts_at": "2027-03-28T02:00", "ends_at": "2027-03-28T03:30"})

    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {
        "starts_at": "2027-03-28 02:00 does not exist in Europe/Brussels: the clocks go forward "
                     "then and skip it"}


@pytest.mark.parametrize("day, ok", [("0001-01-01", False), ("9999-12-31", False),
                                     ("1999-12-31", False), ("2101-01-01", False),
                                     ("2000-01-01", True), ("2100-12-31", True)])
def test_event_dates_are_bounded_so_both_feeds_work(app, client, make_event, quick_user, day,
                                                   ok):
    organizer = quick_user("Org")
    if not ok:
        with pytest.raises(ValidationFailed) as raised:
            make_event(organizer, starts_on=day)
        assert raised.value.fields == {"starts_on": "must be between 2000-01-01 and 2100-12-31"}
        return
    event = make_event(organizer, starts_on=day)
    login_as(client, organizer)
    url = _feed_url(client, event)
    for feed in (client.get(f"/e/{event.slug}/schedule.ics"), app.test_client().get(url)):
        assert _sessions(_calendar(feed))["Plenary"][0] == datetime.fromisoformat(
            f"{day}T09:00").replace(tzinfo=BRUSSELS)

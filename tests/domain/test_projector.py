"""The projector's rules: what "auto" shows when, switching modes, and the join link's address."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from openspace.domain import events, projector
from openspace.domain.errors import NotAllowed, ValidationFailed
from openspace.domain.signals import projector_changed
from openspace.extensions import db
from openspace.models import Event, ProjectorMode, User

BOARD, NEWS = ProjectorMode.BOARD, ProjectorMode.NEWS


pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)


@pytest.fixture
def day(ctx, make_user, make_event):
    """The fixture day (09:00 plenary, 10:00 and 11:00 sessions, 12:00 break) + a closing
    circle at 16:00."""
    organizer = make_user(name="Kristof")
    event = make_event(organizer)
    event = db.session.get(Event, event.id)
    user = db.session.get(User, organizer.id)
    events.add_slot(event=event, user=user, data={
        "starts_at": "2026-11-23T16:00", "ends_at": "2026-11-23T16:30", "kind": "plenary",
        "label": "Closing circle"})
    return SimpleNamespace(event=event, organizer=user)


@pytest.fixture
def sent():
    received: list[dict] = []

    def listener(event_id, **kwargs):
        received.append({"event_id": event_id, **kwargs})

    projector_changed.connect(listener)
    yield received
    projector_changed.disconnect(listener)


def at(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-23T{hhmm}")


@pytest.mark.parametrize("clock,shows", [
    ("08:30", NEWS),  # the morning, before the day: yesterday's reports
    ("08:50", BOARD),  # the opening circle starts in ten minutes
    ("09:30", BOARD),  # the opening circle (a plenary): never the news
    ("10:30", BOARD),  # a session
    ("12:30", NEWS),  # lunch
    ("15:30", NEWS),  # between the last session and the closing circle, a while before it
    ("15:50", BOARD),  # the closing circle starts soon
    ("16:10", BOARD),  # the closing circle
    ("19:00", NEWS),  # the evening
])
def test_auto_shows_the_grid_in_every_plenary_and_session_and_the_news_only_in_between(
        day, clock, shows):
    assert projector.auto_shows(day.event, at(clock), has_news=True)[0] == shows


@pytest.mark.parametrize("clock", ["08:30", "12:30", "19:00"])
def test_auto_without_reports_shows_the_grid(day, clock):
    assert projector.auto_shows(day.event, at(clock), has_news=False)[0] == BOARD


def test_the_events_mode_and_a_screens_own_mode(day):
    projector.set_mode(event=day.event, user=day.organizer, mode="news")
    assert projector.wall(day.event, at("10:30")).shows == NEWS
    assert projector.wall(day.event, at("10:30"), asked="board").shows == BOARD
    projector.set_mode(event=day.event, user=day.organizer, mode="board")
    assert projector.wall(day.event, at("12:30"), asked="nonsense").shows == BOARD


def test_switching_the_mode_is_stored_and_broadcast_once_after_commit(day, sent):
    projector.set_mode(event=day.event, user=day.organizer, mode="news")
    projector.set_mode(event=day.event, user=day.organizer, mode="news")  # no change, no news

    db.session.expire_all()
    assert db.session.get(Event, day.event.id).projector_mode == NEWS
    assert sent == [{"event_id": day.event.id, "kind": "mode", "mode": "news"}]


def test_only_organizers_switch_and_only_to_a_known_mode(day, sent, make_user, join):
    pat = make_user(name="Pat")
    join(day.event, pat)
    with pytest.raises(NotAllowed):
        projector.set_mode(event=day.event, user=db.session.get(User, pat.id), mode="news")
    with pytest.raises(ValidationFailed) as error:
        projector.set_mode(event=day.event, user=day.organizer, mode="disco")
    assert "projector_mode" in error.value.fields
    db.session.expire_all()
    assert db.session.get(Event, day.event.id).projector_mode == ProjectorMode.AUTO
    assert sent == []


# The join link ----------------------------------------------------------------------------------

PATH = "/e/x/join?code=ABC"


@pytest.mark.parametrize("host,local", [
    ("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("app.localhost", True),
    ("[::1]", True), ("0.0.0.0", True), ("192.168.1.20", False), ("cxo.example.org", False),
])
def test_local_hosts(host, local):
    assert projector.is_local_host(host) is local


def test_a_link_opened_elsewhere_is_left_alone(day):
    link = projector.join_link(day.event, path=PATH, base="http://192.168.1.20:5000",
                               addresses=["10.0.0.5"], listen_host="0.0.0.0")
    assert (link.url, link.local, link.broken) == ("http://192.168.1.20:5000" + PATH, False, False)


def test_a_loopback_link_uses_the_only_network_address(day):
    link = projector.join_link(day.event, path=PATH, base="http://127.0.0.1:5000",
                               addresses=["192.168.1.20"], listen_host="0.0.0.0")
    assert link.url == "http://192.168.1.20:5000" + PATH
    assert link.local and not link.needs_choice and not link.broken


def test_with_several_addresses_the_organizer_picks_one(day):
    addresses = ["192.168.1.20", "10.8.0.2"]
    guess = projector.join_link(day.event, path=PATH, base="http://localhost:5000",
                                addresses=addresses)
    assert guess.url == "http://192.168.1.20:5000" + PATH and guess.needs_choice

    projector.set_join_address(event=day.event, user=day.organizer, address="10.8.0.2",
                               offered=addresses)
    picked = projector.join_link(day.event, path=PATH, base="http://localhost:5000",
                                 addresses=addresses)
    assert picked.url == "http://10.8.0.2:5000" + PATH and not picked.needs_choice

    # On another network the pick is gone: back to the likeliest address.
    elsewhere = projector.join_link(day.event, path=PATH, base="http://localhost:5000",
                                    addresses=["172.20.1.9"])
    assert elsewhere.url == "http://172.20.1.9:5000" + PATH


def test_no_phone_can_join_without_an_address_or_a_server_listening_outside(day):
    alone = projector.join_link(day.event, path=PATH, base="http://127.0.0.1:5000", addresses=[])
    assert alone.url == "http://127.0.0.1:5000" + PATH and alone.broken
    local_only = projector.join_link(day.event, path=PATH, base="http://127.0.0.1:5000",
                                     addresses=["192.168.1.20"], listen_host="127.0.0.1")
    assert local_only.unreachable and local_only.broken


def test_only_an_address_of_this_machine_is_accepted(day, sent, make_user, join):
    with pytest.raises(ValidationFailed) as error:
        projector.set_join_address(event=day.event, user=day.organizer,
                                   address="evil.example.org", offered=["192.168.1.20"])
    assert error.value.fields == {"address": "is not a network address of this machine"}
    pat = make_user(name="Pat")
    join(day.event, pat)
    with pytest.raises(NotAllowed):
        projector.set_join_address(event=day.event, user=db.session.get(User, pat.id),
                                   address="192.168.1.20", offered=["192.168.1.20"])
    db.session.expire_all()
    assert db.session.get(Event, day.event.id).join_address == ""
    assert sent == []

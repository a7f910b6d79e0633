"""The projector's pages: organizer controls, modes, the join address (real interfaces)."""

from __future__ import annotations

from openspace import netaddrs
from openspace.extensions import db
from openspace.models import Event

from .conftest import login_as


def _projector(client, world, query=""):
    return client.get(f"/e/{world.event.slug}/projector{query}").get_data(as_text=True)


def test_organizers_get_the_wall_controls_and_others_do_not(client, world):
    login_as(client, world.participant)
    assert "wall-controls" not in _projector(client, world)
    login_as(client, world.organizer)
    page = _projector(client, world)
    assert 'class="wall-controls"' in page
    assert 'name="mode" value="auto" class="wall-button is-current" aria-pressed="true"' in page


def test_the_events_mode_and_a_screens_own_mode(app, client, world):
    login_as(client, world.organizer)
    client.post(f"/e/{world.event.slug}/projector/mode", data={"mode": "news"})
    assert 'data-shows="news"' in _projector(client, world)
    assert 'data-shows="board"' in _projector(client, world, "?mode=board")
    with app.app_context():
        assert db.session.get(Event, world.event.id).projector_mode == "news"


def test_a_bad_mode_is_refused_with_a_message(app, client, world):
    login_as(client, world.organizer)
    response = client.post(f"/e/{world.event.slug}/projector/mode",
                           data={"mode": "disco", "next": f"/e/{world.event.slug}/projector"},
                           follow_redirects=True)
    assert "must be one of" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Event, world.event.id).projector_mode == "auto"


def test_the_join_address_is_one_of_this_machines(app, client, world):
    login_as(client, world.organizer)
    refused = client.post(f"/e/{world.event.slug}/projector/join-address",
                          data={"address": "203.0.113.7"}, follow_redirects=True)
    assert "is not a network address of this machine" in refused.get_data(as_text=True)
    lan = netaddrs.lan_addresses()
    if lan:
        client.post(f"/e/{world.event.slug}/projector/join-address", data={"address": lan[0].ip})
    with app.app_context():
        assert db.session.get(Event, world.event.id).join_address == (lan[0].ip if lan else "")
    # The test client is "localhost": the wall's link uses the network address.
    page = _projector(client, world)
    if lan:
        assert f"http://{lan[0].ip}/e/{world.event.slug}/join?code=" in page
    else:
        assert "This QR code only works on this computer" in page

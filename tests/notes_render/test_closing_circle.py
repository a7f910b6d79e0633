"""The closing circle: the projector can show the open action items nobody owns yet, for
people to take; switched by an organizer for every projector, like the other modes."""

from __future__ import annotations

from openspace.domain import projector
from openspace.extensions import db
from openspace.models import Event, ProjectorMode

from .conftest import login_as


def test_the_projector_shows_the_open_items_nobody_owns(client, app, world, make_topic,
                                                        write_note):
    first = make_topic(world.event, world.participant, "Budget")
    write_note(first, "- [ ] Pat's own @pat\n- [ ] Find a sponsor\n- [x] Done already\n"
                      "- [ ] Ask @somebody_unknown\n")
    login_as(client, world.organizer)
    response = client.post(f"/e/{world.event.slug}/projector/mode", data={"mode": "actions"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Event, world.event.id).projector_mode == ProjectorMode.ACTIONS

    page = client.get(f"/e/{world.event.slug}/projector").get_data(as_text=True)

    assert 'data-shows="actions"' in page and "Who takes these?" in page
    assert "Find a sponsor" in page and "Ask" in page  # a handle of nobody names no owner
    assert "Pat's own" not in page and "Done already" not in page
    assert "2 open action items without an owner" in page


def test_the_wall_says_when_every_item_has_an_owner(app, world):
    with app.app_context():
        event = db.session.get(Event, world.event.id)
        event.projector_mode = ProjectorMode.ACTIONS
        wall = projector.wall(event, projector.datetime(2026, 11, 23, 17, 0))
        assert wall.shows == ProjectorMode.ACTIONS and wall.actions == []

"""The schedule advisor's page: figures now, a suggestion as a diff, applying ticked moves."""

from __future__ import annotations

import re

from openspace.models import Topic

from .conftest import login_as


def _clash(world, make_topic, join, quick_user, place, interest):
    carol = quick_user("Carol")
    join(world.event, carol)
    first = make_topic(world.event, world.participant, "Headless CMS")
    second = make_topic(world.event, world.organizer, "Hiring juniors")
    place(first, world.organizer, world.rooms["Atrium"], world.sessions[0])
    place(second, world.organizer, world.rooms["Library"], world.sessions[0])
    interest(first, carol)
    interest(second, carol)
    return first, second


def test_the_page_shows_the_clash_and_a_suggestion(client, world, make_topic, join, quick_user,
                                                   place, interest):
    first, second = _clash(world, make_topic, join, quick_user, place, interest)
    login_as(client, world.organizer)
    page = client.get(f"/e/{world.event.slug}/advisor").get_data(as_text=True)
    assert "1 attendee with a clash" in page
    assert f'href="/e/{world.event.slug}/advisor"' in page  # in the organizers' navigation

    response = client.post(f"/e/{world.event.slug}/advisor",
                           data={"max_moves": "4", "pinned": [str(first.id)]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    tokens = re.findall(r'name="move" value="([^"]+)"', page)
    assert len(tokens) == 1 and tokens[0].startswith(f"move.{second.id}.")
    assert "1 fewer attendee with a clash" in page
    assert f'id="pin-{first.id}" name="pinned" value="{first.id}" checked' in page
    assert "The board after these moves" in page


def test_applying_a_ticked_move_changes_the_board(client, world, make_topic, join, quick_user,
                                                  place, interest, fetch):
    first, second = _clash(world, make_topic, join, quick_user, place, interest)
    login_as(client, world.organizer)
    page = client.post(f"/e/{world.event.slug}/advisor", data={}).get_data(as_text=True)
    (token,) = re.findall(r'name="move" value="([^"]+)"', page)
    response = client.post(f"/e/{world.event.slug}/advisor/apply", data={"move": token},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "1 move applied." in page
    assert "0 attendees with a clash" in page
    moved = fetch(Topic, int(token.split(".")[1]))
    assert moved.slot_id == world.sessions[1]
    # The same move again: refused, said so, nothing changes.
    page = client.post(f"/e/{world.event.slug}/advisor/apply", data={"move": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "Not applied: The board changed since this suggestion was made" in page


def test_bad_form_input_is_explained(client, world, make_topic, join, quick_user, place,
                                     interest):
    _clash(world, make_topic, join, quick_user, place, interest)
    login_as(client, world.organizer)
    response = client.post(f"/e/{world.event.slug}/advisor", data={"max_moves": "500"})
    assert response.status_code == 400
    assert "max_moves" in response.get_data(as_text=True)
    for token in ("move.x.1.2.3.4", "jump.1.1.1.1.1", "nonsense", "move." * 100):
        page = client.post(f"/e/{world.event.slug}/advisor/apply", data={"move": token},
                           follow_redirects=True).get_data(as_text=True)
        assert "Not applied:" in page
    page = client.post(f"/e/{world.event.slug}/advisor/apply", data={},
                       follow_redirects=True).get_data(as_text=True)
    assert "Tick at least one move to apply." in page


def test_participants_get_no_advisor(client, world):
    login_as(client, world.participant)
    assert client.get(f"/e/{world.event.slug}/advisor").status_code == 403
    assert client.post(f"/e/{world.event.slug}/advisor", data={}).status_code == 403
    page = client.get(f"/e/{world.event.slug}").get_data(as_text=True)
    assert "/advisor" not in page

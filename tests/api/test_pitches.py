"""The pitch queue over the JSON API: read it, join with a topic of yours, next / done / leave,
the organizers' settings; the standard error envelope for every bad input and refusal."""

from __future__ import annotations

import pytest

from .conftest import API


@pytest.fixture
def opened(client, world):
    response = client.patch(f"{API}/events/{world.slug}/pitches", json={"open": True},
                            headers=world.organizer.headers)
    assert response.status_code == 200, response.get_json()
    return world


def _topic(client, world, who, title="Pricing") -> int:
    response = client.post(f"{API}/events/{world.slug}/topics", json={"title": title},
                           headers=who.headers)
    assert response.status_code == 201
    return response.get_json()["id"]


def _join(client, world, who, topic_id):
    return client.post(f"{API}/events/{world.slug}/pitches", json={"topic_id": topic_id},
                       headers=who.headers)


def test_reading_the_queue_is_open_to_anyone_on_a_public_event(client, world):
    response = client.get(f"{API}/events/{world.slug}/pitches")

    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in ("open", "seconds", "current", "next", "waiting", "order",
                                 "mine")} == {
        "open": False, "seconds": 60, "current": None, "next": [], "waiting": 0, "order": [],
        "mine": []}
    assert body["server_time"].endswith("Z")


def test_a_convener_joins_and_reads_their_place(client, opened, person):
    world = opened
    topic_id = _topic(client, world, world.alice)

    response = _join(client, world, world.alice, topic_id)

    assert response.status_code == 201
    body = response.get_json()
    assert body["pitch"]["topic"] == {"id": topic_id, "title": "Pricing"}
    assert body["pitch"]["state"] == "waiting"
    assert body["queue"]["order"] == [body["pitch"]["id"]]
    assert body["queue"]["mine"] == [{"pitch_id": body["pitch"]["id"], "topic_id": topic_id,
                                      "state": "waiting", "place": 1, "minutes": 0}]
    again = _join(client, world, world.alice, topic_id)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_queued"


def test_next_done_and_leave(client, opened, person):
    world = opened
    bob = person("Bob", joins=world.slug)
    first = _join(client, world, world.alice, _topic(client, world, world.alice)).get_json()
    second = _join(client, world, bob, _topic(client, world, bob, "Hiring")).get_json()
    first_id, second_id = first["pitch"]["id"], second["pitch"]["id"]

    response = client.post(f"{API}/events/{world.slug}/pitches/next", json={"current_id": None},
                           headers=world.organizer.headers)
    assert response.status_code == 200
    assert response.get_json()["current"]["id"] == first_id
    stale = client.post(f"{API}/events/{world.slug}/pitches/next", json={"current_id": None},
                        headers=world.organizer.headers)
    assert (stale.status_code, stale.get_json()["error"]["code"]) == (409, "queue_changed")

    response = client.post(f"{API}/events/{world.slug}/pitches/{first_id}/done", json={},
                           headers=world.alice.headers)
    assert response.status_code == 200
    assert response.get_json()["current"]["id"] == second_id

    response = client.delete(f"{API}/events/{world.slug}/pitches/{second_id}",
                             headers=bob.headers)
    assert response.status_code == 200
    assert response.get_json()["current"] is None


def test_refusals_use_the_error_envelope(client, opened, person):
    world = opened
    topic_id = _topic(client, world, world.alice)
    bob = person("Bob", joins=world.slug)

    theirs = _join(client, world, bob, topic_id)
    assert (theirs.status_code, theirs.get_json()["error"]["code"]) == (403, "forbidden")
    outsider = _join(client, world, world.outsider, topic_id)
    assert outsider.status_code == 403
    anonymous = client.post(f"{API}/events/{world.slug}/pitches", json={"topic_id": topic_id})
    assert anonymous.status_code == 401
    nxt = client.post(f"{API}/events/{world.slug}/pitches/next", json={},
                      headers=world.alice.headers)
    assert nxt.status_code == 403
    settings = client.patch(f"{API}/events/{world.slug}/pitches", json={"seconds": 30},
                            headers=world.alice.headers)
    assert settings.status_code == 403
    missing = client.post(f"{API}/events/{world.slug}/pitches/999999/done", json={},
                          headers=world.alice.headers)
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "not_found")
    unknown = client.get(f"{API}/events/no-such-event/pitches")
    assert unknown.status_code == 404


@pytest.mark.parametrize("body,field", [
    ({}, "topic_id"), ({"topic_id": "7"}, "topic_id"), ({"topic_id": True}, "topic_id"),
    ({"topic_id": 1.5}, "topic_id"), ({"topic_id": 2**70}, "topic_id"),
    ({"topic_id": 1, "extra": 1}, "extra"),
])
def test_join_names_the_bad_field(client, opened, body, field):
    response = client.post(f"{API}/events/{opened.slug}/pitches", json=body,
                           headers=opened.alice.headers)

    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("body,field", [
    ({"seconds": 29}, "seconds"), ({"seconds": 91}, "seconds"), ({"seconds": "60"}, None),
    ({"seconds": None}, "seconds"), ({"seconds": [60]}, "seconds"), ({"open": "true"}, "open"),
    ({"open": 1}, "open"), ({"colour": "red"}, "colour"),
])
def test_settings_name_the_bad_field(client, world, body, field):
    response = client.patch(f"{API}/events/{world.slug}/pitches", json=body,
                            headers=world.organizer.headers)

    if field is None:  # a form-style number is read as the number it spells
        assert response.status_code == 200 and response.get_json()["seconds"] == 60
        return
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("body", [{"current_id": "x"}, {"current_id": True},
                                  {"current_id": -4}, {"other": 1}])
def test_next_names_a_bad_body(client, opened, body):
    response = client.post(f"{API}/events/{opened.slug}/pitches/next", json=body,
                           headers=opened.organizer.headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid"


def test_not_json_is_refused(client, opened):
    response = client.post(f"{API}/events/{opened.slug}/pitches", data="topic_id=1",
                           headers=opened.alice.headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid"

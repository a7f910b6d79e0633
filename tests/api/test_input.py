"""Bad input gets a 400 (or 404/413) in the contract's error shape, naming the fields."""

from __future__ import annotations

import pytest

from .conftest import API


def error_of(response) -> dict:
    assert response.content_type == "application/json"
    return response.get_json()["error"]


def test_body_that_is_not_json_is_400(client, world):
    response = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                           data="title=Hello", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid",
        "message": "Send a JSON object with Content-Type: application/json."}


def test_malformed_json_is_400(client, world):
    response = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                           data='{"title": ', content_type="application/json")

    assert response.status_code == 400
    assert error_of(response) == {"code": "invalid",
                                  "message": "The request body is not valid JSON."}


@pytest.mark.parametrize("body", ['["title"]', '"title"', "null", "5"])
def test_json_that_is_not_an_object_is_400(client, world, body):
    response = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                           data=body, content_type="application/json")

    assert response.status_code == 400
    assert error_of(response) == {"code": "invalid",
                                  "message": "The request body must be a JSON object."}


def test_wrong_types_name_each_field(client, world):
    topic = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                        json={"title": 5, "description": ["x"], "tags": 7})
    room = client.post(f"{API}/events/{world.slug}/rooms", headers=world.organizer.headers,
                       json={"name": "Garden", "capacity": "many"})
    bool_capacity = client.post(f"{API}/events/{world.slug}/rooms",
                                headers=world.organizer.headers,
                                json={"name": "Garden", "capacity": True})

    assert topic.status_code == 400
    assert error_of(topic)["fields"] == {"title": "must be a string",
                                         "description": "must be a string",
                                         "tags": "must be a list of strings"}
    assert room.status_code == 400
    assert error_of(room)["fields"] == {"capacity": "must be a whole number"}
    assert bool_capacity.status_code == 400
    assert error_of(bool_capacity)["fields"] == {"capacity": "must be a whole number"}


@pytest.mark.parametrize("room_id, slot_id, bad", [
    ("1", 1, "room_id"), (True, 1, "room_id"), (1, 1.5, "slot_id"), (1, None, "slot_id"),
])
def test_placement_ids_must_be_integers(client, world, room_id, slot_id, bad):
    topic = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                        json={"title": "Pricing"}).get_json()

    response = client.put(f"{API}/topics/{topic['id']}/placement", headers=world.alice.headers,
                          json={"room_id": room_id, "slot_id": slot_id})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {bad: "must be an id (a whole number)"}


def test_too_long_strings_are_400_with_the_limit(client, world):
    response = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                           json={"title": "x" * 121, "description": "y" * 5001,
                                 "tags": ["z" * 31]})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "title": "must be at most 120 characters",
        "description": "must be at most 5000 characters",
        "tags": "must be at most 30 characters",
    }


@pytest.mark.parametrize("field", ["convener_id", "role", "event_id", "id", "status"])
def test_read_only_fields_are_refused_by_name(client, world, field):
    created = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                          json={"title": "Pricing", field: 1})
    topic = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                        json={"title": "Pricing"}).get_json()
    patched = client.patch(f"{API}/topics/{topic['id']}", headers=world.alice.headers,
                           json={field: 1})

    assert created.status_code == 400
    assert error_of(created)["fields"] == {field: "unknown or read-only field"}
    assert patched.status_code == 400
    assert error_of(patched)["fields"] == {field: "unknown or read-only field"}


def test_unknown_fields_on_events_rooms_slots_and_placement(client, world):
    headers = world.organizer.headers
    event = client.post(f"{API}/events", headers=headers, json={
        "name": "X", "timezone": "UTC", "starts_on": "2026-01-01", "join_code": "AAAAAA"})
    room = client.post(f"{API}/events/{world.slug}/rooms", headers=headers,
                       json={"name": "Garden", "event_id": 2})
    slot = client.post(f"{API}/events/{world.slug}/slots", headers=headers,
                       json={"starts_at": "2026-11-23T14:00", "ends_at": "2026-11-23T15:00",
                             "room_id": 1})
    join = client.post(f"{API}/events/{world.slug}/members", headers=world.outsider.headers,
                       json={"join_code": world.join_code, "role": "organizer"})

    assert [r.status_code for r in (event, room, slot, join)] == [400] * 4
    assert error_of(event)["fields"] == {"join_code": "unknown or read-only field"}
    assert error_of(room)["fields"] == {"event_id": "unknown or read-only field"}
    assert error_of(slot)["fields"] == {"room_id": "unknown or read-only field"}
    assert error_of(join)["fields"] == {"role": "unknown or read-only field"}


def test_html_in_titles_comes_back_verbatim_as_json(client, world):
    title = '<script>alert("x")</script> & <b>bold</b>'

    created = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                          json={"title": title})
    board = client.get(f"{API}/events/{world.slug}/board")

    assert created.status_code == 201
    assert created.content_type == "application/json"
    assert created.get_json()["title"] == title
    assert board.content_type == "application/json"
    assert [t["title"] for t in board.get_json()["topics"]] == [title]


def test_oversize_body_is_413_in_the_error_shape(client, world):
    big = '{"title": "' + "x" * (1024 * 1024) + '"}'

    response = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                           data=big, content_type="application/json")

    assert response.status_code == 413
    assert error_of(response)["code"] == "request_entity_too_large"
    assert error_of(response)["message"]


def test_unknown_api_path_and_wrong_method_use_the_error_shape(client, world):
    missing = client.get(f"{API}/nothing-here")
    wrong_method = client.put(f"{API}/events", headers=world.alice.headers, json={})

    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "method_not_allowed"


def test_control_characters_and_multiline_titles_are_refused(client, world):
    nul = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                      json={"title": "a\x00b"})
    lines = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                        json={"title": "a\nb"})

    assert error_of(nul)["fields"] == {"title": "contains control characters"}
    assert error_of(lines)["fields"] == {"title": "must be a single line"}

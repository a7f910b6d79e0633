"""Bad input gets a 400 (or 404/413) in the contract's error shape, naming the fields."""

from __future__ import annotations

import pytest

from .conftest import API, cookie_login

pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)


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


# One id rule (validation.as_id / id_from_text), for bodies, paths and sockets alike -----------

@pytest.mark.parametrize("capacity", ["²", "٣", "9" * 5000, "1e3", "-1", "7.5", 7.5])
def test_integer_fields_refuse_what_is_not_ascii_digits(client, world, capacity):
    response = client.post(f"{API}/events/{world.slug}/rooms", headers=world.organizer.headers,
                           json={"name": "Garden", "capacity": capacity})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"capacity": "must be a whole number"}


def test_a_form_number_in_ascii_digits_is_a_number(client, world):
    response = client.post(f"{API}/events/{world.slug}/rooms", headers=world.organizer.headers,
                           json={"name": "Garden", "capacity": "12"})
    assert response.status_code == 201
    assert response.get_json()["capacity"] == 12


HUGE_IDS = [str(2**63), str(2**64 + 1), "9" * 30, "0", "007"]


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_path_ids_past_64_bits_are_404_for_any_logged_in_user(client, world, huge):
    for method, path in (("PATCH", f"/events/{world.slug}/rooms/{huge}"),
                         ("DELETE", f"/events/{world.slug}/rooms/{huge}"),
                         ("PATCH", f"/events/{world.slug}/slots/{huge}"),
                         ("DELETE", f"/events/{world.slug}/slots/{huge}"),
                         ("PUT", f"/events/{world.slug}/members/{huge}/role"),
                         ("GET", f"/topics/{huge}")):
        response = client.open(API + path, method=method, headers=world.outsider.headers,
                               json={"name": "x", "role": "organizer"})
        assert response.status_code == 404, (method, path, response.status_code)
        assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_a_member_path_id_past_64_bits_is_404(client, world, huge):
    # Its own test: the requests above spend the caller's burst of refusals already.
    response = client.delete(f"{API}/events/{world.slug}/members/{huge}",
                             headers=world.organizer.headers)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_the_largest_id_is_looked_up_and_not_found(client, world):
    largest = 2**63 - 1
    response = client.patch(f"{API}/events/{world.slug}/rooms/{largest}",
                            headers=world.organizer.headers, json={"name": "x"})
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "No such room in this event."}


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_photo_and_announcement_urls_past_64_bits_are_404(app, client, world, huge):
    anonymous = app.test_client()
    for path in (f"/photos/{huge}.jpg", f"/photos/{huge}/thumb.jpg"):
        assert anonymous.get(path).status_code == 404, path
    assert anonymous.post(f"/photos/{huge}/delete").status_code in (302, 404)
    cookie = app.test_client()
    cookie_login(cookie, world.organizer.id)
    response = cookie.post(f"/e/{world.slug}/announcements/{huge}/delete")
    assert response.status_code == 404


def test_whole_number_floats_are_ids_as_json_schema_says(client, world):
    """JSON Schema's "integer" is any number without a fraction: 7.0 is the id 7."""
    topic = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                        json={"title": "Pricing"}).get_json()

    placed = client.put(f"{API}/topics/{topic['id']}/placement", headers=world.alice.headers,
                        json={"room_id": float(world.atrium), "slot_id": float(world.session1)})
    big = client.put(f"{API}/topics/{topic['id']}/placement", headers=world.alice.headers,
                     json={"room_id": 1e19, "slot_id": world.session1})

    assert placed.status_code == 200, placed.get_json()
    assert placed.get_json()["room_id"] == world.atrium
    assert big.status_code == 400
    assert error_of(big)["fields"] == {"room_id": "must be an id (a whole number)"}


def test_feed_tokens_with_odd_digits_are_404(app, world):
    anonymous = app.test_client()
    for token in ("²-abc", f"{2**64}-abc", "٣-abc"):
        assert anonymous.get(f"/e/{world.slug}/agenda/{token}.ics").status_code == 404, token

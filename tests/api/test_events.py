"""Events, rooms, time slots and members over the API."""

from __future__ import annotations

import sqlalchemy as sa

from openspace.extensions import db
from openspace.models import Membership, Role, Room, Slot, Topic, TopicStatus

from .conftest import API

NEW_EVENT = {"name": "Drupal CEO Dinner", "timezone": "Europe/Brussels",
             "starts_on": "2026-11-23", "ends_on": "2026-11-24", "visibility": "public",
             "theme": "How do we grow\nwithout losing ourselves?", "hashtag": "ceodinner",
             "venue": "Ghent"}


# Events ------------------------------------------------------------------------------------

def test_create_event_makes_the_creator_organizer_and_shows_the_join_code(app, client, person):
    kristof = person("Kristof")

    response = client.post(f"{API}/events", json={**NEW_EVENT, "slug": "ceo-dinner"},
                           headers=kristof.headers)

    assert response.status_code == 201
    body = response.get_json()
    assert body["slug"] == "ceo-dinner"
    assert body["hashtag"] == "#ceodinner"
    assert body["theme"] == "How do we grow\nwithout losing ourselves?"
    assert body["board_state"] == "open"
    assert len(body["join_code"]) == 6
    with app.app_context():
        role = db.session.scalar(sa.select(Membership.role).where(
            Membership.user_id == kristof.id))
    assert role == Role.ORGANIZER


def test_create_event_without_slug_derives_one_from_the_name(client, person):
    response = client.post(f"{API}/events", json=NEW_EVENT, headers=person().headers)

    assert response.status_code == 201
    assert response.get_json()["slug"] == "drupal-ceo-dinner"


def test_create_event_with_a_taken_slug_conflicts(client, world):
    response = client.post(f"{API}/events", json={**NEW_EVENT, "slug": world.slug},
                           headers=world.alice.headers)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "slug_taken"


def test_create_event_anonymously_is_401(client):
    response = client.post(f"{API}/events", json=NEW_EVENT)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "not_authenticated"


def test_list_events_shows_public_ones_and_the_users_private_ones(client, world, make_event,
                                                                   person):
    organizer = person("Hidden host")
    make_event(organizer, name="Secret retreat", slug="retreat", visibility="private")

    anonymous = client.get(f"{API}/events").get_json()["events"]
    host_view = client.get(f"{API}/events", headers=organizer.headers).get_json()["events"]

    assert [e["slug"] for e in anonymous] == [world.slug]
    assert sorted(e["slug"] for e in host_view) == sorted(["retreat", world.slug])
    assert all("join_code" not in e for e in anonymous)
    assert [e.get("join_code") is not None for e in host_view if e["slug"] == "retreat"] == [True]


def test_get_event_hides_the_join_code_from_participants(client, world):
    as_alice = client.get(f"{API}/events/{world.slug}", headers=world.alice.headers)
    as_organizer = client.get(f"{API}/events/{world.slug}", headers=world.organizer.headers)

    assert as_alice.status_code == 200
    assert as_alice.get_json()["name"] == "Drupal CXO"
    assert "join_code" not in as_alice.get_json()
    assert as_organizer.get_json()["join_code"] == world.join_code


def test_private_event_is_404_for_non_members_and_anonymous(client, world, make_event, person):
    host = person("Host")
    make_event(host, name="Secret", slug="secret", visibility="private")

    assert client.get(f"{API}/events/secret").status_code == 404
    outsider = client.get(f"{API}/events/secret", headers=world.outsider.headers)
    assert outsider.status_code == 404
    assert outsider.get_json()["error"]["code"] == "not_found"
    assert client.get(f"{API}/events/secret/board",
                      headers=world.outsider.headers).status_code == 404
    assert client.get(f"{API}/events/secret", headers=host.headers).status_code == 200


def test_unknown_event_is_404(client):
    response = client.get(f"{API}/events/no-such-event")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_patch_event_by_organizer_locks_the_board_and_publishes_the_summary(client, world):
    response = client.patch(f"{API}/events/{world.slug}", headers=world.organizer.headers,
                            json={"board_state": "locked", "summary_published": True,
                                  "name": "Drupal CXO 2026"})

    assert response.status_code == 200
    body = response.get_json()
    assert (body["board_state"], body["summary_published"], body["name"]) == (
        "locked", True, "Drupal CXO 2026")
    board = client.get(f"{API}/events/{world.slug}/board").get_json()
    assert board["event"]["board_state"] == "locked"


def test_patch_event_by_participant_is_403(client, world):
    response = client.patch(f"{API}/events/{world.slug}", headers=world.alice.headers,
                            json={"board_state": "locked"})

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_patch_event_refuses_slug_and_join_code(client, world):
    response = client.patch(f"{API}/events/{world.slug}", headers=world.organizer.headers,
                            json={"slug": "other", "join_code": "AAAAAA"})

    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {
        "join_code": "unknown or read-only field", "slug": "unknown or read-only field"}


def test_patch_event_rejects_a_bad_board_state_and_non_boolean_flag(client, world):
    response = client.patch(f"{API}/events/{world.slug}", headers=world.organizer.headers,
                            json={"board_state": "closed", "summary_published": "yes"})

    assert response.status_code == 400
    assert sorted(response.get_json()["error"]["fields"]) == ["board_state", "summary_published"]


# Rooms -------------------------------------------------------------------------------------

def test_add_update_and_delete_a_room(app, client, world):
    created = client.post(f"{API}/events/{world.slug}/rooms", headers=world.organizer.headers,
                          json={"name": "Garden", "capacity": 12})
    assert created.status_code == 201
    room = created.get_json()
    assert room == {"id": room["id"], "name": "Garden", "capacity": 12}

    updated = client.patch(f"{API}/events/{world.slug}/rooms/{room['id']}",
                           headers=world.organizer.headers, json={"capacity": None})
    assert updated.status_code == 200
    assert updated.get_json() == {"id": room["id"], "name": "Garden", "capacity": None}

    deleted = client.delete(f"{API}/events/{world.slug}/rooms/{room['id']}",
                            headers=world.organizer.headers)
    assert deleted.status_code == 204
    assert deleted.data == b""
    with app.app_context():
        assert db.session.get(Room, room["id"]) is None


def test_deleting_a_room_returns_its_topics_to_the_marketplace(app, client, world):
    topic = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                        json={"title": "Pricing"}).get_json()
    client.put(f"{API}/topics/{topic['id']}/placement", headers=world.alice.headers,
               json={"room_id": world.atrium, "slot_id": world.session1})

    client.delete(f"{API}/events/{world.slug}/rooms/{world.atrium}",
                  headers=world.organizer.headers)

    after = client.get(f"{API}/topics/{topic['id']}").get_json()
    assert (after["room_id"], after["slot_id"], after["status"]) == (None, None, "proposed")


def test_add_room_by_participant_is_403(client, world):
    response = client.post(f"{API}/events/{world.slug}/rooms", headers=world.alice.headers,
                           json={"name": "Garden"})

    assert response.status_code == 403


def test_add_room_with_an_existing_name_conflicts(client, world):
    response = client.post(f"{API}/events/{world.slug}/rooms", headers=world.organizer.headers,
                           json={"name": "Atrium"})

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "room_exists"


def test_rooms_of_another_event_are_404(client, world, make_event):
    other = make_event(name="Other", slug="other")
    url = f"{API}/events/{world.slug}/rooms/{_first_room(client, other.slug)}"

    assert client.patch(url, headers=world.organizer.headers,
                        json={"name": "Mine"}).status_code == 404
    assert client.delete(url, headers=world.organizer.headers).status_code == 404


def _first_room(client, slug: str) -> int:
    return client.get(f"{API}/events/{slug}/board").get_json()["rooms"][0]["id"]


# Slots -------------------------------------------------------------------------------------

def test_add_update_and_delete_a_slot(app, client, world):
    created = client.post(f"{API}/events/{world.slug}/slots", headers=world.organizer.headers,
                          json={"starts_at": "2026-11-23T14:00", "ends_at": "2026-11-23T15:00",
                                "kind": "session", "label": "Afternoon"})
    assert created.status_code == 201
    slot = created.get_json()
    assert slot == {"id": slot["id"], "starts_at": "2026-11-23T14:00",
                    "ends_at": "2026-11-23T15:00", "kind": "session", "label": "Afternoon"}

    updated = client.patch(f"{API}/events/{world.slug}/slots/{slot['id']}",
                           headers=world.organizer.headers,
                           json={"ends_at": "2026-11-23T15:30", "kind": "plenary"})
    assert updated.status_code == 200
    assert (updated.get_json()["ends_at"], updated.get_json()["kind"]) == (
        "2026-11-23T15:30", "plenary")

    deleted = client.delete(f"{API}/events/{world.slug}/slots/{slot['id']}",
                            headers=world.organizer.headers)
    assert deleted.status_code == 204
    with app.app_context():
        assert db.session.get(Slot, slot["id"]) is None


def test_add_slot_rejects_overlaps_and_times_outside_the_event(client, world):
    overlap = client.post(f"{API}/events/{world.slug}/slots", headers=world.organizer.headers,
                          json={"starts_at": "2026-11-23T10:30", "ends_at": "2026-11-23T11:30"})
    outside = client.post(f"{API}/events/{world.slug}/slots", headers=world.organizer.headers,
                          json={"starts_at": "2027-01-01T10:00", "ends_at": "2027-01-01T11:00"})
    with_offset = client.post(f"{API}/events/{world.slug}/slots",
                              headers=world.organizer.headers,
                              json={"starts_at": "2026-11-23T16:00+01:00",
                                    "ends_at": "2026-11-23T17:00"})

    assert overlap.status_code == 400
    assert list(overlap.get_json()["error"]["fields"]) == ["starts_at"]
    assert outside.status_code == 400
    assert outside.get_json()["error"]["fields"]["starts_at"] == (
        "must fall within the event's dates")
    assert with_offset.status_code == 400
    assert list(with_offset.get_json()["error"]["fields"]) == ["starts_at"]


def test_slots_of_another_event_are_404(client, world, make_event):
    other = make_event(name="Other", slug="other")
    slot_id = client.get(f"{API}/events/{other.slug}/board").get_json()["slots"][0]["id"]
    url = f"{API}/events/{world.slug}/slots/{slot_id}"

    assert client.patch(url, headers=world.organizer.headers,
                        json={"label": "x"}).status_code == 404
    assert client.delete(url, headers=world.organizer.headers).status_code == 404


def test_add_slot_by_non_member_is_403(client, world):
    response = client.post(f"{API}/events/{world.slug}/slots", headers=world.outsider.headers,
                           json={"starts_at": "2026-11-23T14:00",
                                 "ends_at": "2026-11-23T15:00"})

    assert response.status_code == 403


# Members -----------------------------------------------------------------------------------

def test_join_with_code_is_201_then_200_when_already_a_member(client, world):
    first = client.post(f"{API}/events/{world.slug}/members", headers=world.outsider.headers,
                        json={"join_code": world.join_code.lower()})
    again = client.post(f"{API}/events/{world.slug}/members", headers=world.outsider.headers,
                        json={"join_code": world.join_code})

    assert first.status_code == 201
    assert first.get_json()["user"] == {"id": world.outsider.id, "name": "Olga"}
    assert first.get_json()["role"] == "participant"
    assert again.status_code == 200
    assert again.get_json()["role"] == "participant"


def test_join_with_a_wrong_code_is_404_naming_the_field(client, world):
    response = client.post(f"{API}/events/{world.slug}/members",
                           headers=world.outsider.headers, json={"join_code": "WRONG1"})

    assert response.status_code == 404
    assert list(response.get_json()["error"]["fields"]) == ["join_code"]


def test_join_a_private_event_with_its_code(client, make_event, person):
    host = person("Host")
    secret = make_event(host, name="Secret", slug="secret", visibility="private")
    guest = person("Guest")

    joined = client.post(f"{API}/events/secret/members", headers=guest.headers,
                         json={"join_code": secret.join_code})

    assert joined.status_code == 201
    assert client.get(f"{API}/events/secret", headers=guest.headers).status_code == 200


def test_organizer_rejoining_keeps_the_organizer_role(client, world):
    response = client.post(f"{API}/events/{world.slug}/members",
                           headers=world.organizer.headers, json={"join_code": world.join_code})

    assert response.status_code == 200
    assert response.get_json()["role"] == "organizer"


def test_list_members_for_members_only(client, world):
    listed = client.get(f"{API}/events/{world.slug}/members", headers=world.alice.headers)
    outsider = client.get(f"{API}/events/{world.slug}/members", headers=world.outsider.headers)

    assert listed.status_code == 200
    assert [(m["user"]["name"], m["role"]) for m in listed.get_json()["members"]] == [
        ("Kristof", "organizer"), ("Alice", "participant")]
    assert outsider.status_code == 403


def test_organizer_makes_a_participant_co_organizer(client, world):
    response = client.put(f"{API}/events/{world.slug}/members/{world.alice.id}/role",
                          headers=world.organizer.headers, json={"role": "organizer"})

    assert response.status_code == 200
    assert response.get_json()["role"] == "organizer"
    event = client.get(f"{API}/events/{world.slug}", headers=world.alice.headers).get_json()
    assert event["join_code"] == world.join_code


def test_participant_cannot_change_roles(client, world):
    response = client.put(f"{API}/events/{world.slug}/members/{world.alice.id}/role",
                          headers=world.alice.headers, json={"role": "organizer"})

    assert response.status_code == 403


def test_last_organizer_cannot_step_down(client, world):
    response = client.put(f"{API}/events/{world.slug}/members/{world.organizer.id}/role",
                          headers=world.organizer.headers, json={"role": "participant"})

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "last_organizer"


def test_a_co_organizer_cannot_demote_the_events_creator(client, world):
    promoted = client.put(f"{API}/events/{world.slug}/members/{world.alice.id}/role",
                          headers=world.organizer.headers, json={"role": "organizer"})
    assert promoted.status_code == 200

    demote = client.put(f"{API}/events/{world.slug}/members/{world.organizer.id}/role",
                        headers=world.alice.headers, json={"role": "participant"})

    assert demote.status_code == 409
    assert demote.get_json()["error"]["code"] == "creator"
    members = client.get(f"{API}/events/{world.slug}/members", headers=world.alice.headers)
    assert ("Kristof", "organizer") in [(m["user"]["name"], m["role"])
                                        for m in members.get_json()["members"]]
    # The creator may step down themselves (another organizer is left), and be made one again.
    down = client.put(f"{API}/events/{world.slug}/members/{world.organizer.id}/role",
                      headers=world.organizer.headers, json={"role": "participant"})
    assert down.status_code == 200 and down.get_json()["role"] == "participant"
    # The co-organizer can demote other co-organizers as before.
    up = client.put(f"{API}/events/{world.slug}/members/{world.organizer.id}/role",
                    headers=world.alice.headers, json={"role": "organizer"})
    assert up.status_code == 200


def test_role_of_a_non_member_is_404_and_bad_role_is_400(client, world):
    stranger = client.put(f"{API}/events/{world.slug}/members/{world.outsider.id}/role",
                          headers=world.organizer.headers, json={"role": "organizer"})
    bad = client.put(f"{API}/events/{world.slug}/members/{world.alice.id}/role",
                     headers=world.organizer.headers, json={"role": "admin"})

    assert stranger.status_code == 404
    assert bad.status_code == 400
    assert list(bad.get_json()["error"]["fields"]) == ["role"]


def _member_names(client, world, who=None) -> list[tuple[str, str]]:
    listed = client.get(f"{API}/events/{world.slug}/members",
                        headers=(who or world.organizer).headers)
    return [(m["user"]["name"], m["role"]) for m in listed.get_json()["members"]]


def test_organizer_removes_a_member_and_their_interest_leaves_the_board(client, world, person):
    bob = person("Bob", joins=world.slug)
    proposed = client.post(f"{API}/events/{world.slug}/topics", headers=bob.headers,
                           json={"title": "Bob's session"})
    topic_id = proposed.get_json()["id"]
    assert client.put(f"{API}/topics/{topic_id}/interest",
                      headers=world.alice.headers).get_json()["interest_count"] == 1
    version = client.get(f"{API}/events/{world.slug}/board").get_json()["version"]

    response = client.delete(f"{API}/events/{world.slug}/members/{world.alice.id}",
                             headers=world.organizer.headers)

    assert response.status_code == 204 and response.get_data() == b""
    assert _member_names(client, world) == [("Kristof", "organizer"), ("Bob", "participant")]
    board = client.get(f"{API}/events/{world.slug}/board").get_json()
    assert board["version"] == version + 1
    assert [(t["id"], t["interest_count"]) for t in board["topics"]] == [(topic_id, 0)]
    again = client.put(f"{API}/topics/{topic_id}/interest", headers=world.alice.headers)
    assert again.status_code == 403 and again.get_json()["error"]["code"] == "forbidden"


def test_removing_a_member_keeps_their_topics(client, world):
    proposed = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                           json={"title": "Alice's session"})

    response = client.delete(f"{API}/events/{world.slug}/members/{world.alice.id}",
                             headers=world.organizer.headers)

    assert response.status_code == 204
    kept = client.get(f"{API}/topics/{proposed.get_json()['id']}").get_json()
    assert (kept["title"], kept["convener"]["name"], kept["status"]) == (
        "Alice's session", "Alice", "proposed")


def test_participant_cannot_remove_members(client, world, person):
    bob = person("Bob", joins=world.slug)

    response = client.delete(f"{API}/events/{world.slug}/members/{bob.id}",
                             headers=world.alice.headers)
    outsider = client.delete(f"{API}/events/{world.slug}/members/{bob.id}",
                             headers=world.outsider.headers)
    anonymous = client.delete(f"{API}/events/{world.slug}/members/{bob.id}")

    assert response.status_code == 403
    assert response.get_json()["error"] == {"code": "forbidden",
                                            "message": "Only organizers can do that."}
    assert outsider.status_code == 403
    assert anonymous.status_code == 401
    assert ("Bob", "participant") in _member_names(client, world)


def test_removing_a_non_member_or_an_unknown_event_is_404(client, world):
    stranger = client.delete(f"{API}/events/{world.slug}/members/{world.outsider.id}",
                             headers=world.organizer.headers)
    nowhere = client.delete(f"{API}/events/no-such-event/members/{world.alice.id}",
                            headers=world.organizer.headers)
    not_an_id = client.delete(f"{API}/events/{world.slug}/members/alice",
                              headers=world.organizer.headers)

    assert stranger.status_code == 404
    assert stranger.get_json()["error"] == {
        "code": "not_found", "message": "That person is not a member of this event."}
    assert nowhere.status_code == 404
    assert not_an_id.status_code == 404


def test_the_last_organizer_cannot_be_removed_and_the_creator_only_leaves_themselves(
        client, world):
    alone = client.delete(f"{API}/events/{world.slug}/members/{world.organizer.id}",
                          headers=world.organizer.headers)
    assert alone.status_code == 409
    assert alone.get_json()["error"] == {
        "code": "last_organizer",
        "message": "An event needs at least one organizer: make someone else an organizer "
                   "first."}
    client.put(f"{API}/events/{world.slug}/members/{world.alice.id}/role",
               headers=world.organizer.headers, json={"role": "organizer"})

    creator = client.delete(f"{API}/events/{world.slug}/members/{world.organizer.id}",
                            headers=world.alice.headers)
    leaves = client.delete(f"{API}/events/{world.slug}/members/{world.organizer.id}",
                           headers=world.organizer.headers)

    assert creator.status_code == 409 and creator.get_json()["error"]["code"] == "creator"
    assert leaves.status_code == 204
    assert _member_names(client, world, world.alice) == [("Alice", "organizer")]


def test_withdrawn_topics_stay_out_of_the_board(app, client, world):
    topic = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                        json={"title": "Old idea"}).get_json()
    client.delete(f"{API}/topics/{topic['id']}", headers=world.alice.headers)

    board = client.get(f"{API}/events/{world.slug}/board").get_json()

    assert board["topics"] == []
    with app.app_context():
        assert db.session.get(Topic, topic["id"]).status == TopicStatus.WITHDRAWN

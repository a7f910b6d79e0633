"""Topics over the API: propose, edit, withdraw, place, release, interest, swap, merge, notes."""

from __future__ import annotations

import sqlalchemy as sa

from openspace.extensions import db
from openspace.models import Interest, Topic, User

from .conftest import API


def propose(client, world, who=None, title="Headless Drupal", **data):
    response = client.post(f"{API}/events/{world.slug}/topics",
                           headers=(who or world.alice).headers, json={"title": title, **data})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def place(client, topic_id, who, room_id, slot_id):
    return client.put(f"{API}/topics/{topic_id}/placement", headers=who.headers,
                      json={"room_id": room_id, "slot_id": slot_id})


def test_propose_topic_makes_the_caller_convener(client, world):
    response = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                           json={"title": "Headless Drupal", "description": "Pros\nand cons",
                                 "tags": ["#Frontend", "api"]})

    assert response.status_code == 201
    topic = response.get_json()
    assert topic == {
        "id": topic["id"], "title": "Headless Drupal", "description": "Pros\nand cons",
        "tags": ["frontend", "api"], "convener": {"id": world.alice.id, "name": "Alice"},
        "room_id": None, "slot_id": None, "status": "proposed", "interest_count": 0,
        "over_capacity": False, "merged_into_id": None,
    }


def test_get_topic_is_public_on_a_public_event(client, world):
    topic = propose(client, world)

    response = client.get(f"{API}/topics/{topic['id']}")

    assert response.status_code == 200
    assert response.get_json() == topic


def test_topics_of_private_events_are_404_for_non_members(client, world, make_event, person,
                                                         make_topic, app):
    host = person("Host")
    secret = make_event(host, name="Secret", slug="secret", visibility="private")
    with app.app_context():
        topic = make_topic(secret, db.session.get(User, host.id), "Hidden")

    assert client.get(f"{API}/topics/{topic.id}").status_code == 404
    assert client.get(f"{API}/topics/{topic.id}", headers=world.outsider.headers
                      ).status_code == 404
    assert client.get(f"{API}/topics/{topic.id}/notes").status_code == 404
    assert client.put(f"{API}/topics/{topic.id}/interest", headers=world.outsider.headers
                      ).status_code == 404
    assert client.get(f"{API}/topics/{topic.id}", headers=host.headers).status_code == 200


def test_unknown_topic_is_404(client, world):
    response = client.get(f"{API}/topics/999999", headers=world.alice.headers)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_propose_topic_as_non_member_is_403(client, world):
    response = client.post(f"{API}/events/{world.slug}/topics", headers=world.outsider.headers,
                           json={"title": "Crashing the party"})

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_propose_topic_anonymously_is_401(client, world):
    response = client.post(f"{API}/events/{world.slug}/topics", json={"title": "Me"})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "not_authenticated"


def test_locked_board_refuses_participants_with_board_locked(client, world):
    topic = propose(client, world)
    client.patch(f"{API}/events/{world.slug}", headers=world.organizer.headers,
                 json={"board_state": "locked"})

    new = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                      json={"title": "Late idea"})
    moved = place(client, topic["id"], world.alice, world.atrium, world.session1)
    by_organizer = place(client, topic["id"], world.organizer, world.atrium, world.session1)

    assert new.status_code == 403
    assert new.get_json()["error"]["code"] == "board_locked"
    assert moved.status_code == 403
    assert moved.get_json()["error"]["code"] == "board_locked"
    assert by_organizer.status_code == 200


def test_update_topic_by_convener_and_organizer_but_not_others(client, world, person):
    topic = propose(client, world)
    bob = person("Bob", joins=world.slug)

    by_convener = client.patch(f"{API}/topics/{topic['id']}", headers=world.alice.headers,
                               json={"title": "Decoupled Drupal"})
    by_organizer = client.patch(f"{API}/topics/{topic['id']}", headers=world.organizer.headers,
                                json={"description": "Bring examples"})
    by_bob = client.patch(f"{API}/topics/{topic['id']}", headers=bob.headers,
                          json={"title": "Mine now"})

    assert by_convener.status_code == 200
    assert by_convener.get_json()["title"] == "Decoupled Drupal"
    assert by_organizer.status_code == 200
    assert (by_organizer.get_json()["title"], by_organizer.get_json()["description"]) == (
        "Decoupled Drupal", "Bring examples")
    assert by_bob.status_code == 403


def test_withdraw_topic_frees_its_cell(client, world):
    topic = propose(client, world)
    place(client, topic["id"], world.alice, world.atrium, world.session1)

    response = client.delete(f"{API}/topics/{topic['id']}", headers=world.alice.headers)

    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["room_id"]) == ("withdrawn", None)
    again = client.delete(f"{API}/topics/{topic['id']}", headers=world.alice.headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "topic_inactive"


def test_place_topic_then_release_it(client, world):
    topic = propose(client, world)

    placed = place(client, topic["id"], world.alice, world.atrium, world.session1)
    released = client.delete(f"{API}/topics/{topic['id']}/placement",
                             headers=world.alice.headers)

    assert placed.status_code == 200
    assert (placed.get_json()["room_id"], placed.get_json()["slot_id"],
            placed.get_json()["status"]) == (world.atrium, world.session1, "placed")
    assert released.status_code == 200
    assert (released.get_json()["room_id"], released.get_json()["status"]) == (None, "proposed")


def test_place_topic_into_a_taken_cell_is_409_naming_the_holder(app, client, world, person):
    bob = person("Bob", joins=world.slug)
    holder = propose(client, world, title="<b>Pricing</b> & margins")
    place(client, holder["id"], world.alice, world.atrium, world.session1)
    loser = propose(client, world, who=bob, title="Hiring")

    response = place(client, loser["id"], bob, world.atrium, world.session1)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "slot_taken"
    assert error["holder"] == {"id": holder["id"], "title": "<b>Pricing</b> & margins"}
    assert "<b>Pricing</b> & margins" in error["message"]
    with app.app_context():
        assert db.session.get(Topic, loser["id"]).room_id is None


def test_convener_in_two_rooms_at_once_is_409_convener_busy(client, world):
    first = propose(client, world, title="Hiring")
    second = propose(client, world, title="Firing")
    place(client, first["id"], world.alice, world.atrium, world.session1)

    response = place(client, second["id"], world.alice, world.library, world.session1)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "convener_busy"
    assert response.get_json()["error"]["holder"] == {"id": first["id"], "title": "Hiring"}
    assert place(client, second["id"], world.alice, world.library,
                 world.session2).status_code == 200


def test_place_topic_refuses_plenary_and_break_slots(client, world):
    topic = propose(client, world)

    response = place(client, topic["id"], world.alice, world.atrium, world.lunch)

    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"slot_id": "is not a session slot"}


def test_place_topic_into_another_events_cell_is_404(client, world, make_event):
    other = make_event(name="Other", slug="other")
    other_board = client.get(f"{API}/events/{other.slug}/board").get_json()
    topic = propose(client, world)
    session = next(s["id"] for s in other_board["slots"] if s["kind"] == "session")

    foreign_room = place(client, topic["id"], world.alice, other_board["rooms"][0]["id"],
                         world.session1)
    foreign_slot = place(client, topic["id"], world.alice, world.atrium, session)

    assert foreign_room.status_code == 404
    assert foreign_room.get_json()["error"]["fields"] == {"room_id": "not in this event"}
    assert foreign_slot.status_code == 404
    assert foreign_slot.get_json()["error"]["fields"] == {"slot_id": "not in this event"}


def test_place_someone_elses_topic_is_403(client, world, person):
    topic = propose(client, world)
    bob = person("Bob", joins=world.slug)

    response = place(client, topic["id"], bob, world.atrium, world.session1)

    assert response.status_code == 403


def test_interest_counts_once_and_can_be_taken_back(app, client, world, person):
    topic = propose(client, world)
    bob = person("Bob", joins=world.slug)

    first = client.put(f"{API}/topics/{topic['id']}/interest", headers=bob.headers)
    twice = client.put(f"{API}/topics/{topic['id']}/interest", headers=bob.headers)
    assert (first.status_code, first.get_json()["interest_count"]) == (200, 1)
    assert twice.get_json()["interest_count"] == 1

    removed = client.delete(f"{API}/topics/{topic['id']}/interest", headers=bob.headers)

    assert (removed.status_code, removed.get_json()["interest_count"]) == (200, 0)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Interest)) == 0


def test_interest_from_a_non_member_is_403(client, world):
    topic = propose(client, world)

    response = client.put(f"{API}/topics/{topic['id']}/interest", headers=world.outsider.headers)

    assert response.status_code == 403


def test_swap_exchanges_cells_for_organizers_only(client, world, person):
    bob = person("Bob", joins=world.slug)
    first = propose(client, world, title="Hiring")
    second = propose(client, world, who=bob, title="Pricing")
    place(client, first["id"], world.alice, world.atrium, world.session1)
    place(client, second["id"], bob, world.library, world.session2)

    refused = client.post(f"{API}/topics/{first['id']}/swap", headers=world.alice.headers,
                          json={"with": second["id"]})
    swapped = client.post(f"{API}/topics/{first['id']}/swap", headers=world.organizer.headers,
                          json={"with": second["id"]})

    assert refused.status_code == 403
    assert swapped.status_code == 200
    a, b = swapped.get_json()["topics"]
    assert (a["id"], a["room_id"], a["slot_id"]) == (first["id"], world.library, world.session2)
    assert (b["id"], b["room_id"], b["slot_id"]) == (second["id"], world.atrium, world.session1)


def test_swap_with_a_topic_of_another_event_is_404(client, world, make_event, make_topic, app):
    other = make_event(name="Other", slug="other")
    with app.app_context():
        foreign = make_topic(other, db.session.get(User, other.organizer_id), "Elsewhere")
    topic = propose(client, world)
    place(client, topic["id"], world.alice, world.atrium, world.session1)

    response = client.post(f"{API}/topics/{topic['id']}/swap", headers=world.organizer.headers,
                           json={"with": foreign.id})

    assert response.status_code == 404


def test_merge_folds_a_duplicate_into_the_survivor(client, world, person):
    bob = person("Bob", joins=world.slug)
    survivor = propose(client, world, title="Hiring juniors")
    duplicate = propose(client, world, who=bob, title="Hiring")

    refused = client.post(f"{API}/topics/{duplicate['id']}/merge", headers=bob.headers,
                          json={"into": survivor["id"]})
    merged = client.post(f"{API}/topics/{duplicate['id']}/merge",
                         headers=world.organizer.headers, json={"into": survivor["id"]})

    assert refused.status_code == 403
    assert merged.status_code == 200
    assert (merged.get_json()["id"], merged.get_json()["interest_count"]) == (survivor["id"], 1)
    gone = client.get(f"{API}/topics/{duplicate['id']}").get_json()
    assert (gone["status"], gone["merged_into_id"]) == ("merged", survivor["id"])


def test_swap_and_merge_need_integer_topic_ids(client, world):
    topic = propose(client, world)

    swap = client.post(f"{API}/topics/{topic['id']}/swap", headers=world.organizer.headers,
                       json={"with": str(topic["id"])})
    merge = client.post(f"{API}/topics/{topic['id']}/merge", headers=world.organizer.headers,
                        json={"into": True})
    unknown = client.post(f"{API}/topics/{topic['id']}/merge", headers=world.organizer.headers,
                          json={"into": topic["id"], "keep": "both"})

    assert swap.status_code == 400
    assert swap.get_json()["error"]["fields"] == {"with": "must be a topic id (a whole number)"}
    assert merge.status_code == 400
    assert merge.get_json()["error"]["fields"] == {"into": "must be a topic id (a whole number)"}
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["fields"] == {"keep": "unknown or read-only field"}


def test_notes_are_empty_until_the_notes_feature_arrives(client, world):
    topic = propose(client, world)

    response = client.get(f"{API}/topics/{topic['id']}/notes")

    assert response.status_code == 200
    assert response.get_json() == {"markdown": "", "updated_at": None}

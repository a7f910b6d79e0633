"""GET /board: the snapshot, and its version growing by exactly one per change."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from openspace.extensions import db
from openspace.models import Topic

from .conftest import API, board_version

pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)


def test_board_snapshot_has_version_event_rooms_slots_and_topics(client, world):
    client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                json={"title": "Pricing"})

    board = client.get(f"{API}/events/{world.slug}/board").get_json()

    assert sorted(board) == ["event", "rooms", "slots", "topics", "version"]
    assert board["event"]["slug"] == world.slug
    assert "join_code" not in board["event"]
    assert [(r["name"], r["capacity"]) for r in board["rooms"]] == [("Atrium", 3),
                                                                     ("Library", 20)]
    assert [(s["starts_at"], s["kind"]) for s in board["slots"]] == [
        ("2026-11-23T09:00", "plenary"), ("2026-11-23T10:00", "session"),
        ("2026-11-23T11:00", "session"), ("2026-11-23T12:00", "break")]
    assert [t["title"] for t in board["topics"]] == ["Pricing"]


def test_every_change_bumps_the_version_by_exactly_one(client, world, person):
    bob = person("Bob", joins=world.slug)
    alice, organizer = world.alice.headers, world.organizer.headers
    start = board_version(client, world.slug)
    steps = []

    def step(response, expected_status=200):
        assert response.status_code == expected_status, response.get_json()
        steps.append(board_version(client, world.slug) - start)
        return response.get_json()

    topic = step(client.post(f"{API}/events/{world.slug}/topics", headers=alice,
                             json={"title": "Pricing"}), 201)
    other = step(client.post(f"{API}/events/{world.slug}/topics", headers=bob.headers,
                             json={"title": "Hiring"}), 201)
    url = f"{API}/topics/{topic['id']}"
    step(client.put(f"{url}/placement", headers=alice,
                    json={"room_id": world.atrium, "slot_id": world.session1}))
    step(client.put(f"{url}/placement", headers=alice,
                    json={"room_id": world.library, "slot_id": world.session1}))
    step(client.patch(url, headers=alice, json={"description": "Value pricing"}))
    step(client.put(f"{url}/interest", headers=bob.headers))
    step(client.post(f"{url}/swap", headers=organizer, json={"with": other["id"]}))
    step(client.delete(f"{API}/topics/{other['id']}/placement", headers=bob.headers))
    step(client.post(f"{API}/events/{world.slug}/rooms", headers=organizer,
                     json={"name": "Garden"}), 201)
    step(client.patch(f"{API}/events/{world.slug}", headers=organizer,
                      json={"board_state": "locked"}))
    step(client.post(f"{url}/merge", headers=organizer, json={"into": other["id"]}))

    assert steps == list(range(1, 12))


def test_no_op_and_refused_changes_leave_the_version_alone(client, world):
    topic = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                        json={"title": "Pricing"}).get_json()
    placement = {"room_id": world.atrium, "slot_id": world.session1}
    client.put(f"{API}/topics/{topic['id']}/placement", headers=world.alice.headers,
               json=placement)
    before = board_version(client, world.slug)

    same_cell = client.put(f"{API}/topics/{topic['id']}/placement",
                           headers=world.alice.headers, json=placement)
    renamed = client.patch(f"{API}/events/{world.slug}", headers=world.organizer.headers,
                           json={"name": "Renamed"})
    refused = client.post(f"{API}/events/{world.slug}/topics", headers=world.outsider.headers,
                          json={"title": "Nope"})
    invalid = client.post(f"{API}/events/{world.slug}/topics", headers=world.alice.headers,
                          json={"title": ""})

    assert [r.status_code for r in (same_cell, renamed, refused, invalid)] == [200, 200, 403,
                                                                              400]
    assert board_version(client, world.slug) == before


def test_twenty_concurrent_placements_into_one_cell_have_one_winner(app, world, person):
    people = [person(f"Convener {i}", joins=world.slug) for i in range(20)]
    setup = app.test_client()
    topic_ids = [
        setup.post(f"{API}/events/{world.slug}/topics", headers=p.headers,
                   json={"title": f"Topic {i}"}).get_json()["id"]
        for i, p in enumerate(people)
    ]
    barrier = threading.Barrier(len(people))
    results: dict[int, tuple[int, dict]] = {}

    def claim(who, topic_id):
        client = app.test_client()  # each thread its own client, token and app context
        barrier.wait()
        response = client.put(f"{API}/topics/{topic_id}/placement", headers=who.headers,
                              json={"room_id": world.atrium, "slot_id": world.session1})
        results[topic_id] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=claim, args=(p, t))
               for p, t in zip(people, topic_ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200] + [409] * 19
    winner = next(t for t, (status, _) in results.items() if status == 200)
    losers = [body["error"] for status, body in results.values() if status == 409]
    assert {(e["code"], e["holder"]["id"]) for e in losers} == {("slot_taken", winner)}
    with app.app_context():
        holders = db.session.scalars(sa.select(Topic.id).where(
            Topic.room_id == world.atrium, Topic.slot_id == world.session1)).all()
    assert holders == [winner]

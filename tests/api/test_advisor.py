"""The schedule advisor over the API: suggest, apply, who may, what bad input gets."""

from __future__ import annotations

import jsonschema

from openspace.domain import ratelimit
from openspace.web.api.openapi import document

from .conftest import API, board_version
from .test_topics import place, propose


def clash(client, world, person):
    """Two sessions at 10:00 (Alice's and Bob's) that Carol both wants; 11:00 is free."""
    bob = person("Bob", joins=world.slug)
    carol = person("Carol", joins=world.slug)
    first = propose(client, world, world.alice, "Headless CMS")
    second = propose(client, world, bob, "Hiring juniors")
    assert place(client, first["id"], world.organizer, world.atrium,
                 world.session1).status_code == 200
    assert place(client, second["id"], world.organizer, world.library,
                 world.session1).status_code == 200
    for topic in (first, second):
        assert client.put(f"{API}/topics/{topic['id']}/interest",
                          headers=carol.headers).status_code == 200
    return first, second, carol


def conforms(instance: dict, schema: str) -> None:
    """The answer matches its schema in the OpenAPI document."""
    jsonschema.validate(instance, {"$ref": f"#/components/schemas/{schema}",
                                   "components": document()["components"]},
                        cls=jsonschema.Draft202012Validator)


def suggest(client, world, who, body=None):
    return client.post(f"{API}/events/{world.slug}/advisor/suggest", headers=who.headers,
                       json=body if body is not None else {})


def test_suggest_then_apply_one_move(client, world, person):
    first, second, carol = clash(client, world, person)
    response = suggest(client, world, world.organizer)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["version"] == board_version(client, world.slug, world.organizer.headers)
    assert (answer["before"]["clashes"], answer["after"]["clashes"]) == (1, 0)
    (move,) = answer["moves"]
    assert move["topic"]["id"] in (first["id"], second["id"])
    assert move["from"] == {"room_id": move["from"]["room_id"], "slot_id": world.session1}
    assert move["to"]["slot_id"] == world.session2
    assert answer["explanations"] == []
    conforms(answer, "AdvisorSuggestion")

    body = {"moves": [{"kind": "move", "topic_id": move["topic"]["id"], "from": move["from"],
                       "to": move["to"]}]}
    applied = client.post(f"{API}/events/{world.slug}/advisor/apply",
                          headers=world.organizer.headers, json=body)
    assert applied.status_code == 200
    result = applied.get_json()
    conforms(result, "AdvisorApplied")
    assert result["applied"] == 1 and result["version"] == answer["version"] + 1
    (topic,) = result["results"][0]["topics"]
    assert (topic["room_id"], topic["slot_id"]) == (move["to"]["room_id"], world.session2)
    again = client.post(f"{API}/events/{world.slug}/advisor/apply",
                        headers=world.organizer.headers, json=body).get_json()
    assert again["applied"] == 0
    assert again["results"][0]["error"]["code"] == "board_changed"
    after = suggest(client, world, world.organizer).get_json()
    assert after["moves"] == [] and after["before"]["clashes"] == 0
    assert [e["code"] for e in after["explanations"]] == ["nothing_to_improve"]


def test_pinned_and_max_moves_are_honoured(client, world, person):
    first, second, carol = clash(client, world, person)
    answer = suggest(client, world, world.organizer,
                     {"pinned": [first["id"], second["id"]], "max_moves": 3}).get_json()
    assert answer["moves"] == [] and answer["after"]["clashes"] == 1
    assert answer["pinned"] == sorted([first["id"], second["id"]])
    assert answer["max_moves"] == 3
    assert "pinned_clash" in [e["code"] for e in answer["explanations"]]


def test_only_organizers(client, world, person):
    clash(client, world, person)
    for who, status in ((world.alice, 403), (world.outsider, 403)):
        assert suggest(client, world, who).status_code == status
        assert client.post(f"{API}/events/{world.slug}/advisor/apply", headers=who.headers,
                           json={"moves": []}).status_code == status
    assert client.post(f"{API}/events/{world.slug}/advisor/suggest", json={}).status_code == 401


def test_bad_input(client, world, person):
    clash(client, world, person)
    for body, field in (({"pinned": "all"}, "pinned"), ({"max_moves": 99}, "max_moves"),
                        ({"nonsense": True}, "nonsense")):
        response = suggest(client, world, world.organizer, body)
        assert response.status_code == 400
        assert field in response.get_json()["error"]["fields"]
    response = client.post(f"{API}/events/{world.slug}/advisor/apply",
                           headers=world.organizer.headers,
                           json={"moves": [{"kind": "move", "topic_id": 1}]})
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"moves.0.from", "moves.0.to"}
    response = client.post(f"{API}/events/{world.slug}/advisor/apply",
                           headers=world.organizer.headers, data="[]",
                           content_type="application/json")
    assert response.status_code == 400
    assert suggest(client, world, world.organizer, {"pinned": [10**9]}).status_code == 404


def test_suggestions_are_rate_limited_per_organizer(client, world, person, monkeypatch):
    clash(client, world, person)
    burst = ratelimit.LIMITS["advisor"].burst
    # No refill meanwhile (one token per 30 s: a slow machine's suggestions could earn one).
    monkeypatch.setitem(ratelimit.LIMITS, "advisor", ratelimit.Limit(rate=1e-6, burst=burst))
    statuses = [suggest(client, world, world.organizer).status_code for _ in range(burst + 1)]
    assert statuses == [200] * burst + [429]
    # Applying moves spends from the board bucket, not the advisor's.
    assert client.post(f"{API}/events/{world.slug}/advisor/apply",
                       headers=world.organizer.headers,
                       json={"moves": [{"kind": "move", "topic_id": 1,
                                        "from": {"room_id": 1, "slot_id": 1},
                                        "to": {"room_id": 1, "slot_id": 1}}]}
                       ).status_code == 200

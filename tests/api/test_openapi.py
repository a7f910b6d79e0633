"""The OpenAPI document matches the real routes, both ways, and carries the domain's limits."""

from __future__ import annotations

import re

from openspace.domain import validation as v

from .conftest import API

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _routes(app) -> set[tuple[str, str]]:
    """(path, method) of every API rule, written the OpenAPI way: /topics/{topic_id}."""
    pairs = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule[len(API):])
        pairs |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    return pairs


def _documented(document: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item}


def test_openapi_documents_exactly_the_routes_the_app_serves(app, client):
    document = client.get(f"{API}/openapi.json").get_json()

    served, documented = _routes(app), _documented(document)

    assert served - documented == set(), "routes missing from openapi.py"
    assert documented - served == set(), "documented operations the app does not serve"
    assert len(served) == 46


def test_openapi_is_version_3_1_with_both_security_schemes(client):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    assert response.content_type == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/api/v1"}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert (schemes["cookieAuth"]["in"], schemes["cookieAuth"]["name"]) == ("cookie", "session")
    assert (schemes["csrfToken"]["in"], schemes["csrfToken"]["name"]) == ("header",
                                                                           "X-CSRFToken")


def test_openapi_request_bodies_carry_the_domains_limits(client):
    schemas = client.get(f"{API}/openapi.json").get_json()["components"]["schemas"]

    topic = schemas["TopicCreate"]["properties"]
    assert topic["title"]["maxLength"] == v.TITLE_MAX
    assert _plain(topic["description"])["maxLength"] == v.DESCRIPTION_MAX
    tags = _plain(topic["tags"])
    assert (tags["items"]["maxLength"], tags["maxItems"]) == (v.TAG_MAX, v.TAGS_MAX)
    assert schemas["TopicCreate"]["additionalProperties"] is False
    assert schemas["RoomCreate"]["properties"]["name"]["maxLength"] == v.ROOM_NAME_MAX
    assert _plain(schemas["EventCreate"]["properties"]["theme"])["maxLength"] == v.THEME_MAX
    assert schemas["UserCreate"]["properties"]["password"]["minLength"] == v.PASSWORD_MIN
    assert schemas["Placement"]["required"] == ["room_id", "slot_id"]
    seconds = schemas["PitchSettings"]["properties"]["seconds"]
    assert (seconds["minimum"], seconds["maximum"]) == (30, 90)
    assert schemas["PitchJoin"]["required"] == ["topic_id"]


def _plain(schema: dict) -> dict:
    """The schema of a field's value, under the anyOf that adds null (or a form's string)."""
    while "anyOf" in schema:
        schema = schema["anyOf"][0]
    return schema


def test_openapi_says_what_the_server_answers(client):
    """Joining twice is a 200 (documented beside the 201); ids have the one id rule's bounds;
    a field the API reads null as "left out" says so."""
    document = client.get(f"{API}/openapi.json").get_json()
    join = document["paths"]["/events/{slug}/members"]["post"]["responses"]
    schemas = document["components"]["schemas"]

    assert join["200"]["content"] == join["201"]["content"]
    assert document["paths"]["/topics/{topic_id}"]["get"]["parameters"][0]["schema"] == {
        "type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert schemas["Placement"]["properties"]["room_id"]["maximum"] == v.ID_MAX
    assert {"type": "null"} in schemas["TopicCreate"]["properties"]["description"]["anyOf"]


def test_openapi_operations_name_their_errors_and_auth(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]

    placement = paths["/topics/{topic_id}/placement"]["put"]
    assert sorted(placement["responses"]) == ["200", "400", "401", "403", "404", "409", "413",
                                              "429"]
    assert placement["responses"]["409"] == {"$ref": "#/components/responses/E409"}
    assert placement["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Placement"}
    assert {} in paths["/events/{slug}/board"]["get"]["security"]  # anonymous allowed
    assert {} not in placement["security"]
    assert {"cookieAuth": [], "csrfToken": []} in placement["security"]


def test_every_schema_reference_resolves(client):
    document = client.get(f"{API}/openapi.json").get_json()
    text = str(document)

    for kind, name in re.findall(r"#/components/(\w+)/(\w+)", text):
        assert name in document["components"][kind], (kind, name)


def test_openapi_says_the_error_message_follows_the_callers_language(client):
    error = client.get(f"{API}/openapi.json").get_json()["components"]["schemas"]["Error"]
    body = error["properties"]["error"]["properties"]
    assert "Accept-Language" in body["message"]["description"]
    assert "English" in body["code"]["description"]

"""Fuzz the JSON API from its own OpenAPI document (schemathesis, against the WSGI app):
whatever arrives, no 5xx, and every response conforms to the document (status codes, content
types, headers, bodies). For every operation: schemathesis' coverage cases (boundary values,
each kind of invalid value, and the methods the document does not list: 405 with an Allow
header), then generated requests, valid and invalid (an invalid one must get a 4xx). Bounded
by max_examples so the suite stays fast."""

from __future__ import annotations

from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.core.parameters import ParameterLocation

from openspace.domain import accounts, events, ratelimit
from openspace.extensions import db
from openspace.models import Event, User
from tests.security.conftest import build_world

# Named, so a default changing upstream cannot switch one off unnoticed. Left out:
# positive_data_acceptance expects every schema-valid body to succeed, but rules the schema
# cannot say (a real time zone, slots that do not overlap, a free cell) rightly refuse some
# with 400/409; ignored_auth garbles the X-CSRFToken that goes with cookies while our Bearer
# token is valid, so the request is rightly accepted (who may call what is proven by
# test_authz_matrix.py).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
    checks.unsupported_method,
]
EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 6}


@pytest.fixture
def api_world(app):
    return build_world(app, visibility="public")


@pytest.fixture
def no_rate_limits(monkeypatch):
    """Every limit lifted for this test: one user's hundreds of writes in a row are what a
    fuzzer does, not what is limited here (the rate-limit tests prove the limits), and a 429
    would stop the fuzzing short of the operation's own rules."""
    for action in list(ratelimit.LIMITS):
        monkeypatch.setitem(ratelimit.LIMITS, action,
                            ratelimit.Limit(rate=1e9, burst=1_000_000_000))


def _aim(app, case, world, spares, turn: int) -> None:
    """Point every other request at things that exist, so more than the 404 paths get explored
    (not those whose path is the invalid part: they must stay invalid). Every other one, not
    those whose generated value looks some way: the coverage cases repeat one value many times.
    A DELETE of a room or slot gets one made for it, so the others stay for the PATCHes; the
    DELETE of a member, a new member to remove."""
    path = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    if path is not None and path.mode == GenerationMode.NEGATIVE or turn % 2:
        return
    params = case.path_parameters or {}
    if "slug" in params:
        params["slug"] = world.slug
    if "topic_id" in params:
        params["topic_id"] = world.placed
    for name, existing in (("room_id", world.rooms[2]), ("slot_id", world.slots[2])):
        if name in params:
            params[name] = _spare(app, world, name, spares) if case.method == "DELETE" \
                else existing
    if "user_id" in params and case.method == "DELETE":
        params["user_id"] = _spare_member(app, world, spares)


def _spare(app, world, name: str, spares: list) -> int:
    """A new room or evening slot of the world's event, for a DELETE to remove."""
    spares.append(len(spares))
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        organizer = db.session.get(User, world.users["organizer"][0])
        if name == "room_id":
            return events.add_room(event=event, user=organizer,
                                   data={"name": f"Spare {len(spares)}"}).id
        start = 14 * 60 + len(spares)  # a minute each, from 14:00
        return events.add_slot(event=event, user=organizer, data={
            "starts_at": f"2026-11-23T{start // 60:02d}:{start % 60:02d}",
            "ends_at": f"2026-11-23T{(start + 1) // 60:02d}:{(start + 1) % 60:02d}"}).id


def _spare_member(app, world, spares: list) -> int:
    """A new participant of the world's event, for a DELETE to remove."""
    spares.append(len(spares))
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        person = accounts.create_quick_user(name=f"Spare {len(spares)}")
        events.join_event(event=event, user=person, join_code=event.join_code)
        return person.id


def _token(app, world) -> str:
    """A valid token of the organizer (DELETE /tokens, fuzzed too, revokes them all)."""
    with app.app_context():
        return accounts.create_token(user=db.session.get(User, world.users["organizer"][0]))


def _valid(app, token: str) -> bool:
    with app.app_context():
        return accounts.user_for_token(token) is not None


REVOKES_TOKENS = "DELETE /tokens"


@pytest.mark.database  # it found a 500 only PostgreSQL gave
def test_api_conforms_to_its_openapi_document(app, api_world, no_rate_limits):
    """Every operation of the document, as the organizer of a public event (a Bearer token):
    no 5xx, schemathesis' conformance checks pass, and every operation is reached (answers
    something other than 401, 404 or 429 at least once)."""
    world = api_world
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    seen: dict[str, set[int]] = defaultdict(set)
    spares: list[int] = []
    token: list[str] = []  # one until a case revokes it (one per case was a fifth of the run)

    turns = iter(range(10**9))

    def run(case) -> None:
        _aim(app, case, world, spares, next(turns))
        if not token:
            token.append(_token(app, world))
        # Uncompressed answers: schemathesis' WSGI client asks for gzip and does not inflate it
        # (compression has its own tests: tests/web/test_weight.py).
        headers = {"Authorization": f"Bearer {token[0]}", "Accept-Encoding": "identity"}
        response = case.call(headers=headers)
        if case.operation.label == REVOKES_TOKENS:
            token.clear()
        elif response.status_code == 401:  # a refused login; never the token gone unnoticed
            assert _valid(app, token[0]), (case.method, case.path)
        seen[case.operation.label].add(response.status_code)
        assert response.status_code != 429, (case.method, case.path)
        case.validate_response(response, checks=CHECKS, headers=headers)

    for operation in operations:
        for case in schema.iter_coverage_cases(
                operation, generation_modes=list(GenerationMode),
                generation_config=schema.config.generation_for(operation=operation)):
            run(case)
        for mode, examples in EXAMPLES.items():

            @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(mode))
            def fuzz(case):
                run(case)

            try:
                fuzz()
            except Unsatisfiable:
                # Nothing to make invalid (no parameters, no body): no negative cases exist.
                assert mode == GenerationMode.NEGATIVE, operation.label
    unreached = {label: sorted(codes) for label, codes in seen.items()
                 if not codes - {401, 404, 429}}
    assert unreached == {}
    assert REVOKES_TOKENS in seen  # the one operation after which a new token is made
    assert len(seen) == len(operations)


def test_a_405_names_the_allowed_methods(client):
    response = client.put("/api/v1/csrf")

    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}

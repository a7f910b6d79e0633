"""Fuzz the JSON API from its own OpenAPI document (schemathesis, against the WSGI app):
whatever arrives, no 5xx, and every response conforms to the document (status codes, content
types, bodies). Bounded by max_examples per operation so the suite stays fast."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from openspace.domain import accounts, ratelimit
from openspace.extensions import db
from openspace.models import User
from tests.security.conftest import build_world


@pytest.fixture
def api_world(app):
    return build_world(app, visibility="public")


def _aim(case, world) -> None:
    """Point some requests at things that exist, so more than the 404 paths get explored."""
    params = case.path_parameters or {}
    if isinstance(params.get("slug"), str) and params["slug"][:1] in "abcdefghijklm":
        params["slug"] = world.slug
    if isinstance(params.get("topic_id"), int) and params["topic_id"] % 2 == 0:
        params["topic_id"] = world.placed


def _token(app, world) -> str:
    """A valid token of the organizer (DELETE /tokens, fuzzed too, revokes them all)."""
    with app.app_context():
        return accounts.create_token(user=db.session.get(User, world.users["organizer"][0]))


def test_api_conforms_to_its_openapi_document(app, api_world):
    """Every operation of the document, max_examples generated requests each (valid and not),
    as the organizer of a public event (a Bearer token): no 5xx, and schemathesis' checks of
    status code, content type, headers and body against the document pass."""
    world = api_world
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:

        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            _aim(case, world)
            ratelimit.reset()  # hundreds of writes in a row: not what is limited here
            response = case.call(headers={"Authorization": f"Bearer {_token(app, world)}"})
            assert response.status_code < 500, (case.method, case.path, response.text[:500])
            # positive_data_acceptance expects every schema-valid body to succeed, but rules
            # the schema cannot say (a real time zone, slots that do not overlap, a free cell)
            # rightly refuse some with 400/409. ignored_auth garbles the X-CSRFToken that goes
            # with cookies while our Bearer token is valid, so the request is rightly accepted;
            # who may call what is proven by test_authz_matrix.py.
            case.validate_response(response, excluded_checks=[checks.positive_data_acceptance,
                                                              checks.ignored_auth])

        check()

"""CSRF: every unsafe route (each form and each cookie-authenticated API call), taken from
app.url_map, refuses a request without the token and changes nothing; with the token, the
same request goes through. Token-authenticated API calls need none (tests/api)."""

from __future__ import annotations

import re

import pytest

from openspace.extensions import db
from openspace.models import User
from tests.security.conftest import board_version, build_world, snapshot
from tests.security.matrix import ROUTES, files_of
from tests.web.conftest import login_as

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def _request(client, endpoint, method, route, world, role, token=None):
    kwargs = {}
    data = route.data(world, role) if route.data else {}
    if endpoint.startswith("api."):
        kwargs["json"] = data
        if token:
            kwargs["headers"] = {"X-CSRFToken": token}
    else:
        if token:
            data = {**data, "csrf_token": token}
        data = {**data, **files_of(route, world)}
        kwargs["data"] = data
    return client.open(route.path(world), method=method, **kwargs)


def test_every_unsafe_route_refuses_a_cookie_request_without_the_token(csrf_app):
    world = build_world(csrf_app)
    unsafe = sorted((e, m) for e, m in ROUTES if m in UNSAFE)
    assert len(unsafe) > 40
    for endpoint, method in unsafe:
        client = csrf_app.test_client()
        with csrf_app.app_context():
            organizer = db.session.get(User, world.users["organizer"][0])
            db.session.expunge(organizer)
        login_as(client, organizer)
        before, version = snapshot(csrf_app), board_version(csrf_app, world)
        response = _request(client, endpoint, method, ROUTES[(endpoint, method)], world,
                            "organizer")
        assert response.status_code == 400, (endpoint, method, response.status_code)
        if endpoint.startswith("api."):
            assert response.json["error"]["code"] == "csrf_failed"
        assert snapshot(csrf_app) == before, (endpoint, method)
        assert board_version(csrf_app, world) == version


@pytest.mark.parametrize("endpoint,method", [
    ("board.propose", "POST"), ("api.propose_topic", "POST"), ("notes.upload_photo", "POST"),
    ("api.update_topic", "PATCH"), ("auth.logout", "POST")])
def test_the_same_requests_pass_with_the_pages_token(csrf_app, endpoint, method):
    world = build_world(csrf_app)
    client = csrf_app.test_client()
    page = client.post("/login", data={"email": world.users["organizer"][1],
                                       "password": "correct horse",
                                       "csrf_token": _token(client)})
    assert page.status_code == 302
    token = _token(client)
    response = _request(client, endpoint, method, ROUTES[(endpoint, method)], world,
                        "organizer", token=token)
    assert response.status_code < 400, (endpoint, response.status_code)


def _token(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)

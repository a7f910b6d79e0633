"""Cookie clients send X-CSRFToken on unsafe methods; Bearer clients need no CSRF token."""

from __future__ import annotations

import pytest

from openspace.domain import accounts, ratelimit
from openspace.extensions import db
from openspace.models import User

from .conftest import API, cookie_login


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_cookie_client_with_csrf_token_can_propose_a_topic(client, world, csrf_on):
    cookie_login(client, world.alice.id)
    token = client.get(f"{API}/csrf").get_json()["csrf_token"]

    response = client.post(f"{API}/events/{world.slug}/topics", json={"title": "Cookies"},
                           headers={"X-CSRFToken": token})

    assert response.status_code == 201
    assert response.get_json()["convener"] == {"id": world.alice.id, "name": "Alice"}


def test_cookie_client_without_csrf_token_is_refused(client, world, csrf_on):
    cookie_login(client, world.alice.id)

    response = client.post(f"{API}/events/{world.slug}/topics", json={"title": "Forged"})

    assert response.status_code == 400
    assert response.content_type == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "csrf_failed"
    assert error["message"] == "The CSRF token is missing."
    assert client.get(f"{API}/events/{world.slug}/board").get_json()["topics"] == []


def test_cookie_client_with_a_wrong_csrf_token_is_refused(client, world, csrf_on):
    cookie_login(client, world.alice.id)
    client.get(f"{API}/csrf")

    response = client.put(f"{API}/events/{world.slug}/members/{world.alice.id}/role",
                          json={"role": "organizer"}, headers={"X-CSRFToken": "forged"})

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_cookie_client_reads_without_csrf_token(client, world, csrf_on):
    cookie_login(client, world.alice.id)

    response = client.get(f"{API}/me")

    assert response.status_code == 200
    assert response.get_json()["name"] == "Alice"


def test_bearer_client_needs_no_csrf_token_and_gets_no_cookie(client, world, csrf_on):
    response = client.post(f"{API}/events/{world.slug}/topics", json={"title": "Script"},
                           headers=world.alice.headers)

    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers


def test_anonymous_register_and_token_need_no_csrf_token(client, csrf_on):
    created = client.post(f"{API}/users", json={
        "email": "ada@example.org", "password": "correct horse", "name": "Ada"})
    token = client.post(f"{API}/tokens", json={
        "email": "ada@example.org", "password": "correct horse"})

    assert (created.status_code, token.status_code) == (201, 201)


def test_cookie_client_gets_401_when_its_session_ended(app, client, world):
    cookie_login(client, world.alice.id)
    with app.app_context():
        accounts.end_all_sessions(user=db.session.get(User, world.alice.id))

    response = client.get(f"{API}/me")

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "not_authenticated"


def test_too_many_changes_are_429_with_retry_after(client, world, monkeypatch):
    # The bucket does not refill during the test (5 a second would put a token back while a
    # loaded machine spends the burst: the request then passes); its size is the real one.
    burst = ratelimit.LIMITS["board"].burst
    monkeypatch.setitem(ratelimit.LIMITS, "board", ratelimit.Limit(rate=1e-6, burst=burst))
    for _ in range(burst):
        ratelimit.hit(f"user:{world.alice.id}", "board")

    limited = client.post(f"{API}/events/{world.slug}/topics", json={"title": "One more"},
                          headers=world.alice.headers)
    other_user = client.post(f"{API}/events/{world.slug}/topics", json={"title": "Mine"},
                             headers=world.organizer.headers)
    reading = client.get(f"{API}/me", headers=world.alice.headers)

    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert other_user.status_code == 201
    assert reading.status_code == 200

"""Accounts over the API: registration, tokens, /me, and how unauthenticated calls fail."""

from __future__ import annotations

from .conftest import API


def test_create_user_returns_201_with_id_name_and_email(client):
    response = client.post(f"{API}/users", json={
        "email": "Ada@Example.org", "password": "correct horse", "name": "Ada"})

    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "name": "Ada", "email": "ada@example.org"}
    assert isinstance(body["id"], int)


def test_create_user_twice_conflicts_with_email_taken(client, make_user):
    make_user(email="ada@example.org")

    response = client.post(f"{API}/users", json={
        "email": "ada@example.org", "password": "correct horse", "name": "Ada"})

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "email_taken"
    assert response.get_json()["error"]["fields"] == {"email": "is already registered"}


def test_create_user_names_every_bad_field(client):
    response = client.post(f"{API}/users", json={"email": "nope", "password": "short",
                                                 "name": ""})

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert sorted(error["fields"]) == ["email", "name", "password"]


def test_create_user_refuses_unknown_fields(client):
    response = client.post(f"{API}/users", json={
        "email": "ada@example.org", "password": "correct horse", "name": "Ada", "id": 1})

    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"id": "unknown or read-only field"}


def test_token_from_email_and_password_authenticates_me(client, make_user):
    make_user(name="Ada", email="ada@example.org")

    response = client.post(f"{API}/tokens", json={
        "email": "ada@example.org", "password": "correct horse", "label": "my script"})

    assert response.status_code == 201
    token = response.get_json()["token"]
    assert token.startswith("ost_")
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json() == {"id": me.get_json()["id"], "name": "Ada",
                             "email": "ada@example.org", "memberships": []}


def test_token_with_wrong_password_is_401(client, make_user):
    make_user(email="ada@example.org")

    response = client.post(f"{API}/tokens", json={
        "email": "ada@example.org", "password": "wrong horse"})

    assert response.status_code == 401
    assert response.get_json() == {
        "error": {"code": "not_authenticated", "message": "Wrong email or password."}}


def test_me_lists_memberships_with_join_code_for_organizers_only(client, world):
    organizer = client.get(f"{API}/me", headers=world.organizer.headers).get_json()
    alice = client.get(f"{API}/me", headers=world.alice.headers).get_json()

    assert organizer["name"] == "Kristof"
    assert organizer["email"] is None  # a quick-join account
    assert [(m["event"]["slug"], m["role"]) for m in organizer["memberships"]] == [
        (world.slug, "organizer")]
    assert organizer["memberships"][0]["event"]["join_code"] == world.join_code
    assert [(m["event"]["slug"], m["role"]) for m in alice["memberships"]] == [
        (world.slug, "participant")]
    assert "join_code" not in alice["memberships"][0]["event"]


def test_me_without_credentials_is_401_json_not_a_redirect(client):
    response = client.get(f"{API}/me")

    assert response.status_code == 401
    assert response.content_type == "application/json"
    assert response.get_json()["error"]["code"] == "not_authenticated"
    assert "Location" not in response.headers


def test_unknown_bearer_token_is_401_even_on_public_endpoints(client):
    response = client.get(f"{API}/events", headers={"Authorization": "Bearer ost_nope"})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "not_authenticated"


def test_revoke_tokens_ends_every_token_of_the_caller_only(client, world, bearer):
    second = bearer(world.alice.id)

    response = client.delete(f"{API}/tokens", headers=world.alice.headers)

    assert response.status_code == 200
    assert response.get_json() == {"revoked": 2}
    assert client.get(f"{API}/me", headers=world.alice.headers).status_code == 401
    assert client.get(f"{API}/me", headers=second).status_code == 401
    assert client.get(f"{API}/me", headers=world.organizer.headers).status_code == 200

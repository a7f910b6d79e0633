"""Register, log in and out, the account page, quick join, CSRF."""

from __future__ import annotations

import re

import sqlalchemy as sa

from openspace.domain import accounts
from openspace.extensions import db
from openspace.models import Membership, User
from tests.conftest import login

from .conftest import login_as


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def is_logged_in(client) -> bool:
    return client.get("/account").status_code == 200


# Register --------------------------------------------------------------------------------------

def test_register_creates_account_and_logs_in(client):
    response = client.post("/register", data={
        "name": "Kristof", "email": "Kristof@Example.org", "password": "correct horse"})

    assert response.status_code == 302
    assert response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<span class="who-name">Kristof</span>' in page
    assert is_logged_in(client)


def test_register_bad_input_rerenders_form_with_errors_and_typed_values(client, app):
    response = client.post("/register", data={
        "name": "Kristof", "email": "not-an-email", "password": "short"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Email: is not an email address" in page
    assert "Password: must be at least 8 characters" in page
    assert 'value="Kristof"' in page
    assert 'value="not-an-email"' in page
    assert 'value="short"' not in page  # passwords are never echoed back
    assert user_count(app) == 0


def test_register_taken_email_shows_conflict_on_email_field(client, make_user):
    make_user(email="taken@example.org")

    response = client.post("/register", data={
        "name": "Other", "email": "taken@example.org", "password": "correct horse"})

    assert response.status_code == 409
    assert "Email: is already registered" in response.get_data(as_text=True)


def test_register_fields_have_domain_maxlengths(client):
    page = client.get("/register").get_data(as_text=True)

    assert re.search(r'id="name"[^>]*maxlength="80"|maxlength="80"[^>]*id="name"', page)
    assert re.search(r'id="email"[^>]*maxlength="254"|maxlength="254"[^>]*id="email"', page)
    assert 'maxlength="200"' in page


# Log in / out ----------------------------------------------------------------------------------

def test_login_rotates_session_and_drops_old_data(client, make_user):
    user = make_user(email="ann@example.org")
    with client.session_transaction() as session:
        session["left_over"] = "from before login"
    before = client.get_cookie("session").value

    response = login(client, user.email)

    assert response.status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "left_over" not in session
        assert session["_user_id"].startswith(f"{user.id}:0:")  # the user, epoch, login
    assert is_logged_in(client)


def test_login_wrong_password_rerenders_with_message_and_email(client, make_user):
    user = make_user(email="ann@example.org")

    response = login(client, user.email, "wrong password")

    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Wrong email or password." in page
    assert 'value="ann@example.org"' in page
    assert not is_logged_in(client)


def test_login_follows_relative_next_but_not_other_hosts(app, make_user):
    user = make_user(email="ann@example.org")
    targets = {"/account": "/account", "https://evil.example/": "/",
               "//evil.example/x": "/", "/\\evil.example": "/"}
    for target, expected in targets.items():
        client = app.test_client()
        response = client.post("/login", data={
            "email": user.email, "password": "correct horse", "next": target})
        assert response.location == expected, target


def test_login_page_carries_next_from_query(client):
    page = client.get("/login?next=/e/abc").get_data(as_text=True)

    assert 'name="next" type="hidden" value="/e/abc"' in page


def test_logout_is_post_only_and_logs_out(client, quick_user):
    login_as(client, quick_user("Ann"))

    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)
    response = client.post("/logout")

    assert response.status_code == 302
    assert not is_logged_in(client)


# Account ---------------------------------------------------------------------------------------

def test_account_redirects_anonymous_to_login(client):
    response = client.get("/account")

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert "account" in response.location


def test_account_change_name_validates_and_saves(client, quick_user, fetch):
    user = quick_user("Ann")
    login_as(client, user)

    bad = client.post("/account/profile", data={"name": ""})
    good = client.post("/account/profile", data={"name": "Ann <b>Bold</b>"})

    assert bad.status_code == 400
    assert "Your name: is required" in bad.get_data(as_text=True)
    assert good.status_code == 302
    assert fetch(User, user.id).name == "Ann <b>Bold</b>"
    assert "Ann &lt;b&gt;Bold&lt;/b&gt;" in client.get("/account").get_data(as_text=True)


def test_change_password_keeps_this_session_and_ends_the_others(app, make_user):
    user = make_user(email="ann@example.org")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user.email)
    login(elsewhere, user.email)

    wrong = here.post("/account/password", data={
        "current_password": "not it", "new_password": "a new secret"})
    assert wrong.status_code == 401
    assert "Current password: is wrong" in wrong.get_data(as_text=True)

    response = here.post("/account/password", data={
        "current_password": "correct horse", "new_password": "a new secret"})

    assert response.status_code == 302
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert login(app.test_client(), user.email, "a new secret").location == "/"


def test_api_token_is_shown_once(client, app, quick_user):
    user = quick_user("Bot owner")
    login_as(client, user)

    response = client.post("/account/tokens", data={"label": "slack bot"})

    page = response.get_data(as_text=True)
    token = re.search(r'<code class="token">(ost_[\w-]+)</code>', page).group(1)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert accounts.user_for_token(token).id == user.id
    assert token not in client.get("/account").get_data(as_text=True)


def test_logout_everywhere_ends_every_session(app, quick_user):
    user = quick_user("Ann")
    phone, laptop = app.test_client(), app.test_client()
    login_as(phone, user)
    login_as(laptop, user)

    response = phone.post("/account/logout-everywhere")

    assert response.status_code == 302
    assert not is_logged_in(phone)
    assert not is_logged_in(laptop)


# Quick join ------------------------------------------------------------------------------------

def join_link(event) -> str:
    return f"/e/{event.slug}/join?code={event.join_code}"


def test_quick_join_end_to_end_makes_a_remembered_member(client, app, make_event, quick_user):
    event = make_event(quick_user("Olga"))

    landing = client.get(join_link(event))
    assert landing.status_code == 200
    assert "Drupal CXO" in landing.get_data(as_text=True)
    assert 'name="name"' in landing.get_data(as_text=True)

    response = client.post(f"/e/{event.slug}/join", data={
        "name": "Phone <Person>", "join_code": event.join_code})

    assert response.status_code == 302
    assert response.location == f"/e/{event.slug}"
    assert client.get_cookie("remember_token") is not None
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.name == "Phone <Person>"))
        assert user.is_quick
        role = db.session.scalar(sa.select(Membership.role).where(
            Membership.event_id == event.id, Membership.user_id == user.id))
        assert role == "participant"
    board = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "Phone &lt;Person&gt;" in board
    assert "Propose a topic" in board


def test_quick_join_remember_cookie_outlives_the_session(client, make_event, quick_user):
    event = make_event(quick_user("Olga"))
    client.post(f"/e/{event.slug}/join", data={"name": "Pat", "join_code": event.join_code})

    client.delete_cookie("session")  # the browser closed; the remember cookie stays

    assert is_logged_in(client)


def test_quick_join_without_code_asks_for_it(client, make_event, quick_user):
    event = make_event(quick_user("Olga"), visibility="private")

    response = client.get(f"/e/{event.slug}/join")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Type the join code" in page
    assert "Drupal CXO" not in page  # a private event's name needs the code


def test_quick_join_wrong_code_shows_error_and_keeps_code(client, make_event, quick_user):
    event = make_event(quick_user("Olga"))

    response = client.get(f"/e/{event.slug}/join?code=WRONG9")

    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Join code: is not a valid join code" in page
    assert 'value="WRONG9"' in page


def test_quick_join_empty_name_rerenders_and_creates_no_user(client, app, make_event, quick_user):
    event = make_event(quick_user("Olga"))
    before = user_count(app)

    response = client.post(f"/e/{event.slug}/join",
                           data={"name": " ", "join_code": event.join_code})

    assert response.status_code == 400
    assert "is required" in response.get_data(as_text=True)
    assert user_count(app) == before


def test_quick_join_opens_a_private_event_to_its_code_holder(client, make_event, quick_user):
    event = make_event(quick_user("Olga"), visibility="private")
    assert client.get(f"/e/{event.slug}").status_code == 404

    client.post(f"/e/{event.slug}/join", data={"name": "Pat", "join_code": event.join_code})

    assert client.get(f"/e/{event.slug}").status_code == 200


def test_quick_join_logged_in_user_joins_with_one_button(client, app, make_event, quick_user):
    event = make_event(quick_user("Olga"))
    user = quick_user("Known")
    login_as(client, user)

    landing = client.get(join_link(event)).get_data(as_text=True)
    response = client.post(f"/e/{event.slug}/join", data={"join_code": event.join_code})

    assert "Join as Known" in landing
    assert 'name="name"' not in landing
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Membership.id).where(
            Membership.event_id == event.id, Membership.user_id == user.id)) is not None
    assert "You are already in." in client.get(join_link(event)).get_data(as_text=True)


def test_logged_in_user_types_code_on_event_page(client, app, make_event, quick_user):
    event = make_event(quick_user("Olga"))
    login_as(client, quick_user("Known"))

    board = client.get(f"/e/{event.slug}").get_data(as_text=True)
    wrong = client.post(f"/e/{event.slug}/join", data={"join_code": "NOPE22"})
    right = client.post(f"/e/{event.slug}/join", data={"join_code": event.join_code.lower()})

    assert "Join this event" in board
    assert wrong.status_code == 404
    assert 'value="NOPE22"' in wrong.get_data(as_text=True)
    assert right.status_code == 302
    assert "Join this event" not in client.get(f"/e/{event.slug}").get_data(as_text=True)


def test_quick_user_adds_email_and_password_then_logs_in_anywhere(client, app, make_event,
                                                                  quick_user):
    event = make_event(quick_user("Olga"))
    client.post(f"/e/{event.slug}/join", data={"name": "Pat", "join_code": event.join_code})
    assert "Keep this account" in client.get("/account").get_data(as_text=True)

    bad = client.post("/account/credentials", data={"email": "pat@", "password": "x"})
    good = client.post("/account/credentials", data={
        "email": "pat@example.org", "password": "correct horse"})

    assert bad.status_code == 400
    assert 'value="pat@"' in bad.get_data(as_text=True)
    assert good.status_code == 302
    assert "Change password" in client.get("/account").get_data(as_text=True)
    assert login(app.test_client(), "pat@example.org").location == "/"


# CSRF ------------------------------------------------------------------------------------------

def test_post_without_csrf_token_is_refused_when_csrf_is_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()

    refused = client.post("/login", data={"email": "a@example.org", "password": "whatever1"})
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post("/login", data={
        "email": "a@example.org", "password": "whatever1", "csrf_token": token})

    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    assert accepted.status_code == 401  # past the CSRF check, on to the (wrong) password

"""With CSRF on (as in production): every POST form carries its token, and forms work with it."""

from __future__ import annotations

import re

import pytest

from .conftest import login_as

POST_FORM = re.compile(r'<form method="post"[^>]*>(.*?)</form>', re.S)


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def post_forms(page: str) -> list[str]:
    return POST_FORM.findall(page)


def token_in(page: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_every_post_form_carries_a_csrf_token(csrf_app, world, make_topic, place):
    topic = make_topic(world.event, world.participant, "Placed")
    place(topic, world.participant, world.rooms["Atrium"], world.sessions[0])
    make_topic(world.event, world.participant, "Waiting")
    organizer = csrf_app.test_client()
    login_as(organizer, world.organizer)
    anonymous = csrf_app.test_client()
    slug = world.event.slug
    pages = [(organizer, p) for p in (
        f"/e/{slug}", f"/e/{slug}/settings", f"/t/{topic.id}", f"/t/{topic.id}/edit",
        f"/e/{slug}/cells/{world.rooms['Library']}/{world.sessions[1]}", "/account", "/")]
    pages += [(anonymous, p) for p in (
        "/login", "/register", f"/e/{slug}/join?code={world.event.join_code}")]

    counted = 0
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        for form in post_forms(response.get_data(as_text=True)):
            assert re.search(r'name="[\w-]*csrf_token"[^>]*value="[^"]+"', form), (path, form)
            counted += 1

    assert counted > 30  # the settings page alone has a dozen forms


def test_prefixed_settings_form_works_with_its_token_and_not_without(csrf_app, world):
    client = csrf_app.test_client()
    login_as(client, world.organizer)
    page = client.get(f"/e/{world.event.slug}/settings").get_data(as_text=True)
    token = re.search(r'name="newroom-csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    refused = client.post(f"/e/{world.event.slug}/rooms", data={"newroom-name": "Garden"})
    accepted = client.post(f"/e/{world.event.slug}/rooms", data={
        "newroom-name": "Garden", "newroom-csrf_token": token})

    assert refused.status_code == 400
    assert accepted.status_code == 302
    assert "Garden" in client.get(f"/e/{world.event.slug}/settings").get_data(as_text=True)


def test_button_form_posts_with_the_page_token(csrf_app, world, make_topic):
    topic = make_topic(world.event, world.organizer)
    client = csrf_app.test_client()
    login_as(client, world.participant)
    token = token_in(client.get(f"/t/{topic.id}").get_data(as_text=True))

    response = client.post(f"/t/{topic.id}/interest", data={"interested": "1",
                                                             "csrf_token": token})

    assert response.status_code == 302
    assert "1 coming" in client.get(f"/t/{topic.id}").get_data(as_text=True)

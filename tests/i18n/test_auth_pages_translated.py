"""The auth pages in German, and in the pseudo-locale with no English left on them."""

from __future__ import annotations

import pytest

from openspace import i18n

from .conftest import login_as
from .pages import english_left

DE = {"Accept-Language": "de"}
PSEUDO = {"Accept-Language": i18n.PSEUDO}

ANONYMOUS_PAGES = ["/login", "/register", "/password/forgot", "/login/link", "/nowhere-at-all"]


def _page(client, path, headers):
    return client.get(path, headers=headers).get_data(as_text=True)


def test_login_and_register_speak_german(client):
    login = _page(client, "/login", DE)
    assert "Passwort vergessen?" in login
    assert "Auf diesem Gerät angemeldet bleiben" in login
    assert 'Neu hier? <a href="/register">Konto erstellen</a>' in login
    register = _page(client, "/register", DE)
    assert "Mindestens 8 Zeichen." in register
    assert "Nur für eine Veranstaltung hier?" in register


def test_the_account_page_speaks_german(client, world):
    login_as(client, world.participant)
    page = _page(client, "/account", DE)
    for text in ("Dein Konto", "Dieses Konto behalten", "Überall abmelden", "API-Token",
                 "Token erstellen", "Wofür ist er? (optional)"):
        assert text in page


def test_a_flash_message_speaks_german(client, world):
    login_as(client, world.participant)
    client.post("/account/profile", data={"name": "Patricia"}, headers=DE)
    assert "Dein Name ist gespeichert." in _page(client, "/account", DE)


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_no_english_left_on_the_anonymous_auth_pages(client, path):
    html = _page(client, path, PSEUDO)
    assert english_left(html, data=("EMAIL",)) == []


def test_no_english_left_on_the_account_page(client, world):
    login_as(client, world.participant)
    html = _page(client, "/account", PSEUDO)
    assert english_left(html, data=("Pat",)) == []

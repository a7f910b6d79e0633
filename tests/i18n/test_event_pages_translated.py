"""The event pages (list, new, settings, invitations, restore) in German, and in the
pseudo-locale with no English left on them."""

from __future__ import annotations

import pytest

from openspace import i18n

from .conftest import login_as
from .pages import english_left

DE = {"Accept-Language": "de"}
PSEUDO = {"Accept-Language": i18n.PSEUDO}


def _page(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _data(world) -> tuple[str, ...]:
    event = world.event
    return (event.name, event.slug, event.join_code, event.timezone, "Atrium", "Library",
            "Olga", "Pat", "http://192.0.2.2/e/" + event.slug + "/join?code=" + event.join_code,
            "localhost", "#opendrupal",
            # projector/_join_address.html (the projector's helper translates it)
            "This page is open at localhost, which only this computer reaches, so the link uses "
            "192.0.2.2, this computer's network address. (", "fixes the address for good.)")


def test_the_settings_page_speaks_german(client, world):
    login_as(client, world.organizer)
    page = _page(client, f"/e/{world.event.slug}/settings", DE)
    for text in ("Einstellungen", "Beitrittslink", "Räume", "Zeitfenster", "Raum hinzufügen",
                 "Name der Veranstaltung", "Thema oder Leitfrage", "Öffentlich – auf der "
                 "Startseite aufgeführt", "Session (Räume nehmen Themen auf)", "Plenum",
                 "Mit-Organisator:in", "Details speichern"):
        assert text in page, text


def test_the_event_list_and_new_event_speak_german(client, world):
    login_as(client, world.organizer)
    assert "Hast du einen Beitrittscode?" in _page(client, "/", DE)
    assert "Organisator:in" in _page(client, "/", DE)
    new = _page(client, "/events/new", DE)
    assert "Du wirst ihre Organisator:in." in new
    assert "Letzter Tag (leer bei eintägigen Veranstaltungen)" in new


def test_a_settings_flash_speaks_german(client, world):
    login_as(client, world.organizer)
    client.post(f"/e/{world.event.slug}/rooms",
                data={"newroom-name": "Kantine", "newroom-capacity": "8"},
                headers=DE)
    page = _page(client, f"/e/{world.event.slug}/settings", DE)
    assert "Raum Kantine hinzugefügt." in page


@pytest.mark.parametrize("path", ["/", "/events/new", "/e/{slug}/settings",
                                  "/e/{slug}/invitations", "/events/restore"])
def test_no_english_left_on_the_event_pages(client, world, path):
    login_as(client, world.organizer)
    html = _page(client, path.format(slug=world.event.slug), PSEUDO)
    assert english_left(html, data=_data(world)) == []


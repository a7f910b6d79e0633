"""My agenda, a cell, the notes' status, editing a topic and the calendar feeds page in German,
and in the pseudo-locale with no English left on them."""

from __future__ import annotations

import pytest

from openspace import i18n

from .conftest import login_as
from .pages import english_left

DE = {"Accept-Language": "de"}
PSEUDO = {"Accept-Language": i18n.PSEUDO}


def _page(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.fixture
def paths(world, make_topic):
    topic = make_topic(world.event, world.organizer)
    slug = world.event.slug
    cell = f"/e/{slug}/cells/{world.rooms['Atrium']}/{world.sessions[0]}"
    return {"agenda": f"/e/{slug}/me", "cell": cell, "status": f"/e/{slug}/notes-status",
            "edit": f"/t/{topic.id}/edit", "calendar": f"/e/{slug}/calendar"}


def test_the_pages_speak_german(client, world, paths):
    login_as(client, world.organizer)
    assert "Meine Agenda" in _page(client, paths["agenda"], DE) or \
        "Du berufst ein" in _page(client, paths["agenda"], DE)
    cell = _page(client, paths["cell"], DE)
    assert "Tippe auf das Thema, um es hierher zu setzen." in cell
    assert "(3 Plätze)" in cell
    assert "Sessions und ihre Notizen" in _page(client, paths["status"], DE)
    edit = _page(client, paths["edit"], DE)
    assert "Thema bearbeiten" in edit and "Schlagwörter, durch Kommas getrennt" in edit
    assert "Die ganze Agenda" in _page(client, paths["calendar"], DE)


@pytest.mark.parametrize("name", ["agenda", "cell", "status", "edit", "calendar"])
def test_no_english_left(client, world, paths, name):
    login_as(client, world.organizer)
    html = _page(client, paths[name], PSEUDO)
    data = (world.event.name, world.event.timezone, "Atrium", "Library", "Olga",
            "Back-office tools", "ics", "webcal", "http")
    assert english_left(html, data=data) == []

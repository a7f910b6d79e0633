"""The event's language: a field of the event (API, forms, export/import), and the texts it
sets: a new note's report template, the summary's headings, the calendar feed."""

from __future__ import annotations

import copy
import json

import icalendar
import pytest

from openspace import i18n
from openspace.domain import backup, events, exports, notes, summary
from openspace.extensions import db
from openspace.models import Event, Topic, User

from .conftest import login_as, page_language

API = "/api/v1"
EVENT = {"name": "Open Space Zürich", "timezone": "Europe/Zurich", "starts_on": "2026-11-23"}

# What each launch language calls two headings, as an event in that language would.
KEY_POINTS = {"en": "Key points", "de": "Kernpunkte", "fr": "Points clés", "it": "Punti chiave",
              "nl": "Kernpunten", "es": "Puntos clave", "pt-BR": "Pontos principais",
              "ja": "要点"}
CONTENTS = {"en": "Contents", "de": "Inhalt", "fr": "Sommaire", "it": "Indice", "nl": "Inhoud",
            "es": "Índice", "pt-BR": "Sumário", "ja": "目次"}
# "%(num)d seat" for 0, 1 and 2 seats (French and Brazilian Portuguese count 0 as one).
SEATS = {"en": ("0 seats", "1 seat", "2 seats"), "de": ("0 Plätze", "1 Platz", "2 Plätze"),
         "fr": ("0 place", "1 place", "2 places"), "it": ("0 posti", "1 posto", "2 posti"),
         "nl": ("0 plaatsen", "1 plaats", "2 plaatsen"),
         "es": ("0 plazas", "1 plaza", "2 plazas"),
         "pt-BR": ("0 lugar", "1 lugar", "2 lugares"), "ja": ("0席", "1席", "2席")}


def test_every_launch_language_is_covered():
    assert set(KEY_POINTS) == set(CONTENTS) == set(SEATS) == set(i18n.LANGUAGES)


# The field -------------------------------------------------------------------------------------

def test_the_api_creates_changes_and_shows_the_language(client, world):
    login_as(client, world.organizer)
    created = client.post(f"{API}/events", json={**EVENT, "language": "de"})
    assert created.status_code == 201 and created.get_json()["language"] == "de"
    slug = created.get_json()["slug"]
    assert client.patch(f"{API}/events/{slug}", json={"language": "pt-BR"}).get_json()[
        "language"] == "pt-BR"
    assert client.get(f"{API}/events/{slug}").get_json()["language"] == "pt-BR"
    default = client.post(f"{API}/events", json={**EVENT, "name": "Another"})
    assert default.get_json()["language"] == "en"


@pytest.mark.parametrize("value", ["xx", "pt_BR", "DE", 7, None])
def test_a_language_not_offered_is_a_clear_400_and_changes_nothing(client, world, value):
    login_as(client, world.organizer)
    response = client.patch(f"{API}/events/{world.event.slug}", json={"language": value})
    assert response.status_code == 400
    assert "language" in response.get_json()["error"]["fields"]
    assert client.get(f"{API}/events/{world.event.slug}").get_json()["language"] == "en"


def test_the_openapi_document_lists_the_languages(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    assert spec["components"]["schemas"]["EventPatch"]["properties"]["language"]["enum"] == \
        list(i18n.LANGUAGES)


def test_the_settings_form_sets_the_language(app, client, world):
    login_as(client, world.organizer)
    page = client.get(f"/e/{world.event.slug}/settings").get_data(as_text=True)
    assert 'id="language" name="language"><option selected value="en">English</option>' in page
    assert '<option selected value="en">English</option>' in page
    client.post(f"/e/{world.event.slug}/settings", data={
        "name": "Drupal CXO", "timezone": "Europe/Brussels", "starts_on": "2026-11-23",
        "visibility": "public", "language": "ja"})
    with app.app_context():
        assert db.session.get(Event, world.event.id).language == "ja"


def test_a_new_event_starts_in_its_creators_language(client, world):
    login_as(client, world.organizer)
    page = client.get("/events/new", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<option selected value="nl">Nederlands</option>' in page


# Export and import -----------------------------------------------------------------------------

def _export(event_id: int) -> dict:
    return backup.export_event(db.session.get(Event, event_id), private=True)


def test_the_export_carries_the_language_and_the_import_keeps_it(app, finished):
    with app.app_context():
        event = db.session.get(Event, finished.event.id)
        events.update_event(event=event, user=db.session.get(User, finished.organizer.id),
                            data={"language": "it"})
        data = _export(finished.event.id)
        assert data["version"] == 2 and data["event"]["language"] == "it"
        data["event"]["slug"] = "restored"
        data.pop("action_items")  # not needed to import: read from the notes again
        data["action_items"] = []
        restored = backup.import_event(data)
        assert restored.language == "it"


def test_a_version_1_file_imports_as_english(app, finished):
    with app.app_context():
        data = copy.deepcopy(_export(finished.event.id))
        data["version"] = 1
        del data["event"]["language"]
        for item in data["action_items"]:  # also new in version 2
            item.pop("owner_members", None)
        data["event"]["slug"] = "from-v1"
        backup.check_document(json.loads(json.dumps(data)))  # valid against the v1 schema
        assert backup.import_event(data).language == "en"


def test_a_version_1_file_with_a_language_is_not_a_version_1_file(app, finished):
    with app.app_context():
        data = _export(finished.event.id)
        data["version"] = 1
        with pytest.raises(backup.ValidationFailed) as raised:
            backup.check_document(data)
        assert "$.event" in raised.value.message


# The texts it sets -----------------------------------------------------------------------------

def _new_note(app, world, make_topic, language: str) -> str:
    with app.app_context():
        event = db.session.get(Event, world.event.id)
        events.update_event(event=event, user=db.session.get(User, world.organizer.id),
                            data={"language": language})
    topic = make_topic(world.event, world.participant, "Pricing")
    with app.app_context():
        topic = db.session.get(Topic, topic.id)
        notes.join_note(topic=topic, user=db.session.get(User, world.participant.id))
        return notes.current_markdown(topic)


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_a_new_notes_template_has_its_events_language(app, world, make_topic, language):
    text = _new_note(app, world, make_topic, language)
    assert f"\n## {KEY_POINTS[language]}\n" in text
    assert text.startswith("# Pricing\n\n")
    assert text.endswith(f"\n{notes.TEMPLATE_ACTION_EXAMPLE}\n")  # the syntax stays


def test_german_and_japanese_report_templates(app, world, make_topic):
    assert _new_note(app, world, make_topic, "de") == (
        "# Pricing\n\n## Einberufer:in\nPat\n\n## Teilnehmende\n\n## Kernpunkte\n\n"
        "## Empfehlungen\n\n## Ressourcen\n\n## Aufgaben\n- [ ] … @owner\n")
    topic = _new_note(app, world, make_topic, "ja")
    assert topic == ("# Pricing\n\n## 呼びかけ人\nPat\n\n## 参加者\n\n## 要点\n\n## 提言\n\n"
                     "## 参考資料\n\n## アクションアイテム\n- [ ] … @owner\n")


def test_the_template_is_the_events_language_whatever_the_writer_reads(app, world,
                                                                         make_topic):
    with app.app_context():
        event = db.session.get(Event, world.event.id)
        events.update_event(event=event, user=db.session.get(User, world.organizer.id),
                            data={"language": "fr"})
    topic = make_topic(world.event, world.participant, "Pricing")
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        topic = db.session.get(Topic, topic.id)
        notes.join_note(topic=topic, user=db.session.get(User, world.participant.id))
        assert "## Points clés" in notes.current_markdown(topic)
        assert i18n.current() == "ja"  # the request's language is back after the template


def _summary_markdown(app, finished, language: str) -> str:
    with app.app_context():
        event = db.session.get(Event, finished.event.id)
        events.update_event(event=event, user=db.session.get(User, finished.organizer.id),
                            data={"language": language})
        return exports.summary_markdown(summary.build_summary(event), photo_url=lambda p: "x")


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_the_summarys_headings_are_in_the_events_language(app, finished, language):
    text = _summary_markdown(app, finished, language)
    assert f"\n## {CONTENTS[language]}\n" in text


def test_the_german_summary_headings_and_their_anchor(app, finished):
    text = _summary_markdown(app, finished, "de")
    for line in ("## Agenda", "## Aufgaben", "## Ebenfalls vorgeschlagen",
                 "- **Einberufer:in:** Pat", "- **Interesse:** 1 Person hat zugesagt"):
        assert f"\n{line}\n" in text
    assert "4. [Aufgaben](#aufgaben)" in text  # the contents link the translated heading


def test_the_summary_page_and_markdown_download_speak_the_events_language(app, client,
                                                                          finished):
    _summary_markdown(app, finished, "es")
    login_as(client, finished.organizer)
    page = client.get(f"/e/{finished.event.slug}/summary", headers={"Accept-Language": "de"})
    assert page_language(page)[0] == "es"
    md = client.get(f"/e/{finished.event.slug}/summary.md", headers={"Accept-Language": "de"})
    assert "\n## Índice\n" in md.get_data(as_text=True)


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_plural_forms(app, language):
    with app.test_request_context("/"), i18n.in_language(language):
        assert tuple(i18n.ngettext("%(num)d seat", "%(num)d seats", n) for n in (0, 1, 2)) \
            == SEATS[language]


def test_the_calendar_feed_speaks_the_events_language(app, client, finished):
    _summary_markdown(app, finished, "de")
    cal = icalendar.Calendar.from_ical(client.get(f"/e/{finished.event.slug}/schedule.ics").data)
    by_summary = {str(e["summary"]): str(e.get("description", "")) for e in cal.walk("VEVENT")}
    assert "Plenum" in by_summary  # the unlabelled plenary
    assert by_summary["Value pricing"].startswith("Einberufen von Pat · 1 Person hat zugesagt")


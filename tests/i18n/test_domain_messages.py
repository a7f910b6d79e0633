"""The domain speaks the viewer's language: API error messages and field errors (the codes stay
English), socket acks in the connection's language, the projector in the event's language, and
English, without crashing, where no request is being answered (the CLI)."""

from __future__ import annotations

import pytest

from openspace.domain import accounts, backup, photos, ratelimit
from openspace.domain import validation as v
from openspace.domain.errors import NotFound, SlotTaken, ValidationFailed
from openspace.extensions import db, socketio
from openspace.models import Event, Topic, User

from .conftest import login_as

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_limits():
    ratelimit.reset()
    yield
    ratelimit.reset()


def _bearer(app, user) -> dict:
    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, user.id), label="tests")
    return {"Authorization": f"Bearer {token}"}


def _set_language(app, event, tag):
    with app.app_context():
        db.session.get(Event, event.id).language = tag
        db.session.commit()


def test_an_api_error_in_german_has_a_german_message_and_fields_and_the_same_code(app, client,
                                                                                    world):
    headers = _bearer(app, world.participant)
    body = {"title": "x" * 121, "tags": "not a list of tags, but that is fine", "bogus": 1}
    url = f"{API}/events/{world.event.slug}/topics"

    english = client.post(url, headers=headers, json={"title": "x" * 121}).get_json()["error"]
    german = client.post(url, headers={**headers, "Accept-Language": "de"},
                         json={"title": "x" * 121}).get_json()["error"]
    unknown = client.post(url, headers={**headers, "Accept-Language": "de"},
                          json=body).get_json()["error"]

    assert english == {"code": "invalid", "message": "Some fields are not valid.",
                       "fields": {"title": "must be at most 120 characters"}}
    assert german == {"code": "invalid", "message": "Einige Felder sind ungültig.",
                      "fields": {"title": "darf höchstens 120 Zeichen lang sein"}}
    assert unknown["code"] == "invalid"
    assert unknown["message"] == "Unbekannte oder schreibgeschützte Felder: bogus"
    assert unknown["fields"] == {"bogus": "unbekanntes oder schreibgeschütztes Feld"}


def test_a_domain_refusal_in_french_and_japanese(app, client, world):
    headers = _bearer(app, world.outsider)
    url = f"{API}/events/{world.event.slug}/topics"
    french = client.post(url, headers={**headers, "Accept-Language": "fr"},
                         json={"title": "Pricing"})
    japanese = client.get(f"{API}/events/no-such-event",
                          headers={**headers, "Accept-Language": "ja"})

    assert french.status_code == 403
    assert french.get_json()["error"] == {"code": "forbidden",
                                          "message": "Rejoignez d'abord l'événement."}
    assert japanese.status_code == 404
    assert japanese.get_json()["error"] == {"code": "not_found",
                                            "message": "そのイベントはありません。"}


def test_a_socket_ack_speaks_the_connections_language(app, world):
    flask_client = app.test_client()
    login_as(flask_client, world.participant)
    italian = socketio.test_client(app, flask_test_client=flask_client,
                                   headers={"Accept-Language": "it"})
    dutch = socketio.test_client(app, headers={"Accept-Language": "nl"})

    missing = italian.emit("event:join", {}, callback=True)
    no_event = italian.emit("event:join", {"slug": "no-such-event"}, callback=True)
    anonymous = dutch.emit("event:join", {"slug": "no-such-event"}, callback=True)

    assert missing["ok"] is False and missing["error"]["code"] == "invalid"
    assert missing["error"]["message"] == "Alcuni campi non sono validi."
    assert missing["error"]["fields"] == {"slug": "è obbligatorio"}
    assert no_event["error"] == {"code": "not_found", "message": "Questo evento non esiste."}
    assert anonymous["error"] == {"code": "not_found", "message": "Dit evenement bestaat niet."}
    italian.disconnect()
    dutch.disconnect()


def test_the_projector_speaks_the_events_language(app, client, world):
    _set_language(app, world.event, "ja")
    login_as(client, world.organizer)
    page = client.get(f"/e/{world.event.slug}/projector",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert '<html lang="ja"' in page
    assert "プロジェクター" in page  # the title and the controls
    assert "スキャンして参加、またはコードを入力" in page  # the join QR's caption
    assert "すべてのプロジェクターの表示:" in page  # the mode buttons' heading
    assert ">自動<" in page and ">アジェンダ<" in page  # MODE_LABELS
    assert "アジェンダ:" in page  # the reason "auto" gives
    assert "Scan to join" not in page and "Every projector shows" not in page

    news = client.get(f"/e/{world.event.slug}/projector?mode=news").get_data(as_text=True)
    assert "セッションからのお知らせ" in news and "常にお知らせ。" in news
    assert "No session reports yet" not in news


def test_switching_the_projector_flashes_in_the_viewers_language(app, client, world):
    login_as(client, world.organizer)
    client.post(f"/e/{world.event.slug}/projector/mode", data={"mode": "news"},
                headers={"Accept-Language": "es"})
    page = client.get(f"/e/{world.event.slug}/announcements",
                      headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Todos los proyectores muestran: las noticias." in page
    assert "Ahora: Siempre las noticias." in page  # the wall's reason, in the same language


def test_outside_a_request_messages_are_english_and_plain_strings(app):
    """The CLI imports the domain and raises its errors with no request (or app) around."""
    bare = [NotFound(), SlotTaken(), ValidationFailed(fields={"title": "is required"})]
    with app.app_context():
        fields = v.Fields()
        v.text(fields, "title", "x" * 200, max_len=120)
        v.integer(fields, "capacity", "many", minimum=0, maximum=10)
        in_app = [NotFound(), ValidationFailed(fields=fields.errors)]

    assert [e.message for e in bare] == [
        "Not found.", "That room is already taken in that time slot.", "Some fields are not valid."]
    assert in_app[0].to_dict() == {"code": "not_found", "message": "Not found."}
    assert in_app[1].fields == {"title": "must be at most 120 characters",
                                "capacity": "must be a whole number"}
    for error in bare + in_app:
        assert type(error.message) is str
        assert all(type(text) is str for text in error.fields.values())
        assert type(error.to_dict()["message"]) is str


def test_a_note_refusal_speaks_german_and_its_field_stays_protocol(app, world, make_topic):
    topic = make_topic(world.event, world.participant)
    flask_client = app.test_client()
    login_as(flask_client, world.participant)
    german = socketio.test_client(app, flask_test_client=flask_client,
                                  headers={"Accept-Language": "de"})

    ack = german.emit("note:update", {"topic_id": topic.id, "update": b"x" * (65 * 1024)},
                      callback=True)

    assert ack["error"]["code"] == "invalid"
    assert ack["error"]["message"] == \
        "Diese Änderung ist zu groß (65 KiB; höchstens 64 KiB auf einmal)."
    assert ack["error"]["fields"] == {"update": "is too large"}  # what the editor checks
    german.disconnect()


def test_an_import_check_and_a_photo_upload_speak_the_requests_language(app, world,
                                                                         make_topic):
    topic = make_topic(world.event, world.participant)
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        with pytest.raises(ValidationFailed) as raised:
            backup.check_document([])
        assert raised.value.message == ("Pas un événement openspace importable : $ : le "
                                        "fichier doit contenir un objet JSON")
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        with pytest.raises(ValidationFailed) as raised:
            photos.add_photo(topic=db.session.get(Topic, topic.id),
                             user=db.session.get(User, world.participant.id), upload=None,
                             caption="x" * 300)
        assert raised.value.message == ("El pie de foto debe tener como máximo 200 caracteres. "
                                        "Falta la foto: haz una o elige una de tu galería.")

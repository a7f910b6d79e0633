"""GET /api/v1/topics/{id}/notes: the shared note's current text."""

from __future__ import annotations

from openspace.domain import accounts, notes
from openspace.extensions import db
from openspace.models import Topic, User
from tests.notes.conftest import Editor


def _bearer(app, user_id: int) -> dict:
    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, user_id))
    return {"Authorization": f"Bearer {token}"}


def _write(app, topic_id: int, user_id: int, words: str) -> str:
    with app.app_context():
        topic, user = db.session.get(Topic, topic_id), db.session.get(User, user_id)
        editor = Editor()
        editor.apply(notes.join_note(topic=topic, user=user)[0])
        editor.outbox.clear()
        editor.text.insert(len(str(editor.text).encode()), words)
        notes.apply_update(topic=db.session.get(Topic, topic_id),
                           user=db.session.get(User, user_id), update=editor.take())
        return str(editor)


def test_a_note_nobody_opened_is_empty(client, world):
    response = client.get(f"/api/v1/topics/{world.topic_id}/notes")
    assert response.status_code == 200
    assert response.get_json() == {"markdown": "", "updated_at": None}


def test_the_notes_current_text_and_when_it_changed(app, client, world):
    text = _write(app, world.topic_id, world.bob, "- Everyone wants a shared CRM.\n")

    response = client.get(f"/api/v1/topics/{world.topic_id}/notes")

    body = response.get_json()
    assert response.status_code == 200
    assert body["markdown"] == text
    assert body["markdown"].startswith("# Back-office tools\n\n## Convener\nAlice\n")
    assert body["markdown"].endswith("- Everyone wants a shared CRM.\n")
    assert body["updated_at"].endswith("Z") and len(body["updated_at"]) == 20


def test_a_private_events_notes_are_404_for_non_members(app, client, world):
    text = _write(app, world.private_topic_id, world.pia, "secret")
    anonymous = client.get(f"/api/v1/topics/{world.private_topic_id}/notes")
    stranger = client.get(f"/api/v1/topics/{world.private_topic_id}/notes",
                          headers=_bearer(app, world.alice))
    member = client.get(f"/api/v1/topics/{world.private_topic_id}/notes",
                        headers=_bearer(app, world.pia))
    assert anonymous.status_code == stranger.status_code == 404
    assert anonymous.get_json()["error"]["code"] == "not_found"
    assert member.status_code == 200 and member.get_json()["markdown"] == text


def test_an_unknown_topic_is_404(client, world):
    assert client.get("/api/v1/topics/999999/notes").status_code == 404

"""The JSON export as backup: export -> import -> export gives the same document; a bad file
is refused with a clear message and changes nothing."""

from __future__ import annotations

import copy
import json
import os

import pytest
import sqlalchemy as sa

from config import TestConfig
from openspace import create_app
from openspace.domain import backup, notes
from openspace.domain.errors import Conflict, ValidationFailed
from openspace.extensions import db
from openspace.models import Event, Note, Photo, Topic, User

from .conftest import write_note


def _export(event_id: int) -> str:
    return backup.dumps(backup.export_event(db.session.get(Event, event_id), private=True))


def _counts() -> tuple:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Event, User, Topic, Note, Photo))


def test_export_delete_import_export_is_identical(app, finished):
    with app.app_context():
        first = _export(finished.event.id)
        db.session.delete(db.session.get(Event, finished.event.id))
        db.session.commit()

        event = backup.import_event(backup.loads(first))

        assert _export(event.id) == first


def test_an_imported_note_goes_on_being_edited(app, finished):
    with app.app_context():
        text = _export(finished.event.id)
        event = backup.import_event(backup.loads(text), slug="copy")
        topic = db.session.scalar(sa.select(Topic).where(Topic.event_id == event.id,
                                                         Topic.title == "Value pricing"))
        pat = topic.convener  # a new name-only account: quick users have no email
        before = notes.current_markdown(topic)

        write_note(topic, pat, before + "- [ ] One more @pat\n")

        assert notes.current_markdown(topic) == before + "- [ ] One more @pat\n"


def test_import_into_an_empty_instance_by_the_command_line(app, finished, tmp_path):
    """The backup/restore path end to end: `openspace export` on one instance, `openspace
    import` on a fresh one, `openspace export` there gives the same file."""
    if os.environ.get("OPENSPACE_TEST_DATABASE_URL"):
        pytest.skip("two instances need two databases: the SQLite run covers this")

    class Empty(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'empty.db'}"

    fresh = create_app(Empty)
    with fresh.app_context():
        db.create_all()
    first, second = tmp_path / "a.json", tmp_path / "b.json"

    exported = app.test_cli_runner().invoke(
        args=["export", finished.event.slug, "--format", "json", "-o", str(first)])
    imported = fresh.test_cli_runner().invoke(args=["import", str(first)])
    again = fresh.test_cli_runner().invoke(args=["export", finished.event.slug, "-o", str(second)])

    assert (exported.exit_code, imported.exit_code, again.exit_code) == (0, 0, 0)
    assert "Imported drupal-cxo: 4 topics, 2 rooms, 4 time slots, 2 members." in imported.output
    assert first.read_text() == second.read_text()
    restored = json.loads(second.read_text())
    assert restored["event"]["join_code"] == finished.event.join_code
    assert [u["name"] for u in restored["users"]] == ["Olga", "Pat"]
    with fresh.app_context():
        db.engine.dispose()


def test_importing_an_existing_slug_is_refused(app, finished):
    with app.app_context():
        text = _export(finished.event.id)
        before = _counts()
        with pytest.raises(Conflict) as raised:
            backup.import_event(backup.loads(text))
        assert raised.value.code == "slug_taken"
        assert _counts() == before


def _broken(data: dict, change) -> dict:
    data = copy.deepcopy(data)
    change(data)
    return data


BROKEN = {
    "not json": None,
    "wrong format": lambda d: d.update(format="something-else"),
    "future version": lambda d: d.update(version=2),
    "missing title": lambda d: d["topics"][0].pop("title"),
    "title too long": lambda d: d["topics"][0].update(title="x" * 121),
    "unknown room": lambda d: d["topics"][0].update(room="r99"),
    "bad zone": lambda d: d["event"].update(timezone="Mars/Olympus"),
    "note text differs from its CRDT": lambda d: d["topics"][0]["note"].update(markdown="hi"),
    "crdt not base64": lambda d: d["topics"][0]["note"]["crdt"].update(data="!!!"),
    "photo not a JPEG": lambda d: d["topics"][0]["photos"][0].update(data="aGVsbG8="),
    "two topics in one cell": lambda d: d["topics"][2].update(room=d["topics"][0]["room"],
                                                              slot=d["topics"][0]["slot"]),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_bad_file_is_refused_and_changes_nothing(app, finished, case):
    with app.app_context():
        data = json.loads(_export(finished.event.id))
        before = _counts()
        text = "{not json" if BROKEN[case] is None else json.dumps(
            _broken(data, BROKEN[case]) | {"event": {**_broken(data, BROKEN[case])["event"],
                                                     "slug": "restored"}})

        with pytest.raises(ValidationFailed) as raised:
            backup.import_event(backup.loads(text))

        assert raised.value.message.startswith("Not an importable openspace event")
        assert _counts() == before
        assert db.session.scalar(sa.select(Event).where(Event.slug == "restored")) is None


def test_a_bad_file_names_the_place(app, finished):
    with app.app_context():
        data = json.loads(_export(finished.event.id))
        data["topics"][1]["room"] = "r99"
        data["event"]["slug"] = "restored"
        with pytest.raises(ValidationFailed) as raised:
            backup.import_event(data)
        assert "$.topics[1].room" in raised.value.message


def test_cli_import_of_a_bad_file_says_why(finished, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "openspace-event", "version": 1}')
    app = create_app(TestConfig)
    result = app.test_cli_runner().invoke(args=["import", str(bad)])
    assert result.exit_code == 1
    assert "Not an importable openspace event: $: 'event' is a required property" \
        in result.output

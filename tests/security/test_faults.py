"""Faults: a commit that fails inside the database (a real trigger that raises, on SQLite or
PostgreSQL: no mock) is answered with an error, broadcasts nothing and leaves no partial row;
and the app carries on afterwards."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from openspace.extensions import db, socketio
from tests.security.conftest import board_version, build_world, snapshot, user_of
from tests.security.matrix import SOCKET_EVENTS
from tests.web.conftest import login_as

pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)

BROADCASTS = {"board:changed", "announcement", "note:update"}


def _add_failing_trigger(app, table: str, when: str = "1 = 1") -> None:
    """A trigger that makes every insert into `table` (matching `when`) fail at the database."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.execute(sa.text(
                f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} WHEN {when} "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"))
        else:
            db.session.execute(sa.text(
                f"CREATE FUNCTION fail_{table}() RETURNS trigger AS $$ BEGIN "
                f"IF {when.replace('NEW.', 'NEW.')} THEN RAISE EXCEPTION 'injected failure'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))
            db.session.execute(sa.text(
                f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION fail_{table}()"))
        db.session.commit()


def _drop_failing_trigger(app, table: str) -> None:
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.execute(sa.text(f"DROP TRIGGER fail_{table}"))
        else:
            db.session.execute(sa.text(f"DROP TRIGGER fail_{table} ON {table}"))
            db.session.execute(sa.text(f"DROP FUNCTION fail_{table}()"))
        db.session.commit()


def _socket(app, world, role):
    client = app.test_client()
    login_as(client, user_of(app, world, role))
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.emit("event:join", {"slug": world.slug}, callback=True)["ok"] is True
    assert sock.emit("note:join", {"topic_id": world.placed}, callback=True)["ok"] is True
    sock.get_received()
    return client, sock


def _broadcasts(sock) -> list[str]:
    return [m["name"] for m in sock.get_received() if m["name"] in BROADCASTS]


def test_a_failing_commit_of_a_board_change_is_an_error_and_changes_nothing(app):
    world = build_world(app)
    _add_failing_trigger(app, "topics", "NEW.title = 'Doomed'")
    client, actor = _socket(app, world, "convener")
    _, watcher = _socket(app, world, "participant")
    before, version = snapshot(app), board_version(app, world)

    ack = actor.emit("board:propose", {"slug": world.slug, "topic": {"title": "Doomed"}},
                     callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "internal_error"
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not re-raise
    api = client.post(f"/api/v1/events/{world.slug}/topics", json={"title": "Doomed"})
    assert api.status_code == 500
    assert api.json["error"]["code"] == "internal_server_error"

    assert snapshot(app) == before
    assert board_version(app, world) == version
    assert _broadcasts(watcher) == [] and _broadcasts(actor) == []
    # The next change goes through, with the next version.
    ack = actor.emit("board:propose", {"slug": world.slug, "topic": {"title": "Fine"}},
                     callback=True)
    assert ack["ok"] is True
    assert [m["args"][0]["version"] for m in watcher.get_received()
            if m["name"] == "board:changed"] == [version + 1]


def test_a_failing_commit_of_a_note_update_is_an_error_and_relays_nothing(app):
    world = build_world(app)
    _, writer = _socket(app, world, "convener")
    _, reader = _socket(app, world, "participant")
    _add_failing_trigger(app, "note_updates")
    before = snapshot(app)
    update = SOCKET_EVENTS["note:update"].data(world)["update"]

    ack = writer.emit("note:update", {"topic_id": world.placed, "update": update},
                      callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "internal_error"
    assert snapshot(app) == before
    assert _broadcasts(reader) == []

    _drop_failing_trigger(app, "note_updates")
    ack = writer.emit("note:update", {"topic_id": world.placed, "update": update},
                      callback=True)
    assert ack["ok"] is True
    assert _broadcasts(reader) == ["note:update"]
    with app.app_context():
        markdown = db.session.execute(sa.text("SELECT markdown FROM notes WHERE topic_id = :t"),
                                      {"t": world.placed}).scalar()
    assert "# Notes" in markdown

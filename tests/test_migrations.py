"""The schema comes from Alembic migrations: they run from empty and match the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade

from openspace.extensions import db

pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)


def _empty_database(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        else:
            db.drop_all()


def test_migrations_build_the_schema_the_models_describe(app):
    _empty_database(app)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            head = ScriptDirectory.from_config(
                current_app.extensions["migrate"].migrate.get_config()).get_current_head()
            assert connection.execute(sa.text("SELECT version_num FROM alembic_version")
                                      ).scalar_one() == head


def test_migrations_downgrade_to_empty_and_up_again(app):
    _empty_database(app)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "topics" in sa.inspect(db.engine).get_table_names()


def _insert(connection, table: str, **values) -> int:
    """A row as the first schema had it; its id (no explicit ids: PostgreSQL's sequences must
    hand out the next ones afterwards)."""
    columns = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    return connection.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({params}) "
                                      "RETURNING id"), values).scalar_one()


def test_an_event_made_on_the_first_schema_survives_upgrading_and_keeps_working(app):
    from datetime import date, datetime

    from openspace.domain import board, events
    from openspace.models import Event, Topic, User

    _empty_database(app)
    created = datetime(2026, 11, 1, 12, 0)
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            user_id = _insert(connection, "users", email="kristof@example.org", name="Kristof",
                              password_hash=None, session_epoch=0, created_at=created)
            event_id = _insert(
                connection, "events", slug="cxo-2026", name="Drupal CXO", theme="Growth",
                venue="Brussels", timezone="Europe/Brussels", starts_on=date(2026, 11, 23),
                ends_on=date(2026, 11, 24), hashtag="#drupalcxo", visibility="public",
                board_state="open", summary_published=False, join_code="CVWXQE",
                board_version=7, created_at=created)
            _insert(connection, "memberships", event_id=event_id, user_id=user_id,
                    role="organizer", joined_at=created)
            room_id = _insert(connection, "rooms", event_id=event_id, name="Atrium",
                              capacity=30, position=0)
            slot_id = _insert(connection, "slots", event_id=event_id,
                              starts_at=datetime(2026, 11, 23, 10), kind="session", label="",
                              ends_at=datetime(2026, 11, 23, 11))
            topic_id = _insert(connection, "topics", event_id=event_id, convener_id=user_id,
                               title="Knowledge management", description="", tags="[]",
                               room_id=room_id, slot_id=slot_id, status="placed",
                               merged_into_id=None, created_at=created, updated_at=created)
            connection.execute(sa.text("INSERT INTO interests (topic_id, user_id, created_at) "
                                       "VALUES (:t, :u, :c)"),
                               {"t": topic_id, "u": user_id, "c": created})

        upgrade()

        user = db.session.get(User, user_id)
        event = events.get_event("cxo-2026", user)
        topic = db.session.get(Topic, topic_id)
        assert (event.name, event.board_version, event.join_code) == ("Drupal CXO", 7, "CVWXQE")
        assert (event.language, user.locale) == ("en", None)  # 0005: English, as before
        assert event.created_by_id == user_id  # 0007: its first organizer made it
        assert (topic.title, topic.room_id, topic.slot_id) == ("Knowledge management", room_id,
                                                               slot_id)
        assert [i.user_id for i in topic.interests] == [user_id]
        # The current code works on the old rows: a new topic, the next version, new ids.
        added = board.propose_topic(event=event, user=user, data={"title": "Fighting FUD"})
        assert added.id > topic_id
        assert db.session.get(Event, event_id).board_version == 8

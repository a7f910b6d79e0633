"""The schema comes from Alembic migrations: they run from empty and match the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade

from openspace.extensions import db


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

"""Test databases and apps made fast and safe to run in parallel (docs/architecture.md,
Testing).

- Each pytest-xdist worker gets a PostgreSQL database of its own, `<db>_gw0`, `<db>_gw1`…,
  made on first use next to the one OPENSPACE_TEST_DATABASE_URL names.
- A test's SQLite file is a copy of an empty schema made once per process (`create_all` on
  every test cost more than most tests).
- On PostgreSQL a test starts from the same empty schema: every row of the previous test is
  deleted and the sequences restart, unless the schema is not the one `create_all` makes (a
  migration test or a scale-out server changed it, a fault test added a trigger), when it is
  dropped and made again.
- Werkzeug's URL builders are compiled once per process instead of once per app.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import sqlalchemy as sa

URL_VARIABLE = "OPENSPACE_TEST_DATABASE_URL"


def per_worker_postgres() -> None:
    """Point OPENSPACE_TEST_DATABASE_URL at this xdist worker's own database (creating it).

    Called before `config` is imported (so this module does not import it): TestConfig reads
    the variable at import, and the servers the tests start inherit it."""
    url = os.environ.get(URL_VARIABLE, "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker or not url.startswith(("postgres://", "postgresql://", "postgresql+")):
        return
    base = sa.engine.make_url(url).set(drivername="postgresql+psycopg2")
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                       {"n": name})
            if not exists:
                # template0: nobody is ever connected to it (template1 may be in use)
                connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0 '
                                           "ENCODING 'UTF8'")
    finally:
        engine.dispose()
    os.environ[URL_VARIABLE] = base.set(database=name).render_as_string(hide_password=False)


def test_database_url(tmp_path: Path) -> str:
    from config import database_url

    url = os.environ.get(URL_VARIABLE)
    if url:
        return database_url(url)
    return f"sqlite:///{tmp_path / 'test.db'}"


_sqlite_template: Path | None = None


def _empty_sqlite_schema() -> Path:
    """An SQLite file with the models' empty schema, made once per process."""
    global _sqlite_template
    if _sqlite_template is None:
        from openspace.domain.tx import configure_sqlite
        from openspace.extensions import db

        path = Path(tempfile.mkdtemp(prefix="openspace-schema-")) / "empty.db"
        engine = sa.create_engine(f"sqlite:///{path}")
        configure_sqlite(engine)  # WAL, as the app's own engine sets it
        try:
            db.metadata.create_all(engine)
        finally:
            engine.dispose()
        _sqlite_template = path
    return _sqlite_template


def prepare_file(uri: str) -> None:
    """Before the app is made: put the empty schema at an SQLite URI's path."""
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        target = Path(uri[len("sqlite:///"):])
        shutil.copyfile(_empty_sqlite_schema(), target)


_FINGERPRINT = sa.text("""
SELECT md5(string_agg(item, ',' ORDER BY item)) FROM (
  SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
         || CASE WHEN a.attnotnull THEN '!' ELSE '' END AS item
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'c:' || conrelid::regclass || '.' || conname || ':' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'i:' || indexname || ':' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL
  SELECT 't:' || typname FROM pg_type
   WHERE typnamespace = 'public'::regnamespace AND typtype = 'e'
  UNION ALL
  SELECT 'g:' || tgrelid::regclass || '.' || tgname FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
  UNION ALL
  SELECT 'f:' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
) AS schema
""")

_postgres_schema: dict[str, str] = {}  # database URL -> fingerprint of the create_all schema


def empty_postgres(engine: sa.Engine) -> None:
    """The models' empty schema in the engine's PostgreSQL database (see the module doc)."""
    from openspace.extensions import db

    key = engine.url.render_as_string(hide_password=False)
    with engine.begin() as connection:
        known = _postgres_schema.get(key)
        if known is not None and connection.scalar(_FINGERPRINT) == known:
            # TRUNCATE costs a file operation per table; deleting a few rows does not.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in db.metadata.sorted_tables:
                connection.execute(table.delete())
            connection.exec_driver_sql(
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace")
            return
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        db.metadata.create_all(connection)
        _postgres_schema[key] = connection.scalar(_FINGERPRINT)


def reuse_url_builders() -> None:
    """Compile each URL rule's builder once per process, not once per app.

    Werkzeug turns every rule into Python source and compiles it when the rule is added to an
    app's URL map: 90 % of create_app()'s time, paid by every test that makes an app. The code
    it makes depends only on the rule's text, its parts and its defaults (the rule itself is
    bound at call time), so a builder compiled for one app is the very same for the next."""
    from werkzeug.routing import rules

    compile_builder = rules.Rule._compile_builder
    if getattr(compile_builder, "reused", False):
        return
    compiled: dict = {}

    def reused(rule, append_unknown: bool = True):
        defaults = rule.defaults or {}
        if any(dynamic and part in defaults for dynamic, part in rule._trace):
            return compile_builder(rule, append_unknown)  # a converter's output is baked in
        key = (rule.rule, tuple(rule._trace), append_unknown,
               tuple(sorted((name, repr(value)) for name, value in defaults.items())))
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    reused.reused = True
    rules.Rule._compile_builder = reused

"""Write transactions: one per public domain operation, committed before any signal is sent."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..extensions import db

# Read by the SQLite "begin" hook: a write transaction takes the write lock at BEGIN, so its
# reads (permission and free-cell checks) see the state it will write on.
_immediate = contextvars.ContextVar("openspace_immediate", default=False)

# SQLite has one writer at a time. This process's write transactions take their turn here
# first, so one waiting for another waits here (a green lock under eventlet/gevent: patched
# before import), never in SQLite's busy handler, which sleeps in C and stops the whole event
# loop, and could not end while the holder, a green thread of that loop, had to go on.
_sqlite_turn = threading.RLock()


@contextmanager
def writing() -> Iterator[None]:
    """Run the body in a fresh write transaction and commit it; roll back on any error.

    Whatever read transaction the request had open is ended first, so loaded objects are
    re-read under the write lock (SQLite) or row locks (PostgreSQL) of this transaction.

    The commit keeps loaded objects as they are instead of expiring them: everything in the
    session was read or written inside this transaction, so it is what was committed, and the
    answer (an ack, a JSON body) is built from it without reading each row back again.
    """
    session = db.session()
    session.rollback()
    with _sqlite_turn if db.engine.dialect.name == "sqlite" else nullcontext():
        token = _immediate.set(True)
        try:
            session.connection()  # BEGIN (IMMEDIATE on SQLite) now
            yield
            session.expire_on_commit = False
            try:
                session.commit()
            finally:
                session.expire_on_commit = True
        except BaseException:
            session.rollback()
            raise
        finally:
            _immediate.reset(token)


def configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for write transactions.

    The COMMIT stays on the calling thread, event loop or not. Waiting for its fsync in an OS
    thread (offload.py) was tried: while the loop was saturated (the marketplace rush, 20,000
    websocket messages a second), each committing green thread waited a whole turn of the hub
    to resume, holding the write turn meanwhile, and the claims' acks queued up to seconds
    (bench/fanout.py --rush: ack p50 2.7 s against 0.17 s). A 1-2 ms fsync on the loop costs
    less than that."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def unreachable(error: BaseException) -> bool:
    """Does this error mean the database is down or the connection was cut (not a bad query)?

    Such failures are answered with Unavailable (503 / an `unavailable` ack); the pool checks
    connections before use (pool_pre_ping), so the app recovers by itself once it is back."""
    if isinstance(error, sa.exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    return error.connection_invalidated or isinstance(
        error, sa.exc.OperationalError | sa.exc.InterfaceError)

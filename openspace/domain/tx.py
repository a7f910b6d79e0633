"""Write transactions: one per public domain operation, committed before any signal is sent."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..extensions import db
from .offload import off_the_hub

# Read by the SQLite "begin" hook: a write transaction takes the write lock at BEGIN, so its
# reads (permission and free-cell checks) see the state it will write on.
_immediate = contextvars.ContextVar("openspace_immediate", default=False)

# SQLite has one writer at a time. This process's write transactions take their turn here
# first, so one waiting for another waits here (a green lock under eventlet/gevent: patched
# before import), never in SQLite's busy handler, which sleeps in C and stops the whole event
# loop. That also lets a transaction give the loop away while it commits (commit_off_the_hub).
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


def commit_off_the_hub(engine: Engine) -> None:
    """Wait for SQLite's COMMIT in a real OS thread (offload.py) when the server is green.

    A durable commit waits for the disk (WAL with synchronous=FULL: an fsync, ~1-2 ms). The
    sqlite3 module's call does not yield, so under eventlet it would stop the one event-loop
    thread for that long, every write: 14 % of the server's samples in bench/notes.py.
    (PostgreSQL's driver waits greenly already: psycogreen, entry.py.) Waiting in a thread
    instead, the loop goes on relaying, reading the next messages and queueing the next
    writes, which then share one commit (notes.write_update's group commit). Nothing is
    acknowledged before the commit returns, as before. Only the DBAPI commit moves:
    SQLAlchemy's bookkeeping stays on the calling green thread, which holds the connection and
    the process's write turn (_sqlite_turn) until it is done."""
    plain = engine.dialect.do_commit

    def do_commit(dbapi_connection) -> None:
        off_the_hub(lambda: plain(dbapi_connection))

    engine.dialect.do_commit = do_commit  # this engine's dialect instance only


def configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, BEGIN IMMEDIATE for write transactions, and the
    commit waited for off the event loop."""
    commit_off_the_hub(engine)

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

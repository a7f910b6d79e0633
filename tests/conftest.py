"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when
OPENSPACE_TEST_DATABASE_URL points at one), an app, clients, and factories."""

from __future__ import annotations

import asyncio
import os
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from flask import has_app_context

from tests import databases

databases.per_worker_postgres()  # before config is imported: TestConfig reads the URL
databases.reuse_url_builders()

from config import TestConfig  # noqa: E402
from openspace import create_app, sockets  # noqa: E402
from openspace.domain import accounts, board, events, ratelimit  # noqa: E402
from openspace.extensions import db  # noqa: E402
from openspace.models import Event, Topic, User  # noqa: E402


@contextmanager
def _in_app(app):
    """Reuse the test's app context if it has one (a nested context would get its own session
    and detach the test's objects); otherwise push one and detach what the factory returns."""
    if has_app_context():
        yield False
    else:
        with app.app_context():
            yield True


def _detach(obj, pushed: bool):
    db.session.refresh(obj)
    if pushed:
        db.session.expunge(obj)
    return obj


_database_url = databases.test_database_url


def make_app(tmp_path, **settings):
    """An app on a database of its own with the models' empty schema (tests/databases.py),
    TestConfig with these settings on top."""
    uri = settings.pop("SQLALCHEMY_DATABASE_URI", None) or _database_url(tmp_path)
    config = type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri, **settings})
    databases.prepare_file(uri)
    app = create_app(config)
    ratelimit.reset()  # buckets are per process and ids repeat across test databases
    sockets.forget_connections()  # so are the sockets' logins, which the sweep checks
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            databases.empty_postgres(db.engine)
    return app


def close_app(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def ctx(app):
    """An application context for calling domain functions directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(name: str | None = None, email: str | None = None,
             password: str = "correct horse") -> User:
        n = next(counter)
        with _in_app(app) as pushed:
            user = accounts.register_user(
                email=email or f"user{n}@example.org", password=password,
                name=name or f"User {n}",
            )
            return _detach(user, pushed)

    return make


@pytest.fixture
def make_event(app, make_user):
    """An event with two rooms and a day of slots: 09:00 plenary, two sessions, a break."""

    def make(organizer: User | None = None, **data) -> Event:
        organizer = organizer or make_user(name="Organizer")
        values = {
            "name": "Drupal CXO", "timezone": "Europe/Brussels",
            "starts_on": "2026-11-23", "visibility": "public",
        }
        values.update(data)
        with _in_app(app) as pushed:
            user = db.session.get(User, organizer.id)
            event = events.create_event(user=user, data=values)
            day = event.starts_on
            events.add_room(event=event, user=user, data={"name": "Atrium", "capacity": 3})
            events.add_room(event=event, user=user, data={"name": "Library", "capacity": 20})
            for start, end, kind in (("09:00", "10:00", "plenary"), ("10:00", "11:00", "session"),
                                     ("11:00", "12:00", "session"), ("12:00", "13:00", "break")):
                events.add_slot(event=event, user=user, data={
                    "starts_at": f"{day}T{start}", "ends_at": f"{day}T{end}", "kind": kind})
            event = _detach(event, pushed)
            event.organizer_id = organizer.id  # convenience for tests
            return event

    return make


@pytest.fixture
def join(app):
    def do(event: Event, user: User) -> None:
        with _in_app(app):
            e = db.session.get(Event, event.id)
            events.join_event(event=e, user=db.session.get(User, user.id), join_code=e.join_code)

    return do


@pytest.fixture
def make_topic(app):
    def make(event: Event, user: User, title: str = "Back-office tools", **data) -> Topic:
        with _in_app(app) as pushed:
            e = db.session.get(Event, event.id)
            topic = board.propose_topic(event=e, user=db.session.get(User, user.id),
                                        data={"title": title, **data})
            return _detach(topic, pushed)

    return make


def login(client, email: str, password: str = "correct horse"):
    return client.post("/login", data={"email": email, "password": password})


__all__ = ["login", "date", "datetime"]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A real `openspace serve` (eventlet) with the demo event, on a free local port.

    One per test module (starting one costs seconds); tests add their own topics."""
    from tests.live import LiveServer

    server = LiveServer(tmp_path_factory.mktemp("live"))
    server.prepare(("db", "upgrade"), ("demo",))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    """One chromium per process (per xdist worker), not one per module: a launch costs a second
    or more, and the suite has two dozen browser modules. Tests take it through the module
    fixture `browser` (tests/browser/conftest.py), which closes what a module left open."""
    from tests.browser.conftest import ARGS, CHROMIUM, _missing

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not os.path.exists(CHROMIUM):
        _missing(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        asyncio._set_running_loop(None)  # until a module's `browser` sets it (see there)
        yield browser
        asyncio._set_running_loop(browser._loop)  # as Playwright's own calls expect it
        browser.close()


# Running in parallel (pytest-xdist, `make test`: -n auto --dist loadgroup) --------------------

_SHARED_SCOPES = ("package", "module", "class")
# Module fixtures that take a second to make again: their tests spread over the workers (the
# 1,430 cases of the permissions matrix share `template`).
_CHEAP_TO_REPEAT = {"template", "public_template"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    """Tests that share a module-scoped fixture (a live server, a browser, a template database)
    run on one worker, so it starts once; every other test goes wherever a worker is free. A
    module whose group would be long sets XDIST_SPLIT_BY to parameters' names: its tests are
    grouped by those parameters' values, each group making the module's fixtures on its worker
    (tests/browser/test_accessibility.py: a group alone took 520 s, a whole run's last minutes).
    The scale-out tests are database tests (`make test-postgres` selects `-m database`)."""
    loadgroup = bool(os.environ.get("PYTEST_XDIST_WORKER")) and config.getvalue("loadgroup")
    for item in items:
        if item.nodeid.startswith("tests/scaleout/"):
            item.add_marker(pytest.mark.database)  # PostgreSQL only: they skip on SQLite
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        if any(defs[-1].scope in _SHARED_SCOPES and name not in _CHEAP_TO_REPEAT
               for name, defs in info.name2fixturedefs.items()):
            group = item.nodeid.split("::")[0]
            split = getattr(item.module, "XDIST_SPLIT_BY", ())
            params = getattr(getattr(item, "callspec", None), "params", {})
            values = [str(params[name]) for name in split if name in params]
            if values:  # the module asks: one group (and fixture) per value
                group = f"{group}[{'-'.join(values)}]"
            item.add_marker(pytest.mark.xdist_group(group))
            if loadgroup:
                _put_group_in_id(item, group)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # xdist hands out the groups largest first, then the rest in this order: a group of
        # one test (a server or a browser of its own: seconds) collected late came last, with
        # the other worker idle. Groups first, so the run ends on single tests.
        items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)


def _put_group_in_id(item, group: str) -> None:
    """--dist loadgroup groups tests by an `@group` suffix of their ids, which pytest-xdist
    (3.8) writes into `item._nodeid` after this hook. pytest 9 reads a test's id from `item._id`
    instead, so the suffix never reached the scheduler and every test was a group of its own:
    each module's live server or browser started again on every worker that ran one of its
    tests (three times for the server of tests/sockets/test_board_batch.py). Put it where
    pytest reads it; xdist's own write then changes nothing."""
    if not hasattr(item, "_id"):
        return  # pytest 8 and older read _nodeid: xdist's suffix lands there
    from _pytest.nodeid import coerce_node_id

    item._id = coerce_node_id(f"{item.nodeid}@{group}")

"""Every HTTP route and socket event x every kind of user: allowed or refused as the matrix
(tests/security/matrix.py) says; a refusal changes no row and broadcasts nothing; a private
event's name never reaches a non-member. Routes come from app.url_map, socket events from the
Socket.IO server, so a new route or event that nobody listed fails here."""

from __future__ import annotations

import io
import shutil

import pytest

from config import TestConfig
from openspace import create_app
from openspace.domain import ratelimit
from openspace.extensions import db, socketio
from tests.security.conftest import (
    ROLES,
    SECRET_NAME,
    board_version,
    build_world,
    snapshot,
    user_of,
)
from tests.security.matrix import ROUTES, SOCKET_EVENTS, jpeg_bytes
from tests.web.conftest import login_as

BROADCASTS = {"board:changed", "announcement", "note:update", "note:awareness"}
DENIED = {401, 403, 404}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """One app for the module, on a SQLite file that each case gets fresh: a copy of the world
    built once (building it per case would take minutes for ~650 cases). Always SQLite: this
    is about who may do what, which the database does not decide."""
    folder = tmp_path_factory.mktemp("matrix")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'case.db'}"

    app = create_app(Config)
    with app.app_context():
        db.create_all()
    world = build_world(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    shutil.copy(folder / "case.db", folder / "template.db")
    return app, world, folder


@pytest.fixture
def fresh(matrix):
    app, world, folder = matrix
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        (folder / f"case.db{suffix}").unlink(missing_ok=True)
    shutil.copy(folder / "template.db", folder / "case.db")
    ratelimit.reset()
    sockets = []
    yield app, world, sockets
    for sock in sockets:
        if sock.is_connected():
            sock.disconnect()


def _routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_is_in_the_matrix(app):
    served = _routes(app)
    assert sorted(served - set(ROUTES)) == [], "routes nobody listed in matrix.py"
    assert sorted(set(ROUTES) - served) == [], "matrix.py lists routes the app does not serve"


def test_every_socket_event_is_in_the_matrix(app):
    handled = set(socketio.server.handlers["/"]) - {"connect", "disconnect"}
    assert handled == set(SOCKET_EVENTS)


def _client(app, world, role):
    client = app.test_client()
    user = user_of(app, world, role)
    if user is not None:
        login_as(client, user)
    return client


def _socket(app, world, role, sockets):
    sock = socketio.test_client(app, flask_test_client=_client(app, world, role))
    sockets.append(sock)
    return sock


def _listener(app, world, sockets):
    """The organizer's live page: in the event's room and the placed topic's note room."""
    sock = _socket(app, world, "organizer", sockets)
    assert sock.emit("event:join", {"slug": world.slug}, callback=True)["ok"] is True
    assert sock.emit("note:join", {"topic_id": world.placed}, callback=True)["ok"] is True
    sock.get_received()
    return sock


def _broadcasts(sock) -> list[str]:
    return [m["name"] for m in sock.get_received() if m["name"] in BROADCASTS]


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


CASES = sorted((endpoint, method, role) for endpoint, method in ROUTES for role in ROLES)


@pytest.mark.parametrize("endpoint,method,role", CASES)
def test_route(fresh, endpoint, method, role):
    app, world, sockets = fresh
    route = ROUTES[(endpoint, method)]
    listener = _listener(app, world, sockets)
    client = _client(app, world, role)
    before, version = snapshot(app), board_version(app, world)

    kwargs = {}
    if route.data is not None:
        data = route.data(world, role)
        if endpoint.startswith("api."):
            kwargs["json"] = data
        else:
            kwargs["data"] = {**data, "photo": (io.BytesIO(jpeg_bytes()), "p.jpg")} \
                if route.files else data
    response = client.open(route.path(world), method=method, **kwargs)
    body = response.get_data().decode("utf-8", "replace")
    response.close()

    if role in route.allowed:
        assert response.status_code < 400 and (
            route.to_login or not _is_login_redirect(response)), (
            f"{role} should be allowed: {response.status_code} {body[:300]}")
        return
    assert response.status_code in DENIED or _is_login_redirect(response), (
        f"{role} should be refused: {response.status_code} {body[:300]}")
    assert snapshot(app) == before
    assert board_version(app, world) == version
    assert _broadcasts(listener) == []
    assert SECRET_NAME not in body


SOCKET_CASES = sorted((name, role) for name in SOCKET_EVENTS for role in ROLES)


@pytest.mark.parametrize("name,role", SOCKET_CASES)
def test_socket_event(fresh, name, role):
    app, world, sockets = fresh
    spec = SOCKET_EVENTS[name]
    listener = _listener(app, world, sockets)
    actor = _socket(app, world, role, sockets)
    assert actor.is_connected()
    before, version = snapshot(app), board_version(app, world)

    ack = actor.emit(name, spec.data(world), callback=True)

    if role in spec.allowed:
        assert ack["ok"] is True, f"{role} should be allowed: {ack}"
        return
    assert ack["ok"] is False
    assert ack["error"]["code"] in {"not_authenticated", "forbidden", "not_found"}, ack
    assert snapshot(app) == before
    assert board_version(app, world) == version
    assert _broadcasts(listener) == []
    if spec.listen:
        # Refused a room, it hears nothing of what happens there afterwards.
        actor.get_received()
        organizer = _socket(app, world, "organizer", sockets)
        assert organizer.emit("board:propose", {"slug": world.slug, "topic": {"title": "Later"}},
                              callback=True)["ok"] is True
        assert organizer.emit("note:update", {"topic_id": world.placed,
                                              "update": SOCKET_EVENTS["note:update"].data(world)[
                                                  "update"]}, callback=True)["ok"] is True
        assert _broadcasts(listener) != []
        assert _broadcasts(actor) == []

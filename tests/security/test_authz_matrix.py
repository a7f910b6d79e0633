"""Every HTTP route and socket event x every kind of user: allowed or refused as the matrix
(tests/security/matrix.py) says; a refusal changes no row and broadcasts nothing; a private
event's name never reaches a non-member. Routes come from app.url_map, socket events from the
Socket.IO server, so a new route or event that nobody listed fails here."""

from __future__ import annotations

import pytest

from openspace import realtime
from openspace.extensions import socketio
from tests.live import wait_for
from tests.security.conftest import (
    ROLES,
    SECRET_NAME,
    board_version,
    snapshot,
    user_of,
)
from tests.security.matrix import (
    PUBLIC_SOCKET_READS,
    ROUTES,
    SHOWS_JOIN_CODE,
    SOCKET_EVENTS,
    files_of,
    public_allowed,
)
from tests.web.conftest import login_as

BROADCASTS = {"board:changed", "announcement", "note:update", "note:awareness",
              "projector:changed", "pitch:changed"}
DENIED = {401, 403, 404}


@pytest.fixture
def fresh(template):
    world = template.reset()
    sockets = []
    yield template.app, world, sockets
    for sock in sockets:
        if sock.is_connected():
            sock.disconnect()
    # A note update this case made may still be on its way (merged relays go out up to 50 ms
    # later): let it land here, not in the next case's listener.
    wait_for(lambda: realtime.note_relay.idle)


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
    refused = role not in route.allowed
    before, version = (snapshot(app), board_version(app, world)) if refused else (None, None)

    kwargs = {}
    if route.data is not None:
        data = route.data(world, role)
        if endpoint.startswith("api."):
            kwargs["json"] = data
        else:
            kwargs["data"] = {**data, **files_of(route, world)}
    response = client.open(route.path(world), method=method, **kwargs)
    body = response.get_data().decode("utf-8", "replace")
    response.close()

    if role in route.allowed:
        if route.conflict and response.status_code == 409:
            assert response.json["error"]["code"] == route.conflict, body[:300]
            return
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
    refused = role not in spec.allowed
    before, version = (snapshot(app), board_version(app, world)) if refused else (None, None)

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


# The same on a public event: reads open to all, everything else as before; and the join code
# (a capability: it makes anyone a member) reaches only organizers, and the projector's wall.

PUBLIC_CASES = sorted((e, m, role) for (e, m) in ROUTES for role in ROLES
                      if m == "GET" and e != "static")


@pytest.mark.parametrize("endpoint,method,role", PUBLIC_CASES)
def test_public_event_route(public_template, endpoint, method, role):
    app, world = public_template.app, public_template.reset()
    route = ROUTES[(endpoint, method)]
    allowed = public_allowed(endpoint, method)
    response = _client(app, world, role).open(route.path(world), method=method)
    body = response.get_data().decode("utf-8", "replace")
    response.close()
    if role in allowed:
        assert response.status_code < 400 and not _is_login_redirect(response), (
            f"{role} should be allowed: {response.status_code} {body[:300]}")
    else:
        assert response.status_code in DENIED or _is_login_redirect(response), (
            f"{role} should be refused: {response.status_code} {body[:300]}")
    if role != "organizer" and (endpoint, method) not in SHOWS_JOIN_CODE:
        assert world.join_code not in body, f"join code shown to {role}"


@pytest.mark.parametrize("name,role", sorted((n, r) for n in PUBLIC_SOCKET_READS for r in ROLES))
def test_public_event_socket_reads(public_template, name, role):
    app, world = public_template.app, public_template.reset()
    sock = socketio.test_client(app, flask_test_client=_client(app, world, role))
    ack = sock.emit(name, SOCKET_EVENTS[name].data(world), callback=True)
    sock.disconnect()
    assert ack["ok"] is True, ack

"""Against a real `openspace serve`, with real python-socketio clients: who may see an event is
re-checked when it changes. Sockets that joined a public event's board and notes, anonymously
or as non-members, hear `access:ended` and nothing more once it turns private; sockets of a
deleted event hear it too; a disabled account's sockets are disconnected."""

from __future__ import annotations

import re
import threading

import pytest
import requests
import socketio
from pycrdt import Doc, Text

from tests.live import DEMO_PASSWORD, close_socket, wait_for

SLUG = "drupal-cxo-brussels"
ORGANIZER = "kristof@example.org"
MEMBER = "dries@example.org"
pytestmark = pytest.mark.slow


class Listener:
    """A real Socket.IO client in the event's room and one note's room, recording what it hears."""

    def __init__(self, url: str, *, slug: str, topic_id: int, token: str | None = None,
                 cookie: str | None = None) -> None:
        self.heard: list[tuple[str, object]] = []
        self.ended = threading.Event()
        self.disconnected = threading.Event()
        self.sock = socketio.Client(reconnection=False)
        for name in ("board:changed", "note:update", "announcement"):
            self.sock.on(name, lambda data, name=name: self.heard.append((name, data)))
        self.sock.on("access:ended", self._ended)
        self.sock.on("disconnect", lambda *args: self.disconnected.set())
        self.sock.connect(url, transports=["websocket"], wait_timeout=10,
                          auth={"token": token} if token else None,
                          headers={"Cookie": cookie} if cookie else {})
        assert self.sock.call("event:join", {"slug": slug}, timeout=10)["ok"] is True
        joined = self.sock.call("note:join", {"topic_id": topic_id,
                                              "state_vector": Doc().get_state()}, timeout=10)
        assert joined["ok"] is True, joined
        self.note = joined["update"]

    def _ended(self, data) -> None:
        self.heard.append(("access:ended", data))
        self.ended.set()

    def names(self) -> list[str]:
        return [name for name, _ in self.heard]

    def close(self) -> None:
        close_socket(self.sock)


def _register(live_server, email: str) -> str:
    response = requests.post(live_server.url + "/api/v1/users", timeout=10, json={
        "email": email, "password": DEMO_PASSWORD, "name": email.split("@")[0]})
    assert response.status_code == 201, response.text
    return live_server.token(email)


def _topic(live_server, token: str, slug: str = SLUG) -> int:
    board = live_server.api("GET", f"/events/{slug}/board", token).json()
    return board["topics"][0]["id"]


def _typed(note: bytes, words: str) -> bytes:
    """A Yjs update typing words at the start of the note (given the note's state)."""
    doc = Doc()
    doc.apply_update(note)
    before = doc.get_state()
    doc.get("markdown", type=Text).insert(0, words)
    return doc.get_update(before)


def test_sockets_stop_hearing_an_event_once_it_turns_private(live_server):
    organizer = live_server.token(ORGANIZER)
    member_token = live_server.token(MEMBER)
    topic_id = _topic(live_server, organizer)
    anonymous = Listener(live_server.url, slug=SLUG, topic_id=topic_id)
    stranger = Listener(live_server.url, slug=SLUG, topic_id=topic_id,
                        token=_register(live_server, "stranger@example.org"))
    member = Listener(live_server.url, slug=SLUG, topic_id=topic_id, token=member_token)
    try:
        changed = live_server.api("PATCH", f"/events/{SLUG}", organizer,
                                  json={"visibility": "private"})
        assert changed.status_code == 200, changed.text
        wait_for(lambda: anonymous.ended.is_set() and stranger.ended.is_set())
        assert ("access:ended", {"reason": "access"}) in anonymous.heard
        assert not member.ended.is_set()

        # A board change and a note edit by a member after the change: the member hears both,
        # the sockets that may no longer see the event hear neither.
        created = live_server.api("POST", f"/events/{SLUG}/topics", member_token,
                                  json={"title": "Said in private"})
        assert created.status_code == 201
        writer = Listener(live_server.url, slug=SLUG, topic_id=topic_id, token=organizer)
        try:
            ack = writer.sock.call("note:update", {"topic_id": topic_id,
                                                   "update": _typed(writer.note, "Secret. ")},
                                   timeout=10)
            assert ack["ok"] is True, ack
        finally:
            writer.close()
        wait_for(lambda: {"board:changed", "note:update"} <= set(member.names()))
        assert anonymous.names() == ["access:ended"]
        assert stranger.names() == ["access:ended"]
        # Joining again is refused, as for any private event.
        again = anonymous.sock.call("event:join", {"slug": SLUG}, timeout=10)
        assert again["ok"] is False and again["error"]["code"] == "not_found"
    finally:
        for listener in (anonymous, stranger, member):
            listener.close()
        live_server.api("PATCH", f"/events/{SLUG}", organizer, json={"visibility": "public"})


class AdminBrowser:
    def __init__(self, url: str, email: str) -> None:
        self.url = url
        self.http = requests.Session()
        response = self.http.post(url + "/login", timeout=10, allow_redirects=False, data={
            "email": email, "password": DEMO_PASSWORD, "csrf_token": self.csrf("/login")})
        assert response.status_code == 302, response.text

    def csrf(self, path: str = "/") -> str:
        page = self.http.get(self.url + path, timeout=10).text
        return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def post(self, path: str, **data) -> requests.Response:
        return self.http.post(self.url + path, timeout=10, allow_redirects=False,
                              data={"csrf_token": self.csrf("/"), **data})


def test_a_disabled_accounts_sockets_end_and_a_deleted_events_sockets_hear_it(live_server):
    live_server.command("admin", "add", ORGANIZER)
    admin = AdminBrowser(live_server.url, ORGANIZER)
    organizer = live_server.token(ORGANIZER)
    created = live_server.api("POST", "/events", organizer, json={
        "name": "Short-lived", "slug": "short-lived", "timezone": "Europe/Brussels",
        "starts_on": "2027-05-01", "visibility": "public"})
    assert created.status_code == 201, created.text
    found = admin.http.get(live_server.url + "/admin/events?q=short-lived", timeout=10).text
    event_id = int(re.search(r'/admin/events/(\d+)', found).group(1))
    topic = live_server.api("POST", "/events/short-lived/topics", organizer,
                            json={"title": "Soon gone"})
    assert topic.status_code == 201
    victim_token = _register(live_server, "disabled-soon@example.org")
    victim = Listener(live_server.url, slug="short-lived", topic_id=topic.json()["id"],
                      token=victim_token)
    reader = Listener(live_server.url, slug="short-lived", topic_id=topic.json()["id"])
    try:
        victim_id = live_server.api("GET", "/me", victim_token).json()["id"]
        assert admin.post(f"/admin/accounts/{victim_id}/disable").status_code == 302
        wait_for(victim.disconnected.is_set)
        assert not reader.disconnected.is_set()

        assert admin.post(f"/admin/events/{event_id}/delete",
                          confirm="short-lived").status_code == 302
        wait_for(reader.ended.is_set)
        assert ("access:ended", {"reason": "deleted"}) in reader.heard
        rejoin = reader.sock.call("event:join", {"slug": "short-lived"}, timeout=10)
        assert rejoin["ok"] is False and rejoin["error"]["code"] == "not_found"
    finally:
        victim.close()
        reader.close()

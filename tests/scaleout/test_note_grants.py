"""Two `openspace serve` processes on PostgreSQL + Redis: a note writer's connection on B keeps
its grant between messages (openspace/grants.py), and a change committed on A ends it for B's
very next message: the counters live in Redis, bumped by A before its answer. Runs in
`make test-postgres` (skipped without PostgreSQL)."""

from __future__ import annotations

import re
import threading
import uuid

import pytest
import requests
import socketio
from pycrdt import Doc, Text

from tests.live import DEMO_PASSWORD, close_socket
from tests.scaleout.clients import SLUG
from tests.security.test_live_access import AdminBrowser

pytestmark = pytest.mark.slow
ORGANIZER = "kristof@example.org"


class Writer:
    """A member's tab with the note open, on one process."""

    def __init__(self, url: str, token: str, topic_id: int) -> None:
        self.topic_id = topic_id
        self.disconnected = threading.Event()
        self.sock = socketio.Client(reconnection=False)
        self.sock.on("disconnect", lambda *args: self.disconnected.set())
        self.sock.connect(url, transports=["websocket"], auth={"token": token}, wait_timeout=10)
        self.doc = Doc()
        self.text = self.doc.get("markdown", type=Text)
        joined = self.sock.call("note:join", {"topic_id": topic_id,
                                              "state_vector": self.doc.get_state()}, timeout=10)
        assert joined["ok"] is True, joined
        self.doc.apply_update(joined["update"])

    def type(self, words: str) -> dict | None:
        """The ack of an update typing `words`, or None when the connection was cut (the
        session sweep, every few seconds, may get there first)."""
        before = self.doc.get_state()
        self.text.insert(len(str(self.text).encode()), words)
        try:
            return self.sock.call("note:update", {"topic_id": self.topic_id,
                                                  "update": self.doc.get_update(before)},
                                  timeout=10)
        except socketio.exceptions.SocketIOError:
            assert self.disconnected.is_set()
            return None

    def close(self) -> None:
        close_socket(self.sock)


def _member(server) -> tuple[str, int]:
    """A new account that joined the demo event: its token and id."""
    email = f"writer-{uuid.uuid4().hex[:8]}@example.org"
    response = requests.post(server.url + "/api/v1/users", timeout=10, json={
        "email": email, "password": DEMO_PASSWORD, "name": "Writer"})
    assert response.status_code == 201, response.text
    token = server.token(email)
    organizer = server.token(ORGANIZER)
    code = server.api("GET", f"/events/{SLUG}", organizer).json()["join_code"]
    joined = server.api("POST", f"/events/{SLUG}/members", token, json={"join_code": code})
    assert joined.status_code in (200, 201), joined.text
    return token, server.api("GET", "/me", token).json()["id"]


def _topic(server, token: str, title: str, *, slug: str = SLUG) -> int:
    created = server.api("POST", f"/events/{slug}/topics", token, json={"title": title})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _refused(ack: dict | None, code: str) -> bool:
    return ack is None or (ack["ok"] is False and ack["error"]["code"] == code)


def test_a_topic_withdrawn_on_one_process_is_refused_by_the_next_message_on_the_other(pair):
    a, b = pair
    convener, _ = _member(a)
    topic_id = _topic(a, convener, "Withdrawn soon")
    writer = Writer(b.url, _member(a)[0], topic_id)
    try:
        assert writer.type("First. ")["ok"] is True
        assert writer.type("Second. ")["ok"] is True  # from the kept grant

        assert a.api("DELETE", f"/topics/{topic_id}", convener).status_code == 200
        ack = writer.type("After. ")

        assert ack["ok"] is False and ack["error"]["code"] == "note_read_only", ack
    finally:
        writer.close()


def test_a_token_revoked_on_one_process_is_refused_by_the_next_message_on_the_other(pair):
    a, b = pair
    token, _ = _member(a)
    topic_id = _topic(a, token, "Revoked soon")
    writer = Writer(b.url, token, topic_id)
    try:
        assert writer.type("First. ")["ok"] is True
        assert writer.type("Second. ")["ok"] is True

        assert a.api("DELETE", "/tokens", token).json()["revoked"] >= 1
        ack = writer.type("After. ")

        assert _refused(ack, "not_authenticated"), ack
    finally:
        writer.close()


def test_an_account_disabled_on_one_process_is_refused_by_the_next_message_on_the_other(pair):
    a, b = pair
    a.command("admin", "add", ORGANIZER)
    admin = AdminBrowser(a.url, ORGANIZER)
    token, user_id = _member(a)
    topic_id = _topic(a, token, "Disabled soon")
    writer = Writer(b.url, token, topic_id)
    try:
        assert writer.type("First. ")["ok"] is True
        assert writer.type("Second. ")["ok"] is True

        assert admin.post(f"/admin/accounts/{user_id}/disable").status_code == 302
        ack = writer.type("After. ")

        assert _refused(ack, "not_authenticated"), ack
    finally:
        writer.close()


def test_an_event_deleted_on_one_process_is_refused_by_the_next_message_on_the_other(pair):
    a, b = pair
    a.command("admin", "add", ORGANIZER)
    admin = AdminBrowser(a.url, ORGANIZER)
    organizer = a.token(ORGANIZER)
    slug = f"gone-{uuid.uuid4().hex[:6]}"
    created = a.api("POST", "/events", organizer, json={
        "name": "Short-lived", "slug": slug, "timezone": "Europe/Brussels",
        "starts_on": "2027-05-01", "visibility": "public"})
    assert created.status_code == 201, created.text
    found = admin.http.get(a.url + f"/admin/events?q={slug}", timeout=10).text
    event_id = int(re.search(r'/admin/events/(\d+)', found).group(1))
    topic_id = _topic(a, organizer, "Gone soon", slug=slug)
    writer = Writer(b.url, organizer, topic_id)
    try:
        assert writer.type("First. ")["ok"] is True
        assert writer.type("Second. ")["ok"] is True

        assert admin.post(f"/admin/events/{event_id}/delete", confirm=slug).status_code == 302
        ack = writer.type("After. ")

        assert ack["ok"] is False and ack["error"]["code"] == "not_found", ack
    finally:
        writer.close()


def test_a_role_change_on_one_process_leaves_the_writer_on_the_other_writing(pair):
    """A role change ends every kept grant of the event (the counter moved); the writer is
    checked again and, still a member, goes on writing."""
    a, b = pair
    token, user_id = _member(a)
    topic_id = _topic(a, token, "Promoted soon")
    writer = Writer(b.url, token, topic_id)
    try:
        assert writer.type("First. ")["ok"] is True
        promoted = a.api("PUT", f"/events/{SLUG}/members/{user_id}/role", a.token(ORGANIZER),
                         json={"role": "organizer"})
        assert promoted.status_code == 200, promoted.text

        assert writer.type("As an organizer. ")["ok"] is True
    finally:
        writer.close()


def test_a_member_removed_on_one_process_is_refused_by_the_next_message_on_the_other(pair):
    a, b = pair
    convener, _ = _member(a)
    topic_id = _topic(a, convener, "Removed soon")
    token, user_id = _member(a)
    writer = Writer(b.url, token, topic_id)
    try:
        assert writer.type("First. ")["ok"] is True
        assert writer.type("Second. ")["ok"] is True  # from the kept grant
        written = a.api("GET", f"/topics/{topic_id}/notes", convener).json()["markdown"]
        assert "First. Second. " in written

        removed = a.api("DELETE", f"/events/{SLUG}/members/{user_id}", a.token(ORGANIZER))
        assert removed.status_code == 204, removed.text
        ack = writer.type("After. ")

        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack
        assert a.api("GET", f"/topics/{topic_id}/notes", convener).json()["markdown"] == written
    finally:
        writer.close()


def test_a_token_revoked_on_one_process_is_refused_by_the_next_board_message_on_the_other(pair):
    """Every socket message rests on the connection's kept login (sockets._user), the board's
    as much as a note's."""
    a, b = pair
    token, _ = _member(a)
    bot = socketio.Client(reconnection=False)
    bot.connect(b.url, transports=["websocket"], auth={"token": token}, wait_timeout=10)

    def propose(title: str) -> dict | None:
        try:
            return bot.call("board:propose", {"slug": SLUG, "topic": {"title": title}},
                            timeout=10)
        except socketio.exceptions.SocketIOError:  # cut by the sweep first
            return None

    try:
        assert propose("First")["ok"] is True
        assert propose("Second")["ok"] is True  # from the kept login

        assert a.api("DELETE", "/tokens", token).json()["revoked"] >= 1
        ack = propose("After")

        assert _refused(ack, "not_authenticated"), ack
        titles = [t["title"] for t in a.api("GET", f"/events/{SLUG}/board", a.token(ORGANIZER))
                  .json()["topics"]]
        assert "Second" in titles and "After" not in titles
    finally:
        close_socket(bot)

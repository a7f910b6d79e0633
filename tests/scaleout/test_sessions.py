"""Two `openspace serve` processes on PostgreSQL + Redis: a password change or a token
revocation handled by one process also disconnects the user's sockets on the other (each process
sweeps its own connections). Runs in `make test-postgres` (skipped without PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.live import close_socket, wait_for
from tests.security.test_live_sessions import Browser

pytestmark = pytest.mark.slow


def test_a_password_change_on_one_process_cuts_the_sockets_on_the_other(pair):
    a, b = pair
    laptop = Browser(a.url, "roel@example.org")
    phone = Browser(b.url, "roel@example.org")
    bystander = Browser(b.url, "mark@example.org")
    try:
        response = laptop.post("/account/password", current_password="openspace-demo",
                               new_password="a brand new password")
        assert response.status_code == 302
        wait_for(laptop.disconnected.is_set)  # its own process: at once
        wait_for(phone.disconnected.is_set, timeout=30)  # the other: at its next sweep
        assert bystander.sock.connected
    finally:
        for browser in (laptop, phone, bystander):
            browser.close()


def test_revoking_tokens_on_one_process_cuts_token_sockets_on_the_other(pair):
    import threading

    import socketio

    a, b = pair
    token = a.token("dries@example.org")
    gone = threading.Event()
    bot = socketio.Client(reconnection=False)
    bot.on("disconnect", lambda *args: gone.set())
    bot.connect(b.url, transports=["websocket"], auth={"token": token}, wait_timeout=10)
    try:
        assert a.api("DELETE", "/tokens", token).json()["revoked"] >= 1
        wait_for(gone.is_set, timeout=30)
    finally:
        close_socket(bot)


def test_an_event_turning_private_on_one_process_takes_the_others_sockets_out(pair):
    """The access re-check travels through Redis: the other process removes its own anonymous
    sockets from the event's and the note's rooms before it delivers anything published after."""
    from tests.security.test_live_access import SLUG, Listener, _topic, _typed

    a, b = pair
    organizer = a.token("kristof@example.org")
    member_token = a.token("dries@example.org")
    topic_id = _topic(a, organizer)
    anonymous = Listener(b.url, slug=SLUG, topic_id=topic_id)
    member = Listener(b.url, slug=SLUG, topic_id=topic_id, token=member_token)
    try:
        assert a.api("PATCH", f"/events/{SLUG}", organizer,
                     json={"visibility": "private"}).status_code == 200
        # Published on A right after: B handles the re-check first (one channel, in order).
        assert a.api("POST", f"/events/{SLUG}/topics", member_token,
                     json={"title": "Said in private"}).status_code == 201
        writer = Listener(a.url, slug=SLUG, topic_id=topic_id, token=organizer)
        try:
            ack = writer.sock.call("note:update", {"topic_id": topic_id,
                                                   "update": _typed(writer.note, "Secret. ")},
                                   timeout=10)
            assert ack["ok"] is True, ack
        finally:
            writer.close()
        wait_for(lambda: {"board:changed", "note:update"} <= set(member.names()))
        wait_for(anonymous.ended.is_set)
        assert anonymous.names() == ["access:ended"]
    finally:
        anonymous.close()
        member.close()
        a.api("PATCH", f"/events/{SLUG}", organizer, json={"visibility": "public"})

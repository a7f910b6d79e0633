"""Against a real `openspace serve`: logging out and changing the password disconnect the user's
real python-socketio clients, which then receive nothing more of a private event."""

from __future__ import annotations

import re
import threading

import pytest
import requests
import socketio

from tests.live import DEMO_PASSWORD, close_socket, wait_for

SLUG = "drupal-cxo-brussels"
pytestmark = pytest.mark.slow


class Browser:
    """A logged-in requests session plus a Socket.IO client riding on its cookie."""

    def __init__(self, url: str, email: str, password: str = DEMO_PASSWORD) -> None:
        self.url = url
        self.http = requests.Session()
        response = self.http.post(url + "/login", timeout=10, allow_redirects=False, data={
            "email": email, "password": password, "csrf_token": self.csrf("/login")})
        assert response.status_code == 302, response.text
        self.disconnected = threading.Event()
        self.changes: list[dict] = []
        self.sock = socketio.Client(reconnection=False)
        self.sock.on("disconnect", lambda *args: self.disconnected.set())
        self.sock.on("board:changed", self.changes.append)
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        self.sock.connect(url, transports=["websocket"], headers={"Cookie": cookie},
                          wait_timeout=10)
        assert self.sock.call("event:join", {"slug": SLUG}, timeout=10)["ok"] is True

    def csrf(self, path: str = "/") -> str:
        page = self.http.get(self.url + path, timeout=10).text
        return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def post(self, path: str, **data) -> requests.Response:
        return self.http.post(self.url + path, timeout=10, allow_redirects=False,
                              data={"csrf_token": self.csrf("/account"), **data})

    def close(self) -> None:
        close_socket(self.sock)
        self.http.close()


def test_logout_disconnects_the_real_socket_of_that_browser_only(live_server):
    laptop = Browser(live_server.url, "roel@example.org")
    phone = Browser(live_server.url, "roel@example.org")
    try:
        assert laptop.post("/logout").status_code == 302
        wait_for(laptop.disconnected.is_set)
        assert not laptop.sock.connected
        assert phone.sock.connected
        assert phone.sock.call("event:join", {"slug": SLUG}, timeout=10)["ok"] is True
    finally:
        laptop.close()
        phone.close()


def test_password_change_disconnects_every_real_socket_of_the_user(live_server):
    laptop = Browser(live_server.url, "dries@example.org")
    phone = Browser(live_server.url, "dries@example.org")
    other = Browser(live_server.url, "eric@example.org")
    try:
        response = laptop.post("/account/password", current_password=DEMO_PASSWORD,
                               new_password="a brand new password")
        assert response.status_code == 302
        wait_for(lambda: laptop.disconnected.is_set() and phone.disconnected.is_set())
        # The others still get the board's changes; the cut ones get nothing more.
        token = live_server.token("eric@example.org")
        created = live_server.api("POST", f"/events/{SLUG}/topics", token,
                                  json={"title": "After the cut"})
        assert created.status_code == 201
        wait_for(lambda: other.changes)
        assert phone.changes == [] and laptop.changes == []
    finally:
        for browser in (laptop, phone, other):
            browser.close()

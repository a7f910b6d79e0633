"""Password checks run off the server's event loop (domain/offload.py): while one login computes,
a real `openspace serve` process goes on answering everyone else.

No clock is read: the proof is order. One account's stored hash is made expensive (pbkdf2 with
4,000,000 rounds, seconds of CPU, precomputed below); while its login is outstanding a second
client sends requests one after another. On the event loop the hash would stop the server, so at
most the request already under way when it started could be answered before the login's own
answer; off the loop, request after request is.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
import requests

from tests.live import DEMO_PASSWORD, LiveServer

pytestmark = pytest.mark.slow

EMAIL = "roel@example.org"
# werkzeug's format, for DEMO_PASSWORD: hashlib.pbkdf2_hmac("sha256", b"openspace-demo",
# b"offtheloop", 4_000_000).hex()
SLOW_HASH = ("pbkdf2:sha256:4000000$offtheloop$"
             "afe5e924c7c68d7696d4ed19036c7621117a097be877a3f248bad88b97a35833")
ANSWERED_MEANWHILE = 5  # well above the one a blocked loop could let through


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("offloop")
    server = LiveServer(folder)
    server.prepare(("db", "upgrade"), ("demo",))
    with sqlite3.connect(folder / "live.db") as database:
        database.execute("UPDATE users SET password_hash = ? WHERE email = ?", (SLOW_HASH, EMAIL))
    server.start()
    yield server
    server.stop()


def test_other_requests_are_answered_while_a_password_is_checked(server):
    answers: list[requests.Response] = []
    login = threading.Thread(target=lambda: answers.append(requests.post(
        server.url + "/api/v1/tokens", json={"email": EMAIL, "password": DEMO_PASSWORD},
        timeout=300)))
    login.start()
    answered_meanwhile = 0
    try:
        while not answers and answered_meanwhile < ANSWERED_MEANWHILE:
            board = requests.get(server.url + "/api/v1/events", timeout=300)
            assert board.status_code == 200
            if not answers:
                answered_meanwhile += 1
    finally:
        login.join(timeout=300)

    assert answered_meanwhile == ANSWERED_MEANWHILE, "the server stopped while it hashed"
    assert answers[0].status_code == 201  # and the slow login itself went through

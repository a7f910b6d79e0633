"""Faults: Redis or PostgreSQL restarted under two running `openspace serve` processes.

Each test starts its own throwaway redis-server (and, for PostgreSQL, its own cluster) and
stops it; the machine's shared servers are never touched. Waits are generous and bounded:
nothing here asserts how fast anything happens, only that it converges."""

from __future__ import annotations

import re

import pytest
import requests

from tests.live import DEMO_PASSWORD, wait_for
from tests.notes.conftest import Editor
from tests.scaleout.clients import (
    SLUG,
    Phone,
    api,
    board,
    join_note,
    propose,
    start_servers,
    token,
    type_into,
)
from tests.scaleout.services import (
    PostgresCluster,
    RedisServer,
    empty_database,
    postgres_url,
    unique_channel,
)


@pytest.fixture(autouse=True)
def _postgres_run():
    postgres_url()  # these tests belong to the PostgreSQL run (make test-postgres)


@pytest.fixture
def queue():
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture
def cluster():
    server = PostgresCluster().start()
    yield server
    server.close()


def _stop(servers) -> None:
    for server in servers:
        server.stop()


def _delivered_as_a_change(on: Phone, phone: Phone, url: str, title: str) -> bool:
    """Propose a topic through `on`; does `phone` get it as an ordinary change (the fan-out
    works again) within a few seconds? (A false answer just means: try again.)"""
    propose(on, title)
    version = board(url)["version"]
    try:
        wait_for(lambda: any(c["version"] == version and c["kind"] == "proposed"
                             for c in list(phone.changes)), timeout=5)
    except AssertionError:
        return False
    return True


def _logged_in(url: str, email: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{url}/login", timeout=10).text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = browser.post(f"{url}/login", timeout=10, data={
        "email": email, "password": DEMO_PASSWORD, "csrf_token": csrf})
    assert response.status_code == 200 and browser.cookies.get("session"), response.text
    return browser


def test_after_redis_restarts_clients_converge_and_nothing_acknowledged_is_lost(
        tmp_path, queue):
    url = postgres_url()
    empty_database(url)
    servers = start_servers(tmp_path, 2, OPENSPACE_DATABASE_URL=url,
                            OPENSPACE_MESSAGE_QUEUE=queue.url,
                            OPENSPACE_MESSAGE_QUEUE_CHANNEL=unique_channel())
    a, b = servers
    roel = Phone(a.url, token(a.url, "roel@example.org"))
    mark = Phone(b.url, token(b.url, "mark@example.org"))
    projector = Phone(b.url)
    acked: list[str] = []
    try:
        start = board(a.url)["version"]
        acked.append(propose(roel, "Before the outage")["title"])
        for phone in (mark, projector):
            wait_for(lambda p=phone: p.version == start + 1, timeout=20)

        queue.stop()
        # Changes go on (the database has them); their broadcasts to process B are lost.
        acked += [propose(roel, f"During the outage {n}")["title"] for n in range(3)]
        during = board(a.url)["version"]
        assert during == start + 4
        for phone in (mark, projector):
            # B's clients learn that they missed something and refetch the board.
            wait_for(lambda p=phone: p.version == during, timeout=60)
            assert "resync" in phone.kinds()
        assert roel.version == during  # A's own clients got A's broadcasts all along

        queue.start()
        counter = iter(range(1000))
        wait_for(lambda: _delivered_as_a_change(roel, mark, a.url,
                                                f"After the outage {next(counter)}"),
                 timeout=120, interval=0.5)
        final = board(b.url)
        for phone in (roel, mark, projector):
            wait_for(lambda p=phone: p.version == final["version"], timeout=60)
        titles = {topic["title"] for topic in final["topics"]}
        assert set(acked) <= titles
    finally:
        for phone in (roel, mark, projector):
            phone.close()
        _stop(servers)


def test_a_postgresql_restart_answers_503_then_recovers_without_restarting_the_app(
        tmp_path, queue, cluster):
    servers = start_servers(tmp_path, 2, OPENSPACE_DATABASE_URL=cluster.url,
                            OPENSPACE_MESSAGE_QUEUE=queue.url,
                            OPENSPACE_MESSAGE_QUEUE_CHANNEL=unique_channel())
    a, b = servers
    roel_token = token(a.url, "roel@example.org")
    roel = Phone(a.url, roel_token)
    mark = Phone(b.url, token(b.url, "mark@example.org"))
    try:
        # Acknowledged just before the crash: topics and a note.
        acked = [propose(roel, f"Acknowledged {n}")["title"] for n in range(5)]
        topic_id = board(a.url)["topics"][-1]["id"]
        editor = Editor("roel")
        join_note(roel, topic_id, editor)
        assert type_into(roel, topic_id, editor, "\nKept through the crash.") == {"ok": True}

        browser = _logged_in(a.url, "roel@example.org")

        cluster.stop("immediate")  # a crash: only what was committed survives

        for server in servers:
            response = api(server.url, "GET", f"/events/{SLUG}/board", roel_token)
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "unavailable"
            response = api(server.url, "POST", f"/events/{SLUG}/topics", roel_token,
                           json={"title": "Lost in the outage"})
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "unavailable"
            assert requests.get(f"{server.url}/e/{SLUG}", timeout=10).status_code == 503
        page = browser.get(f"{a.url}/e/{SLUG}", timeout=10)  # a logged-in page: the same
        assert page.status_code == 503 and "try again" in page.text, page.text
        ack = roel.call("board:propose", {"slug": SLUG, "topic": {"title": "Refused"}})
        assert ack["ok"] is False and ack["error"]["code"] == "unavailable", ack
        ack = type_into(roel, topic_id, editor, "\nTyped while the database was down.")
        assert ack["ok"] is False and ack["error"]["code"] == "unavailable", ack

        cluster.start()
        for server in servers:  # the same processes: no restart
            wait_for(lambda s=server: api(s.url, "GET", f"/events/{SLUG}/board",
                                          roel_token).status_code == 200, timeout=60)
        # The editor kept what the server refused and sends it again, as the browser does.
        assert roel.call("note:update", {"topic_id": topic_id,
                                         "update": editor.doc.get_update()}) == {"ok": True}
        before = board(b.url)["version"]
        propose(roel, "After the restart")
        wait_for(lambda: mark.version == before + 1, timeout=30)

        titles = {topic["title"] for topic in board(b.url)["topics"]}
        assert set(acked) | {"After the restart"} <= titles
        assert not titles & {"Lost in the outage", "Refused"}
        fresh = Editor("fresh")
        join_note(mark, topic_id, fresh)
        assert "Kept through the crash." in str(fresh.text)
        assert "Typed while the database was down." in str(fresh.text)
    finally:
        roel.close()
        mark.close()
        _stop(servers)

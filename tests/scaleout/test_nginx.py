"""The two processes behind nginx, configured with deploy/nginx.conf (the text docs/deploy.md
shows): browsers are routed by a cookie nginx makes up, so Socket.IO's long-polling requests
of one connection all reach the same process, wherever the phone's IP comes from."""

from __future__ import annotations

import pytest
import requests

from tests.live import ROOT, wait_for
from tests.notes.conftest import Editor
from tests.scaleout.clients import (
    Phone,
    assert_one_winner,
    board,
    free_cell,
    join_note,
    propose,
    race,
    token,
    type_into,
)
from tests.scaleout.services import Nginx


@pytest.fixture(scope="module")
def nginx(pair):
    proxy = Nginx(*(server.port for server in pair)).start()
    yield proxy
    proxy.close()


def test_nginx_gives_each_browser_a_route_cookie_once(nginx):
    browser = requests.Session()

    first = browser.get(nginx.url + "/", timeout=10)
    again = browser.get(nginx.url + "/", timeout=10)

    assert first.status_code == again.status_code == 200
    route = browser.cookies.get("openspace_route")
    assert route and len(route) == 32
    assert "openspace_route" in first.headers.get("Set-Cookie", "")
    assert "openspace_route" not in again.headers.get("Set-Cookie", "")
    assert requests.get(nginx.url + "/", timeout=10).cookies.get("openspace_route") != route


def test_through_nginx_a_placed_topic_and_a_note_reach_every_phone(nginx):
    url = nginx.url
    roel = Phone(url, token(url, "roel@example.org"), transports=["polling", "websocket"])
    # Long-polling only: every request of these connections must reach the same process.
    phones = [Phone(url, token(url, email), transports=["polling"])
              for email in ("mark@example.org", "dries@example.org", "eric@example.org")]
    phones += [Phone(url, transports=["polling"]) for _ in range(4)]  # projectors
    everyone = [roel, *phones]
    try:
        start = board(url)["version"]
        topic = propose(roel, "Behind nginx")
        cell = free_cell(board(url), topic["convener"]["id"])
        ack = roel.call("board:place", {"topic_id": topic["id"], "room_id": cell[0],
                                        "slot_id": cell[1]})
        assert ack["ok"] is True, ack
        for phone in everyone:
            wait_for(lambda p=phone: p.version == start + 2, timeout=20)
            assert phone.kinds()[-2:] == ["proposed", "placed"]

        mine, theirs = Editor("roel"), Editor("mark")
        join_note(roel, topic["id"], mine)
        join_note(phones[0], topic["id"], theirs)
        assert type_into(roel, topic["id"], mine, "\nVia nginx.") == {"ok": True}
        wait_for(lambda: phones[0].notes, timeout=20)
        for relayed in list(phones[0].notes):
            theirs.apply(relayed["update"])
        assert str(theirs.text) == str(mine.text)
        assert all(phone.client.connected for phone in everyone)
    finally:
        for phone in everyone:
            phone.close()


def test_through_nginx_the_claim_race_has_exactly_one_winner(nginx):
    url = nginx.url
    first_phone = Phone(url, token(url, "stephanie@example.org"), transports=["polling"])
    second_phone = Phone(url, token(url, "dan@example.org"), transports=["polling"])
    try:
        first = propose(first_phone, "Race through nginx: Stephanie")
        second = propose(second_phone, "Race through nginx: Dan")
        cell = free_cell(board(url), first["convener"]["id"], second["convener"]["id"])

        acks = race([(first_phone, first), (second_phone, second)], cell)

        assert_one_winner(acks, url, cell)
    finally:
        first_phone.close()
        second_phone.close()


def test_docs_deploy_shows_the_files_these_tests_and_users_run():
    doc = (ROOT / "docs" / "deploy.md").read_text()
    for name in ("nginx.conf", "openspace@.service", "openspace-migrate.service",
                 "openspace.env.example"):
        assert (ROOT / "deploy" / name).read_text().rstrip("\n") in doc, name

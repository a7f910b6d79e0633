"""Two `openspace serve` processes on one PostgreSQL database and one Redis: a change made
through either reaches the clients of both, and the database decides races between them."""

from __future__ import annotations

import redis
import requests

from tests.live import wait_for
from tests.notes.conftest import Editor
from tests.scaleout.clients import (
    SLUG,
    Phone,
    api,
    assert_one_winner,
    board,
    free_cell,
    join_note,
    propose,
    race,
    token,
    type_into,
)
from tests.scaleout.conftest import SHARED_REDIS


def test_a_topic_placed_on_one_process_reaches_the_clients_of_the_other(pair):
    a, b = pair
    roel = Phone(a.url, token(a.url, "roel@example.org"))
    mark = Phone(b.url, token(b.url, "mark@example.org"))
    projector = Phone(b.url)  # anonymous, on the other process
    try:
        start = board(a.url)["version"]
        topic = propose(roel, "Scaling Drupal sites")
        room_id, slot_id = free_cell(board(a.url), topic["convener"]["id"])
        ack = roel.call("board:place", {"topic_id": topic["id"], "room_id": room_id,
                                        "slot_id": slot_id})
        assert ack["ok"] is True, ack

        for phone in (mark, projector):
            wait_for(lambda p=phone: p.version == start + 2, timeout=20)
            assert [c["version"] for c in phone.changes] == [start + 1, start + 2]
            assert phone.kinds() == ["proposed", "placed"]
            placed = phone.changes[-1]["topic"]
            assert (placed["id"], placed["room_id"], placed["slot_id"]) == (topic["id"], room_id,
                                                                           slot_id)
            assert phone.refetches == 0
    finally:
        for phone in (roel, mark, projector):
            phone.close()


def test_a_note_edited_on_one_process_reaches_the_editors_on_the_other(pair):
    a, b = pair
    roel = Phone(a.url, token(a.url, "roel@example.org"))
    mark = Phone(b.url, token(b.url, "mark@example.org"))
    try:
        topic = propose(roel, "Notes across processes")
        mine, theirs = Editor("roel"), Editor("mark")
        join_note(roel, topic["id"], mine)
        join_note(mark, topic["id"], theirs)

        ack = type_into(roel, topic["id"], mine, "\nTyped on process A.")
        assert ack == {"ok": True}, ack
        wait_for(lambda: mark.notes, timeout=20)
        for relayed in list(mark.notes):
            theirs.apply(relayed["update"])
        assert str(theirs.text) == str(mine.text)
        assert str(mine.text).endswith("Typed on process A.")

        # And back: B's edit reaches A, and a fresh tab on either sees both.
        ack = type_into(mark, topic["id"], theirs, "\nAnswered on process B.")
        assert ack == {"ok": True}, ack
        wait_for(lambda: roel.notes, timeout=20)
        for relayed in list(roel.notes):
            mine.apply(relayed["update"])
        assert str(mine.text) == str(theirs.text)
        for server in (a, b):
            fresh = Editor("fresh")
            phone = Phone(server.url, token(server.url, "dries@example.org"))
            try:
                join_note(phone, topic["id"], fresh)
            finally:
                phone.close()
            assert str(fresh.text) == str(mine.text)
    finally:
        roel.close()
        mark.close()


def test_the_claim_race_across_two_processes_has_exactly_one_winner(pair):
    a, b = pair
    for left, right in (("roel", "dries"), ("eric", "stephanie"), ("dan", "mark")):
        on_a = Phone(a.url, token(a.url, f"{left}@example.org"))
        on_b = Phone(b.url, token(b.url, f"{right}@example.org"))
        try:
            first = propose(on_a, f"Race: {left} on A")
            second = propose(on_b, f"Race: {right} on B")
            cell = free_cell(board(a.url), first["convener"]["id"], second["convener"]["id"])

            acks = race([(on_a, first), (on_b, second)], cell)

            assert_one_winner(acks, b.url, cell)
        finally:
            on_a.close()
            on_b.close()


def test_both_processes_spend_from_one_rate_limit_bucket_in_redis(pair, channel):
    a, _ = pair
    roel = Phone(a.url, token(a.url, "roel@example.org"))
    try:
        propose(roel, "Counted in Redis")
    finally:
        roel.close()
    keys = {key.decode() for key in
            redis.Redis.from_url(SHARED_REDIS).scan_iter(match=f"{channel}:ratelimit:*")}
    assert any(key.startswith(f"{channel}:ratelimit:board:user:") for key in keys), keys


def test_presence_counts_the_phones_on_every_process(pair):
    a, b = pair
    phones = [Phone(a.url), Phone(a.url), Phone(b.url)]
    try:
        # Each process announces the total: its own sockets plus the others' (kept in Redis).
        for phone in phones:
            wait_for(lambda p=phone: p.presence and p.presence[-1] == 3, timeout=20)
        phones.pop(0).close()
        for phone in phones:
            wait_for(lambda p=phone: p.presence and p.presence[-1] == 2, timeout=20)
    finally:
        for phone in phones:
            phone.close()


def test_the_board_cache_is_one_across_processes(pair):
    """A tag from one process is a 304 on the other; a change made through either is a new tag
    on both; a board turned private is no longer served from either's cache to a visitor."""
    a, b = pair
    organizer = token(a.url, "kristof@example.org")
    roel = Phone(a.url, token(a.url, "roel@example.org"))

    def get(server, path, tag=None):
        headers = {"If-None-Match": tag} if tag else {}
        return requests.get(server.url + path, headers=headers, timeout=10)

    paths = (f"/api/v1/events/{SLUG}/board", f"/e/{SLUG}/live")
    try:
        for path in paths:
            tag = get(a, path).headers["ETag"]
            assert get(b, path).headers["ETag"] == tag
            assert get(b, path, tag).status_code == 304
        tags = {path: get(a, path).headers["ETag"] for path in paths}

        propose(roel, "Cached on two processes")  # through process A
        version = board(a.url)["version"]
        for path in paths:
            fresh = get(b, path, tags[path])
            assert fresh.status_code == 200 and fresh.headers["ETag"].startswith(f'"v{version}-')
            assert get(a, path, fresh.headers["ETag"]).status_code == 304
            tags[path] = fresh.headers["ETag"]

        response = api(b.url, "PATCH", f"/events/{SLUG}", organizer, json={"visibility": "private"})
        assert response.status_code == 200, response.text
        for server in (a, b):
            for path in paths:
                assert get(server, path, tags[path]).status_code == 404
                assert get(server, path).status_code == 404
    finally:
        api(a.url, "PATCH", f"/events/{SLUG}", organizer, json={"visibility": "public"})
        roel.close()


def test_batched_phones_on_both_processes_get_every_change_once_in_order(pair):
    """The window lives in each process, after Redis: a change committed on A and one on B
    reach each process's batching phones in the order Redis delivered them, consecutively."""
    a, b = pair
    on_a = Phone(a.url, token(a.url, "roel@example.org"))
    on_b = Phone(b.url, token(b.url, "mark@example.org"))
    watchers = [Phone(a.url, batch=True), Phone(b.url, batch=True)]
    single = Phone(b.url)
    try:
        assert [w.joins[0]["batch"] for w in watchers] == [True, True]
        start = board(a.url)["version"]
        for n in range(3):  # one after the other, alternating between the processes
            propose(on_a, f"Batched on A {n}")
            propose(on_b, f"Batched on B {n}")
        final = start + 6
        for phone in (*watchers, single):
            wait_for(lambda p=phone: p.version == final, timeout=20)
            assert [c["version"] for c in phone.changes] == list(range(start + 1, final + 1))
            assert phone.refetches == 0
        for watcher in watchers:
            assert sum(len(batch) for batch in watcher.batches) == len(watcher.changes)
            for batch in watcher.batches:
                versions = [c["version"] for c in batch]
                assert versions == list(range(versions[0], versions[0] + len(versions)))
        assert single.batches == []
    finally:
        for phone in (on_a, on_b, *watchers, single):
            phone.close()

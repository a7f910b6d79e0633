"""The batched form's throttle across two processes (their own, with the longest window, on
one PostgreSQL database and Redis): whichever process committed a change, each process sends
its batching phones the first two after a quiet spell at once (a burst of two:
realtime.Throttle) and the ones after them within the window together at its end, in
consecutive versions."""

from __future__ import annotations

import pytest

from tests.live import wait_for
from tests.scaleout.clients import Phone, board, propose, token
from tests.scaleout.conftest import running_pair
from tests.scaleout.services import unique_channel


@pytest.fixture
def slow_pair(tmp_path):
    # 1 s, far longer than four changes made back to back take; fresh processes, so nothing
    # was sent before the test's first change.
    yield from running_pair(tmp_path, unique_channel(), OPENSPACE_BOARD_BATCH_MS="1000")


def test_the_first_changes_go_at_once_on_both_processes_the_next_ride_along(slow_pair):
    a, b = slow_pair
    on_a = Phone(a.url, token(a.url, "roel@example.org"))
    on_b = Phone(b.url, token(b.url, "mark@example.org"))
    watchers = [Phone(a.url, batch=True), Phone(b.url, batch=True)]
    single = Phone(b.url)
    try:
        assert [w.joins[0]["batch"] for w in watchers] == [True, True]
        start = board(a.url)["version"]
        # Committed on A, B, A, B, each after the last one's ack: each process gets them
        # through Redis, the first after nothing at all, the others within its window.
        propose(on_a, "Leading on A")
        propose(on_b, "The burst's second, on B")
        propose(on_a, "Riding along on A")
        propose(on_b, "Riding along on B")
        final = start + 4
        for phone in (*watchers, single):
            wait_for(lambda p=phone: p.version == final, timeout=30)
            assert [c["version"] for c in phone.changes] == list(range(start + 1, final + 1))
            assert phone.refetches == 0
        for watcher in watchers:
            assert [[c["version"] for c in batch] for batch in watcher.batches] == [
                [start + 1], [start + 2], [start + 3, start + 4]]
            assert [c["kind"] for c in watcher.changes] == ["proposed"] * 4
        assert single.batches == []
        assert board(b.url)["version"] == final
    finally:
        for phone in (on_a, on_b, *watchers, single):
            phone.close()

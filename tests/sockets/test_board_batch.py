"""The batched form of board changes (`event:join` with `batch: true`), against a real
`openspace serve` with real python-socketio clients: every change once, in consecutive
versions inside and across batches; clients that did not ask get one `board:changed` per
version, as before; the new field is validated and gives no access the join did not."""

from __future__ import annotations

import threading
import time

import pytest
import socketio

from openspace.extensions import socketio as server_socketio
from openspace.realtime import Throttle, event_room
from tests.conftest import close_app, make_app
from tests.live import LiveServer, wait_for

SLUG = "drupal-cxo-brussels"
ORGANIZER = "kristof@example.org"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # A long window, so that changes made back to back share a batch on a loaded machine too
    # (the default is 50 ms).
    live = LiveServer(tmp_path_factory.mktemp("batch"), OPENSPACE_BOARD_BATCH_MS="1000")
    live.prepare(("db", "upgrade"), ("demo",))  # a copy of the demo database, as live_server
    live.start()
    yield live
    live.stop()


class Board:
    """A real client joined to the event, recording single changes and batches apart."""

    def __init__(self, url: str, join: dict, token: str | None = None) -> None:
        self.lock = threading.Lock()
        self.singles: list[dict] = []
        self.batches: list[list[dict]] = []
        self.ended: list[dict] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("board:changed", self._single)
        self.client.on("board:batch", self._batch)
        self.client.on("access:ended", self.ended.append)
        self.client.connect(url, transports=["websocket"], wait_timeout=10,
                            auth={"token": token} if token else None)
        self.joined = self.client.call("event:join", {"slug": SLUG, **join}, timeout=10)

    def _single(self, change: dict) -> None:
        with self.lock:
            self.singles.append(change)

    def _batch(self, batch: dict) -> None:
        with self.lock:
            self.batches.append(batch["changes"])

    def versions(self) -> list[int]:
        with self.lock:
            return [c["version"] for c in [*self.singles, *(c for b in self.batches for c in b)]]

    def call(self, name: str, data: dict) -> dict:
        return self.client.call(name, data, timeout=20)

    def close(self) -> None:
        self.client.disconnect()


def _propose(driver: Board, title: str) -> dict:
    ack = driver.call("board:propose", {"slug": SLUG, "topic": {"title": title}})
    assert ack["ok"] is True, ack
    return ack["topic"]


def _free_cells(server, token: str, convener_id: int, count: int) -> list[tuple[int, int]]:
    """Free session cells, each in another slot where this convener holds nothing."""
    board = server.api("GET", f"/events/{SLUG}/board", token).json()
    taken = {(t["room_id"], t["slot_id"]) for t in board["topics"] if t["room_id"]}
    busy = {t["slot_id"] for t in board["topics"] if t["convener"]["id"] == convener_id}
    cells = []
    for slot in board["slots"]:
        if slot["kind"] != "session" or slot["id"] in busy:
            continue
        free = [room["id"] for room in board["rooms"] if (room["id"], slot["id"]) not in taken]
        if free:
            cells.append((free[0], slot["id"]))
    assert len(cells) >= count, "not enough free cells"
    return cells[:count]


def test_batches_carry_every_change_once_in_consecutive_versions(server):
    token = server.token(ORGANIZER)
    driver = Board(server.url, {}, token)
    batched = Board(server.url, {"batch": True})  # the projector: anonymous, public event
    single = Board(server.url, {})
    try:
        start = single.joined["version"]
        assert batched.joined == {"ok": True, "version": start, "batch": True}
        assert single.joined == {"ok": True, "version": start}  # as before the batched form

        # Two bursts: the second starts once the first has arrived, so there are at least
        # two batches; within a burst the changes come back to back, inside one window.
        topics = [_propose(driver, f"Batched {n}") for n in range(3)]
        wait_for(lambda: batched.versions()[-1:] == [start + 3], timeout=20)
        cells = _free_cells(server, token, topics[0]["convener"]["id"], 2)
        for topic, (room_id, slot_id) in zip(topics, cells, strict=False):
            ack = driver.call("board:place", {"topic_id": topic["id"], "room_id": room_id,
                                              "slot_id": slot_id})
            assert ack["ok"] is True, ack
        ack = driver.call("board:interest", {"topic_id": topics[2]["id"], "interested": True})
        assert ack["ok"] is True, ack
        final = start + 6
        for board in (batched, single):
            wait_for(lambda b=board: b.versions()[-1:] == [final], timeout=20)

        # The batching client: only batches, each consecutive, together every version once.
        assert batched.singles == []
        assert len(batched.batches) >= 2
        for batch in batched.batches:
            versions = [c["version"] for c in batch]
            assert versions == list(range(versions[0], versions[0] + len(versions)))
        assert batched.versions() == list(range(start + 1, final + 1))
        assert len(batched.batches) < final - start  # merged: fewer messages than changes
        # The other client: one board:changed per version, the same changes.
        assert single.batches == []
        assert single.versions() == list(range(start + 1, final + 1))
        assert [c for b in batched.batches for c in b] == single.singles
        assert [c["kind"] for c in single.singles] == ["proposed"] * 3 + ["placed"] * 2 + [
            "interest"]
    finally:
        for board in (driver, batched, single):
            board.close()


@pytest.fixture(scope="module")
def long_window_server(tmp_path_factory):
    # The longest window there is (as `server`'s), far longer than three changes made back to
    # back take; a server of its own, so that nothing was sent before the test's first change.
    live = LiveServer(tmp_path_factory.mktemp("leading"), OPENSPACE_BOARD_BATCH_MS="1000")
    live.prepare(("db", "upgrade"), ("demo",))
    live.start()
    yield live
    live.stop()


def test_the_first_change_after_a_quiet_spell_is_not_held_for_the_window(long_window_server):
    server = long_window_server
    driver = Board(server.url, {}, server.token(ORGANIZER))
    batched = Board(server.url, {"batch": True})
    single = Board(server.url, {})
    try:
        start = batched.joined["version"]
        # Nothing sent on this server before (a quiet spell): the first two go out at once,
        # each on its own (a burst of two: realtime.Throttle); the two made right after them,
        # within their window, go out together at its end.
        for n in range(4):
            _propose(driver, f"Leading edge {n}")
        final = start + 4
        for board in (batched, single):
            wait_for(lambda b=board: b.versions()[-1:] == [final], timeout=30)
        assert batched.singles == []
        assert batched.batches[0] == [c for c in single.singles if c["version"] == start + 1]
        assert [[c["version"] for c in b] for b in batched.batches] == [
            [start + 1], [start + 2], [start + 3, start + 4]]
        assert [c for b in batched.batches for c in b] == single.singles
    finally:
        for board in (driver, batched, single):
            board.close()


@pytest.mark.parametrize("value", ["yes", 1, None, [], {}])
def test_batch_must_be_true_or_false(server, value):
    board = Board(server.url, {"batch": value})
    try:
        assert board.joined["ok"] is False
        assert board.joined["error"]["code"] == "invalid"
        assert list(board.joined["error"]["fields"]) == ["batch"]
    finally:
        board.close()


def test_batch_false_and_joining_again_without_it_mean_single_changes(server):
    token = server.token(ORGANIZER)
    driver = Board(server.url, {}, token)
    declined = Board(server.url, {"batch": False})
    changed_mind = Board(server.url, {"batch": True})
    try:
        assert declined.joined == {"ok": True, "version": declined.joined["version"],
                                   "batch": False}
        again = changed_mind.call("event:join", {"slug": SLUG})
        assert again == {"ok": True, "version": again["version"]}
        _propose(driver, "Said singly")
        for board in (declined, changed_mind):
            wait_for(lambda b=board: b.singles, timeout=20)
            assert [c["version"] for c in board.singles] == [again["version"] + 1]
        # A batch would have gone out a window after the change: the proposal's reached the
        # driver's own (single) client too, so wait for one more change and look.
        _propose(driver, "Said singly again")
        for board in (declined, changed_mind):
            wait_for(lambda b=board: len(b.singles) == 2, timeout=20)
            assert board.batches == []
    finally:
        for board in (driver, declined, changed_mind):
            board.close()


def test_leaving_the_event_stops_its_batches(server):
    token = server.token(ORGANIZER)
    driver = Board(server.url, {}, token)
    stays, leaves = Board(server.url, {"batch": True}), Board(server.url, {"batch": True})
    try:
        assert leaves.call("event:leave", {"slug": SLUG}) == {"ok": True}
        _propose(driver, "After one left")
        wait_for(lambda: stays.batches, timeout=20)
        _propose(driver, "And another")
        wait_for(lambda: stays.versions()[-1:] == [stays.joined["version"] + 2], timeout=20)
        assert leaves.versions() == []
    finally:
        for board in (driver, stays, leaves):
            board.close()


def test_batches_stop_for_sockets_that_may_no_longer_see_the_event(server):
    organizer = server.token(ORGANIZER)
    member = Board(server.url, {"batch": True}, server.token("dries@example.org"))
    anonymous = Board(server.url, {"batch": True})
    try:
        assert anonymous.joined["batch"] is True
        changed = server.api("PATCH", f"/events/{SLUG}", organizer,
                             json={"visibility": "private"})
        assert changed.status_code == 200, changed.text
        wait_for(lambda: anonymous.ended, timeout=20)
        created = server.api("POST", f"/events/{SLUG}/topics", organizer,
                             json={"title": "Said in private"})
        assert created.status_code == 201, created.text
        wait_for(lambda: any(c["kind"] == "proposed" for b in member.batches for c in b),
                 timeout=20)
        assert anonymous.versions() == []
        # Joining again (batched or not) is refused, as for any private event.
        again = anonymous.call("event:join", {"slug": SLUG, "batch": True})
        assert again["ok"] is False and again["error"]["code"] == "not_found"
    finally:
        server.api("PATCH", f"/events/{SLUG}", organizer, json={"visibility": "public"})
        member.close()
        anonymous.close()


@pytest.fixture
def app(tmp_path, request):
    app = make_app(tmp_path, BOARD_BATCH_WINDOW=getattr(request, "param", 0.5))
    yield app
    close_app(app)


def _batches(sock) -> list[list[int]]:
    """The versions of each board:batch the test client received since the last look."""
    received = sock.get_received()
    assert not [m for m in received if m["name"] == "board:changed"]  # never singly
    return [[c["version"] for c in m["args"][0]["changes"]] for m in received
            if m["name"] == "board:batch"]


def _join_batching(app, event):
    """A test client that joined the event's batches; it and the version it joined at."""
    sock = server_socketio.test_client(app)
    joined = sock.emit("event:join", {"slug": event.slug, "batch": True}, callback=True)
    assert joined["batch"] is True
    return sock, joined["version"]


# A window far longer than anything below takes between two changes, so that whether a change
# went out at once or waited for the window's end is unmistakable on a loaded machine too.
@pytest.mark.parametrize("app", [5.0], indirect=True)
def test_the_first_changes_after_a_quiet_spell_go_at_once_the_next_ride_along(
        app, make_user, make_event):
    event = make_event(make_user())
    sock, version = _join_batching(app, event)
    manager = server_socketio.server.manager

    def change(n: int) -> None:  # as the change reaches the manager (from a commit, or Redis)
        manager.emit("board:changed", {"version": version + n, "kind": "proposed"}, "/",
                     room=event_room(event.id))

    def next_batches() -> list[list[int]]:
        got: list[list[int]] = []
        wait_for(lambda: got.extend(_batches(sock)) or got, timeout=30)
        return got

    change(1)  # nothing sent for this event before: out at once (by the time emit returns)
    assert _batches(sock) == [[version + 1]]
    change(2)  # the burst's second send: at once too
    assert _batches(sock) == [[version + 2]]
    change(3)  # none to spare within the window: held, and the next rides along
    change(4)
    assert _batches(sock) == []
    assert next_batches() == [[version + 3, version + 4]]  # one batch, a window after the first
    change(5)  # that batch was a send too: what follows at once waits for its turn
    assert _batches(sock) == []
    assert next_batches() == [[version + 5]]


def test_a_window_sends_its_changes_in_version_order_each_once(app, make_user, make_event):
    """Changes committed by two processes can reach a third in the other order; within one
    window they go out sorted (here fed to the manager as Redis delivers them). The first to
    arrive, version + 2, does not follow the version the socket joined at, so it does not go
    out at once although nothing was sent before: a window opens with it, for version + 1."""
    event = make_event(make_user())
    sock, version = _join_batching(app, event)
    manager = server_socketio.server.manager
    for change in ({"version": version + 2, "kind": "proposed"},
                   {"version": version + 1, "kind": "proposed"},
                   {"version": version + 2, "kind": "proposed"}):
        manager.emit("board:changed", change, "/", room=event_room(event.id))
    received: list[dict] = []
    wait_for(lambda: received.extend(sock.get_received()) or any(
        m["name"] == "board:batch" for m in received))
    assert [m["name"] for m in received] == ["board:batch"]
    assert [c["version"] for c in received[0]["args"][0]["changes"]] == [version + 1,
                                                                         version + 2]


def test_the_throttle_forgets_the_keys_nothing_was_sent_for_in_a_while():
    """The rule note updates and board batches share keeps a time per note or event (when its
    sends are all back): past `keep` of them, those quiet for longer than `forget_after` go."""
    sent: list[tuple[int, list]] = []
    throttle = Throttle(0.01, lambda key, items: sent.append((key, items)),
                        spawn=lambda target, *args: threading.Thread(target=target,
                                                                    args=args).start(),
                        sleep=time.sleep)
    throttle.keep, throttle.forget_after = 3, 0.0
    for key in range(3):
        throttle.offer(key, f"item {key}")
    time.sleep(0.05)  # more than the window: keys 0-2 are quiet now
    throttle.offer(3, "item 3")  # the fourth: the quiet three are forgotten
    throttle.offer(4, "item 4")
    assert sent == [(key, [f"item {key}"]) for key in range(5)]  # each at once, alone
    assert sorted(throttle._full) == [3, 4]
    assert throttle.idle


def test_a_late_timer_does_not_push_the_next_window_later():
    """The windows keep their pace: a held send counts as made when its window ended. Counted
    from when a busy loop got to run its timer, the next item, one window after the last, found
    the window still open and waited (the marketplace rush: every claim held alone)."""
    sent: list[list[str]] = []
    now = [0.0]

    def late_sleep(seconds: float) -> None:
        now[0] += seconds + 0.03  # the loop runs the timer 30 ms late

    throttle = Throttle(0.05, lambda key, items: sent.append(items), clock=lambda: now[0],
                        spawn=lambda target, *args: target(*args), sleep=late_sleep)
    throttle.offer(1, "a")  # t = 0: after a quiet spell, at once
    now[0] = 0.01
    throttle.offer(1, "b")  # within the window: held until 0.05, sent at 0.08
    assert sent == [["a"], ["b"]] and now[0] == pytest.approx(0.08)
    now[0] = 0.105
    throttle.offer(1, "c")  # the window after b's (0.05-0.10) has ended: at once

    assert sent == [["a"], ["b"], ["c"]]
    assert now[0] == 0.105  # nothing waited for it
    assert throttle.idle


def test_with_a_burst_of_two_a_change_a_little_early_goes_at_once_and_a_rush_still_merges():
    """The board's throttle (a burst of 2): changes about one window apart cannot merge, so none
    of them waits for what is left of a window; changes faster than that merge after two."""
    sent: list[list[str]] = []
    now = [0.0]
    held: list[tuple] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    throttle = Throttle(0.05, lambda key, items: sent.append(items), clock=lambda: now[0],
                        spawn=lambda target, *args: held.append((target, args)), sleep=sleep,
                        burst=2)
    for n, at in enumerate([0.0, 0.045, 0.09, 0.135]):  # each 5 ms before a window is over
        now[0] = at
        throttle.offer(1, f"paced {n}")
    assert sent == [[f"paced {n}"] for n in range(4)] and held == []  # none waited

    now[0] = 10.0  # a quiet spell, then a rush: four changes within 3 ms
    for n in range(4):
        throttle.offer(1, f"rush {n}")
        now[0] += 0.001
    assert sent[4:] == [["rush 0"], ["rush 1"]] and len(held) == 1
    target, args = held.pop()
    target(*args)

    assert sent[6:] == [["rush 2", "rush 3"]]  # together, once a send was back
    assert now[0] == pytest.approx(10.05)
    assert throttle.idle

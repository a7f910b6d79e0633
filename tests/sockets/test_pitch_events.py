"""The pitch queue over Socket.IO: pitch:join / leave / next / done ack like every handler, and
every change, from any transport, reaches each socket in the event's room as exactly one
pitch:changed carrying the new state; refusals and bad messages are announced to nobody."""

from __future__ import annotations

import pytest

from openspace.domain import pitches
from openspace.extensions import db, socketio
from openspace.models import Event, User
from tests.conftest import login


def _socket(app, user=None):
    client = app.test_client()
    if user is not None:
        login(client, user.email)
    return socketio.test_client(app, flask_test_client=client)


def _watcher(app, event):
    sock = _socket(app)
    assert sock.emit("event:join", {"slug": event.slug}, callback=True)["ok"] is True
    sock.get_received()
    return sock


def _changes(sock):
    return [m["args"][0] for m in sock.get_received() if m["name"] == "pitch:changed"]


@pytest.fixture
def stage(app, make_user, make_event, join, make_topic):
    organizer = make_user(name="Kristof")
    event = make_event(organizer)
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    join(event, alice)
    join(event, bob)
    topics = [make_topic(event, alice, "Pricing"), make_topic(event, bob, "Hiring")]
    with app.app_context():
        pitches.update_queue(event=db.session.get(Event, event.id),
                             user=db.session.get(User, organizer.id), data={"open": True})
    return event, organizer, alice, bob, topics


def test_joining_acks_the_place_and_every_phone_hears_it_once(app, stage):
    event, organizer, alice, bob, topics = stage
    watchers = [_watcher(app, event), _watcher(app, event)]
    phone = _socket(app, alice)

    ack = phone.emit("pitch:join", {"slug": event.slug, "topic_id": topics[0].id}, callback=True)

    assert ack["ok"] is True
    assert ack["pitch"]["topic"]["title"] == "Pricing"
    assert ack["queue"]["order"] == [ack["pitch"]["id"]]
    for sock in watchers:
        assert _changes(sock) == [ack["queue"]]


def test_next_done_and_leave_each_broadcast_once(app, stage):
    event, organizer, alice, bob, topics = stage
    watcher = _watcher(app, event)
    alice_phone, bob_phone = _socket(app, alice), _socket(app, bob)
    facilitator = _socket(app, organizer)
    first = alice_phone.emit("pitch:join", {"slug": event.slug, "topic_id": topics[0].id},
                             callback=True)["pitch"]
    second = bob_phone.emit("pitch:join", {"slug": event.slug, "topic_id": topics[1].id},
                            callback=True)["pitch"]
    assert len(_changes(watcher)) == 2

    ack = facilitator.emit("pitch:next", {"slug": event.slug, "current_id": None},
                           callback=True)
    assert ack["ok"] is True and ack["queue"]["current"]["id"] == first["id"]
    assert _changes(watcher) == [ack["queue"]]

    ack = alice_phone.emit("pitch:done", {"slug": event.slug, "pitch_id": first["id"]},
                           callback=True)
    assert ack["ok"] is True and ack["queue"]["current"]["id"] == second["id"]
    assert _changes(watcher) == [ack["queue"]]

    ack = bob_phone.emit("pitch:leave", {"slug": event.slug, "pitch_id": second["id"]},
                         callback=True)
    assert ack["ok"] is True and ack["queue"]["current"] is None
    assert _changes(watcher) == [ack["queue"]]


def test_a_page_post_is_broadcast_too(app, stage):
    event, organizer, alice, bob, topics = stage
    watcher = _watcher(app, event)
    client = app.test_client()
    login(client, alice.email)

    client.post(f"/e/{event.slug}/pitches", data={"title": "From the page"})

    changes = _changes(watcher)
    assert [c["next"][0]["topic"]["title"] for c in changes] == ["From the page"]


def test_refusals_are_acked_with_the_reason_and_broadcast_nothing(app, stage):
    event, organizer, alice, bob, topics = stage
    watcher = _watcher(app, event)
    bob_phone = _socket(app, bob)

    theirs = bob_phone.emit("pitch:join", {"slug": event.slug, "topic_id": topics[0].id},
                            callback=True)
    nxt = bob_phone.emit("pitch:next", {"slug": event.slug}, callback=True)
    anonymous = _socket(app).emit("pitch:join", {"slug": event.slug, "topic_id": topics[1].id},
                                  callback=True)
    empty = _socket(app, organizer).emit("pitch:next", {"slug": event.slug}, callback=True)

    assert theirs["error"]["code"] == "forbidden"
    assert nxt["error"]["code"] == "forbidden"
    assert anonymous["error"]["code"] == "not_authenticated"
    assert empty["error"]["code"] == "queue_empty"
    assert _changes(watcher) == []


@pytest.mark.parametrize("name,data,field", [
    ("pitch:join", {"slug": "x"}, "topic_id"),
    ("pitch:join", {"topic_id": 1}, "slug"),
    ("pitch:join", {"slug": "{slug}", "topic_id": "1"}, "topic_id"),
    ("pitch:join", {"slug": "{slug}", "topic_id": None}, "topic_id"),
    ("pitch:leave", {"slug": "{slug}"}, "pitch_id"),
    ("pitch:leave", {"slug": "{slug}", "pitch_id": [1]}, "pitch_id"),
    ("pitch:done", {"slug": "{slug}", "pitch_id": 0}, "pitch_id"),
    ("pitch:next", {"slug": "{slug}", "current_id": "abc"}, "current_id"),
    ("pitch:next", {"slug": "{slug}", "current_id": False}, "current_id"),
])
def test_bad_messages_name_the_field(app, stage, name, data, field):
    event, organizer, alice, bob, topics = stage
    watcher = _watcher(app, event)
    data = {k: (event.slug if v == "{slug}" else v) for k, v in data.items()}

    ack = _socket(app, organizer).emit(name, data, callback=True)

    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid"
    assert field in ack["error"]["fields"]
    assert _changes(watcher) == []


@pytest.mark.parametrize("payload", ["a string", [1, 2], None, 7])
def test_a_message_that_is_not_an_object_is_refused(app, stage, payload):
    event, organizer, alice, bob, topics = stage
    ack = _socket(app, alice).emit("pitch:join", payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"

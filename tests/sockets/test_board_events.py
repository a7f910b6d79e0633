"""Socket.IO board events through Flask-SocketIO's test client (logged in by session cookie)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from openspace.domain import accounts, ratelimit
from openspace.extensions import db, socketio
from openspace.models import Room, Slot, SlotKind, Topic, User
from tests.conftest import login


@pytest.fixture(autouse=True)
def _fresh_limits():
    ratelimit.reset()
    yield
    ratelimit.reset()


def _cell(app, event_id, room="Atrium", index=0):
    with app.app_context():
        room_id = db.session.scalar(sa.select(Room.id).where(Room.event_id == event_id,
                                                             Room.name == room))
        slot_ids = db.session.scalars(sa.select(Slot.id).where(
            Slot.event_id == event_id, Slot.kind == SlotKind.SESSION
        ).order_by(Slot.starts_at)).all()
        return room_id, slot_ids[index]


def _socket(app, user=None):
    client = app.test_client()
    if user is not None:
        assert login(client, user.email).status_code in (200, 302)
    return socketio.test_client(app, flask_test_client=client)


def _board_changes(sock):
    return [m["args"][0] for m in sock.get_received() if m["name"] == "board:changed"]


def test_join_acks_the_version_and_place_reaches_every_member(app, make_user, make_event, join,
                                                               make_topic):
    organizer, alice = make_user(), make_user(name="Alice")
    event = make_event(organizer)
    join(event, alice)
    topic = make_topic(event, alice)
    room_id, slot_id = _cell(app, event.id)
    phone, projector = _socket(app, alice), _socket(app)
    joined = phone.emit("event:join", {"slug": event.slug}, callback=True)
    assert joined["ok"] is True
    assert projector.emit("event:join", {"slug": event.slug}, callback=True) == joined
    ack = phone.emit("board:place", {"topic_id": topic.id, "room_id": room_id, "slot_id": slot_id},
                     callback=True)
    assert ack["ok"] is True and ack["topic"]["room_id"] == room_id
    for client in (phone, projector):
        changes = _board_changes(client)
        assert [c["kind"] for c in changes] == ["placed"]
        assert changes[0]["version"] == joined["version"] + 1
        assert changes[0]["topic"]["id"] == topic.id


def test_slot_taken_acks_the_contract_error_and_broadcasts_nothing(app, make_user, make_event,
                                                                   join, make_topic):
    organizer, alice, bob = make_user(), make_user(), make_user()
    event = make_event(organizer)
    join(event, alice)
    join(event, bob)
    first, second = make_topic(event, alice), make_topic(event, bob, "Second")
    room_id, slot_id = _cell(app, event.id)
    with app.app_context():
        from openspace.domain import board

        board.place_topic(topic=db.session.get(Topic, first.id),
                          user=db.session.get(User, alice.id), room_id=room_id, slot_id=slot_id)
    b = _socket(app, bob)
    b.emit("event:join", {"slug": event.slug}, callback=True)
    ack = b.emit("board:place", {"topic_id": second.id, "room_id": room_id, "slot_id": slot_id},
                 callback=True)
    assert ack == {"ok": False, "error": {
        "code": "slot_taken", "message": ack["error"]["message"],
        "holder": {"id": first.id, "title": "Back-office tools"}}}
    assert _board_changes(b) == []


def test_private_event_join_is_refused_to_non_members(app, make_user, make_event):
    owner, stranger = make_user(), make_user()
    event = make_event(owner, visibility="private", slug="private-one")
    sock = _socket(app, stranger)
    ack = sock.emit("event:join", {"slug": event.slug}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    anonymous = _socket(app)
    assert anonymous.emit("event:join", {"slug": event.slug}, callback=True)["ok"] is False


def test_member_of_another_event_cannot_change_this_board(app, make_user, make_event, join,
                                                          make_topic):
    organizer, alice, mallory = make_user(), make_user(), make_user()
    event = make_event(organizer)
    other = make_event(mallory, slug="other")
    join(event, alice)
    topic = make_topic(event, alice)
    room_id, slot_id = _cell(app, event.id)
    sock = _socket(app, mallory)
    for name, data in (
        ("board:place", {"topic_id": topic.id, "room_id": room_id, "slot_id": slot_id}),
        ("board:release", {"topic_id": topic.id}),
        ("board:withdraw", {"topic_id": topic.id}),
        ("board:interest", {"topic_id": topic.id, "interested": True}),
        ("board:propose", {"slug": event.slug, "topic": {"title": "Spam"}}),
    ):
        ack = sock.emit(name, data, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (name, ack)
    assert other.slug == "other"
    with app.app_context():
        assert db.session.get(Topic, topic.id).room_id is None


@pytest.mark.parametrize("data", [None, "text", 5, [], {"topic_id": "1", "room_id": 1,
                                                        "slot_id": 1}, {"topic_id": 1}])
def test_malformed_messages_get_an_error_ack(app, make_user, make_event, join, make_topic, data):
    organizer = make_user()
    make_event(organizer)
    sock = _socket(app, organizer)
    ack = sock.emit("board:place", data, callback=True)
    assert ack["ok"] is False
    assert ack["error"]["code"] in ("invalid", "not_found")


def test_anonymous_sockets_can_watch_but_not_change(app, make_user, make_event, join, make_topic):
    organizer = make_user()
    event = make_event(organizer)
    topic = make_topic(event, organizer)
    sock = _socket(app)
    assert sock.emit("event:join", {"slug": event.slug}, callback=True)["ok"] is True
    ack = sock.emit("board:release", {"topic_id": topic.id}, callback=True)
    assert ack["error"]["code"] == "not_authenticated"


def test_token_auth_and_wrong_token_refused(app, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer)
    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, organizer.id))
    good = socketio.test_client(app, auth={"token": token})
    assert good.is_connected()
    assert good.emit("board:propose", {"slug": event.slug, "topic": {"title": "By bot"}},
                     callback=True)["ok"] is True
    bad = socketio.test_client(app, auth={"token": "ost_wrong"})
    assert not bad.is_connected()


def test_password_change_cuts_the_users_socket(app, make_user, make_event):
    organizer = make_user()
    make_event(organizer)
    sock = _socket(app, organizer)
    with app.app_context():
        accounts.change_password(user=db.session.get(User, organizer.id),
                                 current="correct horse", new="a new password")
    assert not sock.is_connected()


def test_rate_limit_is_per_user(app, make_user, make_event, join):
    organizer, alice = make_user(), make_user()
    event = make_event(organizer)
    join(event, alice)
    greedy, calm = _socket(app, organizer), _socket(app, alice)
    codes: list[str] = []
    while "rate_limited" not in codes and len(codes) < 1000:  # the bucket refills meanwhile
        codes.append(greedy.emit("board:interest", {"topic_id": 10**6, "interested": True},
                                 callback=True)["error"]["code"])
    assert codes[-1] == "rate_limited"
    burst = ratelimit.LIMITS["board"].burst
    assert len(codes) > burst and set(codes[:burst]) == {"not_found"}
    assert calm.emit("board:interest", {"topic_id": 10**6, "interested": True},
                     callback=True)["error"]["code"] == "not_found"


@pytest.mark.parametrize("field", ["topic_id", "room_id", "slot_id"])
@pytest.mark.parametrize("bad", ["1", True, 1.5, 2**64, None])
def test_every_id_in_a_message_follows_one_rule(app, make_user, make_event, make_topic, field,
                                                bad):
    """A topic id sent as a string is `invalid`, as a room or slot id is: one rule, one code."""
    organizer = make_user()
    event = make_event(organizer)
    topic = make_topic(event, organizer)
    room_id, slot_id = _cell(app, event.id)
    sock = _socket(app, organizer)
    message = {"topic_id": topic.id, "room_id": room_id, "slot_id": slot_id, field: bad}

    ack = sock.emit("board:place", message, callback=True)

    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid"
    assert list(ack["error"]["fields"]) == [field]


def test_a_string_topic_id_is_invalid_in_every_topic_message(app, make_user, make_event,
                                                             make_topic):
    organizer = make_user()
    topic = make_topic(make_event(organizer), organizer)
    sock = _socket(app, organizer)
    for name, data in (("board:release", {"topic_id": "1"}),
                       ("board:withdraw", {"topic_id": "1"}),
                       ("board:interest", {"topic_id": "1", "interested": True}),
                       ("board:swap", {"topic_id": topic.id, "with": str(topic.id)}),
                       ("note:join", {"topic_id": "1"}),
                       ("note:leave", {"topic_id": "1"})):
        ack = sock.emit(name, data, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", (name, ack)

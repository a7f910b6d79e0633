"""A connection keeps its right to write a note between messages (openspace/grants.py) and
loses it the moment anything it rests on changes: the very next message is checked again and
refused. One process here; two in tests/scaleout/test_note_grants.py."""

from __future__ import annotations

import sqlalchemy as sa

from openspace import grants, sockets
from openspace.domain import accounts, board, events
from openspace.extensions import db
from openspace.models import Event, Membership, Topic, User
from tests.notes.conftest import Editor, stored
from tests.notes.test_note_guards import _awareness, _join, _send, _typed


def _writer(world, sock, user_id: int):
    client = sock(user_id)
    editor = Editor()
    assert _join(client, world.topic_id, editor)["ok"] is True
    assert _send(client, world.topic_id, _typed(editor, "kept. "))["ok"] is True
    return client, editor


def _kept_by_user(topic_id: int) -> dict[int, object]:
    return {grant[0].user_id: grant[0] for mine in sockets._grants.values()
            for t, grant in mine.items() if t == topic_id}


def _refused_or_cut(client, topic_id: int, editor: Editor) -> dict | None:
    """The next message's ack, or None when the connection was cut at once (one process:
    sessions_ended disconnects the user's sockets here and now)."""
    if not client.is_connected():
        return None
    return _send(client, topic_id, _typed(editor, "after. "))


def test_a_writers_grant_is_kept_for_the_next_messages(app, world, sock):
    alice, editor = _writer(world, sock, world.alice)

    kept = _kept_by_user(world.topic_id)
    again = _send(alice, world.topic_id, _typed(editor, "and again. "))

    assert kept[world.alice].topic_id == world.topic_id
    assert again["ok"] is True
    assert _kept_by_user(world.topic_id)[world.alice] is kept[world.alice]


def test_a_withdrawn_topic_is_refused_on_the_next_message(app, world, sock):
    alice, editor = _writer(world, sock, world.alice)
    with app.app_context():
        board.withdraw_topic(topic=db.session.get(Topic, world.topic_id),
                             user=db.session.get(User, world.alice))

    update = _send(alice, world.topic_id, _typed(editor, "after. "))
    presence = alice.emit("note:awareness", {"topic_id": world.topic_id, "update": _awareness(
        {"user": {"name": "Alice", "color": "#1f5fbf"}})}, callback=True)

    assert update["ok"] is False and update["error"]["code"] == "note_read_only"
    assert presence["ok"] is False and presence["error"]["code"] == "note_read_only"
    assert world.alice not in _kept_by_user(world.topic_id)


def test_a_removed_member_is_refused_on_the_next_message(app, world, sock):
    bob, editor = _writer(world, sock, world.bob)
    before = stored(app, world.topic_id)
    with app.app_context():
        events.remove_member(event=db.session.get(Event, world.event_id),
                             user=db.session.get(User, world.kristof), member_id=world.bob)

    update = _send(bob, world.topic_id, _typed(editor, "after. "))

    assert update["ok"] is False and update["error"]["code"] == "forbidden", update
    assert world.bob not in _kept_by_user(world.topic_id)
    assert stored(app, world.topic_id) == before


def test_a_removed_members_sockets_leave_a_private_events_rooms(app, world, sock):
    """The access re-check after the removal: the removed member's connection hears
    `access:ended` and nothing the event says after it; another member's hears on."""
    with app.app_context():
        private = db.session.get(Topic, world.private_topic_id).event
        for user_id in (world.alice, world.bob):
            events.join_event(event=private, user=db.session.get(User, user_id),
                              join_code=private.join_code)
        slug = private.slug
    bob, alice = sock(world.bob), sock(world.alice)
    for client in (bob, alice):
        assert client.emit("event:join", {"slug": slug}, callback=True)["ok"] is True
        assert _join(client, world.private_topic_id)["ok"] is True
        client.get_received()

    with app.app_context():
        events.remove_member(event=db.session.get(Event, private.id),
                             user=db.session.get(User, world.pia), member_id=world.bob)
        board.propose_topic(event=db.session.get(Event, private.id),
                            user=db.session.get(User, world.pia), data={"title": "After"})

    heard_by_bob = [m["name"] for m in bob.get_received()]
    heard_by_alice = [m["name"] for m in alice.get_received()]
    assert heard_by_bob == ["access:ended"]
    assert "board:changed" in heard_by_alice and "access:ended" not in heard_by_alice
    again = bob.emit("event:join", {"slug": slug}, callback=True)
    assert again["ok"] is False and again["error"]["code"] == "not_found"


def test_a_role_change_is_checked_again_on_the_next_message(app, world, sock):
    bob, editor = _writer(world, sock, world.bob)
    assert _kept_by_user(world.topic_id)[world.bob].role == "participant"
    with app.app_context():
        events.set_role(event=db.session.get(Event, world.event_id),
                        user=db.session.get(User, world.kristof), member_id=world.bob,
                        role="organizer")

    update = _send(bob, world.topic_id, _typed(editor, "as an organizer. "))

    assert update["ok"] is True
    assert _kept_by_user(world.topic_id)[world.bob].role == "organizer"


def test_a_revoked_token_is_refused_on_the_next_message(app, world, sock):
    alice, editor = _writer(world, sock, world.alice)
    with app.app_context():
        assert accounts.revoke_tokens(user=db.session.get(User, world.alice)) >= 1

    ack = _refused_or_cut(alice, world.topic_id, editor)

    assert ack is None or (ack["ok"] is False and ack["error"]["code"] == "not_authenticated")
    assert world.alice not in _kept_by_user(world.topic_id)


def test_a_disabled_account_is_refused_on_the_next_message(app, world, sock):
    alice, editor = _writer(world, sock, world.alice)
    with app.app_context():
        accounts.set_disabled(user=db.session.get(User, world.alice), disabled=True)

    ack = _refused_or_cut(alice, world.topic_id, editor)

    assert ack is None or (ack["ok"] is False and ack["error"]["code"] == "not_authenticated")
    assert world.alice not in _kept_by_user(world.topic_id)


def test_the_signals_the_sweep_acts_on_bump_the_generations(app, world):
    """Without the cut of its own process (another process ended the login), a kept grant
    still sees the change: the user's counter moved."""
    before = grants.stamp(world.alice, world.event_id)
    with app.app_context():
        accounts.end_all_sessions(user=db.session.get(User, world.alice))
    after_logout = grants.stamp(world.alice, world.event_id)
    with app.app_context():
        board.withdraw_topic(topic=db.session.get(Topic, world.topic_id),
                             user=db.session.get(User, world.alice))
    after_withdrawal = grants.stamp(world.alice, world.event_id)

    assert not grants.holds(before)
    assert after_logout.values[0] == before.values[0] + 1
    assert after_withdrawal.values == (after_logout.values[0], after_logout.values[1] + 1)


def test_a_renamed_user_shares_presence_under_the_new_name_at_once(app, world, sock):
    alice, _editor = _writer(world, sock, world.alice)
    with app.app_context():
        accounts.update_profile(user=db.session.get(User, world.alice), name="Alice B.")

    presence = alice.emit("note:awareness", {"topic_id": world.topic_id, "update": _awareness(
        {"user": {"name": "Alice B.", "color": "#1f5fbf"}})}, callback=True)

    assert presence["ok"] is True, presence
    assert _kept_by_user(world.topic_id)[world.alice].name == "Alice B."


def test_a_grant_is_checked_again_once_it_is_old(app, world, sock, monkeypatch):
    """A change no counter saw (made straight in the database here) holds a kept grant for
    GRANT_TTL at most."""
    bob, editor = _writer(world, sock, world.bob)
    with app.app_context():
        db.session.execute(sa.delete(Membership).where(Membership.event_id == world.event_id,
                                                       Membership.user_id == world.bob))
        db.session.commit()
    monkeypatch.setattr(grants, "GRANT_TTL", 0.0)

    update = _send(bob, world.topic_id, _typed(editor, "after. "))

    assert update["ok"] is False and update["error"]["code"] == "forbidden"

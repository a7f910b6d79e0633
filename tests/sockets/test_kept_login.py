"""A connection's login is checked in full once and kept for its next messages (sockets._user,
openspace/grants.py): a change that may end it moves the user's counter, and the very next
message is checked again. One process here (a change "elsewhere" is its commit plus the
counter's bump, without this process's own cut); two processes in
tests/scaleout/test_note_grants.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from openspace import grants, sockets
from openspace.domain import accounts, ratelimit
from openspace.extensions import db, socketio
from openspace.models import ApiToken, Login, Topic, User
from tests.conftest import login


@pytest.fixture(autouse=True)
def _fresh_limits():
    ratelimit.reset()
    yield
    ratelimit.reset()


def _browser(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code in (200, 302)
    return socketio.test_client(app, flask_test_client=client)


def _bot(app, user):
    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, user.id))
    return socketio.test_client(app, auth={"token": token})


def _kept(user_id: int) -> list[grants.Stamp]:
    return [stamp for sid, stamp in sockets._logins.items()
            if sockets._identities[sid].user_id == user_id]


def _propose(sock, slug: str, title: str) -> dict:
    return sock.emit("board:propose", {"slug": slug, "topic": {"title": title}}, callback=True)


def _proposing(app, make_user, make_event, connect=None):
    """An organizer's event and a connection of theirs whose login is kept (one message sent)."""
    organizer = make_user()
    event = make_event(organizer)
    sock = (connect or _bot)(app, organizer)
    assert _propose(sock, event.slug, "Before")["ok"] is True
    return organizer, event, sock


def _straight_in_the_database(app, *statements) -> None:
    """A change as another process (or the CLI) commits it: nothing of this process sees it."""
    with app.app_context():
        for statement in statements:
            db.session.execute(statement)
        db.session.commit()


@pytest.mark.parametrize("connect", [_browser, _bot], ids=["session", "token"])
def test_a_login_is_checked_once_and_kept_for_the_next_messages(app, make_user, make_event,
                                                                 connect):
    organizer = make_user()
    event = make_event(organizer)
    sock = connect(app, organizer)

    first = _propose(sock, event.slug, "First")
    kept = _kept(organizer.id)
    second = _propose(sock, event.slug, "Second")

    assert first["ok"] is True and second["ok"] is True
    assert len(kept) == 1 and _kept(organizer.id) == kept and _kept(organizer.id)[0] is kept[0]


def test_a_session_is_kept_from_the_connects_own_check(app, make_user, make_event):
    organizer = make_user()
    make_event(organizer)

    _browser(app, organizer)

    assert len(_kept(organizer.id)) == 1


@pytest.mark.parametrize("connect", [_browser, _bot], ids=["session", "token"])
def test_a_login_ended_elsewhere_is_refused_on_the_next_message(app, make_user, make_event,
                                                                 connect):
    """As another process ends it: the rows go and the user's counter moves; this process's
    sessions_ended cut never ran, so the kept login must not answer for it."""
    organizer, event, sock = _proposing(app, make_user, make_event, connect)
    _straight_in_the_database(app, sa.delete(Login).where(Login.user_id == organizer.id),
                              sa.delete(ApiToken).where(ApiToken.user_id == organizer.id))
    grants.bump_user(organizer.id)

    ack = _propose(sock, event.slug, "After")

    assert ack["ok"] is False and ack["error"]["code"] == "not_authenticated", ack
    assert _kept(organizer.id) == []
    with app.app_context():
        assert db.session.scalars(sa.select(Topic.title)).all() == ["Before"]


def test_a_revoked_token_is_refused_or_cut_on_the_next_message(app, make_user, make_event):
    organizer, event, bot = _proposing(app, make_user, make_event)
    with app.app_context():
        assert accounts.revoke_tokens(user=db.session.get(User, organizer.id)) == 1

    ack = _propose(bot, event.slug, "After") if bot.is_connected() else None

    assert ack is None or ack["error"]["code"] == "not_authenticated"
    assert _kept(organizer.id) == []


def test_a_disabled_account_is_refused_even_before_its_counter_moves(app, make_user,
                                                                     make_event):
    """The user is loaded for every message: a disabled account is checked in full at once."""
    organizer, event, bot = _proposing(app, make_user, make_event)
    _straight_in_the_database(app, sa.update(User).where(User.id == organizer.id).values(
        disabled_at=sa.func.current_timestamp()))

    ack = _propose(bot, event.slug, "After")

    assert ack["ok"] is False and ack["error"]["code"] == "not_authenticated", ack


def test_a_change_no_counter_saw_holds_a_kept_login_for_grant_ttl_at_most(app, make_user,
                                                                          make_event,
                                                                          monkeypatch):
    """A token deleted straight in the database (no bump): refused once the kept login is
    GRANT_TTL old (here at once)."""
    organizer, event, bot = _proposing(app, make_user, make_event)
    _straight_in_the_database(app, sa.delete(ApiToken).where(ApiToken.user_id == organizer.id))
    monkeypatch.setattr(grants, "GRANT_TTL", 0.0)

    ack = _propose(bot, event.slug, "After")

    assert ack["ok"] is False and ack["error"]["code"] == "not_authenticated", ack


def test_a_kept_login_serves_the_users_current_name(app, make_user, make_event):
    organizer = make_user(name="Kristof")
    event = make_event(organizer)
    bot = _bot(app, organizer)
    assert _propose(bot, event.slug, "Before")["topic"]["convener"]["name"] == "Kristof"
    with app.app_context():
        accounts.update_profile(user=db.session.get(User, organizer.id), name="Kristof D.")

    ack = _propose(bot, event.slug, "After")

    assert ack["topic"]["convener"]["name"] == "Kristof D."


def test_a_session_epoch_moved_only_in_the_database_is_refused_on_the_next_message(
        app, make_user, make_event):
    """A password change or "log out everywhere" shows in the user's row, which a kept login
    loads for every message: refused without any counter having moved."""
    organizer, event, sock = _proposing(app, make_user, make_event, _browser)
    _straight_in_the_database(app, sa.update(User).where(User.id == organizer.id).values(
        session_epoch=User.session_epoch + 1))

    ack = _propose(sock, event.slug, "After")

    assert ack["ok"] is False and ack["error"]["code"] == "not_authenticated", ack

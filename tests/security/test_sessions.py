"""Login throttling per account, and ending a login ends its live sockets (test client)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from openspace.domain import accounts
from openspace.domain.ratelimit import LIMITS, Limit
from openspace.extensions import db, socketio
from openspace.models import User
from tests.security.conftest import PASSWORD, board_version, user_of

BURST = LIMITS["login"].burst


@pytest.fixture(autouse=True)
def _login_bucket_does_not_refill(monkeypatch):
    """Its burst as ever, but no token back during a test: 21 password checks can take longer
    than the 6 s one token takes to refill on a busy machine, which made the counts flaky."""
    monkeypatch.setitem(LIMITS, "login", Limit(rate=1e-6, burst=BURST))


def _login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def test_login_is_throttled_per_account_even_with_the_right_password(app, world):
    email = world.users["participant"][1]
    client = app.test_client()
    statuses = [_login(client, email, "wrong password").status_code for _ in range(BURST)]
    assert statuses == [401] * BURST
    refused = _login(client, email)
    assert refused.status_code == 429
    assert "Too many password attempts" in refused.get_data(as_text=True)
    # The API's login shares the bucket and says when to come back.
    api = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    assert api.status_code == 429
    assert api.json["error"]["code"] == "rate_limited"
    assert int(api.headers["Retry-After"]) >= 1
    # Another account on the same address (a venue shares one) is not affected.
    assert _login(app.test_client(), world.users["organizer"][1]).status_code == 302


def test_login_throttle_ignores_case_and_spaces_in_the_email(app, world):
    email = world.users["participant"][1]
    client = app.test_client()
    for variant in [email.upper(), f"  {email}", email.title()] * (BURST // 3 + 1):
        _login(client, variant, "wrong password")
    assert _login(client, email).status_code == 429


def test_unknown_emails_are_throttled_too(app):
    client = app.test_client()
    codes = [client.post("/api/v1/tokens", json={"email": "nobody@example.org",
                                                 "password": "guess guess"}).status_code
             for _ in range(BURST + 1)]
    assert codes == [401] * BURST + [429]


def test_password_change_is_throttled_per_account(app, world):
    client = app.test_client()
    assert _login(client, world.users["convener"][1]).status_code == 302
    codes = [client.post("/account/password", data={
        "current_password": "wrong wrong", "new_password": "a new password"}).status_code
        for _ in range(BURST + 1)]
    assert codes == [401] * BURST + [429]


def _socket(app, world, role):
    client = app.test_client()
    if role != "anonymous":
        assert _login(client, world.users[role][1]).status_code == 302
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.emit("event:join", {"slug": world.slug}, callback=True)["ok"] is (
        role != "anonymous")
    return client, sock


def test_logout_cuts_this_browsers_socket_and_no_other(app, world):
    laptop, laptop_socket = _socket(app, world, "organizer")
    _, phone_socket = _socket(app, world, "organizer")
    assert laptop.post("/logout").status_code == 302
    assert not laptop_socket.is_connected()
    assert phone_socket.is_connected()
    assert phone_socket.emit("board:interest", {"topic_id": world.placed, "interested": True},
                             callback=True)["ok"] is True


def test_logout_everywhere_cuts_every_socket_of_the_user_only(app, world):
    laptop, laptop_socket = _socket(app, world, "organizer")
    _, phone_socket = _socket(app, world, "organizer")
    _, someone_else = _socket(app, world, "participant")
    assert laptop.post("/account/logout-everywhere").status_code == 302
    assert not laptop_socket.is_connected()
    assert not phone_socket.is_connected()
    assert someone_else.is_connected()


def test_password_change_cuts_the_users_sockets_but_not_its_token_sockets(app, world):
    laptop, laptop_socket = _socket(app, world, "convener")
    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, world.users["convener"][0]))
    bot = socketio.test_client(app, auth={"token": token})
    assert laptop.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a new password"}).status_code == 302
    assert not laptop_socket.is_connected()
    assert bot.is_connected()  # tokens survive a password change (docs/api.md)


def test_revoking_tokens_cuts_the_token_sockets_but_not_the_browser(app, world):
    laptop, laptop_socket = _socket(app, world, "convener")
    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, world.users["convener"][0]))
    bot = socketio.test_client(app, auth={"token": token})
    assert bot.emit("event:join", {"slug": world.slug}, callback=True)["ok"] is True
    assert laptop.delete("/api/v1/tokens").json == {"revoked": 1}
    assert not bot.is_connected()
    assert laptop_socket.is_connected()


def test_a_login_ended_elsewhere_is_refused_on_the_next_message(app, world):
    """Another server process ended the login (only the database knows): the next message is
    refused, changes nothing, and the socket is disconnected."""
    _, sock = _socket(app, world, "organizer")
    _, watcher = _socket(app, world, "participant")
    watcher.get_received()
    before = board_version(app, world)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == world.users["organizer"][0])
                           .values(session_epoch=User.session_epoch + 1))
        db.session.commit()
    ack = sock.emit("board:propose", {"slug": world.slug, "topic": {"title": "After"}},
                    callback=True)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "not_authenticated"
    assert board_version(app, world) == before
    assert [m for m in watcher.get_received() if m["name"] == "board:changed"] == []
    from tests.live import wait_for
    wait_for(lambda: not sock.is_connected())


def test_a_session_restored_from_the_remember_cookie_is_the_same_login(app, world):
    client = app.test_client()
    assert client.post("/login", data={"email": world.users["participant"][1],
                                       "password": PASSWORD, "remember": "y"}).status_code == 302
    with client.session_transaction() as session:
        login = session["_user_id"]
        session.clear()  # the browser was closed: only the remember cookie is left
    assert accounts.login_key(login)
    assert client.get("/account").status_code == 200
    with client.session_transaction() as session:
        assert session["_user_id"] == login
    assert user_of(app, world, "participant") is not None


def test_the_sweep_cuts_logins_ended_by_another_process(app, world):
    """With several processes, the one that handled the logout cannot reach the others'
    sockets: each process sweeps its own. Here the ends happen straight in the database."""
    from openspace import sockets
    from openspace.models import ApiToken

    _, ended = _socket(app, world, "organizer")
    _, kept = _socket(app, world, "participant")
    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, world.users["convener"][0]))
        other = accounts.create_token(user=db.session.get(User, world.users["convener"][0]))
    revoked = socketio.test_client(app, auth={"token": token})
    live = socketio.test_client(app, auth={"token": other})
    with app.app_context():
        assert sockets.sweep() == 0
        db.session.execute(sa.update(User).where(User.id == world.users["organizer"][0])
                           .values(session_epoch=User.session_epoch + 1))
        db.session.execute(sa.delete(ApiToken).where(
            ApiToken.token_hash == accounts._hash_token(token)))
        db.session.commit()
        assert sockets.sweep() == 2
    assert not ended.is_connected() and not revoked.is_connected()
    assert kept.is_connected() and live.is_connected()


def test_the_sweep_takes_sockets_out_of_an_event_that_turned_private_unannounced(app):
    """The access change's message through Redis was lost (the change happened straight in the
    database here): the sweep's re-check of private and deleted events finds the sockets that
    may no longer hear the event, and only those."""
    from pycrdt import Doc

    from openspace import sockets
    from openspace.domain import board, events
    from openspace.models import Event
    from tests.security.conftest import build_world

    world = build_world(app, visibility="public")
    anonymous = socketio.test_client(app)
    assert anonymous.emit("event:join", {"slug": world.slug}, callback=True)["ok"] is True
    assert anonymous.emit("note:join", {"topic_id": world.placed,
                                        "state_vector": Doc().get_state()},
                          callback=True)["ok"] is True
    _, member = _socket(app, world, "participant")
    with app.app_context():
        assert sockets.recheck_all() == 0
        db.session.execute(sa.update(Event).where(Event.id == world.event_id)
                           .values(visibility="private"))
        db.session.commit()
        anonymous.get_received()
        member.get_received()
        assert sockets.recheck_all() == 1
        user = db.session.get(User, world.users["participant"][0])
        board.propose_topic(event=events.get_event(world.slug, user), user=user,
                            data={"title": "Private now"})
    heard = [m["name"] for m in anonymous.get_received()]
    assert heard == ["access:ended"]
    assert "board:changed" in [m["name"] for m in member.get_received()]


def test_the_sweep_cuts_a_socket_whose_login_was_logged_out_on_another_process(app, world):
    """A plain logout deletes its login row: another process's sweep sees that and cuts the
    sockets of that login only (here the row goes straight from the database)."""
    from openspace import sockets
    from openspace.models import Login

    laptop, ended = _socket(app, world, "organizer")
    _, kept = _socket(app, world, "organizer")  # the same user on another device
    with laptop.session_transaction() as session:
        key = accounts.login_key(session["_user_id"])
    with app.app_context():
        db.session.execute(sa.delete(Login).where(Login.key_hash == accounts._key_hash(key)))
        db.session.commit()
        assert sockets.sweep() == 1
    assert not ended.is_connected()
    assert kept.is_connected()

"""Login throttling per account, and ending a login ends its live sockets (test client)."""

from __future__ import annotations

import sqlalchemy as sa

from openspace.domain import accounts
from openspace.domain.ratelimit import LIMITS
from openspace.extensions import db, socketio
from openspace.models import User
from tests.security.conftest import PASSWORD, board_version, user_of

BURST = LIMITS["login"].burst


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


def test_a_session_restored_from_the_remember_cookie_gets_its_own_login(app, world):
    client = app.test_client()
    assert client.post("/login", data={"email": world.users["participant"][1],
                                       "password": PASSWORD, "remember": "y"}).status_code == 302
    with client.session_transaction() as session:
        session.clear()  # the browser was closed: only the remember cookie is left
    assert client.get("/account").status_code == 200
    with client.session_transaction() as session:
        assert session.get(accounts.LOGIN_KEY)
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

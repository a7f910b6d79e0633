"""Password reset and sign-in links, sent through a real SMTP server and followed as a person
would: the mail's link, a page with one button, then the change. Expired, reused, replaced
and tampered links are refused; asking answers the same whether or not an account exists."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openspace.domain import backup
from openspace.extensions import db, socketio
from openspace.models import MailToken, User, utcnow
from tests.conftest import login
from tests.mail.conftest import SENDER, rewrite_emails
from tests.mail.smtp import html_of, link_in, text_of

PASSWORD = "correct horse"


def _ask_reset(client, email):
    return client.post("/password/forgot", data={"email": email})


def test_a_forgotten_password_is_reset_by_the_mailed_link_and_other_sessions_end(
        app, client, make_user, smtp, deliver):
    user = make_user(email="ada@example.org")
    other_device = app.test_client()
    assert login(other_device, "ada@example.org").status_code == 302
    assert other_device.get("/account").status_code == 200
    live = socketio.test_client(app, flask_test_client=other_device)
    assert live.is_connected()

    response = _ask_reset(client, "ada@example.org")
    assert response.status_code == 302
    assert deliver() == 1
    [mail] = smtp.inbox.to("ada@example.org")
    assert mail["From"] == f"openspace <{SENDER}>"
    assert mail["Subject"] == "Reset your openspace password"
    assert "Hello User" in text_of(mail) and "Choose a new password" in html_of(mail)
    path = link_in(mail)
    assert path.startswith("/password/reset/")

    page = client.get(path)  # a mail scanner opening the link uses nothing up
    assert page.status_code == 200 and b"Choose a new password" in page.data
    assert client.get(path).status_code == 200
    done = client.post(path, data={"password": "a brand new one"})
    assert done.status_code == 302
    assert client.get("/account").status_code == 200  # this browser is logged in

    assert other_device.get("/account").status_code == 302  # the other one is not
    assert not live.is_connected()  # and its live connection is cut
    fresh = app.test_client()
    assert login(fresh, "ada@example.org", PASSWORD).status_code == 401
    assert login(fresh, "ada@example.org", "a brand new one").status_code == 302
    assert user.id is not None


def test_a_reset_link_works_once(app, client, make_user, smtp, deliver):
    make_user(email="ada@example.org")
    _ask_reset(client, "ada@example.org")
    deliver()
    path = link_in(smtp.inbox.to("ada@example.org")[0])
    assert client.post(path, data={"password": "a brand new one"}).status_code == 302
    again = app.test_client().post(path, data={"password": "yet another one"})
    assert again.status_code == 400 and b"used already" in again.data
    assert app.test_client().get(path).status_code == 400


def test_a_newer_link_replaces_the_older_one(app, client, make_user, smtp, deliver):
    make_user(email="ada@example.org")
    _ask_reset(client, "ada@example.org")
    _ask_reset(client, "ada@example.org")
    assert deliver() == 2
    first, second = (link_in(m) for m in smtp.inbox.to("ada@example.org"))
    assert client.post(first, data={"password": "a brand new one"}).status_code == 400
    assert client.post(second, data={"password": "a brand new one"}).status_code == 302


def test_an_expired_link_is_refused(app, client, make_user, smtp, deliver):
    make_user(email="ada@example.org")
    _ask_reset(client, "ada@example.org")
    deliver()
    path = link_in(smtp.inbox.to("ada@example.org")[0])
    with app.app_context():
        db.session.execute(sa.update(MailToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = client.post(path, data={"password": "a brand new one"})
    assert response.status_code == 400 and b"expired" in response.data
    assert login(app.test_client(), "ada@example.org", PASSWORD).status_code == 302


def test_a_tampered_link_is_refused(app, client, make_user, smtp, deliver):
    make_user(email="ada@example.org")
    _ask_reset(client, "ada@example.org")
    deliver()
    path = link_in(smtp.inbox.to("ada@example.org")[0])
    last = path[-1]
    tampered = path[:-1] + ("A" if last != "A" else "B")
    for bad in (tampered, path[:-5], path + "x", "/password/reset/" + "x" * 43):
        response = client.post(bad, data={"password": "a brand new one"})
        assert response.status_code in (400, 404), bad
        assert b"not valid" in response.data or response.status_code == 404
    assert client.post(path, data={"password": "a brand new one"}).status_code == 302


def test_asking_answers_the_same_whether_or_not_the_address_has_an_account(
        app, make_user, smtp, deliver):
    make_user(email="ada@example.org")
    answers = []
    for email in ("ada@example.org", "nobody@example.org"):
        for path in ("/password/forgot", "/login/link"):
            client = app.test_client()
            response = client.post(path, data={"email": email})
            page = client.get(response.headers["Location"])
            # CSRF tokens (signed, timestamped) differ per session; nothing else may.
            text = re.sub(r'"[\w-]{20,}\.[\w-]+\.[\w-]+"', "TOKEN", page.data.decode())
            answers.append((response.status_code, response.headers["Location"], text))
    assert answers[0] == answers[2] and answers[1] == answers[3]
    deliver()
    assert len(smtp.inbox.to("ada@example.org")) == 2
    assert smtp.inbox.to("nobody@example.org") == []


def test_an_imported_account_signs_in_with_a_mailed_link(app, client, smtp, deliver, exported):
    """`openspace import` makes accounts without a password: a sign-in link lets them in."""
    data = rewrite_emails(exported, {"pat@elsewhere.example.org": "imported@example.org"})
    with app.app_context():
        backup.import_event(data)
        assert db.session.scalar(sa.select(User.password_hash).where(
            User.email == "imported@example.org")) is None
    response = client.post("/login/link", data={"email": "imported@example.org",
                                                "next": "/account"})
    assert response.status_code == 302
    deliver()
    [mail] = smtp.inbox.to("imported@example.org")
    assert mail["Subject"] == "Your openspace sign-in link"
    path = link_in(mail)
    assert client.get("/account").status_code == 302
    assert client.get(path).status_code == 200
    done = client.post(path)
    assert done.status_code == 302 and done.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    assert app.test_client().post(path).status_code == 400  # once only


def test_a_password_reset_also_sets_a_first_password(app, client, smtp, deliver):
    with app.app_context():
        db.session.add(User(name="Imported", email="imported@example.org"))
        db.session.commit()
    _ask_reset(client, "imported@example.org")
    deliver()
    path = link_in(smtp.inbox.to("imported@example.org")[0])
    assert client.post(path, data={"password": "my first password"}).status_code == 302
    assert login(app.test_client(), "imported@example.org",
                 "my first password").status_code == 302


def _mailed_link(kind, app, smtp, deliver, make_user_in, world_of, quick_user_in):
    """The path of a link of this kind, as it arrived in its mail, and a client to open it."""
    from tests.web.conftest import login_as

    client = app.test_client()
    if kind == "signin":
        make_user_in(app, "ada@example.org")
        client.post("/login/link", data={"email": "ada@example.org"})
        body = {}
    elif kind == "confirm":
        login_as(client, quick_user_in(app, "Quinn"))
        client.post("/account/email", data={"email": "ada@example.org"})
        body = {}
    else:
        organizer, event = world_of(app)
        login_as(client, organizer)
        client.post(f"/e/{event.slug}/invitations", data={"email": "ada@example.org"})
        client = app.test_client()
        body = {"name": "Ada"}
    assert deliver() == 1
    return link_in(smtp.inbox.to("ada@example.org")[0]), client, body


@pytest.mark.parametrize("kind", ["signin", "confirm", "invite"])
def test_every_kind_of_link_refuses_tampering_and_expiry_then_works_once(
        kind, app, smtp, deliver, make_user_in, world_of, quick_user_in):
    path, client, body = _mailed_link(kind, app, smtp, deliver, make_user_in, world_of,
                                      quick_user_in)
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    for bad in (tampered, path[:-5]):
        response = client.post(bad, data=body)
        assert response.status_code == 400 and b"not valid" in response.data, bad
    with app.app_context():
        real_expiry = db.session.scalar(sa.select(MailToken.expires_at))
        db.session.execute(sa.update(MailToken).values(expires_at=utcnow()))
        db.session.commit()
    expired = client.get(path)
    assert expired.status_code == 400 and b"expired" in expired.data
    assert client.post(path, data=body).status_code == 400
    with app.app_context():
        db.session.execute(sa.update(MailToken).values(expires_at=real_expiry))
        db.session.commit()
    assert client.post(path, data=body).status_code == 302
    again = app.test_client().post(path, data=body)
    assert again.status_code == 400 and b"used already" in again.data

"""Mails speak their reader's language: the account's choice, else the event's (an invitation
to an Italian event), else the language of the page that asked for the mail."""

from __future__ import annotations

import sqlalchemy as sa

from openspace.domain.mail import MailOff
from openspace.extensions import db
from openspace.models import Event, User
from tests.mail.smtp import link_in, text_of
from tests.web.conftest import login_as


def _html_of(mail) -> str:
    return mail.get_body(("html",)).get_content()


def test_a_reset_mail_speaks_the_accounts_language(app, client, make_user, smtp, deliver):
    user = make_user(email="ada@example.org")
    with app.app_context():
        db.session.get(User, user.id).locale = "de"
        db.session.commit()

    client.post("/password/forgot", data={"email": "ada@example.org"})
    deliver()

    [mail] = smtp.inbox.to("ada@example.org")
    assert mail["Subject"] == "Ihr openspace-Passwort zurücksetzen"
    text, html = text_of(mail), _html_of(mail)
    assert "Der Link funktioniert einmal, 1 Stunde lang." in text
    assert '<html lang="de"' in html and "Neues Passwort wählen" in html
    assert "The link" not in text and "Hello" not in html
    assert link_in(mail).startswith("/password/reset/")


def test_without_a_choice_the_mail_speaks_the_page_that_asked_for_it(
        app, client, make_user, smtp, deliver):
    make_user(email="ada@example.org")

    client.post("/password/forgot", data={"email": "ada@example.org"},
                headers={"Accept-Language": "ja"})
    deliver()

    [mail] = smtp.inbox.to("ada@example.org")
    assert mail["Subject"] == "openspace のパスワードの再設定"
    assert "このリンクは 1 回だけ、1 時間有効です。" in text_of(mail)


def test_an_invitation_speaks_the_events_language_whatever_the_organizer_reads(
        app, smtp, deliver, world_of):
    organizer, event = world_of(app)
    with app.app_context():
        db.session.scalar(sa.select(Event).where(Event.id == event.id)).language = "it"
        db.session.commit()
    client = app.test_client()
    login_as(client, organizer)

    client.post(f"/e/{event.slug}/invitations", headers={"Accept-Language": "de"},
                data={"email": "nina@example.org", "role": "organizer"})
    deliver()

    [mail] = smtp.inbox.to("nina@example.org")
    assert mail["Subject"] == "Sei invitato a Private Camp"
    assert "Olga ti invita a Private Camp come co-organizzatore su openspace." in text_of(mail)
    assert "Il link funziona una volta, per 7 giorni." in text_of(mail)


def test_the_pages_that_ask_for_mail_answer_in_the_readers_language(app, make_user,
                                                                   mail_off_client):
    """'Look in your mail' and 'this server sends no mail' are translated like the pages."""
    make_user(email="ada@example.org")
    client = app.test_client()
    for path in ("/password/forgot", "/login/link"):
        done = client.post(path, data={"email": "ada@example.org"},
                           headers={"Accept-Language": "de"}, follow_redirects=True)
        assert "Wenn ein Konto diese Adresse hat" in done.data.decode()
    refused = mail_off_client.post("/password/forgot", data={"email": "ada@example.org"},
                                   headers={"Accept-Language": "de"})
    assert refused.status_code == 503
    assert "Dieser Server verschickt keine E-Mails" in refused.data.decode()
    with mail_off_client.application.test_request_context(
            "/", headers={"Accept-Language": "de"}):
        assert "OPENSPACE_MAIL_URL nicht eingerichtet" in MailOff().message

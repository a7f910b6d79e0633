"""Instance admins (made by the CLI; pages; disabling ends sessions and sockets; deleting an
event after its export; the mail queue; the log) and restoring an event from the web."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa

from openspace.cli import cli
from openspace.domain import accounts
from openspace.extensions import db, socketio
from openspace.models import AdminAction, Event, MailMessage, MailStatus, Membership, User
from tests.mail.conftest import rewrite_emails
from tests.mail.smtp import REFUSE_DOMAIN
from tests.web.conftest import login_as


def _admin(app, make_user_in, email="root@example.org"):
    user_id = make_user_in(app, email, "Root")
    result = app.test_cli_runner().invoke(cli, ["admin", "add", email])
    assert result.exit_code == 0 and "now an instance admin" in result.output
    client = app.test_client()
    with app.app_context():
        login_as(client, db.session.get(User, user_id))
    return user_id, client


def _log(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(sa.select(
            AdminAction.admin_label, AdminAction.action, AdminAction.target)
            .order_by(AdminAction.id))]


def test_admins_are_made_and_unmade_by_the_command_line(app, make_user_in):
    admin_id, client = _admin(app, make_user_in)
    assert client.get("/admin").status_code == 200
    runner = app.test_cli_runner()
    assert "root@example.org" in runner.invoke(cli, ["admin", "list"]).output
    assert runner.invoke(cli, ["admin", "remove", "root@example.org"]).exit_code == 0
    assert client.get("/admin").status_code == 404
    missing = runner.invoke(cli, ["admin", "add", "nobody@example.org"])
    assert missing.exit_code != 0 and "No account" in missing.output
    assert [a[1] for a in _log(app)] == ["add_admin", "remove_admin"]
    assert _log(app)[0][0] == "command line"


def test_admins_find_events_and_accounts(app, make_user_in, world_of):
    _, client = _admin(app, make_user_in)
    organizer, event = world_of(app)
    make_user_in(app, "findme@example.org", "Findable Person")
    page = client.get("/admin?q=private").data.decode()
    assert "Private Camp" in page
    page = client.get("/admin/accounts?q=FINDME").data.decode()
    assert "Findable Person" in page and "Root" not in page.split("</h1>")[1].split(
        "Search")[1]
    assert b"Private Camp" not in client.get("/admin/events?q=nothing-like-it").data
    with app.app_context():
        event_id = db.session.scalar(sa.select(Event.id))
    assert b"Delete this event" in client.get(f"/admin/events/{event_id}").data


def test_disabling_an_account_ends_its_sessions_tokens_and_sockets(app, make_user_in,
                                                                   make_user):
    _, admin_client = _admin(app, make_user_in)
    victim = make_user(email="spam@example.org")
    browser = app.test_client()
    assert browser.post("/login", data={"email": "spam@example.org",
                                        "password": "correct horse"}).status_code == 302
    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, victim.id))
    sock = socketio.test_client(app, flask_test_client=browser)
    bot = socketio.test_client(app, auth={"token": token})
    assert sock.is_connected() and bot.is_connected()

    assert admin_client.post(f"/admin/accounts/{victim.id}/disable").status_code == 302
    assert not sock.is_connected() and not bot.is_connected()
    assert browser.get("/account").status_code == 302
    assert app.test_client().get("/api/v1/me", headers={
        "Authorization": f"Bearer {token}"}).status_code == 401
    refused = app.test_client().post("/login", data={"email": "spam@example.org",
                                                     "password": "correct horse"})
    assert refused.status_code == 401 and b"disabled" in refused.data
    page = admin_client.get(f"/admin/accounts/{victim.id}").data
    assert b"Disabled" in page
    assert admin_client.post(f"/admin/accounts/{victim.id}/enable").status_code == 302
    assert app.test_client().post("/login", data={"email": "spam@example.org",
                                                  "password": "correct horse"}).status_code == 302
    assert [a[1] for a in _log(app)][-2:] == ["disable_account", "enable_account"]
    assert _log(app)[-1][0] == "Root <root@example.org>"


def test_an_admin_cannot_disable_themselves(app, make_user_in):
    admin_id, client = _admin(app, make_user_in)
    client.post(f"/admin/accounts/{admin_id}/disable")
    assert client.get("/admin").status_code == 200


def test_an_event_is_deleted_after_its_export_is_offered(app, make_user_in, world_of):
    _, client = _admin(app, make_user_in)
    organizer, event = world_of(app)
    page = client.get(f"/admin/events/{event.id}").data.decode()
    export_path = f"/admin/events/{event.id}/export.json"
    assert export_path in page
    export = client.get(export_path)
    assert export.status_code == 200 and json.loads(export.data)["event"]["slug"] == event.slug
    wrong = client.post(f"/admin/events/{event.id}/delete", data={"confirm": "nope"})
    assert wrong.status_code == 302
    with app.app_context():
        assert db.session.get(Event, event.id) is not None
    assert client.post(f"/admin/events/{event.id}/delete",
                       data={"confirm": event.slug}).status_code == 302
    with app.app_context():
        assert db.session.get(Event, event.id) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 0
        assert db.session.get(User, organizer.id) is not None  # accounts stay
    assert [a[1] for a in _log(app)][-2:] == ["export_event", "delete_event"]
    # The export brings it back.
    assert app.test_cli_runner().invoke(cli, ["import", "-"], input=export.data).exit_code == 0


def test_admins_see_the_mail_queue_and_retry_a_failed_mail(app, smtp, deliver, make_user_in):
    _, client = _admin(app, make_user_in)
    make_user_in(app, "bounce" + REFUSE_DOMAIN)
    app.test_client().post("/password/forgot", data={"email": "bounce" + REFUSE_DOMAIN})
    deliver()
    page = client.get("/admin/mail?status=failed").data.decode()
    assert "bounce" + REFUSE_DOMAIN in page and "550" in page
    with app.app_context():
        message_id = db.session.scalar(sa.select(MailMessage.id))
    assert client.post(f"/admin/mail/{message_id}/retry").status_code == 302
    with app.app_context():
        assert db.session.get(MailMessage, message_id).status == MailStatus.QUEUED
    assert "retry_mail" in [a[1] for a in _log(app)]
    assert b"Log" in client.get("/admin/log").data


def test_the_admin_pages_are_not_found_for_everyone_else(app, make_user_in, world_of):
    organizer, event = world_of(app)
    organizer_client = app.test_client()
    login_as(organizer_client, organizer)
    for path in ("/admin", "/admin/events", f"/admin/events/{event.id}", "/admin/accounts",
                 "/admin/mail", "/admin/log", f"/admin/events/{event.id}/export.json"):
        assert organizer_client.get(path).status_code == 404, path
    assert organizer_client.post(f"/admin/events/{event.id}/delete",
                                 data={"confirm": event.slug}).status_code == 404
    assert app.test_client().get("/admin").status_code == 302  # log in first


def test_mail_link_prints_a_sign_in_link_even_with_mail_off(app, make_user_in):
    make_user_in(app, "imported@example.org")
    result = app.test_cli_runner().invoke(cli, ["mail", "link", "imported@example.org",
                                                "--base-url", "http://localhost"])
    assert result.exit_code == 0
    path = result.output.strip().removeprefix("http://localhost")
    client = app.test_client()
    assert client.post(path).status_code == 302
    assert client.get("/account").status_code == 200


# Restore from the web ------------------------------------------------------------------------

def _upload(client, data: bytes, slug: str = ""):
    return client.post("/events/restore", data={"file": (io.BytesIO(data), "backup.json"),
                                                "slug": slug},
                       content_type="multipart/form-data")


def test_an_organizer_restores_an_event_from_its_export_after_a_preview(
        app, exported, quick_user_in, make_user_in):
    me = quick_user_in(app, "Uploader")
    make_user_in(app, "pat@elsewhere.example.org", "The real Pat")  # has an account here
    client = app.test_client()
    login_as(client, me)
    preview = _upload(client, json.dumps(exported).encode())
    page = preview.data.decode()
    assert preview.status_code == 200 and 'id="restore-preview"' in page
    assert "Restored Camp" in page and "1 topic" in page
    with app.app_context():
        assert db.session.scalar(sa.select(Event.id)) is None  # nothing yet
        key = page.split('name="key" value="')[1].split('"')[0]
    done = client.post("/events/restore/confirm", data={"key": key, "slug": ""})
    assert done.status_code == 302 and done.headers["Location"] == "/e/restored-camp/settings"
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == "restored-camp"))
        roles = {m.user.name: (m.role, m.user.email) for m in event.memberships}
    assert roles["Uploader"][0] == "organizer"
    assert roles["Olga"] == ("organizer", "olga@elsewhere.example.org")  # a free email
    assert roles["Pat"] == ("participant", None)  # another account's email: a name-only copy
    assert client.post("/events/restore/confirm", data={"key": key}).status_code == 404


def test_a_bad_export_is_refused_with_its_problems_and_creates_nothing(
        app, exported, quick_user_in):
    client = app.test_client()
    login_as(client, quick_user_in(app, "Uploader"))
    exported["rooms"][0]["name"] = ""
    exported["topics"][0]["title"] = "x" * 500
    refused = _upload(client, json.dumps(exported).encode())
    page = refused.data.decode()
    assert refused.status_code == 400 and 'id="restore-problems"' in page
    assert "$.rooms[0]" in page and "$.topics[0]" in page
    assert _upload(client, b"{not json").status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(Event.id)) is None


def test_a_taken_address_asks_for_another(app, exported, quick_user_in, world_of):
    client = app.test_client()
    login_as(client, quick_user_in(app, "Uploader"))
    data = json.dumps(rewrite_emails(exported, {})).encode()
    assert _upload(client, data).status_code == 200
    world_of(app)
    exported["event"]["slug"] = "private-camp"
    taken = _upload(client, json.dumps(exported).encode())
    assert taken.status_code == 409 and b"exists already" in taken.data
    assert _upload(client, json.dumps(exported).encode(), slug="camp-two").status_code == 200


def test_a_too_large_export_is_refused(app, quick_user_in):
    app.config["MAX_RESTORE_SIZE"] = 10_000
    client = app.test_client()
    login_as(client, quick_user_in(app, "Uploader"))
    refused = _upload(client, b" " * 20_000)
    assert refused.status_code == 413 and b"too large" in refused.data

"""Two `openspace serve` processes sharing PostgreSQL both run the mail worker (a green thread
each): every queued mail reaches the SMTP server exactly once, whichever process queued it."""

from __future__ import annotations

import sqlalchemy as sa

from config import database_url
from tests.live import wait_for
from tests.mail.smtp import SmtpServer
from tests.scaleout.clients import start_servers
from tests.scaleout.services import empty_database, postgres_url

ROWS = 60


def test_two_processes_send_each_queued_mail_exactly_once(tmp_path):
    url = postgres_url()
    empty_database(url)
    smtp = SmtpServer().start()
    servers = start_servers(tmp_path, 2, OPENSPACE_DATABASE_URL=url,
                            OPENSPACE_MAIL_URL=smtp.url,
                            OPENSPACE_MAIL_FROM="openspace@example.org")
    engine = sa.create_engine(database_url(url))
    try:
        # Rows nobody's worker was told about: both find them on their next look, and race.
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO mail_queue (to_address, subject, text_body, html_body, kind, status,"
                " attempts, next_attempt_at, last_error, created_at) VALUES (:to, :subject, 'x',"
                " '', 'test', 'queued', 0, now() AT TIME ZONE 'UTC', '', now() AT TIME ZONE "
                "'UTC')"), [{"to": f"p{n}@example.org", "subject": f"Mail {n}"}
                            for n in range(ROWS)])
        # And mails queued by requests to either process.
        import requests

        for n, server in enumerate(servers):
            response = requests.post(server.url + "/api/v1/users", timeout=10, json={
                "email": f"owner{n}@example.org", "password": "correct horse",
                "name": f"Owner {n}"})
            assert response.status_code == 201, response.text
        for server in servers:
            for n in range(2):
                page = requests.Session()
                csrf = page.get(server.url + "/password/forgot", timeout=10)
                token = csrf.text.split('name="csrf-token" content="')[1].split('"')[0]
                assert page.post(server.url + "/password/forgot", timeout=10, data={
                    "email": f"owner{n}@example.org", "csrf_token": token}).status_code == 200
        wanted = ROWS + 4
        wait_for(lambda: len(smtp.inbox.messages) >= wanted, timeout=60)
        with engine.connect() as connection:
            wait_for(lambda: connection.execute(sa.text(
                "SELECT count(*) FROM mail_queue WHERE status = 'sent'")).scalar_one() == wanted,
                timeout=30)
        subjects = sorted(m["Subject"] for m in smtp.inbox.messages if m["Subject"] != "Reset "
                          "your openspace password")
        assert subjects == sorted(f"Mail {n}" for n in range(ROWS))
        resets = sorted(m["To"] for m in smtp.inbox.messages
                        if m["Subject"] == "Reset your openspace password")
        assert resets == sorted(f"owner{n}@example.org" for n in (0, 0, 1, 1))
        with engine.connect() as connection:
            workers = connection.execute(sa.text(
                "SELECT count(*) FROM mail_queue WHERE status <> 'sent'")).scalar_one()
        assert workers == 0
    finally:
        for server in servers:
            server.stop()
        smtp.stop()
        engine.dispose()

"""The queue: mail off, an SMTP server that is down or never answers, a refused recipient,
workers racing for the same rows; and the worker loop `openspace serve` runs."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openspace.domain.mail import queue
from openspace.extensions import db
from openspace.models import MailMessage, MailStatus, utcnow
from tests.mail.conftest import make_app
from tests.mail.smtp import REFUSE_DOMAIN, SmtpServer, link_in

pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)


def _rows(app) -> list[tuple]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(sa.select(
            MailMessage.status, MailMessage.attempts, MailMessage.last_error).order_by(
            MailMessage.id))]


@pytest.fixture
def mail_off_app(tmp_path):
    app = make_app(tmp_path, "")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_with_mail_off_the_pages_say_so_and_nothing_is_queued(mail_off_app,
                                                               world_of):
    app = mail_off_app
    client = app.test_client()
    for path in ("/password/forgot", "/login/link"):
        page = client.get(path)
        assert page.status_code == 200 and b'id="mail-off"' in page.data
        refused = client.post(path, data={"email": "ada@example.org"})
        assert refused.status_code == 503 and b"sends no mail" in refused.data
    organizer, event = world_of(app)
    from tests.web.conftest import login_as

    login_as(client, organizer)
    page = client.get(f"/e/{event.slug}/invitations")
    assert page.status_code == 200 and b'id="mail-off"' in page.data
    refused = client.post(f"/e/{event.slug}/invitations", data={"email": "x@example.org"})
    assert refused.status_code == 503
    assert b'id="mail-off"' in client.get("/account").data
    assert _rows(app) == []


def test_when_the_smtp_server_is_down_nothing_is_lost_and_it_is_sent_later(
        tmp_path, make_user_in):
    smtp = SmtpServer()  # its port, but nothing listens there yet
    app = make_app(tmp_path, smtp.url)
    make_user_in(app, "ada@example.org")
    client = app.test_client()
    assert client.post("/password/forgot", data={"email": "ada@example.org"}).status_code == 302
    with app.app_context():
        assert queue.send_due() == 0
    [(status, attempts, error)] = _rows(app)
    assert (status, attempts) == (MailStatus.QUEUED, 1) and "Connection refused" in error
    with app.app_context():
        assert queue.send_due() == 0  # not due again before its back-off
    assert _rows(app)[0][1] == 1

    smtp.start()
    try:
        with app.app_context():
            assert queue.send_due(now=utcnow() + queue.retry_delay(1)) == 1
        [(status, attempts, error)] = _rows(app)
        assert (status, attempts, error) == (MailStatus.SENT, 2, "")
        [mail] = smtp.inbox.to("ada@example.org")
        assert client.get(link_in(mail)).status_code == 200  # the link still works
    finally:
        smtp.stop()
        with app.app_context():
            db.engine.dispose()


def test_a_server_that_never_answers_blocks_no_request(tmp_path, make_user_in):
    """It accepts the connection and stays silent: requests that queue mail answer at once,
    only the worker waits (until the URL's timeout) and tries again later."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        app = make_app(tmp_path, f"smtp://127.0.0.1:{port}?timeout=1")
        make_user_in(app, "ada@example.org")
        client = app.test_client()
        for _ in range(3):
            assert client.post("/login/link",
                               data={"email": "ada@example.org"}).status_code == 302
        with app.app_context():
            assert queue.send_due() == 0
        assert [(s, a) for s, a, _ in _rows(app)] == [(MailStatus.QUEUED, 1)] * 3
        assert all("timed out" in e for _, _, e in _rows(app))
        with app.app_context():
            db.engine.dispose()


def test_a_refused_recipient_fails_for_good_and_is_kept(app, smtp, deliver, make_user_in):
    make_user_in(app, "someone" + REFUSE_DOMAIN)
    app.test_client().post("/password/forgot", data={"email": "someone" + REFUSE_DOMAIN})
    assert deliver() == 0
    [(status, attempts, error)] = _rows(app)
    assert (status, attempts) == (MailStatus.FAILED, 1) and "550" in error
    assert deliver(now=utcnow() + timedelta(days=1)) == 0  # never tried again
    assert smtp.inbox.messages == []


def test_the_last_attempt_marks_a_mail_failed(tmp_path, make_user_in):
    smtp = SmtpServer()  # never started
    app = make_app(tmp_path, smtp.url)
    make_user_in(app, "ada@example.org")
    app.test_client().post("/password/forgot", data={"email": "ada@example.org"})
    now = utcnow()
    with app.app_context():
        for attempt in range(1, queue.MAX_ATTEMPTS + 1):
            queue.send_due(now=now)
            now += queue.retry_delay(attempt)
        queue.send_due(now=now + timedelta(days=1))
        db.engine.dispose()
    [(status, attempts, _)] = _rows(app)
    assert (status, attempts) == (MailStatus.FAILED, queue.MAX_ATTEMPTS)


def test_racing_workers_send_each_mail_once(app, smtp, make_user_in):
    with app.app_context():
        for n in range(30):
            queue.enqueue(to=f"p{n}@example.org", subject=f"Mail {n}", template="signin",
                          kind="signin", user={"name": f"P{n}"}, link="http://localhost/x",
                          hours=1)
        db.session.commit()
    barrier = threading.Barrier(3)
    errors = []

    def work():
        try:
            with app.app_context():
                barrier.wait()
                queue.send_due()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    subjects = sorted(m["Subject"] for m in smtp.inbox.messages)
    assert subjects == sorted(f"Mail {n}" for n in range(30))
    assert {s for s, _, _ in _rows(app)} == {MailStatus.SENT}


def test_a_claim_whose_worker_died_is_sent_by_another_after_its_lease(app, smtp, deliver):
    with app.app_context():
        queue.enqueue(to="ada@example.org", subject="Hello", template="signin", kind="signin",
                      user={"name": "Ada"}, link="http://localhost/x", hours=1)
        db.session.commit()
        assert len(queue.claim("dead-worker")) == 1  # and then it dies
    assert deliver() == 0
    assert deliver(now=utcnow() + queue.CLAIM_LEASE + timedelta(seconds=1)) == 1
    assert len(smtp.inbox.messages) == 1


def test_the_worker_loop_sends_what_a_request_queued(app, smtp, make_user_in):
    make_user_in(app, "ada@example.org")
    app.test_client().post("/login/link", data={"email": "ada@example.org"})
    queue.run_worker(app, rounds=1)
    assert len(smtp.inbox.to("ada@example.org")) == 1


@pytest.mark.parametrize("url", ["smtp//mail.example.org", "http://mail.example.org",
                                 "smtp://mail.example.org?startls=1", "smtp://:25"])
def test_a_mistyped_mail_url_stops_the_start_instead_of_every_mail(tmp_path, url):
    """Else mail would count as on, and every mail would wait in the queue for a server
    that can never be reached, with nothing but a log line to say why."""
    with pytest.raises(ValueError, match="OPENSPACE_MAIL_URL"):
        make_app(tmp_path, url)

"""Announcements: organizers post news; the board, the projector and live sockets show it."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from openspace.domain import announcements
from openspace.extensions import db, socketio
from openspace.models import Announcement
from tests.conftest import login


def test_organizer_posts_news_that_board_and_projector_show(app, client, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer)
    watcher = socketio.test_client(app)
    watcher.emit("event:join", {"slug": event.slug}, callback=True)
    login(client, organizer.email)
    response = client.post(f"/e/{event.slug}/announcements",
                           data={"text": "Lunch is <b>served</b> in the atrium"})
    assert response.status_code == 302
    board = client.get(f"/e/{event.slug}").get_data(as_text=True)
    projector = client.get(f"/e/{event.slug}/projector").get_data(as_text=True)
    for page in (board, projector):
        assert "Lunch is &lt;b&gt;served&lt;/b&gt; in the atrium" in page
        assert "<b>served</b>" not in page
    live = [m["args"][0] for m in watcher.get_received() if m["name"] == "announcement"]
    assert live[0]["kind"] == "posted"
    assert live[0]["announcement"]["text"] == "Lunch is <b>served</b> in the atrium"


def test_participants_cannot_post_news(app, client, make_user, make_event, join):
    organizer, alice = make_user(), make_user()
    event = make_event(organizer)
    join(event, alice)
    login(client, alice.email)
    assert client.post(f"/e/{event.slug}/announcements", data={"text": "Free beer"}
                       ).status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Announcement.id))) == 0


def test_too_long_news_is_refused_and_kept_in_the_form(app, client, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer)
    login(client, organizer.email)
    text = "x" * (announcements.TEXT_MAX + 1)
    page = client.post(f"/e/{event.slug}/announcements", data={"text": text})
    assert page.status_code == 400
    body = page.get_data(as_text=True)
    assert "at most 280 characters" in body
    assert f'value="{text}"' in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Announcement.id))) == 0


def test_organizer_removes_news(app, client, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer)
    login(client, organizer.email)
    client.post(f"/e/{event.slug}/announcements", data={"text": "Room change"})
    with app.app_context():
        item_id = db.session.scalar(sa.select(Announcement.id))
    assert client.post(f"/e/{event.slug}/announcements/{item_id}/delete").status_code == 302
    assert "Room change" not in client.get(f"/e/{event.slug}/projector").get_data(as_text=True)


def test_projector_of_a_private_event_is_hidden_from_strangers(client, make_user, make_event):
    owner = make_user()
    event = make_event(owner, visibility="private", slug="hidden")
    assert client.get(f"/e/{event.slug}/projector").status_code == 404
    login(client, owner.email)
    page = client.get(f"/e/{event.slug}/projector").get_data(as_text=True)
    assert "<svg" in page
    assert event.join_code in page


def test_news_times_are_on_the_events_clock_not_utc(app, client, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer, timezone="Asia/Tokyo")
    watcher = socketio.test_client(app)
    watcher.emit("event:join", {"slug": event.slug}, callback=True)
    login(client, organizer.email)
    client.post(f"/e/{event.slug}/announcements", data={"text": "Lunch is served"})
    with app.app_context():
        item = db.session.scalar(sa.select(Announcement))
        sent = item.created_at
        item.created_at = datetime(2026, 11, 23, 3, 5)  # 12:05 in Tokyo
        db.session.commit()

    page = client.get(f"/e/{event.slug}/announcements").get_data(as_text=True)
    board = client.get(f"/e/{event.slug}").get_data(as_text=True)
    projector = client.get(f"/e/{event.slug}/projector").get_data(as_text=True)

    assert '<time datetime="2026-11-23T03:05:00Z">12:05 JST</time>' in page
    assert "UTC" not in page
    for wall in (board, projector):
        assert 'datetime="2026-11-23T03:05:00Z">12:05</time> Lunch is served' in wall
    live = [m["args"][0] for m in watcher.get_received() if m["name"] == "announcement"][0]
    assert live["announcement"]["time"] == (sent + timedelta(hours=9)).strftime("%H:%M")

"""Morning and evening news on the projector: the freshly written reports, newest first."""

from __future__ import annotations

import re
from datetime import datetime

from openspace.extensions import db
from openspace.models import Note, Topic, User

from .conftest import HOSTILE, write_note


def _news_titles(page: str) -> list[str]:
    return re.findall(r'<h3 class="news-title">(.*?)</h3>', page)


def _touch(app, topic, when: datetime) -> None:
    with app.app_context():
        db.session.get(Note, topic.id).updated_at = when
        db.session.commit()


def test_news_mode_rolls_the_written_reports_newest_first(app, client, finished):
    _touch(app, finished.pricing, datetime(2026, 11, 23, 9, 0))
    _touch(app, finished.hostile, datetime(2026, 11, 23, 9, 30))

    page = client.get(f"/e/{finished.event.slug}/projector?mode=news").get_data(as_text=True)

    assert _news_titles(page) == ["&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x "
                                  "onerror=alert(1)&gt;", "Value pricing"]
    assert "Silent session" not in page  # nothing written there
    assert 'data-live-region="grid" data-shows="news"' in page
    assert "<h4>Key points</h4>" in page
    assert "2 action items:" in page
    assert HOSTILE not in page
    assert "js/news.js" in page


def test_board_mode_and_running_slots_keep_the_agenda(app, client, finished):
    page = client.get(f"/e/{finished.event.slug}/projector?mode=board").get_data(as_text=True)
    assert _news_titles(page) == []
    assert 'data-live-region="grid" data-shows="board"' in page
    assert 'class="agenda" role="table"' in page


def test_news_without_reports_says_so(client, world):
    page = client.get(f"/e/{world.event.slug}/projector?mode=news").get_data(as_text=True)
    assert "No session reports yet." in page


def test_a_new_report_enters_the_news_at_the_top(app, client, finished):
    _touch(app, finished.pricing, datetime(2026, 11, 23, 9, 0))
    _touch(app, finished.hostile, datetime(2026, 11, 23, 9, 30))
    with app.app_context():
        write_note(db.session.get(Topic, finished.silent.id),
                   db.session.get(User, finished.participant.id), "## Key points\n\n- quiet\n")

    page = client.get(f"/e/{finished.event.slug}/projector?mode=news").get_data(as_text=True)

    assert _news_titles(page)[0] == "Silent session"

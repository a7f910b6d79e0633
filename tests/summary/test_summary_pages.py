"""The summary page: who may read it, publishing, what it shows, and that user text never
becomes markup in it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from openspace.extensions import db
from openspace.models import Event

from .conftest import HOSTILE, login_as


class Page(HTMLParser):
    """Every element of a page with its attributes, and the text inside <script> elements."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)

    def attrs(self, tag):
        return [a for t, a in self.elements if t == tag]


def _publish(app, event, published=True, **changes):
    with app.app_context():
        e = db.session.get(Event, event.id)
        e.summary_published = published
        for key, value in changes.items():
            setattr(e, key, value)
        db.session.commit()


def url(event, suffix=""):
    return f"/e/{event.slug}/summary{suffix}"


# Who may read it -------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", ".md", ".json", ".zip"])
def test_unpublished_summary_is_for_organizers_only(client, finished, suffix):
    assert client.get(url(finished.event, suffix)).status_code == 404
    login_as(client, finished.participant)
    assert client.get(url(finished.event, suffix)).status_code == 404
    login_as(client, finished.organizer)
    assert client.get(url(finished.event, suffix)).status_code == 200


@pytest.mark.parametrize("suffix", ["", ".md", ".json", ".zip"])
def test_published_summary_of_a_public_event_needs_no_login(app, client, finished, suffix):
    _publish(app, finished.event)
    assert client.get(url(finished.event, suffix)).status_code == 200


def test_published_summary_of_a_private_event_is_for_members(app, client, finished):
    _publish(app, finished.event, visibility="private")
    assert client.get(url(finished.event)).status_code == 404
    login_as(client, finished.outsider)
    assert client.get(url(finished.event)).status_code == 404
    login_as(client, finished.participant)
    assert client.get(url(finished.event)).status_code == 200


def test_organizer_previews_then_publishes_and_unpublishes(client, finished, fetch):
    login_as(client, finished.organizer)
    preview = client.get(url(finished.event)).get_data(as_text=True)
    assert "Preview" in preview and "Publish summary" in preview

    response = client.post(url(finished.event, "/publish"), data={"published": "1"})

    assert response.status_code == 302
    assert fetch(Event, finished.event.id).summary_published is True
    assert "Unpublish summary" in client.get(url(finished.event)).get_data(as_text=True)
    client.post(url(finished.event, "/publish"), data={"published": "0"})
    assert fetch(Event, finished.event.id).summary_published is False


def test_participants_cannot_publish(client, finished, fetch):
    login_as(client, finished.participant)
    assert client.post(url(finished.event, "/publish"), data={"published": "1"}).status_code \
        == 403
    assert fetch(Event, finished.event.id).summary_published is False


def test_nav_links_the_summary_once_published_or_for_organizers(app, client, finished):
    board = f"/e/{finished.event.slug}"
    assert f'href="{url(finished.event)}"' not in client.get(board).get_data(as_text=True)
    _publish(app, finished.event)
    assert f'href="{url(finished.event)}"' in client.get(board).get_data(as_text=True)


# What it shows ---------------------------------------------------------------------------------

def test_summary_shows_sessions_in_agenda_order_with_facts_notes_photos_and_items(app, client,
                                                                                 finished):
    _publish(app, finished.event)
    page = client.get(url(finished.event)).get_data(as_text=True)

    sessions = re.findall(r'<section class="book-session" id="(session-\d+)"', page)
    assert sessions == ["session-1", "session-2", "session-3"]
    first = page[page.index('id="session-1"'):page.index('id="session-2"')]
    assert "Value pricing" in first
    assert "<dt>Convener</dt><dd>Pat</dd>" in first
    assert "<dt>Room</dt><dd>Atrium</dd>" in first
    assert "10:00</time>–<time" in first
    assert "1 said they'd come (3 seats)" in first
    assert "<h3>Key points</h3>" in first  # the note's "## Key points", right under the h2
    assert "<li>charge for <strong>value</strong></li>" in first
    assert 'alt="The flipchart"' in first and "/thumb.jpg" in first
    # The note's title line repeats the session title: it is left out.
    assert first.count("Value pricing") == 1
    third = page[page.index('id="session-3"'):page.index('id="action-items"')]
    assert "No report was written for this session." in third
    items = page[page.index('id="action-items"'):]
    assert re.findall(r'<span class="action-state">(\w+)</span>', items) == ["Open", "Done",
                                                                            "Open"]
    assert '<span class="owner">@pat</span>' in items
    toc = page[page.index('id="toc-title"'):page.index('id="agenda"')]
    assert toc.index("#session-1") < toc.index("#session-2") < toc.index("#action-items")
    assert "Never placed" in page  # "Also proposed"
    assert "css/summary.css" in page


def test_summary_links_every_export(client, finished):
    login_as(client, finished.organizer)
    page = client.get(url(finished.event)).get_data(as_text=True)
    slug = finished.event.slug
    for href in (f"/e/{slug}/summary.md", f"/e/{slug}/summary.zip", f"/e/{slug}/summary.json",
                 f"/e/{slug}/schedule.ics", f"/e/{slug}/actions.csv"):
        assert f'href="{href}"' in page


def test_summary_page_has_no_unsanitized_user_html(app, client, finished):
    _publish(app, finished.event, theme=HOSTILE, venue=HOSTILE)
    html = client.get(url(finished.event)).get_data(as_text=True)
    page = Page(html)

    assert HOSTILE not in html
    assert page.scripts == []  # the page's own scripts are external files
    assert all("src" in a for a in page.attrs("script"))
    assert all(not name.startswith("on") for _, attrs in page.elements for name in attrs)
    assert all(not (a.get("href") or "").lower().startswith("javascript:")
               for a in page.attrs("a"))
    assert all(a.get("src", "").startswith("/photos/") for a in page.attrs("img"))
    assert "&lt;script&gt;" in html  # shown as text


def test_summary_page_uses_no_inline_styles(client, finished):
    login_as(client, finished.organizer)
    page = Page(client.get(url(finished.event)).get_data(as_text=True))
    assert [a for _, a in page.elements if "style" in a] == []


def test_a_note_started_from_the_template_does_not_repeat_its_title(app, client, finished):
    from openspace.domain import notes
    from openspace.models import Topic, User

    from .conftest import write_note

    with app.app_context():
        topic = db.session.get(Topic, finished.silent.id)
        topic.title = "Pricing *the* [work]"
        db.session.commit()
        template = notes.report_template(topic)
        write_note(topic, db.session.get(User, finished.participant.id),
                   template.replace("## Key points\n", "## Key points\n- value\n"))
    login_as(client, finished.organizer)
    page = client.get(url(finished.event)).get_data(as_text=True)

    third = page[page.index('id="session-3"'):page.index('id="action-items"')]
    # The template's "# title" line is left out, and so are its headings nobody wrote under.
    # (Participants, Recommendations and Resources were left empty.)
    assert re.findall(r"<h[1-6]>[^<]*</h[1-6]>", third) == [
        "<h3>Convener</h3>", "<h3>Key points</h3>", "<h3>Action items</h3>"]


def test_summary_times_carry_the_events_zone_for_remote_readers(client, finished):
    login_as(client, finished.organizer)
    page = client.get(url(finished.event)).get_data(as_text=True)
    markdown = client.get(url(finished.event, ".md")).get_data(as_text=True)

    assert "<dt>Times</dt><dd>Europe/Brussels (CET, UTC+1)</dd>" in page
    assert '<th scope="col">Time (CET)</th>' in page
    assert re.search(r"<dt>Time</dt><dd>Monday, 23 November, <time[^>]*>10:00</time>–"
                     r"<time[^>]*>11:00</time> CET</dd>", page)
    assert "- **Times:** Europe/Brussels (CET, UTC+1)" in markdown
    assert "| Time (CET) | Atrium | Library |" in markdown
    assert "- **Time:** Mon 23 Nov, 10:00–11:00 CET" in markdown

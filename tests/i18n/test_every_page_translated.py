"""Every page type, and every fragment the server renders for live patching, in the
pseudo-locale: no English left that did not go through the catalogs (pages.english_left).

The pages are the browser tests' list (tests/browser/pages.py, every page type an attendee, an
organizer or an instance admin opens), each as every role that opens it, plus the pages that
list leaves out (an admin's event and account, merging, restoring, error pages); the event is the
summary tests' finished one (notes, photos, action items, news), so the pages show their
content, not their empty states."""

from __future__ import annotations

import io
import json
import re

import pytest

from openspace import i18n
from openspace.domain.mail import tokens
from openspace.extensions import db
from openspace.models import Event, MailMessage, MailStatus, User
from tests.browser.pages import PAGES, Page

from .conftest import login_as
from .pages import english_left, live_regions

PSEUDO = {"Accept-Language": i18n.PSEUDO}

# Pages the browser tests do not open, by the role that opens them.
MORE_PAGES = [
    Page("admin-failed-mail", "/admin/mail?status=failed", ("admin",)),
    Page("topic-merge", "/t/{topic}/merge?into={other}", ("organizer",)),
    Page("join-code", "/join?code=NOPE42", ("anonymous", "participant")),
    Page("not-found", "/e/no-such-event", ("anonymous", "participant")),
    Page("forbidden", "/e/{slug}/settings", ("participant",)),
]
ALL_PAGES = PAGES + MORE_PAGES
assert len({p.name for p in ALL_PAGES}) == len(ALL_PAGES), "a page listed twice"
STATUS = {"not-found": 404, "forbidden": 403, "join-code": 404}

# Pages whose live regions live.js refetches (X-Live-Refetch) after a board change.
LIVE_PAGES = ["board", "marketplace", "now", "rooms-now", "projector"]


@pytest.fixture
def site(app, finished):
    """The finished event, an instance admin (Ada) and a failed mail for the admin's pages."""
    with app.app_context():
        ada = db.session.get(User, finished.outsider.id)
        ada.is_admin = True
        # The summary, the projector and the print sheets speak the event's language.
        db.session.get(Event, finished.event.id).language = i18n.PSEUDO
        db.session.add(MailMessage(to_address="bounce@example.org", subject="Your sessions",
                                   kind="notify_sessions", text_body="-", status=MailStatus.FAILED,
                                   attempts=3, last_error="550 no such user",
                                   event_id=finished.event.id))
        db.session.commit()
        # Mailed links (the pages behind them do not need mail to be on).
        secrets = {
            "reset": tokens.issue(purpose=tokens.RESET, email="ada@example.org", user=ada),
            "signin": tokens.issue(purpose=tokens.SIGNIN, email="ada@example.org", user=ada),
            "invite": tokens.issue(purpose=tokens.INVITE, email="guest@example.org",
                                   event_id=finished.event.id, role="participant",
                                   created_by=db.session.get(User, finished.organizer.id))}
        db.session.commit()
    users = {"anonymous": None, "participant": finished.participant,
             "organizer": finished.organizer, "admin": finished.outsider}
    values = {"slug": finished.event.slug, "topic": finished.pricing.id,
              "room": finished.rooms["Library"], "slot": finished.sessions[1],
              "event_id": finished.event.id, "account_id": finished.participant.id,
              "other": finished.silent.id, **secrets}
    join_link = f"http://192.0.2.2/e/{finished.event.slug}/join?code="
    data = (join_link, "NOPE42", finished.event.name, finished.event.slug, finished.event.join_code,
            finished.event.timezone, "Atrium", "Library", "Olga", "Pat", "Oscar",
            "Value pricing", "Value vs hours", "Silent session", "Never placed",
            "The flipchart", "Lunch in the atrium", "Draft a price list", "Share the slides",
            "pat", "olga", "charge for", "value", "Key points", "Action items",
            "bounce@example.org", "guest@example.org", "Your sessions", "notify_sessions",
            "550 no such user",
            "CET", "UTC", "JSON", "#opendrupal", "localhost", "http", "ics", "webcal", "CXO",
            "no-such-event",
            'alert("x")', "alert(1)", "onerror", "script", "img src", "click", "javascript")
    return users, values, data


def _get(app, url: str, user, headers: dict | None = None, *, upload: str | None = None):
    """The page as this user sees it; with `upload` (an event's address), the page that
    uploading that event's JSON export answers (the restore preview)."""
    client = app.test_client()  # a browser of its own per role
    if user is not None:
        login_as(client, user)
    headers = {**PSEUDO, **(headers or {})}
    if upload is None:
        return client.get(url, headers=headers)
    export = json.loads(client.get(f"/e/{upload}/summary.json").data)
    export["event"]["language"] = "en"  # the site's event speaks the pseudo-locale, no language
    export = json.dumps(export).encode()
    return client.post(url, headers=headers, content_type="multipart/form-data", data={
        "file": (io.BytesIO(export), "export.json"), "slug": "restored-event"})


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: p.name)
def test_no_english_left_on_any_page(app, site, page):
    users, values, data = site
    for role in page.roles:
        response = _get(app, page.path.format(**values), users[role],
                        upload=values["slug"] if page.upload else None)
        assert response.status_code == STATUS.get(page.name, 200), (
            page.name, role, re.findall(r'role="alert"[^<]*<|<li><code>.*?</li>',
                                        response.get_data(as_text=True)))
        assert f'<html lang="{i18n.PSEUDO}"' in response.get_data(as_text=True)
        html = response.get_data(as_text=True)
        left = english_left(html, data=data)
        assert left == [], (page.name, role, left)


@pytest.mark.parametrize("name", LIVE_PAGES)
def test_no_english_left_in_the_live_fragments(app, site, name):
    users, values, data = site
    page = next(p for p in ALL_PAGES if p.name == name)
    role = "organizer" if "organizer" in page.roles else page.roles[-1]
    response = _get(app, page.path.format(**values), users[role],
                    headers={"X-Live-Refetch": "1"})
    regions = live_regions(response.get_data(as_text=True))
    assert regions, name
    for region, html in regions.items():
        left = english_left(html, data=data, whole=True)
        assert left == [], (name, region, left)


def test_the_live_regions_are_read_whole():
    html = ('<main><div data-live-region="a"><p>Hello <b>there</b></p><img alt="Look">'
            '</div><p>[Ôûţ~~]</p></main><div data-live-region="b">Outside main</div>')
    regions = live_regions(html)
    assert regions == {"a": '<div data-live-region="a"><p>Hello <b>there</b></p>'
                            '<img alt="Look"></div>',
                       "b": '<div data-live-region="b">Outside main</div>'}
    assert english_left(regions["b"], whole=True) == ["Outside main"]
    assert english_left(regions["b"]) == []  # not inside <main>

"""The hostile corpus (tests/security/xss.py) through every text field, rendered by every page
and export: no element, attribute or URL of a payload survives as markup; spreadsheets get no
formula; bad input (NUL, 1 MB strings) is a 400/413, never a 500."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from html.parser import HTMLParser

import pytest
from icalendar import Calendar

from openspace.extensions import socketio
from tests.security.xss import LINE, MARKDOWN, hostile_event
from tests.web.conftest import login_as

BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "srcdoc", "data", "poster"}
FORBIDDEN_TAGS = {"iframe", "object", "embed", "frame", "frameset", "base", "applet"}


class Markup(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag


OWN_CATALOG = re.compile(r"^/i18n/[A-Za-z]{2,3}(-[A-Za-z0-9]{2,3})?\.js\?v=[0-9a-f]{12}$")


def assert_inert_html(html: str, where: str) -> None:
    for tag, attrs in Markup(html).tags:
        assert tag not in FORBIDDEN_TAGS, f"<{tag}> on {where}"
        if tag == "script":
            src = attrs.get("src", "")  # our bundles, or the language's catalog (i18n)
            assert src.startswith("/static/") or OWN_CATALOG.match(src), \
                f"inline <script> on {where}"
        if tag == "meta":
            assert "http-equiv" not in attrs or attrs["http-equiv"].lower() != "refresh", where
        if tag == "style":
            raise AssertionError(f"<style> on {where}")
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{name}= on <{tag}> on {where}"
            if name in URL_ATTRS:
                url = "".join(value.split()).lower()
                allowed_data = (tag == "img" and url.startswith("data:image/")) or (
                    tag == "link" and url == "data:,")
                assert allowed_data or not url.startswith(BAD_SCHEMES), (
                    f"{name}={value!r} on <{tag}> on {where}")


def assert_inert_markdown(text: str, where: str) -> None:
    """No raw HTML tag and no script link a Markdown viewer would honour (a backslash before
    "<" or "]" makes it literal text)."""
    lowered = text.lower()
    for needle in ("<script", "<img", "<iframe", "<svg", "<object", "<embed", "<details",
                   "<form", "<a ", "<style", "<base", "<meta", "](javascript:",
                   "](data:", "](vbscript:"):
        found = re.search(r"(?<!\\)" + re.escape(needle), lowered)
        assert found is None, f"{needle!r} in {where}: ...{text[found.start() - 80:][:200]}"


def assert_no_formula(text: str, where: str) -> None:
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (
                f"formula {cell!r} in {where}")


@pytest.fixture
def hostile(app):
    with app.app_context():
        return hostile_event()


def _pages(hostile) -> list[str]:
    slug, topic = hostile["slug"], hostile["topics"][0]
    return [
        "/", f"/e/{slug}", f"/e/{slug}/projector", f"/e/{slug}/projector?mode=news",
        f"/e/{slug}/now?at=2026-11-23T10:30", f"/e/{slug}/me", f"/e/{slug}/announcements",
        f"/e/{slug}/actions", f"/e/{slug}/notes-status", f"/e/{slug}/settings",
        f"/e/{slug}/summary", f"/e/{slug}/calendar", f"/t/{topic}", f"/t/{topic}/edit",
        f"/e/{slug}/cells/1/1", "/join?code=x<script>", "/account",
        *[f"/t/{t}" for t in hostile["topics"][1:]],
    ]


def test_every_page_renders_the_corpus_inert(app, hostile):
    client = app.test_client()
    login_as(client, _organizer(app, hostile))
    for path in _pages(hostile):
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert_inert_html(response.get_data(as_text=True), path)
    # Anonymous readers see the public pages the same way.
    for path in _pages(hostile)[:4]:
        assert_inert_html(app.test_client().get(path).get_data(as_text=True), path)


# Notes whose Markdown has no raw HTML and no script links, so that what is checked in the
# Markdown exports is how the app writes every other text into them.
PLAIN_NOTE = "# Notes\n\n## Action items\n- [ ] =HYPERLINK(\"http://x\") @mallory\n- [x] +1+1\n"


@pytest.mark.parametrize("note", [PLAIN_NOTE, MARKDOWN], ids=["titles-names", "note-html"])
def test_the_markdown_exports_escape_every_text(app, note):
    with app.app_context():
        slug = hostile_event(note=note)["slug"]
    client = app.test_client()
    markdown = client.get(f"/e/{slug}/summary.md")
    assert markdown.status_code == 200
    assert markdown.headers["X-Content-Type-Options"] == "nosniff"
    assert markdown.mimetype != "text/html"
    assert_inert_markdown(markdown.get_data(as_text=True), "summary.md")
    archive = client.get(f"/e/{slug}/summary.zip")
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        for name in zipped.namelist():
            assert ".." not in name and not name.startswith("/")
            if name.endswith(".md"):
                assert_inert_markdown(zipped.read(name).decode(), f"summary.zip:{name}")


def test_the_exports_carry_the_corpus_as_data(app, hostile):
    client = app.test_client()
    slug = hostile["slug"]

    archive = client.get(f"/e/{slug}/summary.zip")
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        for name in zipped.namelist():
            if name.endswith((".html", ".htm")):
                assert_inert_html(zipped.read(name).decode(), f"summary.zip:{name}")

    exported = client.get(f"/e/{slug}/summary.json")
    assert exported.mimetype == "application/json"
    titles = {topic["title"] for topic in json.loads(exported.data)["topics"]}
    assert titles & set(LINE), "the JSON export keeps the texts exactly"

    calendar = Calendar.from_ical(client.get(f"/e/{slug}/schedule.ics").data)
    summaries = [str(c.get("summary")) for c in calendar.walk("VEVENT")]
    assert summaries and all("\n" not in s for s in summaries)
    assert set(summaries) & set(LINE), "payload titles stay inside their own SUMMARY"

    client_org = app.test_client()
    login_as(client_org, _organizer(app, hostile))
    actions = client_org.get(f"/e/{slug}/actions.csv")
    assert actions.status_code == 200
    assert_no_formula(actions.get_data(as_text=True), "actions.csv")


def test_the_api_returns_the_texts_exactly_as_json(app, hostile):
    board = app.test_client().get(f"/api/v1/events/{hostile['slug']}/board")
    assert board.mimetype == "application/json"
    assert board.headers["X-Content-Type-Options"] == "nosniff"
    assert {t["title"] for t in board.json["topics"]} & set(LINE)


def _organizer(app, hostile):
    import sqlalchemy as sa

    from openspace.extensions import db
    from openspace.models import User

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == hostile["organizer"]))
        db.session.expunge(user)
        return user


# Bad input: refused with 400/413, never a 500 ---------------------------------------------

BAD = ["nul\x00byte", "x" * (1024 * 1024 + 10), "bell\x07", "esc\x1b[31m", "\ud800"[:0] + "ok"]


@pytest.fixture
def token_client(app, make_user, make_event, join):
    organizer = make_user()
    event = make_event(organizer)
    from openspace.domain import accounts
    from openspace.extensions import db
    from openspace.models import User

    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, organizer.id))
    return app.test_client(), {"Authorization": f"Bearer {token}"}, event


@pytest.mark.parametrize("field", ["title", "description"])
@pytest.mark.parametrize("value", BAD[:4], ids=["nul", "1MB", "bell", "escape"])
@pytest.mark.database  # PostgreSQL refuses NUL itself
def test_bad_text_is_a_400_or_413_never_a_500(token_client, field, value):
    client, headers, event = token_client
    body = {"title": "Fine", field: value}
    response = client.post(f"/api/v1/events/{event.slug}/topics", json=body, headers=headers)
    assert response.status_code in (400, 413), response.status_code
    assert response.json["error"]["code"] in ("invalid", "request_entity_too_large")


@pytest.mark.database  # PostgreSQL refuses NUL itself
def test_bad_text_in_forms_and_sockets_is_refused(app, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer)
    client = app.test_client()
    login_as(client, organizer)
    for value in BAD[:4]:
        page = client.post(f"/e/{event.slug}/topics", data={"title": value})
        assert page.status_code in (400, 413)
        sock = socketio.test_client(app, flask_test_client=client)
        ack = sock.emit("board:propose", {"slug": event.slug, "topic": {"title": value}},
                        callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid"
        sock.disconnect()
    for name in ("nul\x00", "x" * 100_000):
        assert client.post("/account/profile", data={"name": name}).status_code in (400, 413)
    assert client.post("/api/v1/users", json={"email": "a\x00@example.org", "password": "x" * 9,
                                              "name": "n"}).status_code in (400, 401)


@pytest.mark.database  # PostgreSQL refuses NUL itself
def test_nul_in_lookups_is_not_found_never_a_500(app, make_user, make_event):
    """PostgreSQL refuses NUL in any string parameter: lookups must not send it there."""
    event = make_event(make_user())
    client = app.test_client()
    assert client.get("/e/x%00y").status_code == 404
    assert client.get("/api/v1/events/x%00y").status_code == 404
    assert client.get("/join?code=AB%00CD").status_code == 404
    assert client.get(f"/e/{event.slug}/join?code=AB%00CD").status_code == 404
    assert client.post("/api/v1/tokens", json={"email": "a\x00@example.org",
                                               "password": "whatever"}).status_code == 401
    assert client.post("/login", data={"email": "a\x00b", "password": "x"}).status_code == 401


def test_inert_markdown_keeps_code_autolinks_and_plain_text():
    """Written anew from the parsed note: text's < and & as character references, link
    syntax that did not make a link escaped, code and safe links as they were."""
    from openspace.domain.render import inert_markdown

    text = ("a < b, <https://ok.example>, <me@example.org>, `<b>code</b>` and <i>x</i>\n"
            "[ok](https://example.org) [bad](javascript:alert(1))\n"
            "```\n<script>kept in a fence</script>\n```\n")
    assert inert_markdown(text) == (
        "a &lt; b, <https://ok.example>, <me@example.org>, `<b>code</b>` and "
        "&lt;i&gt;x&lt;/i&gt;\n"
        "[ok](https://example.org) \\[bad\\](javascript:alert(1))\n\n"
        "```\n<script>kept in a fence</script>\n```\n")

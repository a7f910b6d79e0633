"""The Markdown, ZIP and JSON exports, parsed the way their readers parse them."""

from __future__ import annotations

import io
import json
import zipfile

import jsonschema
import pytest
from markdown_it import MarkdownIt

from openspace.domain import backup
from openspace.domain.summary import md_escape, nest_headings
from openspace.extensions import db
from openspace.models import Photo, Topic, User

from .conftest import HOSTILE, login_as, write_note


def _get(client, finished, suffix):
    login_as(client, finished.organizer)
    response = client.get(f"/e/{finished.event.slug}/{suffix}")
    assert response.status_code == 200
    return response


def _headings(markdown: str) -> list[tuple[str, str]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    return [(t.tag, tokens[i + 1].content) for i, t in enumerate(tokens)
            if t.type == "heading_open"]


# Markdown --------------------------------------------------------------------------------------

def test_markdown_is_one_document_with_contents_agenda_sessions_and_items(client, finished):
    response = _get(client, finished, "summary.md")
    text = response.get_data(as_text=True)

    assert response.mimetype == "text/markdown"
    headings = _headings(text)
    assert headings[0] == ("h1", "Drupal CXO")
    h2 = [content for tag, content in headings if tag == "h2"]
    assert h2 == ["Contents", "Agenda", "1. Value pricing",
                  "2. \\<script\\>alert(\"x\")\\</script\\>\\<img src=x onerror=alert(1)\\>",
                  "3. Silent session", "Action items", "Also proposed"]
    # The notes' own headings sit right below their session's (no level skipped).
    assert ("h3", "Key points") in headings
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    assert [t.type for t in tokens].count("table_open") == 1
    assert "- [ ] Draft a price list — @pat (Value pricing)" in text
    assert "- [x] Share the slides — @olga (Value pricing)" in text
    assert "![The flipchart](http://localhost/photos/" in text


def test_markdown_escapes_titles_so_they_render_as_text(client, finished):
    text = _get(client, finished, "summary.md").get_data(as_text=True)
    html = MarkdownIt("commonmark", {"html": True}).render(text)
    heading = html[html.index("<h2>2. "):]
    heading = heading[:heading.index("</h2>")]
    assert "<script>" not in heading and "&lt;script&gt;" in heading


def test_nest_headings_shifts_atx_and_setext_but_not_code():
    note = ("# Pricing\n\nIntro\n\nKey points\n----------\n\n```\n# not a heading\n```\n\n"
            "#### Deep\n\nfar down\n")
    assert nest_headings(note, "Pricing") == (
        "Intro\n\n### Key points\n\n```\n# not a heading\n```\n\n#### Deep\n\nfar down\n")
    assert nest_headings("# Other title\ntext\n", "Pricing") == "### Other title\ntext\n"
    # The report template escapes the title it starts with.
    assert nest_headings(f"# {md_escape(HOSTILE)}\n\ntext\n", HOSTILE) == "text\n"


# ZIP -------------------------------------------------------------------------------------------

def test_zip_has_an_index_a_file_per_session_and_the_photos(app, client, finished):
    response = _get(client, finished, "summary.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    slug = finished.event.slug

    assert response.mimetype == "application/zip"
    assert names[0] == f"{slug}/index.md"
    sessions = [n for n in names if n.startswith(f"{slug}/sessions/")]
    assert sessions == [f"{slug}/sessions/001-value-pricing.md",
                        f"{slug}/sessions/002-script-alert-x-script-img-src-x-onerror-alert-1.md",
                        f"{slug}/sessions/003-silent-session.md"]
    index = archive.read(f"{slug}/index.md").decode()
    for name in sessions:
        assert f"]({name.removeprefix(slug + '/')})" in index
    with app.app_context():
        photo = db.session.scalar(db.select(Photo))
        assert archive.read(f"{slug}/photos/{photo.id}.jpg") == photo.data
    first = archive.read(sessions[0]).decode()
    assert _headings(first)[0] == ("h1", "1. Value pricing")
    assert f"](../photos/{photo.id}.jpg)" in first
    assert archive.testzip() is None


def test_zip_is_the_same_bytes_when_nothing_changed(client, finished):
    assert _get(client, finished, "summary.zip").data == _get(client, finished,
                                                             "summary.zip").data


# JSON ------------------------------------------------------------------------------------------

def test_json_validates_against_its_schema_and_holds_the_whole_event(client, finished):
    data = _get(client, finished, "summary.json").get_json()
    schema = client.get("/schemas/event-export-v2.json").get_json()

    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    assert data["format"] == "openspace-event" and data["version"] == 2
    assert data["event"]["language"] == "en"
    topics = {t["title"]: t for t in data["topics"]}
    pricing = topics["Value pricing"]
    assert pricing["interest_count"] == 1
    assert pricing["note"]["state"] == "written"
    assert pricing["note"]["markdown"].startswith("# Value pricing")
    assert pricing["note"]["crdt"]["encoding"] == "yjs-update-v1"
    assert pricing["photos"][0]["caption"] == "The flipchart"
    assert topics["Never placed"]["status"] == "proposed"
    assert [g["topic"] for g in data["grid"]] == [pricing["key"], topics[HOSTILE]["key"],
                                                  topics["Silent session"]["key"]]
    assert [(i["text"], i["owners"], i["done"]) for i in data["action_items"]][:2] == [
        ("Draft a price list", ["pat"], False), ("Share the slides", ["olga"], True)]
    assert data["announcements"][0]["text"] == "Lunch in the atrium"
    assert {m["role"] for m in data["members"]} == {"organizer", "participant"}


def test_web_json_leaves_out_emails_and_the_join_code(client, finished):
    text = _get(client, finished, "summary.json").get_data(as_text=True)
    data = json.loads(text)
    assert "join_code" not in data["event"]
    assert all("email" not in u for u in data["users"])
    assert finished.event.join_code not in text


def test_json_with_photos_as_links_is_light_and_valid(client, finished):
    data = _get(client, finished, "summary.json?photos=links").get_json()
    photo = data["topics"][0]["photos"][0]
    assert "data" not in photo and photo["url"].startswith("http://localhost/photos/")
    jsonschema.validate(data, backup.schema(), cls=jsonschema.Draft202012Validator)


def test_schema_is_served_and_unknown_schemas_are_404(client):
    for version in (1, 2):  # version 1 files are still read, so its schema stays served
        response = client.get(f"/schemas/event-export-v{version}.json")
        assert response.mimetype == "application/schema+json"
        assert response.get_json()["title"] == f"openspace event export, version {version}"
    assert client.get("/schemas/other.json").status_code == 404


def test_actions_csv_is_formula_injection_safe(app, client, finished):
    with app.app_context():
        write_note(db.session.get(Topic, finished.silent.id),
                   db.session.get(User, finished.participant.id),
                   "- [ ] =HYPERLINK(\"http://evil\") @pat\n- [ ] +1 and -1 @pat\n")
    text = _get(client, finished, "actions.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text and "'+1 and -1" in text


TRICKY_NOTES = [
    "# T\n\n## Action items\n- [ ] Draft @pat\n- [x] Done @olga\n",
    "```\n- [ ] not a task @x\n```\n\n- [ ] a task @y\n",
    "> - [ ] quoted task @q\n>   more\n\n1. [x] ordered @o\n2. [ ] second\n",
    "- parent\n  - [ ] nested @n\n\n    - [x] deep @d\n",
    "<div>\n- [ ] in html @h\n</div>\n\n- [ ] after html @a\n",
    "Para [ ] with a box\n- [ ] interrupting list @i\nlazy line\n",
    "- [ ] see [the doc][ref] @r\n\n[ref]: https://example.org\n",
    "    - [ ] indented code @c\n\n* [X] star @s\r\n+ [ ] plus\u2028still @p\n",
    "Title\n=====\n\n- [ ] under setext @u\n\n~~~\n- [ ] fenced\n~~~\n- [ ] … @owner\n",
]


@pytest.mark.parametrize("note", TRICKY_NOTES)
def test_summary_reads_the_same_action_items_as_the_actions_page(note):
    from openspace.domain.actions import parse_action_items
    from openspace.domain.summary import action_items

    expected = [(i.text, i.owners, i.done) for i in parse_action_items(note)]
    assert [(i.text, i.owners, i.done) for i in action_items(note, None)] == expected


def test_dumps_is_json_dumps(client, finished):
    data = _get(client, finished, "summary.json").get_json()
    assert backup.dumps(data) == json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    tricky = {"topics": [{"title": "\"quoted\" \u2028 ünïcode", "photos": [
        {"caption": "a\"b", "data": "QUJD", "thumbnail": "REVG"}, {"url": "x"}]}], "x": [1]}
    assert backup.dumps(tricky) == json.dumps(tricky, ensure_ascii=False, indent=1) + "\n"


# Downloads: saved as files with a good name (phones open inline Markdown and JSON as raw
# text), and one charset in the Content-Type; calendars stay inline for the calendar app.

@pytest.mark.parametrize("suffix,content_type,disposition", [
    ("summary.md", "text/markdown; charset=utf-8", 'attachment; filename="{slug}-summary.md"'),
    ("summary.json", "application/json", 'attachment; filename="{slug}-export.json"'),
    ("summary.zip", "application/zip", 'attachment; filename="{slug}-summary.zip"'),
    ("schedule.ics", "text/calendar; charset=utf-8", 'inline; filename="{slug}.ics"'),
])
def test_downloads_are_named_files_with_one_charset(client, finished, suffix, content_type,
                                                     disposition):
    response = _get(client, finished, suffix)

    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"] == disposition.format(
        slug=finished.event.slug)
    assert response.headers["X-Content-Type-Options"] == "nosniff"

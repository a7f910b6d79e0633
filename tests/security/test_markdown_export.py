"""The exported Markdown (summary.md, the ZIP's files) means in other viewers what our pages
show: read by three real parsers with raw HTML on (markdown-it, cmark-gfm unsafe, mistune
without escaping), it yields no raw tag, no on* attribute, no link to a script URL and no image
but this site's photos. Proven on the issue's cases through the real exports and by a property
test over hostile inputs."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser

import cmarkgfm
import mistune
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from openspace.domain.render import OWN_PHOTO_RE, URL_SCHEMES, inert_markdown, render_markdown
from openspace.extensions import db
from openspace.models import Event, Topic, User
from tests.summary.conftest import (  # noqa: F401 - the fixtures of the summary tests
    finished,
    place,
    quick_user,
    world,
    write_note,
)
from tests.web.conftest import login_as

_MARKDOWN_IT = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_MISTUNE = mistune.create_markdown(escape=False,
                                   plugins=["strikethrough", "table", "task_lists", "url"])


def _cmark_gfm(text: str) -> str:
    return cmarkgfm.markdown_to_html_with_extensions(
        text, options=cmarkgfm.Options.CMARK_OPT_UNSAFE,
        extensions=["table", "autolink", "strikethrough", "tasklist"])


PARSERS = {"markdown-it": _MARKDOWN_IT.render, "cmark-gfm": _cmark_gfm, "mistune": _MISTUNE}
# What Markdown itself makes (and the task-list checkbox); any other tag came in as raw HTML.
MARKDOWN_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em",
    "del", "s", "code", "pre", "blockquote", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td", "input"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# This site's photos, as notes link them (OWN_PHOTO_RE), as summary.md links them (absolute,
# the test client's host) and as the ZIP does (its photos/ folder).
_OWN_IMAGE = re.compile(r"^(?:http://localhost(?=/))?" + OWN_PHOTO_RE.pattern[1:] + "|"
                        r"^(?:\.\./)?photos/[0-9]+\.jpg$")


class _Findings(HTMLParser):
    """What in an HTML fragment could run script or load something our page would not."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in MARKDOWN_TAGS:
            self.found.append(("raw tag", tag))
            return
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(("on* attribute", name))
            if name in ("href", "src") and value is not None:
                # As a browser reads a URL: tabs and newlines dropped, controls/spaces trimmed.
                url = re.sub(r"[\t\n\r]", "", value).lstrip("".join(map(chr, range(33))))
                scheme = _SCHEME.match(url)
                if scheme and scheme[1].lower() not in URL_SCHEMES:
                    self.found.append(("script link", value))
                if tag == "img" and not _OWN_IMAGE.match(value):
                    self.found.append(("foreign image", value))

    handle_startendtag = handle_starttag

    def handle_comment(self, data) -> None:
        self.found.append(("raw comment", data))

    def handle_pi(self, data) -> None:
        self.found.append(("raw processing instruction", data))

    def handle_decl(self, decl) -> None:
        self.found.append(("raw declaration", decl))

    unknown_decl = handle_decl


def findings(html: str) -> list[tuple[str, str]]:
    parser = _Findings()
    parser.feed(html)
    parser.close()
    return parser.found


def assert_inert_everywhere(markdown: str) -> None:
    for name, render in PARSERS.items():
        assert findings(render(markdown)) == [], (name, markdown)


# The cases: each came through as live HTML or a script link before.
CASES = {
    "escaped backtick before HTML": "\\`<img src=x onerror=alert(1)>`",
    "entity-encoded scheme": "[click](&#106;avascript:alert(1))",
    "named-entity colon": "[click](javascript&colon;alert(1))",
    "hex entity": "[click](&#x6A;avascript:alert(1))",
    "newline after ](": "[click](\njavascript:alert(1))",
    "reference on the next line": "[click][r]\n\n[r]:\njavascript:alert(1)",
    "reference with entity": "[click][r]\n\n[r]: &#106;avascript:alert(1)",
    "bare URL eats the code span's backtick": "http://a.b/x`<script>alert(1)</script>`",
    "www eats an escape": "www.x.com<img src=x onerror=alert(1)>",
    "raw html": "<script>alert(1)</script>\n\n<div onclick=alert(1)>x</div>",
    "html comment": "<!-- <img src=x onerror=alert(1)> -->",
    "autolink to script": "<javascript:alert(1)>",
    "image elsewhere": "![pixel](http://tracker.example/p.gif)",
    "data image": "![x](data:image/svg+xml,<svg/onload=alert(1)>)",
}


@pytest.mark.parametrize("case", CASES)
def test_each_known_trick_stays_inert_in_every_parser(case):
    exported = inert_markdown(CASES[case])

    assert_inert_everywhere(exported)
    assert findings(str(render_markdown(CASES[case]))) == []  # and our page, of course


@pytest.mark.parametrize("case", CASES)
def test_our_own_page_shows_the_export_as_it_shows_the_note(case):
    assert render_markdown(inert_markdown(CASES[case])) == render_markdown(CASES[case])


def test_a_real_note_keeps_its_meaning_when_exported():
    note = ("# Value pricing\n\n## Key points\n\n- charge for **value**, not *hours*\n"
            "- see [the deck](https://example.org/deck?a=1&b=2 \"slides\") and "
            "![flipchart](/photos/12.jpg)\n\n1. first\n2. second\n\n> a quote\n\n"
            "| a | b |\n|:--|--:|\n| `x|y` | 2 |\n\n```python\nprint('<hi>')\n```\n\n"
            "## Action items\n- [ ] Draft a price list @pat\n- [x] Share the slides @olga\n")

    exported = inert_markdown(note)

    assert render_markdown(exported) == render_markdown(note)
    assert "![flipchart](/photos/12.jpg)" in exported
    assert "- [ ] Draft a price list @pat" in exported


def test_the_summary_md_and_zip_are_inert_in_every_parser(app, client, finished):  # noqa: F811
    """The issue's cases written into a real note, through the real download routes."""
    with app.app_context():
        topic = db.session.get(Topic, finished.pricing.id)
        write_note(topic, db.session.get(User, finished.participant.id),
                   "# Value pricing\n\n" + "\n\n".join(CASES.values())
                   + "\n\n## Action items\n- [ ] \\`<img src=x onerror=alert(1)>` @pat\n")
        db.session.get(Event, finished.event.id).summary_published = True
        db.session.commit()
    login_as(client, finished.organizer)
    slug = finished.event.slug

    markdown = client.get(f"/e/{slug}/summary.md")
    archive = client.get(f"/e/{slug}/summary.zip")

    assert markdown.status_code == 200 and archive.status_code == 200
    documents = [markdown.get_data(as_text=True)]
    with zipfile.ZipFile(io.BytesIO(archive.data)) as files:
        documents += [files.read(name).decode() for name in files.namelist()
                      if name.endswith(".md")]
    assert len(documents) >= 3
    for document in documents:
        assert_inert_everywhere(document)
    assert "onerror" in documents[0]  # the text is there, as text


# The property: whatever a note says, the export is inert in every parser -----------------------

PIECES = [
    "<", ">", "&", "#", ";", "&#106;", "&#x6A;", "&colon;", "&#58;", "&Tab;", "&NewLine;",
    "javascript", "javascript:", "JaVaScRiPt:", "vbscript:", "data:text/html,", "alert(1)",
    "\\", "`", "``", "```", "~~~", "[", "]", "(", ")", "](", "]: ", "]:\n", "!", "*", "_", "~",
    "|", "-", "1.", "> ", "    ", "  ", "\n", "\n\n", "\t", '"', "'", "x", " ", "http://a.b/",
    "https://", "www.x.com", "mailto:", "a@b.co", "/photos/1.jpg", "%6A", "\r", "\u00a0",
    "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "<a href='javascript:x'>",
    "<!--", "-->", "<?php", "<![CDATA[", "</p>", "<svg/onload=alert(1)>", "<http://a>",
    "<javascript:alert(1)>", "- [ ] ", "| a |", "---", "===", "[r]: ", "[r]", "<x:y>",
]
hostile = st.lists(st.one_of(st.sampled_from(PIECES),
                             st.text(alphabet="<>&#;:[]()!`\\*_~|-. \n\tajsx@w/", max_size=6)),
                   max_size=40).map("".join)


@settings(max_examples=1500, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(text=hostile)
def test_any_note_exports_to_markdown_that_is_inert_in_every_parser(text):
    assert_inert_everywhere(inert_markdown(text))

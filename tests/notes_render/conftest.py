"""Fixtures of the notes rendering, action items and photos tests: the page-test world
(tests/web/conftest.py) plus writing a note's Markdown straight into its row (the CRDT side
owns how notes get written; here it is only test setup)."""

from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser

import pytest

from openspace.extensions import db
from openspace.models import Note, Topic
from tests.web.conftest import (  # noqa: F401 - fixtures shared with the page tests
    _TEMPLATES,
    fetch,
    login_as,
    place,
    quick_user,
    world,
)


@pytest.fixture(autouse=True)
def _share_compiled_templates(request):
    """As in the page tests, but the pure unit tests here get no app (no database) at all."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").jinja_env.bytecode_cache = _TEMPLATES


@pytest.fixture
def write_note(app):
    def write(topic: Topic, markdown: str, *, has_content: bool = True,
              updated_at: datetime | None = None) -> None:
        with app.app_context():
            note = db.session.get(Note, topic.id) or Note(topic_id=topic.id)
            note.markdown = markdown
            note.has_content = has_content
            if updated_at is not None:
                note.updated_at = updated_at
            db.session.add(note)
            db.session.commit()

    return write


class Elements(HTMLParser):
    """Every start tag of an HTML fragment with its attributes, in order."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def tags(self) -> list[str]:
        return [tag for tag, _ in self.found]

    def attrs(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.found if t == tag]

"""Fixtures of the summary and export tests: the page-test world plus a small finished event
with notes written through the real CRDT path (pycrdt updates appended by the domain), photos
through the real photo pipeline, interest and announcements."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from PIL import Image
from pycrdt import Doc, Text

from openspace.domain import announcements, board, notes, photos
from openspace.extensions import db
from openspace.models import Event, Topic, User
from tests.web.conftest import (  # noqa: F401 - fixtures shared with the page tests
    _TEMPLATES,
    fetch,
    interest,
    login_as,
    place,
    quick_user,
    world,
)

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def write_note(topic: Topic, user: User, markdown: str) -> None:
    """Replace a note's text the way an editor does: a Yjs update on top of the server's doc."""
    update, _ = notes.join_note(topic=topic, user=user)
    doc = Doc()
    text = doc.get(notes.ROOT, type=Text)
    doc.apply_update(update)
    before = doc.get_state()
    text.clear()
    text += markdown
    notes.apply_update(topic=topic, user=user, update=doc.get_update(before))


def jpeg(width: int = 640, height: int = 480, colour=(200, 120, 40)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    out.seek(0)
    return out


@pytest.fixture
def finished(app, world, make_topic, place):  # noqa: F811 - the imported fixtures
    """The world's event after its sessions: two placed sessions with notes (one with a photo
    and action items, one hostile), one session without notes, one topic never placed."""
    w = world
    pricing = make_topic(w.event, w.participant, "Value pricing", description="Value vs hours")
    hostile = make_topic(w.event, w.organizer, HOSTILE)
    silent = make_topic(w.event, w.participant, "Silent session")
    make_topic(w.event, w.participant, "Never placed")
    place(pricing, w.participant, w.rooms["Atrium"], w.sessions[0])
    place(hostile, w.organizer, w.rooms["Library"], w.sessions[0])
    place(silent, w.participant, w.rooms["Atrium"], w.sessions[1])
    with app.app_context():
        pat = db.session.get(User, w.participant.id)
        olga = db.session.get(User, w.organizer.id)
        event = db.session.get(Event, w.event.id)
        t = db.session.get(Topic, pricing.id)
        board.set_interest(topic=t, user=olga, interested=True)
        write_note(t, pat, "# Value pricing\n\n## Key points\n\n- charge for **value**\n\n"
                           "## Action items\n- [ ] Draft a price list @pat\n"
                           "- [x] Share the slides @olga\n")
        photos.add_photo(topic=db.session.get(Topic, pricing.id), user=pat, upload=jpeg(),
                         caption="The flipchart")
        h = db.session.get(Topic, hostile.id)
        write_note(h, olga, f"# {HOSTILE}\n\n{HOSTILE}\n\n[click](javascript:alert(1))\n\n"
                            f"- [ ] {HOSTILE} @olga\n")
        announcements.post_announcement(event=event, user=olga, text="Lunch in the atrium")
    return SimpleNamespace(**vars(w), pricing=pricing, hostile=hostile, silent=silent)

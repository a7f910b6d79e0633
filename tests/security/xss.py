"""The hostile-input corpus and a world stuffed with it, shared by the server-side XSS tests and
the browser test. Each payload that runs sets `window.__xss` (or opens a dialog)."""

from __future__ import annotations

import io

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from openspace.domain import accounts, announcements, board, events, notes, photos
from openspace.domain.errors import ValidationFailed
from openspace.extensions import db
from openspace.models import Room, Slot, SlotKind

# One line each: titles, names, labels, captions, announcements.
LINE = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=window.__xss=1>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    "javascript:window.__xss=1",
    '<a href="javascript:window.__xss=1">click</a>',
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    "</textarea></title><script>window.__xss=1</script>",
    "{{ 7*7 }} {% raw %}",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\u202etxt.exe\u202c bidi override",
    "zero\u200bwidth\u2066isolate\u2069 \ufeff",
    "<style>*{display:none}</style>",
    "<base href=\"http://evil.example/\">",
    "<meta http-equiv=refresh content=\"0;url=javascript:window.__xss=1\">",
]

# Several lines: descriptions, the theme, notes (Markdown).
MARKDOWN = """# Notes <script>window.__xss=1</script>

[click me](javascript:window.__xss=1)
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
![img](javascript:window.__xss=1) <img src=x onerror="window.__xss=1">
<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>
<svg><script>window.__xss=1</script></svg> <details open ontoggle="window.__xss=1">d</details>
<a href="vbscript:msgbox(1)">vb</a>
<form action="javascript:window.__xss=1"><button>go</button></form>
<object data="javascript:window.__xss=1"></object><embed src="javascript:window.__xss=1">

## Action items
- [ ] =HYPERLINK("http://evil.example","x") @mallory
- [ ] +1+cmd|' /C calc'!A0 <img src=x onerror=window.__xss=1>
- [x] @SUM(1+1)
"""


def _keep(make, *args, **kwargs):
    """Store a payload if the rules accept it; a refusal is fine too (nothing to render)."""
    try:
        return make(*args, **kwargs)
    except ValidationFailed:
        db.session.rollback()
        return None


def hostile_event(*, name_prefix: str = "Hostile", slug: str = "hostile",
                  note: str = MARKDOWN) -> dict:
    """A public event whose every user-written text is a payload; its summary is published.
    Runs inside an app context; returns ids and the organizer's email."""
    organizer = accounts.create_quick_user(name="<script>window.__xss=1</script>")
    organizer.email = f"{slug}-organizer@example.org"
    organizer.password_hash = generate_password_hash("correct horse", method="pbkdf2:sha256:1")
    db.session.commit()
    event = events.create_event(user=organizer, data={
        "name": f"{name_prefix} <img src=x onerror=window.__xss=1>", "slug": slug,
        "timezone": "Europe/Brussels", "starts_on": "2026-11-23", "visibility": "public"})
    for field, value in (("theme", MARKDOWN[:500]), ("venue", LINE[1]),
                         ("hashtag", "#x<script>"), ("hashtag", "#x\"><b>")):
        _keep(events.update_event, event=event, user=organizer, data={field: value})
    for label in (LINE[0], LINE[2]):
        _keep(events.add_room, event=event, user=organizer,
              data={"name": label[:60], "capacity": 10})
    for i, label in enumerate(LINE[:6]):
        _keep(events.add_slot, event=event, user=organizer, data={
            "starts_at": f"2026-11-23T{10 + i:02d}:00", "ends_at": f"2026-11-23T{10 + i:02d}:50",
            "kind": "session", "label": label[:80]})
    rooms = list(db.session.scalars(sa.select(Room.id).where(Room.event_id == event.id)))
    slots = list(db.session.scalars(sa.select(Slot.id).where(
        Slot.event_id == event.id, Slot.kind == SlotKind.SESSION).order_by(Slot.starts_at)))
    conveners = []
    for i, payload in enumerate(LINE):
        user = _keep(accounts.create_quick_user, name=payload[:80])
        if user is None:
            continue
        events.join_event(event=event, user=user, join_code=event.join_code)
        topic = _keep(board.propose_topic, event=event, user=user, data={
            "title": payload[:120], "description": MARKDOWN, "tags": ["x<script>", "=1+1"]})
        if topic is None:
            topic = board.propose_topic(event=event, user=user, data={"title": f"Topic {i}"})
        conveners.append(topic.id)
        cell = i % (len(rooms) * len(slots))
        if i < len(rooms) * len(slots):
            board.place_topic(topic=topic, user=user, room_id=rooms[cell % len(rooms)],
                              slot_id=slots[cell // len(rooms)])
            write_note(topic, user, note)
            _keep(photos.add_photo, topic=topic, user=user, upload=io.BytesIO(_jpeg()),
                  caption=payload[:200])
        announcements.post_announcement(event=event, user=organizer, text=payload[:200])
    events.update_event(event=event, user=organizer, data={"summary_published": True})
    return {"slug": event.slug, "event_id": event.id, "topics": conveners,
            "organizer": organizer.email}


def write_note(topic, user, markdown: str) -> None:
    """Type Markdown at the end of a topic's note through the CRDT, as an editor would."""
    from pycrdt import Doc, Text

    current, _ = notes.join_note(topic=topic, user=user)
    doc = Doc()
    text = doc.get(notes.ROOT, type=Text)
    doc.apply_update(current)
    before = doc.get_state()
    text.insert(len(text), "\n" + markdown)
    notes.apply_update(topic=topic, user=user, update=doc.get_update(before))


def _jpeg() -> bytes:
    from tests.security.conftest import jpeg_bytes

    return jpeg_bytes()

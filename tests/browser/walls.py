"""Events of any grid shape for the projector's browser tests, put into a live server.

An event of R rooms x S session slots (plus an opening circle, a lunch break and a closing
circle), every cell taken by a topic with tags, some with long titles, some with written
reports, is built with the domain functions in an app of its own, exported, and imported into
the live server with `openspace import`: a 48-session wall in one step, whatever the rate
limits of the API.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from config import TestConfig
from openspace import create_app, sockets
from openspace.domain import accounts, backup, board, events, ratelimit
from openspace.extensions import db
from openspace.models import Event, Room, Slot, SlotKind, User
from tests.summary.conftest import write_note

ORGANIZER = "kristof@example.org"  # the demo's organizer: the import makes them this one's too

TITLES = [
    "Value pricing", "Hiring seniors when nobody is looking",
    "Open source sustainability: who pays for the maintainers of the modules we all use?",
    "Sales", "Remote-first agencies", "Drupal 11 upgrade stories from the trenches",
    "Accessibility audits that clients actually pay for", "AI in estimates",
    "Internationalisation", "The four-day week: one year on, what we learned",
    "Partnerships", "Burnout", "Selling support contracts without hating them",
    "Public sector tenders", "Design systems", "Pricing retainers",
]
TAGS = [["pricing"], ["hiring", "people"], ["community", "funding"], [], ["remote"],
        ["drupal", "upgrades"], ["a11y"], ["ai", "estimates"], ["i18n"], ["people", "time"],
        ["business"], ["people"], ["support"], ["public", "tenders"], ["design"], ["pricing"]]
REPORT = """# {title}

## Key points

- We compared how {n} agencies handle it today; most started small and grew into it.
- What worked: a clear owner, a written process, and telling clients early.
- What did not: promising dates before the estimate was done, and heroics at the end.

## Recommendations

Start with one client and one team; write down what you learn; share it at the next meetup.

## Action items

- [ ] Share the spreadsheet template @roel
- [ ] Write a blog post about the experiment @dries
- [x] Start a channel for follow-up @eric
"""


class _Config(TestConfig):
    SQLALCHEMY_DATABASE_URI = ""


def build_export(tmp: Path, *, slug: str, rooms: int, sessions: int, reports: int = 0,
                 timezone: str = "Europe/Brussels", name: str = "Drupal CXO Brussels") -> Path:
    """The export file of a wall event held today (by its own clock)."""

    class Config(_Config):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp / f'{slug}-build.db'}"

    app = create_app(Config)
    ratelimit.reset()
    sockets.forget_connections()
    today = datetime.now(ZoneInfo(timezone)).date()
    with app.app_context():
        db.create_all()
        organizer = accounts.register_user(email=ORGANIZER, password="not used here",
                                           name="Kristof")
        event = events.create_event(user=organizer, data={
            "name": name, "slug": slug, "timezone": timezone, "starts_on": today.isoformat(),
            "visibility": "public", "hashtag": "drupalcxo",
            "theme": "How do we grow our agencies without losing what makes them good?"})
        for n in range(rooms):
            events.add_room(event=event, user=organizer, data={
                "name": ["Atrium", "Library", "Garden", "Studio", "Loft", "Cellar", "Attic",
                         "Kitchen"][n % 8] + ("" if n < 8 else f" {n}"),
                "capacity": [20, 12, 8, 30, 6, 15, 10, 25][n % 8]})
        _slots(event, organizer, today, sessions)
        conveners = [organizer] + [accounts.create_quick_user(name=f"Convener {n}")
                                   for n in range(1, rooms)]
        for user in conveners[1:]:
            events.join_event(event=event, user=user, join_code=event.join_code)
        room_rows = list(db.session.scalars(
            db.select(Room).where(Room.event_id == event.id).order_by(Room.position)))
        slot_rows = list(db.session.scalars(
            db.select(Slot).where(Slot.event_id == event.id, Slot.kind == SlotKind.SESSION)
            .order_by(Slot.starts_at)))
        written = 0
        for s, slot in enumerate(slot_rows):
            for r, room in enumerate(room_rows):
                k = (s * rooms + r) % len(TITLES)
                user = conveners[r]
                topic = board.propose_topic(event=event, user=user,
                                            data={"title": TITLES[k], "tags": TAGS[k]})
                board.place_topic(topic=topic, user=user, room_id=room.id, slot_id=slot.id)
                for fan in conveners[: (k % 5) + 1]:
                    if fan.id != user.id:
                        board.set_interest(topic=topic, user=fan, interested=True)
                if written < reports:
                    write_note(topic, user, REPORT.format(title=TITLES[k], n=k + 3))
                    written += 1
        event = db.session.get(Event, event.id)
        path = tmp / f"{slug}.json"
        path.write_text(backup.dumps(backup.export_event(event, private=True)))
        db.session.remove()
        db.engine.dispose()
    return path


def _slots(event: Event, user: User, day: date, sessions: int) -> None:
    """Opening circle 09:00-09:30, sessions of 50 minutes (lunch after the third), closing."""
    at = datetime.combine(day, datetime.min.time()).replace(hour=9)

    def add(minutes: int, kind: str, label: str = "") -> None:
        nonlocal at
        end = at + timedelta(minutes=minutes)
        events.add_slot(event=event, user=user, data={
            "starts_at": at.isoformat(timespec="minutes"),
            "ends_at": end.isoformat(timespec="minutes"), "kind": kind, "label": label})
        at = end

    add(30, "plenary", "Opening circle")
    for n in range(sessions):
        if n == 3:
            add(60, "break", "Lunch")
        add(50, "session")
    add(30, "plenary", "Closing circle")


def import_into(server, *paths: Path) -> None:
    """`openspace import` of each file, in one process (tests/live.py, run_all)."""
    server.run_all(tuple(("import", str(path)) for path in paths))


"""The demo event: the first Drupal CXO weekend in Brussels, told by the blog posts in seeds/.

It runs today and tomorrow in Europe/Brussels, so the board, Now & Next and the projector
have something live to show the moment the app starts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from .domain import accounts, board, events
from .extensions import db
from .models import Event, Room, Slot, SlotKind, User

SLUG = "drupal-cxo-brussels"
PASSWORD = "openspace-demo"
TIMEZONE = "Europe/Brussels"

PEOPLE = [
    ("Kristof", "kristof@example.org"),  # the organizer
    ("Roel", "roel@example.org"),
    ("Dries", "dries@example.org"),
    ("Eric", "eric@example.org"),
    ("Stephanie", "stephanie@example.org"),
    ("Mark", "mark@example.org"),
    ("Dan", "dan@example.org"),
]

ROOMS = [("Auditorium", 40), ("Meeting room 1", 12), ("Meeting room 2", 12), ("Lounge", 8)]

# (day offset, start, end, kind, label)
SLOTS = [
    (0, "09:00", "09:45", "plenary", "Opening circle & marketplace"),
    (0, "10:00", "11:00", "session", ""),
    (0, "11:15", "12:15", "session", ""),
    (0, "12:15", "13:15", "break", "Lunch"),
    (0, "13:15", "14:15", "session", ""),
    (0, "14:30", "15:30", "session", ""),
    (0, "17:00", "17:30", "plenary", "Evening news"),
    (1, "09:00", "09:30", "plenary", "Morning news"),
    (1, "09:30", "10:30", "session", ""),
    (1, "10:45", "11:45", "session", ""),
    (1, "12:00", "12:45", "plenary", "Closing circle"),
]

# (convener, title, description, tags, (room index, session slot index) or None)
TOPICS = [
    ("Roel", "Open sourcing our back-office systems",
     "What do shops use for knowledge management, resource planning, CRM and ticketing? "
     "Should we eat our own dogfood (CiviCRM, Open Atrium) or use what the wider web "
     "community uses?", ["backoffice", "tools"], (0, 0)),
    ("Stephanie", "Sharing & building tools",
     "Which tools could we build once and share between Drupal shops?", ["tools"], (1, 0)),
    ("Mark", "Knowledge management",
     "How do small shops keep what they learn? Wikis, Open Atrium, or a new distribution?",
     ["km", "backoffice"], (2, 1)),
    ("Roel", "Marketing Drupal",
     "Shops keep reinventing whitepapers and case studies. Can we collaborate on one "
     "package of marketing resources?", ["marketing"], (0, 2)),
    ("Dries", "Fighting FUD",
     "The fear, uncertainty and doubt competitors spread about Drupal, and how to answer it.",
     ["marketing"], (1, 1)),
    ("Eric", "Do we need an app store?",
     "Products as a way to diversify away from pure services: is a Drupal app store "
     "mutually beneficial?", ["products"], (0, 1)),
    ("Dan", "Pitch session: feedback on your product",
     "Pitch your product; get feedback on development, sales and marketing strategy.",
     ["products"], (0, 4)),
    ("Dries", "Business models for Drupal distributions",
     "How do we make building and maintaining a distribution commercially viable?",
     ["distributions", "business"], (1, 3)),
    ("Eric", "An Open Atrium partner program",
     "Training, third-tier support, partner meetings: what would make it worth it?",
     ["distributions"], None),
    ("Stephanie", "What is a Drupal product?",
     "Hosting, subscriptions, distributions: where does a service end and a product begin?",
     ["products"], None),
]


def _user(name: str, email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    return user or accounts.register_user(email=email, password=PASSWORD, name=name)


def create_demo(*, reset: bool = False, today: date | None = None) -> str:
    """Create the demo event (idempotent); returns how to log in."""
    existing = db.session.scalar(sa.select(Event).where(Event.slug == SLUG))
    if existing is not None and not reset:
        return f"Demo event exists already: /e/{SLUG} (use --reset to recreate it)."
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()

    today = today or datetime.now(ZoneInfo(TIMEZONE)).date()
    people = {name: _user(name, email) for name, email in PEOPLE}
    organizer = people["Kristof"]
    event = events.create_event(user=organizer, data={
        "name": "Drupal CXO Brussels",
        "slug": SLUG,
        "theme": "How do we grow sustainable Drupal businesses: products, tools and marketing?",
        "venue": "Microsoft offices, Brussels",
        "timezone": TIMEZONE,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=1)).isoformat(),
        "hashtag": "#drupalcxo",
        "visibility": "public",
    })
    for name, capacity in ROOMS:
        events.add_room(event=event, user=organizer, data={"name": name, "capacity": capacity})
    for offset, start, end, kind, label in SLOTS:
        day = today + timedelta(days=offset)
        events.add_slot(event=event, user=organizer, data={
            "starts_at": f"{day}T{start}", "ends_at": f"{day}T{end}", "kind": kind,
            "label": label})
    for person in people.values():
        if person is not organizer:
            events.join_event(event=event, user=person, join_code=event.join_code)

    rooms = list(db.session.scalars(sa.select(Room).where(Room.event_id == event.id)
                                    .order_by(Room.position)))
    sessions = list(db.session.scalars(
        sa.select(Slot).where(Slot.event_id == event.id, Slot.kind == SlotKind.SESSION)
        .order_by(Slot.starts_at)))
    names = list(people)
    for index, (convener, title, description, tags, cell) in enumerate(TOPICS):
        topic = board.propose_topic(event=event, user=people[convener],
                                    data={"title": title, "description": description,
                                          "tags": tags})
        if cell is not None:
            room, slot = rooms[cell[0]], sessions[cell[1]]
            board.place_topic(topic=topic, user=people[convener], room_id=room.id,
                              slot_id=slot.id)
        # A few people say they'll come; the Lounge fills up past its capacity on purpose.
        for name in names[(index % 3) + 1:]:
            if name != convener:
                board.set_interest(topic=topic, user=people[name], interested=True)

    return (
        f"Demo event created: /e/{SLUG}  (join code {event.join_code})\n"
        f"Log in as the organizer: kristof@example.org / {PASSWORD}\n"
        f"or as an attendee: roel@example.org / {PASSWORD}"
    )

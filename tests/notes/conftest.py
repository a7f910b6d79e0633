"""Notes test helpers: an event with members and a topic, token-authenticated socket clients,
and a pycrdt "editor" that plays a browser tab (edits locally, keeps what it has not sent)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from pycrdt import Doc, Text, merge_updates

from openspace.domain import accounts, board, events, ratelimit
from openspace.extensions import db, socketio
from openspace.models import Note, NoteUpdate, Topic, User


@pytest.fixture(autouse=True)
def _fresh_limits():
    # Buckets live in process memory and user ids repeat across test databases.
    ratelimit.reset()
    yield
    ratelimit.reset()


@dataclass
class NoteWorld:
    """A public event (organizer Kristof, members Alice and Bob) with Alice's topic; Olga
    organizes another event; a private event with its own topic, of which only Pia is a member."""

    event_id: int
    slug: str
    topic_id: int
    kristof: int
    alice: int
    bob: int
    olga: int
    private_topic_id: int
    pia: int


@pytest.fixture
def world(app) -> NoteWorld:
    with app.app_context():
        people = {name: accounts.create_quick_user(name=name)
                  for name in ("Kristof", "Alice", "Bob", "Olga", "Pia")}
        basics = {"timezone": "Europe/Brussels", "starts_on": "2026-11-23"}
        event = events.create_event(user=people["Kristof"], data={
            "name": "Drupal CXO", "visibility": "public", **basics})
        events.create_event(user=people["Olga"], data={
            "name": "Another event", "visibility": "public", **basics})
        private = events.create_event(user=people["Pia"], data={
            "name": "Private event", "visibility": "private", **basics})
        for name in ("Alice", "Bob"):
            events.join_event(event=event, user=people[name], join_code=event.join_code)
        topic = board.propose_topic(event=event, user=people["Alice"],
                                    data={"title": "Back-office tools"})
        secret = board.propose_topic(event=private, user=people["Pia"],
                                     data={"title": "Secret plans"})
        return NoteWorld(event_id=event.id, slug=event.slug, topic_id=topic.id,
                         kristof=people["Kristof"].id,
                         alice=people["Alice"].id, bob=people["Bob"].id,
                         olga=people["Olga"].id, private_topic_id=secret.id,
                         pia=people["Pia"].id)


@pytest.fixture
def sock(app):
    """A Socket.IO test client, authenticated with a real API token (or anonymous)."""

    def make(user_id: int | None = None):
        auth = None
        if user_id is not None:
            with app.app_context():
                auth = {"token": accounts.create_token(user=db.session.get(User, user_id))}
        client = socketio.test_client(app, auth=auth)
        assert client.is_connected()
        return client

    return make


def stored(app, topic_id: int) -> tuple:
    """Everything the database holds for a note, to compare before and after a refusal."""
    with app.app_context():
        note = db.session.execute(
            sa.select(Note.snapshot, Note.snapshot_seq, Note.markdown, Note.has_content,
                      Note.updated_at).where(Note.topic_id == topic_id)).first()
        rows = db.session.execute(
            sa.select(NoteUpdate.id, NoteUpdate.data).where(NoteUpdate.topic_id == topic_id)
            .order_by(NoteUpdate.id)).all()
        return (tuple(note) if note else None, [tuple(r) for r in rows])


def topic(app, topic_id: int) -> Topic:
    return db.session.get(Topic, topic_id)


WORDS = ["open", "space", "law", "of", "two", "feet", "convener", "marketplace", "drupal",
         "notes", "ünïcödé", "🙂", "\n", "- [ ] ", "## ", "café"]


@dataclass
class Editor:
    """A browser tab's copy of a note: a pycrdt Doc whose local edits are queued until sent."""

    name: str = "tab"
    doc: Doc = field(default_factory=Doc)
    outbox: list[bytes] = field(default_factory=list)
    applying: bool = False

    def __post_init__(self) -> None:
        self.text = self.doc.get("markdown", type=Text)
        self.doc.observe(self._on_change)

    def _on_change(self, event) -> None:
        if not self.applying:
            self.outbox.append(event.update)

    def apply(self, update: bytes) -> None:
        """Apply what came from the server (not queued to be sent back)."""
        self.applying = True
        try:
            self.doc.apply_update(update)
        finally:
            self.applying = False

    def edit(self, rng: random.Random) -> None:
        """One random insert or delete, somewhere in the text.

        pycrdt's Text indexes by UTF-8 byte (yrs' default offset kind), so character positions
        are turned into byte offsets: an index inside a character would split it."""
        current = str(self.text)

        def offset(index: int) -> int:
            return len(current[:index].encode())

        if len(current) > 20 and rng.random() < 0.35:
            start = rng.randrange(len(current))
            stop = min(len(current), start + rng.randint(1, 6))
            del self.text[offset(start):offset(stop)]
        else:
            self.text.insert(offset(rng.randint(0, len(current))),
                             "".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))))

    def take(self) -> bytes | None:
        """Everything not sent yet, merged into one update (as the browser batches)."""
        if not self.outbox:
            return None
        update = merge_updates(*self.outbox) if len(self.outbox) > 1 else self.outbox[0]
        self.outbox.clear()
        return update

    def __str__(self) -> str:
        return str(self.text)


def fresh_text(update: bytes) -> str:
    """The text a brand-new client sees after applying a join's update."""
    doc = Doc()
    doc.apply_update(update)
    return str(doc.get("markdown", type=Text))

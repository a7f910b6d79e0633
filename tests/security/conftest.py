"""Fixtures of the security tests: a private event with one user of every kind.

Roles: anonymous, outsider (logged in, not a member), other (organizer of another event),
participant, convener (a participant who convenes the topics), organizer, and admin (an
instance admin: `openspace admin add`, a member of no event). The users have
passwords hashed with a cheap method, so building the world stays fast; logging in for real
goes through the login form with that password.
"""

from __future__ import annotations

import io
import shutil
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from PIL import Image
from pycrdt import Doc, Text
from werkzeug.security import generate_password_hash

from config import TestConfig
from openspace import create_app
from openspace.domain import (
    accounts,
    announcements,
    board,
    events,
    notes,
    photos,
    pitches,
    ratelimit,
    tx,
)
from openspace.extensions import db
from openspace.models import Event, MailToken, Room, Slot, SlotKind, Topic, User
from openspace.web.topics.routes import undo_token
from tests.web.conftest import _TEMPLATES

PASSWORD = "correct horse"
ROLES = ("anonymous", "outsider", "other", "participant", "convener", "organizer", "admin")
SECRET_NAME = "Secret Summit Zq7"  # the private event's name: must never reach a non-member


@pytest.fixture(autouse=True)
def _fresh_limits():
    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture(autouse=True)
def _share_compiled_templates(request):
    if "app" in request.fixturenames:
        request.getfixturevalue("app").jinja_env.bytecode_cache = _TEMPLATES


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _user(name: str) -> User:
    user = accounts.create_quick_user(name=name)
    user.email = f"{name.lower()}@example.org"
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
    db.session.commit()
    return user


def _mailed_things(users: dict, event, other_event) -> dict:
    """What mail brings into the world: live links (a reset and a sign-in link of the
    participant, an invitation to the event, an address to confirm for a quick-join account),
    a failed mail, an export the participant uploaded to restore, and who the admin is."""
    from openspace.domain import backup, restore
    from openspace.domain.mail import tokens
    from openspace.models import MailMessage, MailStatus

    part = users["participant"]
    quick = accounts.create_quick_user(name="Quincy")
    with tx.writing():
        users["admin"].is_admin = True
        links = {
            "reset_token": tokens.issue(purpose=tokens.RESET, email=part.email, user=part),
            "signin_token": tokens.issue(purpose=tokens.SIGNIN, email=part.email, user=part),
            "invite_token": tokens.issue(purpose=tokens.INVITE, email="guest@example.org",
                                         event_id=event.id, role="participant",
                                         created_by=users["organizer"]),
            "confirm_token": tokens.issue(purpose=tokens.CONFIRM, email="quincy@example.org",
                                          user=quick),
        }
        failed = MailMessage(to_address="x@example.org", subject="Bounced", text_body="x",
                             kind="invite", event_id=event.id, status=MailStatus.FAILED,
                             attempts=1, last_error="550 no such mailbox")
        db.session.add(failed)
    invitation = db.session.scalar(sa.select(MailToken.id).where(
        MailToken.purpose == tokens.INVITE))
    document = backup.export_event(other_event)
    document["event"]["slug"] = "restored"
    export = backup.dumps(document).encode()
    restore_key, _ = restore.stage(user=part, document=export)
    return {**links, "failed_mail": failed.id, "invitation": invitation, "export": export,
            "restore_key": restore_key}


def _write_note(topic, user, line: str) -> None:
    """Add a line to the topic's note, as an editor would."""
    doc = Doc()
    doc.apply_update(notes.note_state(topic))
    text = doc.get(notes.ROOT, type=Text)
    before = doc.get_state()
    text += line
    notes.apply_update(topic=topic, user=user, update=doc.get_update(before))


def build_world(app, *, visibility: str = "private") -> SimpleNamespace:
    """The private event, its people, three topics of the convener (one unplaced, two placed),
    a photo by the participant, an announcement; and another event with its own organizer."""
    with app.app_context():
        users = {role: _user(role.capitalize()) for role in ROLES[1:]}
        org, conv, part = users["organizer"], users["convener"], users["participant"]
        event = events.create_event(user=org, data={
            "name": SECRET_NAME, "timezone": "Europe/Brussels", "starts_on": "2026-11-23",
            "visibility": visibility})
        for name in ("Atrium", "Library", "Spare"):  # the spare room and slot stay empty
            events.add_room(event=event, user=org, data={"name": name, "capacity": 20})
        for start, end, kind in (("09:00", "10:00", "plenary"), ("10:00", "11:00", "session"),
                                 ("11:00", "12:00", "session"), ("13:00", "14:00", "session")):
            events.add_slot(event=event, user=org, data={
                "starts_at": f"2026-11-23T{start}", "ends_at": f"2026-11-23T{end}",
                "kind": kind})
        for user in (conv, part):
            events.join_event(event=event, user=user, join_code=event.join_code)
        rooms = list(db.session.scalars(sa.select(Room.id).where(Room.event_id == event.id)
                                        .order_by(Room.id)))
        slots = list(db.session.scalars(sa.select(Slot.id).where(
            Slot.event_id == event.id, Slot.kind == SlotKind.SESSION).order_by(Slot.starts_at)))
        topic = board.propose_topic(event=event, user=conv, data={"title": "Unplaced"})
        placed = board.propose_topic(event=event, user=conv, data={"title": "Placed"})
        second = board.propose_topic(event=event, user=conv, data={"title": "Second"})
        board.place_topic(topic=placed, user=conv, room_id=rooms[0], slot_id=slots[0])
        board.place_topic(topic=second, user=conv, room_id=rooms[1], slot_id=slots[1])
        photo = photos.add_photo(topic=placed, user=part, upload=io.BytesIO(jpeg_bytes()),
                                 caption="Whiteboard")
        news = announcements.post_announcement(event=event, user=org, text="Lunch at noon")
        _write_note(placed, conv, "- [ ] Book the room @Participant\n")
        merged = board.propose_topic(event=event, user=part, data={"title": "Dupe"})
        _, undo = board.merge_topics_undoable(duplicate=merged, survivor=second, user=org)
        # The opening marketplace: the queue open, "Placed" announcing now, "Second" in line.
        pitches.update_queue(event=event, user=org, data={"open": True})
        pitch_current, _ = pitches.join_queue(event=event, user=conv, topic=placed)
        pitch_waiting, _ = pitches.join_queue(event=event, user=conv, topic=second)
        pitches.next_pitch(event=event, user=org)
        other_event = events.create_event(user=users["other"], data={
            "name": "Elsewhere", "timezone": "Europe/Brussels", "starts_on": "2026-11-23",
            "visibility": "private"})
        mailed = _mailed_things(users, event, other_event)
        world = SimpleNamespace(**mailed,
            users={role: (u.id, u.email) for role, u in users.items()},
            slug=event.slug, event_id=event.id, join_code=event.join_code,
            other_slug=other_event.slug, other_event_id=other_event.id,
            rooms=rooms, slots=slots, topic=topic.id, placed=placed.id, second=second.id,
            photo=photo.id, announcement=news.id, merged=merged.id,
            undo_token=undo_token(undo),
            pitch_current=pitch_current.id, pitch_waiting=pitch_waiting.id,
        )
        ratelimit.reset()
    return world


@pytest.fixture
def world(app):
    return build_world(app)


def user_of(app, world, role: str) -> User | None:
    if role == "anonymous":
        return None
    with app.app_context():
        user = db.session.get(User, world.users[role][0])
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def board_version(app, world) -> int:
    with app.app_context():
        return db.session.get(Event, world.event_id).board_version


# Columns a refused request may still touch: when a token was last used.
_VOLATILE = {("api_tokens", "last_used_at")}


def snapshot(app) -> dict[str, list]:
    """Every row of every table: a refused request must leave the database as it was."""
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in _VOLATILE]
            rows = db.session.execute(sa.select(*columns).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(row) for row in rows]
        return tables


__all__ = ["Topic", "jpeg_bytes", "build_world", "user_of", "board_version", "snapshot"]


class Template:
    """One app on a SQLite file, reset to a copy of the world built once: for tests that need a
    fresh world hundreds of times (building it each time would take minutes). Always SQLite:
    these tests are about rules and permissions, which the database does not decide."""

    def __init__(self, folder, *, visibility: str = "private") -> None:
        self.folder = folder

        class Config(TestConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'case.db'}"
            # Mail on (what would be sent just waits in the queue: nothing listens there), so
            # the routes that send mail are tried for real.
            MAIL_URL = "smtp://127.0.0.1:9"
            MAIL_FROM = "openspace@example.org"

        self.app = create_app(Config)
        self.app.jinja_env.bytecode_cache = _TEMPLATES
        with self.app.app_context():
            db.create_all()
        self.world = build_world(self.app, visibility=visibility)
        self._close()
        shutil.copy(folder / "case.db", folder / "template.db")

    def _close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def reset(self) -> SimpleNamespace:
        self._close()
        for suffix in ("-wal", "-shm"):
            (self.folder / f"case.db{suffix}").unlink(missing_ok=True)
        shutil.copy(self.folder / "template.db", self.folder / "case.db")
        ratelimit.reset()
        return self.world


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return Template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def public_template(tmp_path_factory):
    return Template(tmp_path_factory.mktemp("public"), visibility="public")

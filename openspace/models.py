"""Database models (SQLAlchemy 2, typed).

The database enforces what must never break: one topic per (room, slot) cell, and one topic per
convener per slot, by UNIQUE constraints; the domain turns their IntegrityErrors into domain errors.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Visibility(enum.StrEnum):
    PUBLIC = "public"  # listed on the home page, readable by anyone
    UNLISTED = "unlisted"  # readable by anyone with the link
    PRIVATE = "private"  # invisible to non-members


class BoardState(enum.StrEnum):
    OPEN = "open"
    LOCKED = "locked"


class ProjectorMode(enum.StrEnum):
    AUTO = "auto"  # the agenda, or the news between sessions (domain/projector.py says when)
    BOARD = "board"  # always the agenda grid
    NEWS = "news"  # always the session reports
    ACTIONS = "actions"  # the closing circle: open action items that nobody owns yet
    PITCHES = "pitches"  # the opening marketplace: who announces a topic now, who is next


class Role(enum.StrEnum):
    ORGANIZER = "organizer"
    PARTICIPANT = "participant"


class SlotKind(enum.StrEnum):
    SESSION = "session"
    PLENARY = "plenary"
    BREAK = "break"


class TopicStatus(enum.StrEnum):
    PROPOSED = "proposed"  # on the marketplace, not in a cell
    PLACED = "placed"  # in a (room, slot) cell
    WITHDRAWN = "withdrawn"  # taken back by its convener or an organizer
    MERGED = "merged"  # a duplicate folded into merged_into


def _enum(cls: type[enum.StrEnum], name: str) -> sa.Enum:
    # Stored as plain strings with a CHECK constraint: portable across SQLite and PostgreSQL.
    return sa.Enum(
        cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Quick-join attendees have a name only; email and password may be added later.
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # Bumped on logout-everywhere, password change or reset and disabling (its Login rows go
    # too): every older session and remember cookie stops working.
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The language the person chose (a tag of openspace.i18n.LANGUAGES); None: not chosen, so
    # their browser's or the event's language is spoken.
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    # An instance admin (`openspace admin add EMAIL`): sees every event and account (/admin).
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Set by an instance admin: the account can no longer log in, its sessions and tokens end.
    disabled_at: Mapped[datetime | None]
    # Mails people opt into (domain/mail/notifications.py): sessions they'll come to moved or
    # were withdrawn; an event's summary was published.
    notify_sessions: Mapped[bool] = mapped_column(default=False)
    notify_summary: Mapped[bool] = mapped_column(default=False)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    @property
    def is_quick(self) -> bool:
        return self.password_hash is None

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name!r}>"


class Login(db.Model):
    """One browser's login (a device): its random key travels in the Flask-Login id
    "<user id>:<epoch>:<key>" of the session and remember cookies. Logging out deletes the row,
    so a copy of either cookie, replayed, no longer logs anyone in; the user's other devices
    keep theirs."""

    __tablename__ = "logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # sha256 of the key: a database dump does not hold working cookies.
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # sha256 of the token: the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Event(db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    theme: Mapped[str] = mapped_column(sa.String(500), default="")
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    timezone: Mapped[str] = mapped_column(sa.String(64))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    hashtag: Mapped[str] = mapped_column(sa.String(40), default="")
    # The event's own language (a tag of openspace.i18n.LANGUAGES): new notes' report template,
    # the summary and export headings, the calendar feed, the projector.
    language: Mapped[str] = mapped_column(sa.String(16), default="en", server_default="en")
    visibility: Mapped[Visibility] = mapped_column(
        _enum(Visibility, "visibility"), default=Visibility.PUBLIC
    )
    board_state: Mapped[BoardState] = mapped_column(
        _enum(BoardState, "board_state"), default=BoardState.OPEN
    )
    summary_published: Mapped[bool] = mapped_column(default=False)
    # What every projector shows; organizers switch it live (domain/projector.py).
    projector_mode: Mapped[ProjectorMode] = mapped_column(
        _enum(ProjectorMode, "projector_mode"), default=ProjectorMode.AUTO
    )
    # The network address of this machine that the join QR uses when the projector is opened
    # on the machine itself (127.0.0.1 reaches no phone); "" = chosen automatically.
    join_address: Mapped[str] = mapped_column(sa.String(45), default="")
    join_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    # Increases by exactly one in the transaction of every board change.
    board_version: Mapped[int] = mapped_column(default=0)
    # The opening marketplace's pitch queue (domain/pitches.py): whether conveners may join it,
    # how long each announcement may take, and its version, increased by exactly one in the
    # transaction of every queue change (under this row's lock: the queue's order is decided
    # one change at a time).
    pitch_queue_open: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    pitch_seconds: Mapped[int] = mapped_column(default=60, server_default="60")
    pitch_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who created it (or restored it from an export): co-organizers cannot demote them. A plain
    # id, no foreign key: adding one makes SQLite rebuild this table, and the rebuild's drop
    # would cascade to every topic and membership.
    created_by_id: Mapped[int | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    rooms: Mapped[list[Room]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Room.position, Room.id"
    )
    slots: Mapped[list[Slot]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Slot.starts_at, Slot.id"
    )
    topics: Mapped[list[Topic]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Topic.id"
    )

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.PARTICIPANT)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class Room(db.Model):
    __tablename__ = "rooms"
    __table_args__ = (sa.UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(60))
    capacity: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="rooms")


class Slot(db.Model):
    """A time slot; times are naive local times in the event's time zone."""

    __tablename__ = "slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    kind: Mapped[SlotKind] = mapped_column(_enum(SlotKind, "slot_kind"), default=SlotKind.SESSION)
    label: Mapped[str] = mapped_column(sa.String(80), default="")

    event: Mapped[Event] = relationship(back_populates="slots")


class Topic(db.Model):
    """A session proposed on the marketplace; placed when it holds a (room, slot) cell."""

    __tablename__ = "topics"
    __table_args__ = (
        sa.UniqueConstraint("room_id", "slot_id"),
        sa.UniqueConstraint("convener_id", "slot_id"),
        sa.CheckConstraint("(room_id IS NULL) = (slot_id IS NULL)", name="cell_whole"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    convener_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rooms.id", ondelete="SET NULL"))
    slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slots.id", ondelete="SET NULL"))
    status: Mapped[TopicStatus] = mapped_column(
        _enum(TopicStatus, "topic_status"), default=TopicStatus.PROPOSED
    )
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topics.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="topics")
    convener: Mapped[User] = relationship()
    room: Mapped[Room | None] = relationship()
    slot: Mapped[Slot | None] = relationship()
    merged_into: Mapped[Topic | None] = relationship(remote_side=[id])
    interests: Mapped[list[Interest]] = relationship(
        back_populates="topic", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status in (TopicStatus.PROPOSED, TopicStatus.PLACED)

    @property
    def interest_count(self) -> int:
        return len(self.interests)

    @property
    def over_capacity(self) -> bool:
        """More people said they'll come than the room holds."""
        capacity = self.room.capacity if self.room else None
        return capacity is not None and self.interest_count > capacity

    def __repr__(self) -> str:
        return f"<Topic {self.id} {self.title!r}>"


class CheckIn(db.Model):
    """The law of two feet: an attendee says "I'm here" in a running session. One open check-in
    per person (the partial unique index): checking in elsewhere closes the previous one, and a
    check-in ends with its slot. Closed rows stay: who was in a session, for the summary."""

    __tablename__ = "check_ins"
    __table_args__ = (
        sa.Index("uq_check_ins_open_user", "user_id", unique=True,
                 sqlite_where=sa.text("left_at IS NULL"),
                 postgresql_where=sa.text("left_at IS NULL")),
        sa.Index("ix_check_ins_topic_open", "topic_id", "left_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slots.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    arrived_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(default=None)


class PitchState(enum.StrEnum):
    WAITING = "waiting"  # in the queue
    CURRENT = "current"  # announcing now (started_at: when the countdown began)
    DONE = "done"  # has announced
    LEFT = "left"  # left the queue before their turn (may queue again)


class Pitch(db.Model):
    """A convener's place in the opening marketplace's queue: one per topic. `position` is
    handed out under the event row's lock, in increasing order, and the database keeps it
    unique per event, so 300 phones queueing at once get 300 distinct places."""

    __tablename__ = "pitches"
    __table_args__ = (sa.UniqueConstraint("event_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"),
                                          unique=True)
    # Who queued it: the convener, or an organizer on their behalf.
    queued_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    position: Mapped[int]
    state: Mapped[PitchState] = mapped_column(_enum(PitchState, "pitch_state"),
                                              default=PitchState.WAITING)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    topic: Mapped[Topic] = relationship()


class Interest(db.Model):
    """An attendee's "I'll come" on a topic."""

    __tablename__ = "interests"

    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    topic: Mapped[Topic] = relationship(back_populates="interests")
    user: Mapped[User] = relationship()


class Announcement(db.Model):
    """Short news from the organizers, shown in the projector's ticker and on phones."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.String(280))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class Note(db.Model):
    """A topic's shared note. The source of truth is the Yjs update log (NoteUpdate) folded into
    `snapshot`; `markdown` is a cache of the text for readers, never a source to rebuild from."""

    __tablename__ = "notes"

    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    # A Yjs (v1) update holding every NoteUpdate with id <= snapshot_seq.
    snapshot: Mapped[bytes] = mapped_column(sa.LargeBinary, default=b"")
    snapshot_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    markdown: Mapped[str] = mapped_column(sa.Text, default="")
    # False while the note still holds only the report template.
    has_content: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    topic: Mapped[Topic] = relationship()


class NoteUpdate(db.Model):
    """One acknowledged Yjs update, appended and never changed (compaction folds old ones)."""

    __tablename__ = "note_updates"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notes.topic_id", ondelete="CASCADE"), index=True
    )
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Photo(db.Model):
    """A photo attached to a session (the flipchart): EXIF stripped, upright, resized JPEG."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey("topics.id", ondelete="CASCADE"), index=True
    )
    uploader_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    caption: Mapped[str] = mapped_column(sa.String(200), default="")
    content_type: Mapped[str] = mapped_column(sa.String(40), default="image/jpeg")
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploader: Mapped[User | None] = relationship()


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its turn (next_attempt_at)
    SENDING = "sending"  # claimed by a worker until claimed_until
    SENT = "sent"
    FAILED = "failed"  # refused for good, or out of attempts: shown to organizers and admins


class MailMessage(db.Model):
    """One mail in the outgoing queue (domain/mail/queue.py): rendered when queued, sent by a
    worker that claims it, retried with back-off."""

    __tablename__ = "mail_queue"
    __table_args__ = (sa.Index("ix_mail_queue_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text, default="")
    # What it is (reset, signin, invite, confirm_email, notify_sessions, notify_summary), for
    # the queue pages; never its link (tokens are only in the body).
    kind: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    status: Mapped[MailStatus] = mapped_column(_enum(MailStatus, "mail_status"),
                                               default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class MailToken(db.Model):
    """A link sent by mail (domain/mail/tokens.py): reset a password, sign in, join an event by
    invitation, confirm an address. Only the sha256 of its random secret is stored; it works
    once, until expires_at, and a newer link of the same purpose for the same account ends it."""

    __tablename__ = "mail_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    email: Mapped[str] = mapped_column(sa.String(254))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    role: Mapped[str | None] = mapped_column(sa.String(16))  # an invitation's role
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    next_path: Mapped[str] = mapped_column(sa.String(500), default="")  # where a sign-in goes
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    event: Mapped[Event | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class Notice(db.Model):
    """A change someone opted to hear about, waiting to go out with the others of its burst
    (domain/mail/notifications.py): one mail per user and event for all that changed."""

    __tablename__ = "mail_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))  # "sessions" | "summary"
    topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"))
    # The site's address when the change was made (mail links need one; OPENSPACE_BASE_URL wins).
    base_url: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AdminAction(db.Model):
    """What an instance admin did, to what, and when (shown at /admin/log)."""

    __tablename__ = "admin_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Who, as they were then (the account may be gone later): "Name <email>", or "command line".
    admin_label: Mapped[str] = mapped_column(sa.String(340))
    action: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[str] = mapped_column(sa.String(340))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    admin: Mapped[User | None] = relationship()


class PendingImport(db.Model):
    """An uploaded export waiting for its uploader to confirm the preview (web restore)."""

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    document: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

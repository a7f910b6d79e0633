"""The whole event as JSON (schema: openspace/schemas/event-export-v1.json, docs/export-schema.md)
and back: the open export for other tools and the backup/restore path.

An event exported, imported into an empty instance and exported again gives the same document,
byte for byte: keys (u1, r1, s1, t1, p1) are positions in a fixed order rather than database
ids, times are whole seconds, and notes travel as their CRDT state (the source of truth) with
their Markdown beside it.

Private fields (people's emails, the join code) are written only when asked (`private=True`:
the command line, i.e. whoever runs the server); the web download leaves them out.
Importing checks the whole file before it writes anything, then writes it in one transaction:
a bad file changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import secrets
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from importlib.resources import files
from typing import Any
from zoneinfo import available_timezones

import jsonschema
import sqlalchemy as sa
from PIL import Image, UnidentifiedImageError
from pycrdt import Doc, Text
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    Announcement,
    Event,
    Interest,
    Membership,
    Note,
    Photo,
    Room,
    Slot,
    Topic,
    TopicStatus,
    User,
)
from .actions import NoteState, agenda_order
from .errors import Conflict, ValidationFailed
from .events import new_join_code
from .notes import ROOT, note_state
from .summary import action_items, notes_of, photos_of
from .tx import writing

FORMAT = "openspace-event"
VERSION = 1
SCHEMA_FILE = "event-export-v1.json"
GENERATOR = "openspace"
CRDT_ENCODING = "yjs-update-v1"

PhotoUrl = Callable[[Photo], str]


@lru_cache(maxsize=1)
def schema() -> dict:
    """The JSON Schema of this format (shipped in the package, served at /schemas/...)."""
    return json.loads(files("openspace").joinpath("schemas", SCHEMA_FILE).read_text("utf-8"))


def _utc(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# Export ----------------------------------------------------------------------------------------

def _user_order(user: User) -> tuple:
    return (user.name, user.email or "", user.id)


def export_event(event: Event, *, private: bool = False,
                 photo_url: PhotoUrl | None = None) -> dict:
    """The event as a dict following the v1 schema. Photos are inlined (base64) unless
    `photo_url` is given, which makes them links instead (lighter, but not importable)."""
    members = sorted(event.memberships, key=lambda m: (m.joined_at, m.id))
    topics = list(db.session.scalars(
        sa.select(Topic).where(Topic.event_id == event.id).order_by(Topic.created_at, Topic.id)))
    ids = [t.id for t in topics]
    notes = notes_of(ids)
    photos = photos_of(ids, with_data=photo_url is None)
    announcements = list(db.session.scalars(
        sa.select(Announcement).where(Announcement.event_id == event.id)
        .order_by(Announcement.created_at, Announcement.id)))

    people: dict[int, User] = {}
    for user in ([m.user for m in members] + [t.convener for t in topics]
                 + [i.user for t in topics for i in t.interests]
                 + [p.uploader for group in photos.values() for p in group if p.uploader]
                 + [a.author for a in announcements if a.author]):
        people[user.id] = user
    user_key = {u.id: f"u{n}" for n, u in enumerate(sorted(people.values(), key=_user_order), 1)}
    room_key = {r.id: f"r{n}" for n, r in enumerate(event.rooms, 1)}
    slot_key = {s.id: f"s{n}" for n, s in enumerate(event.slots, 1)}
    topic_key = {t.id: f"t{n}" for n, t in enumerate(topics, 1)}
    photo_numbers = iter(range(1, 1_000_000_000))

    def user_dict(user: User) -> dict:
        data = {"key": user_key[user.id], "name": user.name}
        if private and user.email:
            data["email"] = user.email
        return data

    def note_dict(topic: Topic) -> dict | None:
        note = notes.get(topic.id)
        if note is None:
            return None
        return {
            "state": NoteState.WRITTEN if note.has_content else NoteState.TEMPLATE,
            "markdown": note.markdown,
            "updated_at": _utc(note.updated_at),
            "crdt": {"encoding": CRDT_ENCODING, "root": ROOT, "data": _b64(note_state(topic))},
        }

    def photo_dict(photo: Photo) -> dict:
        data = {
            "key": f"p{next(photo_numbers)}", "caption": photo.caption,
            "uploader": user_key[photo.uploader_id] if photo.uploader else None,
            "created_at": _utc(photo.created_at), "content_type": photo.content_type,
            "width": photo.width, "height": photo.height,
        }
        if photo_url is None:
            data["data"], data["thumbnail"] = _b64(photo.data), _b64(photo.thumbnail)
        else:
            data["url"] = photo_url(photo)
        return data

    event_data = {
        "slug": event.slug, "name": event.name, "theme": event.theme, "venue": event.venue,
        "timezone": event.timezone, "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(), "hashtag": event.hashtag,
        "visibility": str(event.visibility), "board_state": str(event.board_state),
        "summary_published": event.summary_published,
    }
    if private:
        event_data["join_code"] = event.join_code
    placed = agenda_order([t for t in topics if t.status == TopicStatus.PLACED])
    return {
        "format": FORMAT,
        "version": VERSION,
        "generator": GENERATOR,
        "event": event_data,
        "users": [user_dict(u) for u in sorted(people.values(), key=_user_order)],
        "members": [{"user": user_key[m.user_id], "role": str(m.role),
                     "joined_at": _utc(m.joined_at)} for m in members],
        "rooms": [{"key": room_key[r.id], "name": r.name, "capacity": r.capacity}
                  for r in event.rooms],
        "slots": [{"key": slot_key[s.id], "starts_at": s.starts_at.isoformat(timespec="minutes"),
                   "ends_at": s.ends_at.isoformat(timespec="minutes"), "kind": str(s.kind),
                   "label": s.label} for s in event.slots],
        "topics": [{
            "key": topic_key[t.id], "title": t.title, "description": t.description,
            "tags": list(t.tags or []), "convener": user_key[t.convener_id],
            "status": str(t.status), "room": room_key.get(t.room_id),
            "slot": slot_key.get(t.slot_id),
            "merged_into": topic_key.get(t.merged_into_id), "created_at": _utc(t.created_at),
            "interested": sorted((user_key[i.user_id] for i in t.interests),
                                 key=lambda k: int(k[1:])),
            "interest_count": t.interest_count,
            "note": note_dict(t),
            "photos": [photo_dict(p) for p in photos[t.id]],
        } for t in topics],
        "grid": [{"slot": slot_key[t.slot_id], "room": room_key[t.room_id],
                  "topic": topic_key[t.id]} for t in placed],
        "announcements": [{"text": a.text,
                           "author": user_key[a.author_id] if a.author else None,
                           "created_at": _utc(a.created_at)} for a in announcements],
        "action_items": [
            {"topic": topic_key[t.id], "text": item.text, "owners": item.owners,
             "done": item.done}
            for t in placed if notes.get(t.id) is not None and notes[t.id].has_content
            for item in action_items(notes[t.id].markdown, t)
        ],
    }


_BLOBS = ("data", "thumbnail")


def dumps(data: dict) -> str:
    """The export as text: stable key order, UTF-8 as is, one trailing newline.

    The same text json.dumps gives, faster: photos' base64 (most of a big export's bytes)
    holds no character JSON escapes, so it is spliced in instead of being scanned."""
    token = secrets.token_hex(16)  # a placeholder no user text can contain by chance
    blobs: list[str] = []

    def stash(photo: dict) -> dict:
        out = dict(photo)
        for key in _BLOBS:
            if isinstance(out.get(key), str):
                out[key] = f"{token}{len(blobs)}"
                blobs.append(photo[key])
        return out

    light = {**data, "topics": [{**t, "photos": [stash(p) for p in t.get("photos", [])]}
                                for t in data.get("topics", [])]} if "topics" in data else data
    parts = json.dumps(light, ensure_ascii=False, indent=1).split('"' + token)
    out = [parts[0]]
    for part in parts[1:]:
        number, rest = part.split('"', 1)
        out += ['"', blobs[int(number)], '"', rest]
    out.append("\n")
    return "".join(out)


# Import ----------------------------------------------------------------------------------------

def _path(error: jsonschema.ValidationError) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def _invalid(where: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"Not an importable openspace event: {where}: {message}",
                            fields={where: message})


def check_document(data: Any) -> None:
    """Is this a v1 export? Raises ValidationFailed naming the first problem's place."""
    if not isinstance(data, dict):
        raise _invalid("$", "the file must hold a JSON object")
    if data.get("format") != FORMAT:
        raise _invalid("$.format", f"must be \"{FORMAT}\" (is this an openspace export?)")
    if data.get("version") != VERSION:
        raise _invalid("$.version", f"version {data.get('version')!r} is not supported "
                                    f"(this server reads version {VERSION})")
    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise _invalid(_path(error), error.message)


def _decode(value: str, where: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(where, "is not valid base64") from None


def _jpeg(data: bytes, where: str, size: tuple[int, int] | None = None) -> None:
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            image.verify()
            if size is not None and image.size != size:
                raise _invalid(where, f"is {image.size[0]}x{image.size[1]}, "
                                      f"not {size[0]}x{size[1]} as the file says")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _invalid(where, "is not a JPEG image") from None


def _note_text(state: bytes, where: str) -> str:
    doc = Doc()
    text = doc.get(ROOT, type=Text)
    try:
        doc.apply_update(state)
    except BaseException as error:  # pyo3 panics derive from BaseException
        if not isinstance(error, Exception) and type(error).__name__ != "PanicException":
            raise
        raise _invalid(where, "is not a Yjs update") from None
    return str(text)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.rstrip("Z"))


def _check_references(data: dict) -> dict[str, Any]:
    """Every key is defined once and every reference points at a defined key; the bytes inside
    (CRDT states, photos) are what they say. Returns the decoded bytes by place."""
    decoded: dict[str, Any] = {}
    keys: dict[str, set[str]] = {}
    for kind, items in (("users", data["users"]), ("rooms", data["rooms"]),
                        ("slots", data["slots"]), ("topics", data["topics"])):
        seen: set[str] = set()
        for n, item in enumerate(items):
            if item["key"] in seen:
                raise _invalid(f"$.{kind}[{n}].key", f"{item['key']} is used twice")
            seen.add(item["key"])
        keys[kind] = seen

    def ref(kind: str, value: str | None, where: str) -> None:
        if value is not None and value not in keys[kind]:
            raise _invalid(where, f"{value} is not in $.{kind}")

    event = data["event"]
    if event["timezone"] not in available_timezones():
        raise _invalid("$.event.timezone", "is not an IANA time zone")
    try:
        starts, ends = date.fromisoformat(event["starts_on"]), date.fromisoformat(event["ends_on"])
    except ValueError as error:
        raise _invalid("$.event.starts_on", str(error)) from None
    if ends < starts:
        raise _invalid("$.event.ends_on", "is before starts_on")
    emails: set[str] = set()
    for n, user in enumerate(data["users"]):
        email = user.get("email", "").strip().lower()
        if email and email in emails:
            raise _invalid(f"$.users[{n}].email", "is used by two users")
        emails.add(email)
    for n, member in enumerate(data["members"]):
        ref("users", member["user"], f"$.members[{n}].user")
    for n, slot in enumerate(data["slots"]):
        try:
            if _parse_time(slot["ends_at"]) <= _parse_time(slot["starts_at"]):
                raise _invalid(f"$.slots[{n}].ends_at", "must be after starts_at")
        except ValueError as error:
            raise _invalid(f"$.slots[{n}]", str(error)) from None
    for n, topic in enumerate(data["topics"]):
        where = f"$.topics[{n}]"
        ref("users", topic["convener"], where + ".convener")
        ref("rooms", topic["room"], where + ".room")
        ref("slots", topic["slot"], where + ".slot")
        ref("topics", topic["merged_into"], where + ".merged_into")
        if (topic["room"] is None) != (topic["slot"] is None):
            raise _invalid(where, "room and slot are set together or not at all")
        if (topic["status"] == "placed") != (topic["room"] is not None):
            raise _invalid(where + ".status", "a topic is placed exactly when it has a cell")
        for i, key in enumerate(topic["interested"]):
            ref("users", key, f"{where}.interested[{i}]")
        note = topic["note"]
        if note is not None:
            state = _decode(note["crdt"]["data"], where + ".note.crdt.data")
            if _note_text(state, where + ".note.crdt.data") != note["markdown"]:
                raise _invalid(where + ".note.markdown", "is not the text the CRDT state spells")
            decoded[where + ".note"] = state
        for i, photo in enumerate(topic["photos"]):
            pwhere = f"{where}.photos[{i}]"
            ref("users", photo["uploader"], pwhere + ".uploader")
            if "data" not in photo:
                raise _invalid(pwhere, "has no data (it was exported as a link): export the "
                                       "event again with its photos included")
            full = _decode(photo["data"], pwhere + ".data")
            thumb = _decode(photo["thumbnail"], pwhere + ".thumbnail")
            _jpeg(full, pwhere + ".data", (photo["width"], photo["height"]))
            _jpeg(thumb, pwhere + ".thumbnail")
            decoded[pwhere] = (full, thumb)
    for n, item in enumerate(data["announcements"]):
        ref("users", item["author"], f"$.announcements[{n}].author")
    return decoded


def import_event(data: Any, *, slug: str | None = None) -> Event:
    """Create the event a v1 export describes (under `slug` if given), with its people, rooms,
    slots, topics, interest, notes, photos and announcements; all or nothing.

    People with an email become the existing account with that email, or a new account without
    a password; people without one become new name-only accounts. The join code is kept when
    the file has it and no other event uses it."""
    check_document(data)
    decoded = _check_references(data)
    values = data["event"]
    slug = slug or values["slug"]
    try:
        with writing():
            if db.session.scalar(sa.select(Event.id).where(Event.slug == slug)) is not None:
                raise Conflict(f"An event with the address {slug!r} exists already.",
                               code="slug_taken", fields={"slug": "is already used"})
            users: dict[str, User] = {}
            for item in data["users"]:
                email = item.get("email", "").strip().lower() or None
                user = email and db.session.scalar(sa.select(User).where(User.email == email))
                if not user:
                    user = User(name=item["name"], email=email, password_hash=None)
                    db.session.add(user)
                users[item["key"]] = user
            code = values.get("join_code")
            if not code or db.session.scalar(sa.select(Event.id).where(Event.join_code == code)):
                code = new_join_code()
                while db.session.scalar(sa.select(Event.id).where(Event.join_code == code)):
                    code = new_join_code()
            event = Event(
                slug=slug, join_code=code, name=values["name"], theme=values["theme"],
                venue=values["venue"], timezone=values["timezone"],
                starts_on=date.fromisoformat(values["starts_on"]),
                ends_on=date.fromisoformat(values["ends_on"]), hashtag=values["hashtag"],
                visibility=values["visibility"], board_state=values["board_state"],
                summary_published=values["summary_published"])
            db.session.add(event)
            db.session.flush()
            for item in data["members"]:
                db.session.add(Membership(event_id=event.id, user=users[item["user"]],
                                          role=item["role"],
                                          joined_at=_parse_time(item["joined_at"])))
            rooms = {}
            for position, item in enumerate(data["rooms"]):
                rooms[item["key"]] = Room(event_id=event.id, name=item["name"],
                                          capacity=item["capacity"], position=position)
                db.session.add(rooms[item["key"]])
            slots = {}
            for item in data["slots"]:
                slots[item["key"]] = Slot(event_id=event.id, kind=item["kind"],
                                          label=item["label"],
                                          starts_at=_parse_time(item["starts_at"]),
                                          ends_at=_parse_time(item["ends_at"]))
                db.session.add(slots[item["key"]])
            db.session.flush()
            topics = {}
            for n, item in enumerate(data["topics"]):
                created = _parse_time(item["created_at"])
                topic = Topic(
                    event_id=event.id, convener=users[item["convener"]], title=item["title"],
                    description=item["description"], tags=list(item["tags"]),
                    status=item["status"], created_at=created, updated_at=created,
                    room_id=rooms[item["room"]].id if item["room"] else None,
                    slot_id=slots[item["slot"]].id if item["slot"] else None)
                db.session.add(topic)
                db.session.flush()  # in file order: ids keep the export's order
                topics[item["key"]] = topic
                for key in item["interested"]:
                    db.session.add(Interest(topic_id=topic.id, user=users[key]))
                note = item["note"]
                if note is not None:
                    db.session.add(Note(
                        topic_id=topic.id, snapshot=decoded[f"$.topics[{n}].note"],
                        snapshot_seq=0, markdown=note["markdown"],
                        has_content=note["state"] == NoteState.WRITTEN,
                        updated_at=_parse_time(note["updated_at"])))
                for i, photo in enumerate(item["photos"]):
                    full, thumb = decoded[f"$.topics[{n}].photos[{i}]"]
                    db.session.add(Photo(
                        topic_id=topic.id, caption=photo["caption"],
                        uploader=users[photo["uploader"]] if photo["uploader"] else None,
                        content_type=photo["content_type"], width=photo["width"],
                        height=photo["height"], data=full, thumbnail=thumb,
                        created_at=_parse_time(photo["created_at"])))
            for item in data["topics"]:
                if item["merged_into"]:
                    topics[item["key"]].merged_into_id = topics[item["merged_into"]].id
            for item in data["announcements"]:
                db.session.add(Announcement(
                    event_id=event.id, text=item["text"],
                    author=users[item["author"]] if item["author"] else None,
                    created_at=_parse_time(item["created_at"])))
            db.session.flush()
    except IntegrityError as error:
        raise ValidationFailed(
            "Not an importable openspace event: it breaks a rule of the agenda (two topics in "
            "one cell, a convener in two places at once, or a room named twice).",
            fields={"$": str(error.orig).splitlines()[0][:200]}) from None
    return event


def loads(text: str | bytes) -> Any:
    """Parse an export file's text; malformed JSON is a ValidationFailed naming the place."""
    try:
        return json.loads(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValidationFailed(f"Not an importable openspace event: not JSON ({error}).",
                               fields={"$": "is not JSON"}) from None

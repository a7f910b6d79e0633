"""The whole event as JSON (schema: openspace/schemas/event-export-v2.json, docs/export-schema.md)
and back: the open export for other tools and the backup/restore path. Version 2 added the
event's language; version 1 files are still read (their events speak English).

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
import json
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from importlib.resources import files
from typing import Any

import jsonschema
import sqlalchemy as sa
from pycrdt import Doc, Text
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..i18n import _, ngettext
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
from . import announcements, board, crdt, events
from . import validation as v
from .actions import NoteState, agenda_order, resolve_owners
from .errors import Conflict, DomainError, ValidationFailed
from .events import new_join_code
from .notes import MAX_NOTE_CHARS, ROOT, note_state
from .photos import CAPTION_MAX, restore_photo
from .summary import action_items, notes_of, photos_of
from .tx import writing
from .validation import InvalidJSON, loads_json

FORMAT = "openspace-event"
VERSION = 2
SCHEMA_FILES = {1: "event-export-v1.json", 2: "event-export-v2.json"}  # every version read
SCHEMA_FILE = SCHEMA_FILES[VERSION]
GENERATOR = "openspace"
CRDT_ENCODING = "yjs-update-v1"

PhotoUrl = Callable[[Photo], str]


@lru_cache(maxsize=4)
def schema(version: int = VERSION) -> dict:
    """The JSON Schema of this format (shipped in the package, served at /schemas/...)."""
    return json.loads(files("openspace").joinpath("schemas", SCHEMA_FILES[version])
                      .read_text("utf-8"))


def _utc(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# Export ----------------------------------------------------------------------------------------

def _user_order(user: User) -> tuple:
    return (user.name, user.email or "", user.id)


def export_event(event: Event, *, private: bool = False,
                 photo_url: PhotoUrl | None = None) -> dict:
    """The event as a dict following the current (v2) schema. Photos are inlined (base64) unless
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
        "language": event.language,
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
            {"topic": topic_key[item.topic.id], "text": item.text, "owners": item.owners,
             "owner_members": [user_key.get(o.user_id) for o in item.members],
             "done": item.done}
            for item in resolve_owners(event, [
                item for t in placed if notes.get(t.id) is not None and notes[t.id].has_content
                for item in action_items(notes[t.id].markdown, t)])
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
#
# Every value goes through the rules the API applies (validation.py and the domain's *_values
# functions, board.free_cell for placements, photos.restore_photo for photos), and every problem
# is named by its place in the file. Nothing is written unless the whole file passes.

MAX_DEPTH = 16  # this format nests 6 levels deep; a deeper document is not one
MAX_LISTED = 50  # problems listed in one message (a file with more is far from importable)
_PLACES = {"room_id": "room", "slot_id": "slot"}  # domain field -> key in a topic of the file


class Problems:
    """What is wrong with a file, by JSON path (one message per place), so one run names all."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self.unclear = False  # a key defined twice or a reference to nothing was found

    def add(self, where: str, message: str, *, unclear: bool = False) -> None:
        self.found.setdefault(where, message)
        self.unclear = self.unclear or unclear

    def refused(self, where: str, error: DomainError) -> None:
        """A domain rule's refusal, its fields renamed as places in the file."""
        generic = error.message == type(error).message
        if not error.fields:
            self.add(where, error.message)
        for name, message in error.fields.items():
            place = f"{where}.{_PLACES.get(name, name)}"
            self.add(place, message if generic else _("%(message)s (%(detail)s)",
                                                        message=error.message, detail=message))

    def bad_fields(self, where: str, fields: v.Fields) -> bool:
        """Add one item's field errors (from validation.py); True when it had any."""
        for name, message in fields.errors.items():
            self.add(f"{where}.{name}", message)
        return bool(fields.errors)

    def check(self) -> None:
        if not self.found:
            return
        items = list(self.found.items())
        if len(items) == 1:
            text = _not_importable(*items[0])
        else:
            lines = [f"  {where}: {message}" for where, message in items[:MAX_LISTED]]
            if len(items) > MAX_LISTED:
                lines.append("  " + ngettext("… and %(num)d more problem",
                                             "… and %(num)d more problems",
                                             len(items) - MAX_LISTED))
            text = "\n".join([ngettext("Not an importable openspace event (%(num)d problem):",
                                        "Not an importable openspace event (%(num)d problems):",
                                        len(items)), *lines])
        raise ValidationFailed(text, fields=dict(items[:MAX_LISTED]))


def _path(error: jsonschema.ValidationError) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def _not_importable(where: str, message: str) -> str:
    return _("Not an importable openspace event: %(place)s: %(problem)s", place=where,
             problem=message)


def _invalid(where: str, message: str) -> ValidationFailed:
    return ValidationFailed(_not_importable(where, message), fields={where: message})


def _one_of(options: list[str]) -> str:
    if len(options) == 1:
        return _("must be %(value)s", value=options[0])
    return _("must be one of: %(values)s", values=", ".join(options))


def _schema_message(error: jsonschema.ValidationError) -> str:
    """What a schema error says, without quoting the value (which may be megabytes long)."""
    kind, expected = error.validator, error.validator_value
    if kind == "type":
        return _one_of(expected if isinstance(expected, list) else [expected])
    if kind == "maxLength":
        return ngettext("must be at most %(num)d character", "must be at most %(num)d characters",
                        expected)
    if kind == "minLength":
        return _("must not be empty") if expected == 1 else ngettext(
            "must be at least %(num)d character", "must be at least %(num)d characters",
            expected)
    if kind == "maxItems":
        return ngettext("must have at most %(num)d item", "must have at most %(num)d items",
                        expected)
    if kind == "pattern":
        return _("must match %(pattern)s", pattern=expected)
    if kind in ("enum", "const"):
        options = expected if kind == "enum" else [expected]
        return _one_of([json.dumps(option) for option in options])
    if kind == "minimum":
        return _("must be at least %(num)s", num=expected)
    if kind == "maximum":
        return _("must be at most %(num)s", num=expected)
    return error.message if len(error.message) <= 200 else error.message[:200] + "..."


def _depth(data: Any) -> int:
    """How deeply the JSON value nests (iteratively: a deep one must not exhaust the stack)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _too_deep() -> str:
    return _("nests deeper than %(num)d levels (this format never does)", num=MAX_DEPTH)


def check_document(data: Any) -> None:
    """Is this an export of a version we read (1 or 2)? Raises ValidationFailed naming every
    place its version's schema refuses."""
    if not isinstance(data, dict):
        raise _invalid("$", _("the file must hold a JSON object"))
    if _depth(data) > MAX_DEPTH:
        raise _invalid("$", _too_deep())
    if data.get("format") != FORMAT:
        raise _invalid("$.format", _("must be \"%(format)s\" (is this an openspace export?)",
                                     format=FORMAT))
    version = data.get("version")
    if isinstance(version, bool) or version not in SCHEMA_FILES:
        raise _invalid("$.version", _("version %(version)s is not supported (this server reads "
                                      "versions %(versions)s)", version=repr(version),
                                      versions=", ".join(map(str, SCHEMA_FILES))))
    validator = jsonschema.Draft202012Validator(schema(version))
    problems = Problems()
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        best = jsonschema.exceptions.best_match([error])
        problems.add(_path(best), _schema_message(best))
    problems.check()


def _decode(value: str, where: str, problems: Problems) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        problems.add(where, _("is not valid base64"))
        return None


def _note_text(state: bytes) -> str | None:
    doc = Doc()
    text = doc.get(ROOT, type=Text)
    try:
        doc.apply_update(state)
    except BaseException as error:  # pyo3 panics derive from BaseException
        if not isinstance(error, Exception) and type(error).__name__ != "PanicException":
            raise
        return None
    return str(text)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.rstrip("Z"))


def _time(value: str) -> datetime | None:
    """A UTC time of the file, or None when it is not one (_moment reported it)."""
    try:
        return _parse_time(value)
    except ValueError:
        return None


def _moment(value: str, where: str, problems: Problems) -> None:
    """A UTC time of the file (joined, created, updated) is a real one within the date bounds."""
    try:
        moment = _parse_time(value)
    except ValueError as error:
        problems.add(where, str(error))
        return
    if not v.DATE_MIN <= moment.date() <= v.DATE_MAX:
        problems.add(where, _("must be between %(first)s and %(last)s", first=v.DATE_MIN,
                              last=v.DATE_MAX))


def _check_structure(data: dict, problems: Problems) -> None:
    """Every key is defined once and every reference points at a defined key (else nothing
    further is checked); what refers to what is consistent (a placed topic has a cell, a merged
    one a survivor, no merge loops); times are real."""
    keys: dict[str, set[str]] = {}
    for kind in ("users", "rooms", "slots", "topics"):
        seen: set[str] = set()
        for n, item in enumerate(data[kind]):
            if item["key"] in seen:
                problems.add(f"$.{kind}[{n}].key", _("%(key)s is used twice", key=item["key"]),
                             unclear=True)
            seen.add(item["key"])
        keys[kind] = seen

    def ref(kind: str, value: str | None, where: str) -> None:
        if value is not None and value not in keys[kind]:
            problems.add(where, _("%(key)s is not in %(place)s", key=value, place=f"$.{kind}"),
                         unclear=True)

    emails: set[str] = set()
    for n, user in enumerate(data["users"]):
        email = user.get("email", "").strip().lower()
        if email and email in emails:
            problems.add(f"$.users[{n}].email", _("is used by two users"))
        emails.add(email)
    members: set[str] = set()
    for n, member in enumerate(data["members"]):
        ref("users", member["user"], f"$.members[{n}].user")
        if member["user"] in members:
            problems.add(f"$.members[{n}].user",
                         _("%(key)s is a member twice", key=member["user"]))
        members.add(member["user"])
        _moment(member["joined_at"], f"$.members[{n}].joined_at", problems)
    merges = {t["key"]: t["merged_into"] for t in data["topics"] if t["merged_into"]}
    for n, topic in enumerate(data["topics"]):
        where = f"$.topics[{n}]"
        ref("users", topic["convener"], where + ".convener")
        ref("rooms", topic["room"], where + ".room")
        ref("slots", topic["slot"], where + ".slot")
        ref("topics", topic["merged_into"], where + ".merged_into")
        _moment(topic["created_at"], where + ".created_at", problems)
        if (topic["room"] is None) != (topic["slot"] is None):
            problems.add(where, _("room and slot are set together or not at all"))
        if (topic["status"] == "placed") != (topic["room"] is not None):
            problems.add(where + ".status", _("a topic is placed exactly when it has a cell"))
        if (topic["status"] == "merged") != (topic["merged_into"] is not None):
            problems.add(where + ".status",
                         _("a topic is merged exactly when it has merged_into"))
        seen_chain, at = {topic["key"]}, merges.get(topic["key"])
        while at is not None:
            if at in seen_chain:
                problems.add(where + ".merged_into", board.MERGE_INTO_ITSELF)
                break
            seen_chain.add(at)
            at = merges.get(at)
        for i, key in enumerate(topic["interested"]):
            ref("users", key, f"{where}.interested[{i}]")
        note = topic["note"]
        if note is not None:
            _moment(note["updated_at"], where + ".note.updated_at", problems)
            if len(note["markdown"]) > MAX_NOTE_CHARS:
                problems.add(where + ".note.markdown",
                             ngettext("must be at most %(num)d character",
                                      "must be at most %(num)d characters", MAX_NOTE_CHARS))
            elif "\x00" in note["markdown"]:
                problems.add(where + ".note.markdown", _("contains a NUL character"))
        for i, photo in enumerate(topic["photos"]):
            pwhere = f"{where}.photos[{i}]"
            ref("users", photo["uploader"], pwhere + ".uploader")
            _moment(photo["created_at"], pwhere + ".created_at", problems)
            if "data" not in photo:
                problems.add(pwhere, _("has no data (it was exported as a link): export the "
                                       "event again with its photos included"))
    for n, item in enumerate(data["announcements"]):
        ref("users", item["author"], f"$.announcements[{n}].author")
        _moment(item["created_at"], f"$.announcements[{n}].created_at", problems)
    if problems.unclear:
        problems.check()  # what refers to what is unclear: the checks below would guess


def _decode_blobs(data: dict, problems: Problems) -> dict[str, Any]:
    """The bytes inside, by place: each note's CRDT state (which must spell its Markdown) and
    each photo through the photo pipeline (photos.restore_photo). Before the write transaction:
    decoding photos takes a while."""
    decoded: dict[str, Any] = {}
    for n, topic in enumerate(data["topics"]):
        where = f"$.topics[{n}]"
        note = topic["note"]
        if note is not None:
            state = _decode(note["crdt"]["data"], where + ".note.crdt.data", problems)
            shape = None if state is None else crdt.text_update_problem(state, ROOT)
            text = None if state is None or shape is not None else _note_text(state)
            if shape is not None:  # the rule of every note update (notes._check_shape)
                problems.add(where + ".note.crdt.data", shape)
            elif state is not None and text is None:
                problems.add(where + ".note.crdt.data", _("is not a Yjs update"))
            elif text is not None and text != note["markdown"]:
                problems.add(where + ".note.markdown",
                             _("is not the text the CRDT state spells"))
            decoded[where + ".note"] = state
        for i, photo in enumerate(topic["photos"]):
            pwhere = f"{where}.photos[{i}]"
            full = _decode(photo["data"], pwhere + ".data", problems)
            thumb = _decode(photo["thumbnail"], pwhere + ".thumbnail", problems)
            if full is None or thumb is None:
                continue
            try:
                restored = restore_photo(full, thumb)
            except DomainError as error:
                problems.add(pwhere + ".data", error.message)
                continue
            kept = restored.data is full  # as the pipeline wrote it (else: processed anew)
            if kept and (restored.width, restored.height) != (
                    photo["width"], photo["height"]):
                problems.add(pwhere + ".data", _(
                    "is %(size)s, not %(claimed)s as the file says",
                    size=f"{restored.width}x{restored.height}",
                    claimed=f"{photo['width']}x{photo['height']}"))
            decoded[pwhere] = restored
    return decoded


def _new_event(data: dict, slug: str | None, problems: Problems) -> Event:
    """The event row, its values through events.event_values (as the API creates events)."""
    # (a version 1 file has no language: events.event_values makes it English)
    wanted = {key: data["event"][key] for key in events.EVENT_FIELDS if key in data["event"]} | {
        "board_state": data["event"]["board_state"],
        "summary_published": data["event"]["summary_published"]}
    if slug is not None:
        wanted["slug"] = slug
    try:
        values = events.event_values(wanted, creating=True)
    except ValidationFailed as error:
        if slug is not None and "slug" in error.fields:
            raise ValidationFailed(_("%(slug)s cannot be an event's address: %(problem)s.",
                                     slug=repr(slug), problem=error.fields["slug"]),
                                   fields={"slug": error.fields["slug"]}) from None
        problems.refused("$.event", error)
        problems.check()
    if db.session.scalar(sa.select(Event.id).where(Event.slug == values["slug"])) is not None:
        raise Conflict(_("An event with the address %(slug)s exists already.",
                         slug=repr(values["slug"])),
                       code="slug_taken", fields={"slug": _("is already used")})
    code = data["event"].get("join_code")
    if not code or db.session.scalar(sa.select(Event.id).where(Event.join_code == code)):
        code = new_join_code()
        while db.session.scalar(sa.select(Event.id).where(Event.join_code == code)):
            code = new_join_code()
    event = Event(join_code=code, **values)
    db.session.add(event)
    db.session.flush()
    return event


def _new_users(data: dict, problems: Problems, owner: User | None = None) -> dict[str, User]:
    """Accounts for the file's people. From the command line, an email names the account with
    that email (made without a password when there is none). From the web (`owner`: who
    uploads), only the uploader's own email names an existing account: another account's
    email becomes a name-only copy, so an uploaded file cannot put words in other people's
    mouths."""
    users: dict[str, User] = {}
    for n, item in enumerate(data["users"]):
        fields = v.Fields()
        name = v.text(fields, "name", item["name"], max_len=v.NAME_MAX, required=True)
        email = v.email(fields, "email", item.get("email"), required=False)
        if problems.bad_fields(f"$.users[{n}]", fields):
            continue
        user = email and db.session.scalar(sa.select(User).where(User.email == email))
        if user and owner is not None and user.id != owner.id:
            user, email = None, None
        if not user:
            user = User(name=name, email=email, password_hash=None)
            db.session.add(user)
        users[item["key"]] = user
    return users


def _new_rooms_and_slots(data: dict, event: Event,
                         problems: Problems) -> tuple[dict[str, Room], dict[str, Slot]]:
    """One at a time, each flushed: the next is checked against those before it (a room name
    used twice, slots that overlap), as add_room and add_slot check against the database."""
    rooms, slots = {}, {}
    for position, item in enumerate(data["rooms"]):
        try:
            values = events.room_values({"name": item["name"], "capacity": item["capacity"]},
                                        partial=False)
            events.room_name_free(event, values["name"])
        except DomainError as error:
            problems.refused(f"$.rooms[{position}]", error)
            continue
        rooms[item["key"]] = Room(event_id=event.id, position=position, **values)
        db.session.add(rooms[item["key"]])
        db.session.flush()
    for n, item in enumerate(data["slots"]):
        try:
            values = events.slot_values(
                {key: item[key] for key in ("starts_at", "ends_at", "kind", "label")},
                event=event)
        except DomainError as error:
            problems.refused(f"$.slots[{n}]", error)
            continue
        slots[item["key"]] = Slot(event_id=event.id, **values)
        db.session.add(slots[item["key"]])
        db.session.flush()
    return rooms, slots


class _DryRun(Exception):
    """Raised at the end of a checked import to roll it back (a preview)."""

    def __init__(self, preview: dict) -> None:
        super().__init__("dry run")
        self.preview = preview


def preview_import(data: Any, *, slug: str | None = None, owner: User | None = None) -> dict:
    """What import_event would create, checked by the same rules (the same errors), with
    nothing written: the event's name and address and how many of each thing."""
    try:
        import_event(data, slug=slug, owner=owner, _dry_run=True)
    except _DryRun as done:
        return done.preview
    raise AssertionError("a dry run always rolls back")  # pragma: no cover


def _preview(event: Event, users: dict[str, User], made: set[int], owner: User | None,
             data: dict) -> dict:
    people = list({id(u): u for u in users.values()}.values())
    return {
        "name": event.name, "slug": event.slug, "starts_on": event.starts_on,
        "ends_on": event.ends_on, "visibility": str(event.visibility),
        "rooms": len(data["rooms"]), "slots": len(data["slots"]),
        "topics": len(data["topics"]), "members": len(data["members"]),
        "notes": sum(1 for t in data["topics"] if t["note"] is not None),
        "photos": sum(len(t["photos"]) for t in data["topics"]),
        "announcements": len(data["announcements"]),
        "existing_accounts": sum(1 for u in people if id(u) not in made and u is not owner),
        "you": owner is not None and any(u is owner for u in people),
        "new_accounts_with_email": sum(1 for u in people if id(u) in made and u.email),
        "new_accounts_name_only": sum(1 for u in people if id(u) in made and not u.email),
    }


def import_event(data: Any, *, slug: str | None = None, owner: User | None = None,
                 _dry_run: bool = False) -> Event:
    """Create the event an export describes (under `slug` if given), with its people, rooms,
    slots, topics, interest, notes, photos and announcements; all or nothing.

    Every value is checked by the rules the API applies to it; a file that breaks any gets a
    ValidationFailed naming each bad value by its JSON path, and nothing is written.
    People with an email become the existing account with that email, or a new account without
    a password; people without one become new name-only accounts. The join code is kept when
    the file has it and no other event uses it.

    `owner` is who restores from the web: they become an organizer of the event, and only
    their own email names an existing account (see _new_users)."""
    check_document(data)
    problems = Problems()
    _check_structure(data, problems)
    decoded = _decode_blobs(data, problems)
    try:
        with writing():
            event = _new_event(data, slug, problems)
            users = _new_users(data, problems, owner)
            made = {id(user) for user in db.session.new if isinstance(user, User)}
            rooms, slots = _new_rooms_and_slots(data, event, problems)
            # Below, a row whose user, room, slot or time was refused above is left out (its
            # problem is reported already): the rest is still checked, so one run names all.
            for item in data["members"]:
                if item["user"] in users and _time(item["joined_at"]):
                    db.session.add(Membership(event_id=event.id, user=users[item["user"]],
                                              role=item["role"],
                                              joined_at=_time(item["joined_at"])))
            topics = _new_topics(data, event, users, rooms, slots, decoded, problems)
            for n, item in enumerate(data["topics"]):
                if (item["merged_into"] and {item["key"], item["merged_into"]} <= set(topics)
                        and f"$.topics[{n}].merged_into" not in problems.found):
                    topics[item["key"]].merged_into_id = topics[item["merged_into"]].id
            for n, item in enumerate(data["announcements"]):
                fields = v.Fields()
                text = v.text(fields, "text", item["text"], max_len=announcements.TEXT_MAX,
                              required=True)
                author = users.get(item["author"]) if item["author"] else None
                if (problems.bad_fields(f"$.announcements[{n}]", fields)
                        or (item["author"] and author is None) or not _time(item["created_at"])):
                    continue
                db.session.add(Announcement(event_id=event.id, text=text, author=author,
                                            created_at=_time(item["created_at"])))
            db.session.flush()
            problems.check()
            if owner is not None:
                _make_organizer(event, owner)
            if _dry_run:
                raise _DryRun(_preview(event, users, made, owner, data))
    except IntegrityError as error:
        raise ValidationFailed(
            _("Not an importable openspace event: it breaks a rule of the agenda the checks "
              "above missed."), fields={"$": str(error.orig).splitlines()[0][:200]}) from None
    return event


def _make_organizer(event: Event, owner: User) -> None:
    event.created_by_id = owner.id  # the uploader restored it: co-organizers cannot demote them
    membership = db.session.scalar(sa.select(Membership).where(
        Membership.event_id == event.id, Membership.user_id == owner.id))
    if membership is None:
        db.session.add(Membership(event_id=event.id, user_id=owner.id, role="organizer"))
    else:
        membership.role = "organizer"
    db.session.flush()


def _new_topics(data: dict, event: Event, users: dict[str, User], rooms: dict[str, Room],
                slots: dict[str, Slot], decoded: dict[str, Any],
                problems: Problems) -> dict[str, Topic]:
    """Topics in file order (ids keep the export's order), each through board.topic_values and,
    when placed, board.free_cell (a session slot, a free cell, a convener in one place at a
    time), with their interest, note and photos."""
    topics: dict[str, Topic] = {}
    for n, item in enumerate(data["topics"]):
        where = f"$.topics[{n}]"
        try:
            values = board.topic_values({key: item[key] for key in board.TOPIC_FIELDS},
                                        partial=False)
        except DomainError as error:
            problems.refused(where, error)
            continue
        created = _time(item["created_at"])
        if item["convener"] not in users or created is None:
            continue
        topic = Topic(event_id=event.id, convener=users[item["convener"]], status=item["status"],
                      created_at=created, updated_at=created, **values)
        db.session.add(topic)
        db.session.flush()
        topics[item["key"]] = topic
        if item["room"] in rooms and item["slot"] in slots:
            try:
                room, slot = board.free_cell(topic, rooms[item["room"]].id,
                                             slots[item["slot"]].id)
            except DomainError as error:
                problems.refused(where, error)
            else:
                topic.room_id, topic.slot_id = room.id, slot.id
                db.session.flush()
        for key in item["interested"]:
            if key in users:
                db.session.add(Interest(topic_id=topic.id, user=users[key]))
        note = item["note"]
        if (note is not None and decoded.get(where + ".note") is not None
                and _time(note["updated_at"])):
            db.session.add(Note(
                topic_id=topic.id, snapshot=decoded[where + ".note"], snapshot_seq=0,
                markdown=note["markdown"], has_content=note["state"] == NoteState.WRITTEN,
                updated_at=_time(note["updated_at"])))
        for i, photo in enumerate(item["photos"]):
            pwhere = f"{where}.photos[{i}]"
            fields = v.Fields()
            caption = v.text(fields, "caption", photo["caption"], max_len=CAPTION_MAX)
            restored = decoded.get(pwhere)
            uploader = users.get(photo["uploader"]) if photo["uploader"] else None
            if (problems.bad_fields(pwhere, fields) or restored is None
                    or (photo["uploader"] and uploader is None) or not _time(photo["created_at"])):
                continue
            db.session.add(Photo(
                topic_id=topic.id, caption=caption, uploader=uploader,
                content_type="image/jpeg", width=restored.width, height=restored.height,
                data=restored.data, thumbnail=restored.thumbnail,
                created_at=_time(photo["created_at"])))
    return topics


def loads(text: str | bytes) -> Any:
    """Parse an export file's text; malformed JSON is a ValidationFailed naming the place."""
    try:
        return loads_json(text, max_depth=MAX_DEPTH)
    except InvalidJSON as error:
        if error.too_deep:
            raise _invalid("$", _too_deep()) from None
        raise ValidationFailed(_("Not an importable openspace event: not JSON (%(error)s).",
                                 error=str(error)), fields={"$": _("is not JSON")}) from None

"""Field validation shared by every transport: type, size and shape of what users send."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from .errors import ValidationFailed

# Limits, in characters; forms use them for maxlength too.
NAME_MAX = 80
EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 200
EVENT_NAME_MAX = 120
SLUG_MAX = 64
THEME_MAX = 500
VENUE_MAX = 200
HASHTAG_MAX = 40
ROOM_NAME_MAX = 60
SLOT_LABEL_MAX = 80
TITLE_MAX = 120
DESCRIPTION_MAX = 5000
TAG_MAX = 30
TAGS_MAX = 10
TOKEN_LABEL_MAX = 80
CAPACITY_MAX = 100_000

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HASHTAG_RE = re.compile(r"^#?[\w-]{1,39}$")
# Control characters other than tab and newline have no place in user text (NUL breaks PostgreSQL).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Fields:
    """Collects per-field errors so one response names every bad field at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(fields=self.errors)


def text(fields: Fields, name: str, value: Any, *, max_len: int, required: bool = False,
         multiline: bool = False) -> str:
    """A string, trimmed, within max_len, without control characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fields.add(name, "must be a string")
        return ""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if not multiline and "\n" in value:
        fields.add(name, "must be a single line")
    elif _CONTROL_RE.search(value):
        fields.add(name, "contains control characters")
    elif len(value) > max_len:
        fields.add(name, f"must be at most {max_len} characters")
    elif required and not value:
        fields.add(name, "is required")
    return value


def email(fields: Fields, name: str, value: Any, *, required: bool = True) -> str | None:
    value = text(fields, name, value, max_len=EMAIL_MAX, required=required).lower()
    if value and not EMAIL_RE.match(value):
        fields.add(name, "is not an email address")
    return value or None


def password(fields: Fields, name: str, value: Any) -> str:
    if not isinstance(value, str):
        fields.add(name, "must be a string")
        return ""
    if len(value) < PASSWORD_MIN:
        fields.add(name, f"must be at least {PASSWORD_MIN} characters")
    elif len(value) > PASSWORD_MAX:
        fields.add(name, f"must be at most {PASSWORD_MAX} characters")
    return value


def integer(fields: Fields, name: str, value: Any, *, minimum: int = 0, maximum: int,
            required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            fields.add(name, "is required")
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        fields.add(name, "must be a whole number")
        return None
    if not minimum <= value <= maximum:
        fields.add(name, f"must be between {minimum} and {maximum}")
        return None
    return value


def lookup_key(value: Any, *, max_len: int) -> str | None:
    """A string to look a row up by (a slug, a join code, an email), or None when no row can
    have it: not a string, too long, or with control characters (NUL breaks PostgreSQL)."""
    if not isinstance(value, str) or len(value) > max_len or _CONTROL_RE.search(value):
        return None
    return value


def is_id(value: Any) -> bool:
    """A database id as JSON carries it: a positive whole number, not a string or a boolean."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def identifier(name: str, value: Any, *, what: str = "an id") -> int:
    """An id named in a request body or socket message, or ValidationFailed naming the field."""
    if not is_id(value):
        raise ValidationFailed(fields={name: f"must be {what} (a whole number)"})
    return value


def choice(fields: Fields, name: str, value: Any, options: Iterable[str], *,
           default: str | None = None) -> str | None:
    options = list(options)
    if value is None or value == "":
        if default is None:
            fields.add(name, "is required")
        return default
    if not isinstance(value, str) or value not in options:
        fields.add(name, "must be one of: " + ", ".join(options))
        return default
    return value


def boolean(fields: Fields, name: str, value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        fields.add(name, "must be true or false")
        return None
    return value


def day(fields: Fields, name: str, value: Any, *, required: bool = True) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if value is None or value == "":
        if required:
            fields.add(name, "is required")
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        fields.add(name, "must be a date like 2026-11-23")
        return None


def local_time(fields: Fields, name: str, value: Any) -> datetime | None:
    """An ISO local date-time without offset (times are in the event's zone)."""
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        if not isinstance(value, str) or not 16 <= len(value) <= 19:
            raise ValueError
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            raise ValueError
        return parsed.replace(second=0, microsecond=0)
    except ValueError:
        fields.add(name, "must be a local date and time like 2026-11-23T09:30")
        return None


def tags(fields: Fields, name: str, value: Any) -> list[str]:
    """A list of short tags (a comma-separated string is accepted from forms)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        fields.add(name, "must be a list of strings")
        return []
    cleaned: list[str] = []
    for raw in value:
        tag = text(fields, name, raw, max_len=TAG_MAX).lstrip("#").lower()
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        fields.add(name, f"at most {TAGS_MAX} tags")
    return cleaned[:TAGS_MAX]


def only_known(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Reject fields a client may not set (convener_id, role, event_id, ...)."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(
            "Unknown or read-only fields: " + ", ".join(unknown[:10]),
            fields={k: "unknown or read-only field" for k in unknown[:10]},
        )

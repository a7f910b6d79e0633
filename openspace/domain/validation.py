"""Field validation shared by every transport: type, size and shape of what users send."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from ..i18n import _, _l, ngettext
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
# Event dates (and so every slot time): wide enough for any real event, narrow enough that
# calendars, time-zone rules and date arithmetic (a day before, a year after) never run out.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)
# Ids are positive signed 64-bit integers (what PostgreSQL's BIGINT and SQLite's INTEGER hold).
ID_MAX = 2**63 - 1

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HASHTAG_RE = re.compile(r"^#?[\w-]{1,39}$")
# Control characters other than tab and newline have no place in user text (NUL breaks PostgreSQL).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# JSON ------------------------------------------------------------------------------------------

JSON_DEPTH_MAX = 64  # nothing we read nests past ~8; Python's parser recurses (~1,000 is fatal)
# A JSON string, also one left open at the end (so every quote is consumed in one linear scan:
# a failed match at each of many quotes would cost quadratic time).
_JSON_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.S)
_JSON_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
_STEPS = str.maketrans({"[": "\x02", "{": "\x02", "]": "\x00", "}": "\x00"})


class InvalidJSON(ValueError):
    """Text that is not JSON we read: a ValueError, as json.JSONDecodeError is (Flask's
    request.get_json turns either into a 400). `too_deep`: it nests past the bound."""

    def __init__(self, message: str, *, too_deep: bool = False) -> None:
        super().__init__(message)
        self.too_deep = too_deep


def json_depth(text: str) -> int:
    """How deeply the JSON text nests arrays and objects, counted without parsing it (a deep
    one would exhaust the parser's stack): strings cut out (brackets inside them do not count),
    then the deepest point of the running count of openings minus closings, in linear time
    and mostly in C. Unpaired openings count too: the parser goes that deep before it finds
    the text malformed."""
    brackets = _JSON_NOT_BRACKET_RE.sub("", _JSON_STRING_RE.sub("", text))
    steps = brackets.translate(_STEPS).encode("latin-1")  # 2 per opening, 0 per closing
    return max(0, max(accumulate(map((-1).__add__, steps)), default=0))


_ESCAPE_RE = re.compile(r"\\.", re.S)


@functools.lru_cache(maxsize=8)
def _opening_run(depth: int) -> re.Pattern[str]:
    # An opening, then `depth` more in a row (spaces between), tried only where a run starts.
    return re.compile(r"(?<![\[{\s])\s*[\[{](?:\s*[\[{]){" + str(depth) + "}")


def _too_deep(text: str, max_depth: int) -> bool:
    """json_depth(text) > max_depth, cheaply where it can be told cheaply (all in C): text with
    no more openings than max_depth cannot nest deeper (most bodies); a run of more openings in
    a row, starting outside any string (an even number of unescaped quotes before it), does
    (the usual attack, refused without reading the rest). Otherwise the full count."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    run = _opening_run(max_depth).search(text)
    if run is not None and _ESCAPE_RE.sub("", text[:run.start()]).count('"') % 2 == 0:
        return True
    return json_depth(text) > max_depth


def loads_json(text: str | bytes, *, max_depth: int = JSON_DEPTH_MAX, **kwargs: Any) -> Any:
    """json.loads, once the text is known to nest at most `max_depth` levels; InvalidJSON if it
    nests deeper or is not JSON. The one JSON parser of HTTP bodies, socket messages,
    awareness states and imports."""
    if isinstance(text, bytes | bytearray):
        data = bytes(text)
        try:  # as json.loads reads bytes: UTF-8, -16 or -32, lone surrogates kept
            text = data.decode(json.detect_encoding(data), "surrogatepass")
        except UnicodeDecodeError as error:
            raise InvalidJSON(f"not UTF-8 ({error.reason})") from None
    if _too_deep(text, max_depth):
        raise InvalidJSON(f"nests deeper than {max_depth} levels", too_deep=True)
    try:
        return json.loads(text, **kwargs)
    except RecursionError:  # cannot happen within max_depth; never let it escape regardless
        raise InvalidJSON(f"nests deeper than {max_depth} levels", too_deep=True) from None
    except json.JSONDecodeError as error:
        raise InvalidJSON(str(error)) from None


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
    """A string, trimmed, within max_len, without control characters. The length counts what
    was sent, before trimming (the OpenAPI document's maxLength says so, and means it)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fields.add(name, _("must be a string"))
        return ""
    if len(value) > max_len:
        fields.add(name, ngettext("must be at most %(num)d character",
                                  "must be at most %(num)d characters", max_len))
        return value[:max_len].strip()
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if not multiline and "\n" in value:
        fields.add(name, _("must be a single line"))
    elif _CONTROL_RE.search(value):
        fields.add(name, _("contains control characters"))
    elif len(value) > max_len:
        fields.add(name, ngettext("must be at most %(num)d character",
                                  "must be at most %(num)d characters", max_len))
    elif required and not value:
        fields.add(name, _("is required"))
    return value


def email(fields: Fields, name: str, value: Any, *, required: bool = True) -> str | None:
    value = text(fields, name, value, max_len=EMAIL_MAX, required=required).lower()
    if value and not EMAIL_RE.match(value):
        fields.add(name, _("is not an email address"))
    return value or None


def password(fields: Fields, name: str, value: Any) -> str:
    if not isinstance(value, str):
        fields.add(name, _("must be a string"))
        return ""
    if len(value) < PASSWORD_MIN:
        fields.add(name, ngettext("must be at least %(num)d character",
                                  "must be at least %(num)d characters", PASSWORD_MIN))
    elif len(value) > PASSWORD_MAX:
        fields.add(name, ngettext("must be at most %(num)d character",
                                  "must be at most %(num)d characters", PASSWORD_MAX))
    return value


def integer(fields: Fields, name: str, value: Any, *, minimum: int = 0, maximum: int,
            required: bool = False) -> int | None:
    """A whole number within bounds: a JSON number without a fraction (7 or 7.0, as JSON
    Schema's "integer"), or ASCII digits from a form ("7"); never a boolean."""
    if value is None or value == "":
        if required:
            fields.add(name, _("is required"))
        return None
    number = _whole(value)
    if number is None and isinstance(value, str):
        number = _digits(value.strip(), max_len=len(str(maximum)))
    if number is None:
        fields.add(name, _("must be a whole number"))
        return None
    if not minimum <= number <= maximum:
        fields.add(name, _("must be between %(minimum)s and %(maximum)s", minimum=minimum,
                            maximum=maximum))
        return None
    return number


def _whole(value: Any) -> int | None:
    """A JSON number with no fractional part as an int (7.0 is 7, as in JSON Schema)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


_DIGITS_RE = re.compile(r"[0-9]+")


def _digits(value: str, *, max_len: int) -> int | None:
    """ASCII digits (not "²" or "٣", which str.isdigit() accepts), at most max_len of them."""
    if len(value) > max_len or not _DIGITS_RE.fullmatch(value):
        return None
    return int(value)


def lookup_key(value: Any, *, max_len: int) -> str | None:
    """A string to look a row up by (a slug, a join code, an email), or None when no row can
    have it: not a string, too long, or with control characters (NUL breaks PostgreSQL)."""
    if not isinstance(value, str) or len(value) > max_len or _CONTROL_RE.search(value):
        return None
    return value


def as_id(value: Any) -> int | None:
    """The one id rule, for ids in JSON bodies and socket messages: a whole number from 1 to
    ID_MAX (7.0 counts as 7, as in JSON Schema); None for anything else ("7", true, 7.5, 2**64)."""
    number = _whole(value)
    return number if number is not None and 0 < number <= ID_MAX else None


def is_id(value: Any) -> bool:
    return as_id(value) is not None


def id_from_text(value: Any) -> int | None:
    """The same rule for an id written in a URL path or a form field: ASCII digits without a
    leading zero, within ID_MAX; None otherwise (the URL then matches no route: 404)."""
    if not isinstance(value, str) or value[:1] == "0":
        return None
    return as_id(_digits(value, max_len=len(str(ID_MAX))))


# What identifier() says of a bad id, by the `what` it is given (whole sentences to translate).
_ID_MESSAGES = {"an id": _l("must be an id (a whole number)"),
                "a topic id": _l("must be a topic id (a whole number)")}


def identifier(name: str, value: Any, *, what: str = "an id") -> int:
    """An id named in a request body or socket message, or ValidationFailed naming the field."""
    number = as_id(value)
    if number is None:
        raise ValidationFailed(fields={name: _ID_MESSAGES.get(what, _ID_MESSAGES["an id"])})
    return number


def choice(fields: Fields, name: str, value: Any, options: Iterable[str], *,
           default: str | None = None) -> str | None:
    options = list(options)
    if value is None or value == "":
        if default is None:
            fields.add(name, _("is required"))
        return default
    if not isinstance(value, str) or value not in options:
        fields.add(name, _("must be one of: %(options)s", options=", ".join(options)))
        return default
    return value


def boolean(fields: Fields, name: str, value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        fields.add(name, _("must be true or false"))
        return None
    return value


def day(fields: Fields, name: str, value: Any, *, required: bool = True) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if value is None or value == "":
        if required:
            fields.add(name, _("is required"))
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        parsed = date.fromisoformat(value)
    except ValueError:
        fields.add(name, _("must be a date like 2026-11-23"))
        return None
    if not DATE_MIN <= parsed <= DATE_MAX:
        fields.add(name, _("must be between %(minimum)s and %(maximum)s", minimum=DATE_MIN,
                            maximum=DATE_MAX))
        return None
    return parsed


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
        fields.add(name, _("must be a local date and time like 2026-11-23T09:30"))
        return None


def _skipped(value: datetime, tz: ZoneInfo) -> bool:
    """Is this local time in the gap when the clocks go forward (it comes back changed)?"""
    there_and_back = value.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return there_and_back.replace(tzinfo=None) != value


def wall_clock(fields: Fields, name: str, value: datetime | None, zone: str) -> None:
    """A local time must exist in the zone: the hour skipped when the clocks go forward (02:30
    on 2027-03-28 in Europe/Brussels) is refused. A time that happens twice when they go back
    means its first occurrence (fold=0, as RFC 5545 says: still summer time)."""
    if value is not None and _skipped(value, ZoneInfo(zone)):
        fields.add(name, _("%(time)s does not exist in %(zone)s: the clocks go forward then "
                           "and skip it", time=f"{value:%Y-%m-%d %H:%M}", zone=zone))


def is_ambiguous(value: datetime, zone: str) -> bool:
    """Does this local time happen twice in the zone (the hour repeated when clocks go back)?"""
    tz = ZoneInfo(zone)
    first, second = value.replace(tzinfo=tz, fold=0), value.replace(tzinfo=tz, fold=1)
    return first.utcoffset() != second.utcoffset() and not _skipped(value, tz)


def tags(fields: Fields, name: str, value: Any) -> list[str]:
    """A list of short tags (a comma-separated string is accepted from forms)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        fields.add(name, _("must be a list of strings"))
        return []
    if len(value) > TAGS_MAX:
        fields.add(name, ngettext("at most %(num)d tag", "at most %(num)d tags", TAGS_MAX))
        return []
    cleaned: list[str] = []
    for raw in value:
        tag = text(fields, name, raw, max_len=TAG_MAX).lstrip("#").lower()
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        fields.add(name, ngettext("at most %(num)d tag", "at most %(num)d tags", TAGS_MAX))
    return cleaned[:TAGS_MAX]


def only_known(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Reject fields a client may not set (convener_id, role, event_id, ...)."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _("Unknown or read-only fields: %(names)s", names=", ".join(unknown[:10])),
            fields={k: _("unknown or read-only field") for k in unknown[:10]},
        )

"""Dates, times and numbers as the viewer's language writes them (Babel's CLDR data): weekday
and month names, the order of day and month, 24-hour "14:30" or 12-hour "2:30 PM".

Always on the event's clock. Slot times are naive local times in the event's zone and are
formatted as they are; stored instants (created_at, updated_at) are naive UTC: pass `tz` (the
event's zone) and `utc=True`, or an aware datetime and `tz`, and they are moved to that zone
first. Nothing here ever uses the server's or the browser's zone.

The language is the one being spoken (the request's, or `i18n.in_language`'s) unless a tag is
given. Machine formats (ISO 8601 in the API, exports, data attributes) are not made here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers

from . import DEFAULT, PSEUDO, babel_id, current

When = datetime | date | time


@lru_cache(maxsize=64)
def _parse(tag: str) -> Locale:
    return Locale.parse(babel_id(tag))


# How a language without a region of its own is written: English as most places an event happens
# write it (24-hour "14:30", "Monday, 23 November"), not CLDR's American default. The page's
# language decides, never the browser's region, so a wall display and the phones in the room
# agree (an "en-US" catalog could be added as a language of its own). The pseudo-locale
# (en_001, "world English", which CLDR writes on a 12-hour clock) is English too: it must read
# like the English pages, so that what the tests look at in it is what English readers get.
REGION_OF = {"en": "en_GB", babel_id(PSEUDO): "en_GB"}


def locale(language: str | None = None) -> Locale:
    """The Babel locale dates and numbers are written in: the language's (default: the one
    being spoken), in its region from REGION_OF."""
    tag = babel_id(language or current())
    try:
        return _parse(REGION_OF.get(tag, tag))
    except (ValueError, LookupError):
        return _parse(REGION_OF.get(DEFAULT, DEFAULT))


def browser_tag(language: str | None = None) -> str:
    """The BCP 47 tag the browser's Intl API is told (the projector's running clock), so the
    times it writes itself read like the server's: "en-GB", "de", "pt-BR"."""
    return str(locale(language)).replace("_", "-")


def _wall(value, tz: str | None, utc: bool):
    """The value on the event's wall clock (naive), moved from UTC or its own zone if asked."""
    if isinstance(value, datetime) and tz:
        if utc and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if value.tzinfo is not None:
            value = value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return value


def uses_12_hours(language: str | None = None) -> bool:
    """Does this language write times on a 12-hour clock (en: "2:30 PM")?"""
    pattern = locale(language).time_formats["short"].pattern
    return "h" in pattern or "K" in pattern


def _hm(language: str | None) -> str:
    return "hm" if uses_12_hours(language) else "Hm"


def format_time(value: datetime | time | None, *, tz: str | None = None, utc: bool = False,
                language: str | None = None) -> str:
    """Hours and minutes: "14:30" (de, fr, ja...), "2:30 PM" (en)."""
    if value is None:
        return ""
    value = _wall(value, tz, utc)
    return dates.format_skeleton(_hm(language), value, locale=locale(language))


def format_time_range(start: datetime, end: datetime, *, language: str | None = None) -> str:
    """A slot's span: "14:30–15:45" (de), "2:30 – 3:45 PM" (en), "14時30分～15時45分" (ja)."""
    return dates.format_interval(start, end, _hm(language), locale=locale(language))


def format_weekday(value: When | None, *, short: bool = True,
                   language: str | None = None) -> str:
    """"Mon" / "Monday", "lun." / "lundi", "月" / "月曜日"."""
    if value is None:
        return ""
    return dates.format_date(value, "EEE" if short else "EEEE", locale=locale(language))


# The full date pattern without its year ("EEEE, d. MMMM y" -> "EEEE, d. MMMM"): CLDR has no
# skeleton for "weekday day month" in every language, but every full pattern has the year as
# one field with its own little words around it ("'de' y", "y年", "y\u202f'г'.").
_YEAR = re.compile(r"[\s,]*(?:'de'\s*)?y+(?:年|년|\.|\u202f'г'\.)?[\s,]*")


@lru_cache(maxsize=64)
def _day_pattern(tag: str, year: bool) -> str:
    pattern = locale(tag).date_formats["full"].pattern
    if year:
        return pattern
    stripped = _YEAR.sub(" ", pattern).strip(" ,")
    return pattern if "y" in stripped.replace("'", "") else stripped


def format_day(value: When | None, *, year: bool = False, language: str | None = None) -> str:
    """A day heading with its weekday spelled out: "Monday, November 23" (en), "Montag, 23.
    November" (de), "lundi 23 novembre" (fr), "11月23日月曜日" (ja); `year` adds the year."""
    if value is None:
        return ""
    written = locale(language)
    return dates.format_date(value, _day_pattern(str(written), year), locale=written)


def format_day_short(value: When | None, *, language: str | None = None) -> str:
    """A compact day: "Mon, Nov 23" (en), "Mo., 23. Nov." (de), "11月23日(月)" (ja)."""
    if value is None:
        return ""
    return dates.format_skeleton("MMMEd", value, locale=locale(language))


def format_date(value: When | None, format: str = "medium", *,
                language: str | None = None) -> str:
    """A date in one of the language's own lengths (short, medium, long, full) or a Babel
    pattern: "Nov 23, 2026" (en, medium), "23.11.2026" (de, medium)."""
    if value is None:
        return ""
    return dates.format_date(value, format, locale=locale(language))


def format_date_range(start: date, end: date, *, language: str | None = None) -> str:
    """An event's dates: "Nov 23 – 24, 2026" (en), "23.–24. Nov. 2026" (de); one day alone
    when they are the same."""
    if start == end:
        return format_date(start, "medium", language=language)
    return dates.format_interval(start, end, "yMMMd", locale=locale(language))


def format_datetime(value: datetime | None, format: str = "medium", *, tz: str | None = None,
                    utc: bool = False, language: str | None = None) -> str:
    """Date and time in the language's own lengths: "Nov 23, 2026, 2:30:00 PM" (en, medium);
    "short": "11/23/26, 2:30 PM" (en), "23.11.26, 14:30" (de)."""
    if value is None:
        return ""
    return dates.format_datetime(_wall(value, tz, utc), format, locale=locale(language))


def format_number(value: float | int | None, *, language: str | None = None) -> str:
    """"1,234.5" (en), "1.234,5" (de), "1 234,5" (fr)."""
    if value is None:
        return ""
    return numbers.format_decimal(value, locale=locale(language))

"""How dates and times are shown to people: always on the event's clock, with its zone where a
reader elsewhere (a remote attendee, the summary read a month later) could take them for theirs.

This is the one place that formats dates and times for people: pages (through the template
filters of web/helpers.py), the Markdown summary, messages, and what live pages are sent. The
words and patterns come from Babel's CLDR data in the language being spoken (i18n/formats.py).
Machine formats (ISO 8601 in the API, the exports and data attributes) are not made here.

Stored times come in two kinds: slot times are naive *local* times in the event's zone (as the
organizers typed them); instants (created_at, updated_at) are naive *UTC*: `to_local` turns
those into the event's local time before anything shows them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..i18n import formats
from ..models import Event, Slot

_ABBREVIATION = re.compile(r"^[A-Z]{2,5}$")


# Instants to the event's clock -----------------------------------------------------------------

def to_local(event: Event, utc_naive: datetime | None) -> datetime | None:
    """A stored UTC instant as the event's local wall-clock time (naive, like slot times)."""
    if utc_naive is None:
        return None
    return utc_naive.replace(tzinfo=UTC).astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None)


def local_now(event: Event, now: datetime | None = None) -> datetime:
    """The event's wall-clock time now (or at the aware datetime `now`), naive."""
    now = now or datetime.now(UTC)
    return now.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None)


# The zone --------------------------------------------------------------------------------------

def _at(event: Event, at: datetime | date | None) -> datetime:
    if at is None:
        at = event.starts_on
    if not isinstance(at, datetime):
        at = datetime.combine(at, time(12))
    return at.replace(tzinfo=ZoneInfo(event.timezone))


def utc_offset(event: Event, at: datetime | date | None = None) -> str:
    """"UTC+9", "UTC+5:30", "UTC-3", "UTC": the zone's offset at a local time (the event's
    first day by default: the offset moves with daylight saving time)."""
    offset = _at(event, at).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone(event: Event, at: datetime | date | None = None) -> str:
    """The short label put after a time: the zone's abbreviation ("JST", "CET", "CEST"), or its
    offset where the zone has no letters of its own ("UTC+4" for Asia/Dubai's "+04")."""
    name = _at(event, at).tzname() or ""
    return name if _ABBREVIATION.match(name) else utc_offset(event, at)


def zone_long(event: Event, at: datetime | date | None = None) -> str:
    """The zone spelled out for a reader anywhere: "Asia/Tokyo (JST, UTC+9)"."""
    short, offset = zone(event, at), utc_offset(event, at)
    inner = offset if short == offset else f"{short}, {offset}"
    return f"{event.timezone} ({inner})"


# Dates and times -------------------------------------------------------------------------------
# In the language being spoken (i18n/formats.py: weekday and month names, 24- or 12-hour clock
# as the language and the viewer's region write them), on the event's clock as given.

def clock(value: datetime | None) -> str:
    """"10:05" (en, de, fr...), "10:05 AM" (en-US), "10時05分" (ja)."""
    return formats.format_time(value) if value else ""


def labelled(event: Event, value: datetime | None) -> str:
    """A local time with its zone: "10:05 JST"."""
    return f"{clock(value)} {zone(event, value)}" if value else ""


def moment(event: Event, utc_naive: datetime | None) -> str:
    """A stored UTC instant as the event's labelled local time: "18:05 JST"."""
    return labelled(event, to_local(event, utc_naive))


def weekday(value: datetime | date | None) -> str:
    """"Mon", "Mo.", "lun.", "月"."""
    return formats.format_weekday(value) if value else ""


def weekday_clock(value: datetime | None) -> str:
    """"Mon 10:05"."""
    return f"{weekday(value)} {clock(value)}" if value else ""


def day(value: datetime | date | None) -> str:
    """"Monday, 23 November" (en), "Montag, 23. November" (de), "11月23日月曜日" (ja)."""
    return formats.format_day(value) if value else ""


def day_with_year(value: datetime | date | None) -> str:
    """"Monday, 23 November 2026"."""
    return formats.format_day(value, year=True) if value else ""


def short_day(value: datetime | date | None) -> str:
    """"Mon 23 Nov" (en), "Mo., 23. Nov." (de), "11月23日(月)" (ja)."""
    return formats.format_day_short(value) if value else ""


def span(starts: datetime, ends: datetime) -> str:
    """"10:00–11:00" (en), "10:00–11:00 Uhr" (de), "10時00分～11時00分" (ja)."""
    return formats.format_time_range(starts, ends)


def browser_locale() -> str:
    """What the browser's Intl.DateTimeFormat is told for the times it formats itself (the
    projector's running clock), so they read like the server's."""
    return formats.browser_tag()


def event_dates(event: Event) -> str:
    """"Monday 23 November 2026", or "... – Tuesday 24 November 2026"."""
    if event.ends_on == event.starts_on:
        return day_with_year(event.starts_on)
    return f"{day_with_year(event.starts_on)} – {day_with_year(event.ends_on)}"


def slot_when(event: Event, slot: Slot | None) -> str:
    """A slot for a reader anywhere: "Mon 23 Nov, 10:00–11:00 CET"."""
    if slot is None:
        return ""
    return f"{short_day(slot.starts_at)}, {span(slot.starts_at, slot.ends_at)} " \
           f"{zone(event, slot.starts_at)}"

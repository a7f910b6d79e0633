"""domain/times.py: every time on the event's clock, labelled with its zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from openspace.domain import times


def _event(zone: str, day: str = "2026-11-23"):
    return SimpleNamespace(timezone=zone, starts_on=date.fromisoformat(day),
                           ends_on=date.fromisoformat(day))


@pytest.mark.parametrize("zone,at,label,offset", [
    ("Asia/Tokyo", datetime(2026, 11, 23, 9), "JST", "UTC+9"),
    ("Europe/Brussels", datetime(2026, 11, 23, 9), "CET", "UTC+1"),
    ("Europe/Brussels", datetime(2026, 7, 1, 9), "CEST", "UTC+2"),
    ("Asia/Kolkata", datetime(2026, 11, 23, 9), "IST", "UTC+5:30"),
    ("Asia/Dubai", datetime(2026, 11, 23, 9), "UTC+4", "UTC+4"),  # tzdata says "+04"
    ("America/Sao_Paulo", datetime(2026, 11, 23, 9), "UTC-3", "UTC-3"),
    ("UTC", datetime(2026, 11, 23, 9), "UTC", "UTC"),
])
def test_zone_label_is_the_abbreviation_or_else_the_offset(zone, at, label, offset):
    event = _event(zone)
    assert times.zone(event, at) == label
    assert times.utc_offset(event, at) == offset


def test_zone_long_spells_the_zone_out_for_remote_readers():
    assert times.zone_long(_event("Asia/Tokyo")) == "Asia/Tokyo (JST, UTC+9)"
    assert times.zone_long(_event("Asia/Dubai")) == "Asia/Dubai (UTC+4)"


def test_a_stored_utc_instant_is_shown_on_the_events_clock():
    tokyo = _event("Asia/Tokyo")
    stored = datetime(2026, 11, 23, 9, 5)  # naive UTC, as created_at is kept
    assert times.to_local(tokyo, stored) == datetime(2026, 11, 23, 18, 5)
    assert times.moment(tokyo, stored) == "18:05 JST"
    assert times.local_now(tokyo, datetime(2026, 11, 23, 23, 30, tzinfo=UTC)) == datetime(
        2026, 11, 24, 8, 30)


def test_slot_when_carries_the_zone_of_the_slots_own_date():
    brussels = _event("Europe/Brussels", "2026-03-28")
    slot = SimpleNamespace(starts_at=datetime(2026, 3, 29, 10), ends_at=datetime(2026, 3, 29, 11))
    # The clocks went forward in the night: that Sunday is summer time.
    assert times.slot_when(brussels, slot) == "Sun 29 Mar, 10:00–11:00 CEST"
    assert times.zone(brussels) == "CET"  # the event's first day

"""Dates, times and numbers through Babel, in the language spoken, on the event's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import render_template_string

from openspace import i18n
from openspace.i18n import formats

MONDAY = datetime(2026, 11, 23, 14, 30)
END = datetime(2026, 11, 23, 15, 45)

# The full weekday of Monday 23 November 2026 in each launch language.
MONDAYS = {"en": "Monday", "de": "Montag", "fr": "lundi", "it": "lunedì", "nl": "maandag",
           "es": "lunes", "pt-BR": "segunda-feira", "ja": "月曜日"}


def test_every_launch_language_has_its_weekday_name():
    assert set(MONDAYS) == set(i18n.LANGUAGES)


@pytest.mark.parametrize("language", list(MONDAYS))
def test_day_headings_use_the_languages_weekday_and_month(language):
    day = formats.format_day(MONDAY.date(), language=language)
    assert MONDAYS[language] in day
    assert "2026" not in day and "2026" in formats.format_day(MONDAY.date(), year=True,
                                                               language=language)


def test_french_days_are_french():
    assert formats.format_day(MONDAY, language="fr") == "lundi 23 novembre"
    assert formats.format_day_short(MONDAY, language="fr") == "lun. 23 nov."
    assert formats.format_weekday(MONDAY, short=False, language="fr") == "lundi"


def test_english_writes_24_hours_like_german_and_the_browser_is_told_the_same(app):
    assert formats.format_time(MONDAY, language="de") == "14:30"
    assert formats.format_time_range(MONDAY, END, language="de") == "14:30–15:45 Uhr"
    # English without a region is written as in most places an event happens (REGION_OF),
    # whatever region the browser sends: the wall display and the phones agree.
    with app.test_request_context("/", headers={"Accept-Language": "en-US,en;q=0.8"}):
        assert formats.format_time(MONDAY, language="en") == "14:30"
        assert formats.format_time_range(MONDAY, END, language="en") == "14:30–15:45"
        assert formats.browser_tag("en") == "en-GB"
    assert not formats.uses_12_hours("en") and not formats.uses_12_hours("de")
    assert formats.browser_tag("pt-BR") == "pt-BR" and formats.browser_tag("ja") == "ja"


def test_the_pseudo_locale_writes_dates_and_times_as_english_does():
    # en_001 on its own would be a 12-hour clock ("2:30 pm"); the pseudo-locale is English.
    assert formats.format_time(MONDAY, language=i18n.PSEUDO) == "14:30"
    assert formats.format_time_range(MONDAY, END, language=i18n.PSEUDO) == "14:30–15:45"
    assert formats.format_day(MONDAY, language=i18n.PSEUDO) == \
        formats.format_day(MONDAY, language="en")
    assert not formats.uses_12_hours(i18n.PSEUDO)
    assert formats.browser_tag(i18n.PSEUDO) == "en-GB"


def test_slot_times_are_the_events_wall_clock_and_instants_move_to_its_zone():
    # A slot at 14:30 in Tokyo is 14:30, wherever the server is.
    assert formats.format_time(MONDAY, tz="Asia/Tokyo", language="de") == "14:30"
    # A stored instant (naive UTC) of 05:30 UTC is 14:30 in Tokyo, and 06:30 in Brussels.
    instant = datetime(2026, 11, 23, 5, 30)
    assert formats.format_time(instant, tz="Asia/Tokyo", utc=True, language="de") == "14:30"
    assert formats.format_time(instant, tz="Europe/Brussels", utc=True, language="de") == "06:30"
    aware = instant.replace(tzinfo=UTC)
    assert formats.format_datetime(aware, "short", tz="Asia/Tokyo", language="ja") == \
        "2026/11/23 14:30"


def test_numbers_and_event_dates():
    assert formats.format_number(1234.5, language="de") == "1.234,5"
    assert formats.format_number(1234.5, language="en") == "1,234.5"
    assert formats.format_date_range(date(2026, 11, 23), date(2026, 11, 24),
                                     language="de") == "23.–24. Nov. 2026"
    assert formats.format_date_range(date(2026, 11, 23), date(2026, 11, 23),
                                     language="en") == "23 Nov 2026"


def test_without_a_language_the_one_spoken_is_used(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert formats.format_day(MONDAY) == "lundi 23 novembre"
        with i18n.in_language("ja"):
            assert formats.format_weekday(MONDAY) == "月"
        assert formats.format_weekday(MONDAY) == "lun."


def test_template_filters(app):
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        text = render_template_string(
            "{{ t|format_day }} {{ t|format_time }} {{ t|format_time_range(end) }} "
            "{{ 1234|format_number }}", t=MONDAY, end=END)
    assert text == "maandag 23 november 14:30 14:30–15:45 1.234"
    # Flask-Babel's own date filters (naive times as UTC, one zone per request) are not offered
    assert "timeformat" not in app.jinja_env.filters

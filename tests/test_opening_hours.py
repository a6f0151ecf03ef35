"""OPENING_HOURS: parsing, and whether staff answer at a given moment (local wall-clock)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.services.opening_hours import OpeningHoursError, parse

OSLO = ZoneInfo("Europe/Oslo")


def local(text: str) -> datetime:
    """An Oslo wall-clock time as an aware UTC instant, the way the app holds time."""
    return datetime.fromisoformat(text).replace(tzinfo=OSLO).astimezone(UTC)


def is_open(spec: str, when: str) -> bool:
    return parse(spec).is_open(local(when), OSLO)


@pytest.mark.parametrize(
    "when, expected",
    [
        ("2026-11-23 08:59", False),  # Monday, a minute before opening
        ("2026-11-23 09:00", True),
        ("2026-11-27 14:59", True),  # Friday
        ("2026-11-27 15:00", False),  # the end is not inside
        ("2026-11-28 11:00", False),  # Saturday: not named, so closed
        ("2026-11-29 11:00", False),  # Sunday
    ],
)
def test_weekdays_with_hours(when, expected):
    assert is_open("mon-fri 09:00-15:00", when) is expected


def test_several_entries_lists_and_intervals_on_one_day():
    spec = "mon,wed 09:00-11:30 12:30-15:00; sat 10:00-13:00"
    assert is_open(spec, "2026-11-25 10:00")  # Wednesday morning
    assert not is_open(spec, "2026-11-25 12:00")  # lunch
    assert is_open(spec, "2026-11-25 13:00")
    assert not is_open(spec, "2026-11-24 10:00")  # Tuesday
    assert is_open(spec, "2026-11-28 12:59")


def test_a_date_replaces_its_weekday_and_can_close_it():
    spec = "mon-fri 09:00-15:00; 2026-12-24 09:00-12:00; 2026-12-25 closed"
    assert is_open(spec, "2026-12-24 11:00")
    assert not is_open(spec, "2026-12-24 13:00")  # Christmas Eve closes early
    assert not is_open(spec, "2026-12-25 10:00")  # a Friday, but closed
    assert is_open(spec, "2026-12-28 10:00")


def test_midnight_as_24_00_and_the_whole_week():
    assert is_open("mon-sun 00:00-24:00", "2026-11-29 23:59")
    assert is_open("mon-sun 00:00-24:00", "2026-11-30 00:00")


@pytest.mark.parametrize(
    "instant, expected",
    [
        # Sunday 29 March 2026: clocks go from 02:00 to 03:00 in Oslo.
        ("2026-03-29T00:30:00+00:00", False),  # 01:30 local (CET)
        ("2026-03-29T01:30:00+00:00", True),  # 03:30 local (CEST): inside 03:00-05:00
        # Sunday 25 October 2026: clocks go from 03:00 back to 02:00.
        ("2026-10-25T00:30:00+00:00", True),  # 02:30 CEST, the first time round
        ("2026-10-25T01:30:00+00:00", True),  # 02:30 CET, the second time round
        ("2026-10-25T02:30:00+00:00", False),  # 03:30 CET
    ],
)
def test_dst_days_follow_the_wall_clock(instant, expected):
    hours = parse("sun 02:00-03:00 03:00-05:00; 2026-10-25 02:00-03:00")
    assert hours.is_open(datetime.fromisoformat(instant), OSLO) is expected


def test_the_same_wall_clock_hours_in_summer_and_winter():
    spec = "mon-fri 09:00-15:00"
    assert is_open(spec, "2026-07-01 09:30") and is_open(spec, "2026-01-07 09:30")
    # 08:30 UTC is 10:30 in summer but 09:30 in winter: both open, by the local clock.
    assert parse(spec).is_open(datetime(2026, 7, 1, 6, 30, tzinfo=UTC), OSLO) is False
    assert parse(spec).is_open(datetime(2026, 1, 7, 8, 30, tzinfo=UTC), OSLO) is True


def test_an_empty_setting_is_closed_always():
    assert not is_open("", "2026-11-23 10:00")


@pytest.mark.parametrize(
    "spec, complaint",
    [
        ("weekdays 09:00-15:00", "not a day"),
        ("mon-fri", "give hours"),
        ("mon-fri 9-15", "not a time range"),
        ("mon-fri 15:00-09:00", "ends before it starts"),
        ("fri-mon 09:00-15:00", "runs backwards"),
        ("mon 25:00-26:00", "not a time of day"),
        ("2026-02-30 closed", "not a date"),
    ],
)
def test_a_bad_setting_names_the_part_that_is_wrong(spec, complaint):
    with pytest.raises(OpeningHoursError, match=complaint):
        parse(spec)

"""Working time: hand-computed deadlines and durations across nights, weekends, holidays and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from goatkit.worktime import CalendarError, WorkingCalendar, parse_holidays, parse_hours, parse_one_time, zone

WEEK = {day: "09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}
OFFICE = WorkingCalendar.parse(WEEK, holidays="12-25 Christmas", one_time="2026-04-03 Good Friday")
BERLIN = WorkingCalendar.parse({day: "08:00-17:00" for day in WEEK}, zone_name="Europe/Berlin")
H = 3600


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        (datetime(2026, 1, 5, 10, 0), 2 * H, datetime(2026, 1, 5, 12, 0)),  # Monday, inside the day
        (datetime(2026, 1, 5, 9, 0), 8 * H, datetime(2026, 1, 5, 17, 0)),  # the whole day ends at its close
        (datetime(2026, 1, 5, 7, 0), 30 * 60, datetime(2026, 1, 5, 9, 30)),  # before opening: counts from 09:00
        (datetime(2026, 1, 5, 20, 0), H, datetime(2026, 1, 6, 10, 0)),  # after closing: the next morning
        (datetime(2026, 1, 9, 16, 0), 2 * H, datetime(2026, 1, 12, 10, 0)),  # Friday 1h, Monday 1h
        (datetime(2026, 1, 10, 12, 0), H, datetime(2026, 1, 12, 10, 0)),  # Saturday: from Monday 09:00
        (datetime(2026, 12, 24, 16, 30), H, datetime(2026, 12, 28, 9, 30)),  # Thu 30m, Fri 25th off, weekend
        (datetime(2026, 4, 2, 16, 0), 2 * H, datetime(2026, 4, 6, 10, 0)),  # one-time holiday on Friday 3rd
        (datetime(2026, 1, 5, 10, 0), 5 * 8 * H, datetime(2026, 1, 12, 10, 0)),  # a working week
        (datetime(2026, 1, 5, 10, 0), 0, datetime(2026, 1, 5, 10, 0)),
    ],
)
def test_add(start: datetime, seconds: int, expected: datetime) -> None:
    assert OFFICE.add(start, seconds) == expected
    if seconds and OFFICE.between(start, expected) == seconds:  # the inverse, from inside working time
        assert OFFICE.subtract(expected, seconds) >= start


@pytest.mark.parametrize(
    ("start", "stop", "expected"),
    [
        (datetime(2026, 1, 9, 16, 0), datetime(2026, 1, 12, 10, 0), 2 * H),
        (datetime(2026, 1, 5, 0, 0), datetime(2026, 1, 6, 0, 0), 8 * H),
        (datetime(2026, 1, 10, 0, 0), datetime(2026, 1, 12, 0, 0), 0),  # weekend
        (datetime(2026, 12, 24, 12, 0), datetime(2026, 12, 29, 12, 0), 5 * H + 8 * H + 3 * H),  # 24th, 28th, 29th
        (datetime(2026, 1, 5, 12, 0), datetime(2026, 1, 5, 11, 0), 0),  # backwards
    ],
)
def test_between(start: datetime, stop: datetime, expected: int) -> None:
    assert OFFICE.between(start, stop) == expected


def test_subtract_is_the_inverse_of_add() -> None:
    assert OFFICE.subtract(datetime(2026, 1, 12, 10, 0), 2 * H) == datetime(2026, 1, 9, 16, 0)
    assert OFFICE.subtract(datetime(2026, 12, 28, 9, 30), H) == datetime(2026, 12, 24, 16, 30)
    assert OFFICE.subtract(datetime(2026, 1, 5, 12, 0), 0) == datetime(2026, 1, 5, 12, 0)


def test_hours_are_wall_clock_time_of_the_zone_across_dst() -> None:
    # Friday 27 March 2026 is CET (UTC+1): 16:00 local is 15:00 UTC, one hour to closing; Monday 30 March is CEST
    # (UTC+2): 08:00 local opens at 06:00 UTC, so the second hour ends at 07:00 UTC.
    assert BERLIN.add(datetime(2026, 3, 27, 15, 0), 2 * H) == datetime(2026, 3, 30, 7, 0)
    assert BERLIN.between(datetime(2026, 1, 5, 6, 0), datetime(2026, 1, 5, 9, 0)) == 2 * H  # CET: opens 07:00 UTC
    aware = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)
    assert BERLIN.add(aware, 2 * H) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # aware in, aware out


def test_a_day_around_the_clock_is_23_or_25_hours_long_on_dst_sundays() -> None:
    always = WorkingCalendar.parse({"sun": "00:00-24:00"}, zone_name="Europe/Berlin")
    # 29 March 2026: local midnight is 23:00 UTC the day before, the next midnight (CEST) is 22:00 UTC.
    assert always.between(datetime(2026, 3, 28, 0, 0), datetime(2026, 3, 30, 0, 0)) == 23 * H
    assert always.between(datetime(2026, 10, 24, 0, 0), datetime(2026, 10, 27, 0, 0)) == 25 * H
    assert always.add(datetime(2026, 3, 28, 23, 0), 23 * H) == datetime(2026, 3, 29, 22, 0)


def test_parsing() -> None:
    assert parse_hours("") == ()
    assert parse_hours("08:00-12:00,13:00-24:00") == ((480, 720), (780, 1440))
    assert parse_holidays("01-01 New Year\n\n02-29 Leap day") == frozenset({(1, 1), (2, 29)})
    assert parse_one_time("2026-04-03\n") == frozenset({datetime(2026, 4, 3).date()})
    assert zone("UTC").key == "UTC"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8-17", "'8-17' is not a range of hours like 08:00-17:00."),
        ("17:00-08:00", "'17:00-08:00' is not a range of hours from 00:00 to 24:00 that ends after it starts."),
        ("08:00-25:00", "'08:00-25:00' is not a range of hours from 00:00 to 24:00 that ends after it starts."),
        ("08:00-12:00, 11:00-13:00", "The ranges '08:00-12:00, 11:00-13:00' overlap."),
    ],
)
def test_bad_hours(text: str, message: str) -> None:
    with pytest.raises(CalendarError) as error:
        parse_hours(text)
    assert str(error.value) == message


def test_bad_holidays_and_zones() -> None:
    with pytest.raises(CalendarError, match=r"^'25.12. Christmas' is not a holiday like '12-25 Christmas'"):
        parse_holidays("25.12. Christmas")
    with pytest.raises(CalendarError, match=r"^'02-30 Nope' names no day of the year.$"):
        parse_holidays("02-30 Nope")
    with pytest.raises(CalendarError, match=r"^'2026-02-29 Nope' names a date that does not exist.$"):
        parse_one_time("2026-02-29 Nope")
    with pytest.raises(CalendarError, match=r"^'Mars/Olympus' is not a time zone name such as UTC or Europe/Berlin.$"):
        zone("Mars/Olympus")
    with pytest.raises(CalendarError, match=r"^The calendar has no working hours, so no working time can pass.$"):
        WorkingCalendar.parse({}).add(datetime(2026, 1, 5), 60)

"""Working time: business hours per weekday, holidays and a time zone, and arithmetic in them.

Service levels are promised in working time ("answer within 4 business hours"), so a deadline is a moment plus N
*working* seconds, and time used is the working seconds between two moments.  :class:`WorkingCalendar` holds the
rules; it is pure (no I/O) and knows nothing of what the deadlines are for.

Rules, as OTRS's ``TimeWorkingHours`` / ``TimeVacationDays`` / ``TimeVacationDaysOneTime`` / ``TimeZone`` define
them:

* ``hours``: for Monday (0) to Sunday (6), working ranges in minutes after local midnight, ``[start, end)``;
  ``end`` may be 1440 (24:00).  OTRS lists whole hours (``8 .. 20`` is 08:00-21:00); ranges say the same exactly.
* ``holidays``: recurring ``(month, day)`` pairs; ``one_time``: single dates.  A holiday has no working time.
* ``zone``: an IANA zone; ranges are wall-clock time there, so a working day that spans a DST change is an hour
  shorter or longer in real time, and a range that starts in the skipped hour starts when the clock resumes.

Moments are ``datetime`` s: naive ones are UTC, and results come back in the same kind (naive UTC, or aware UTC).

Example::

    week = {day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}
    cal = WorkingCalendar.parse(week, holidays="12-25 Christmas", zone_name="Europe/Berlin")
    cal.add(datetime(2026, 12, 24, 15, 0), 2 * 3600)
    # Thu 16:00 Berlin: one hour that day, the 25th off, the weekend -> Mon 09:00 Berlin = datetime(2026, 12, 28, 8, 0)
    cal.between(datetime(2026, 1, 5, 6), datetime(2026, 1, 5, 9))   # 7200: 08:00-10:00 Berlin is 07:00-09:00 UTC
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 1440
MAX_DAYS = 3700
"""How far :meth:`WorkingCalendar.add` looks ahead (ten years) before it gives up."""

Range = tuple[int, int]

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_RECURRING = re.compile(r"^(\d{2})-(\d{2})(?:\s+(.*))?$")
_ONE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:\s+(.*))?$")


class CalendarError(ValueError):
    """A calendar rule that cannot be read; the message is one sentence naming the bad part."""


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``.

    >>> zone("Europe/Berlin").key
    'Europe/Berlin'
    """
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"'{name}' is not a time zone name such as UTC or Europe/Berlin.") from None


def parse_hours(text: str) -> tuple[Range, ...]:
    """``"08:00-12:00, 13:00-17:00"`` as minute ranges, sorted; empty text is a day off.

    >>> parse_hours("13:00-17:00, 08:00-12:00")
    ((480, 720), (780, 1020))
    """
    ranges: list[Range] = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        match = _RANGE.match(part)
        if not match:
            raise CalendarError(f"'{part}' is not a range of hours like 08:00-17:00.")
        h1, m1, h2, m2 = (int(group) for group in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or start >= DAY or end > DAY or start >= end:
            raise CalendarError(f"'{part}' is not a range of hours from 00:00 to 24:00 that ends after it starts.")
        ranges.append((start, end))
    ranges.sort()
    for (_s1, e1), (s2, _e2) in pairwise(ranges):
        if s2 < e1:
            raise CalendarError(f"The ranges '{text.strip()}' overlap.")
    return tuple(ranges)


def parse_holidays(text: str) -> frozenset[tuple[int, int]]:
    """Recurring holidays, one ``MM-DD name`` a line.

    >>> sorted(parse_holidays("12-25 Christmas\\n01-01 New Year"))
    [(1, 1), (12, 25)]
    """
    days: set[tuple[int, int]] = set()
    for line in _lines(text):
        match = _RECURRING.match(line)
        if not match:
            raise CalendarError(f"'{line}' is not a holiday like '12-25 Christmas' (month-day, then a name).")
        month, day = int(match.group(1)), int(match.group(2))
        try:
            date(2000, month, day)  # a leap year, so 02-29 is a day
        except ValueError:
            raise CalendarError(f"'{line}' names no day of the year.") from None
        days.add((month, day))
    return frozenset(days)


def parse_one_time(text: str) -> frozenset[date]:
    """One-time holidays, one ``YYYY-MM-DD name`` a line.

    >>> parse_one_time("2026-04-03 Good Friday")
    frozenset({datetime.date(2026, 4, 3)})
    """
    days: set[date] = set()
    for line in _lines(text):
        match = _ONE_TIME.match(line)
        if not match:
            raise CalendarError(f"'{line}' is not a holiday like '2026-04-03 Good Friday' (a date, then a name).")
        try:
            days.add(date(int(match.group(1)), int(match.group(2)), int(match.group(3))))
        except ValueError:
            raise CalendarError(f"'{line}' names a date that does not exist.") from None
    return frozenset(days)


def _lines(text: str) -> Iterator[str]:
    return (line.strip() for line in (text or "").splitlines() if line.strip())


@dataclass(frozen=True)
class WorkingCalendar:
    """Business hours per weekday (Monday first), holidays and a zone; see the module docstring."""

    hours: tuple[tuple[Range, ...], ...]
    holidays: frozenset[tuple[int, int]] = frozenset()
    one_time: frozenset[date] = frozenset()
    zone: str = "UTC"

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise CalendarError("A calendar needs working hours for each of the seven weekdays.")

    @classmethod
    def parse(
        cls, hours: Mapping[str, str], *, holidays: str = "", one_time: str = "", zone_name: str = "UTC"
    ) -> WorkingCalendar:
        """A calendar from text rules: ``hours`` maps ``mon`` .. ``sun`` to ranges (missing: a day off)."""
        zone(zone_name)
        return cls(
            tuple(parse_hours(hours.get(day) or "") for day in WEEKDAYS),
            parse_holidays(holidays),
            parse_one_time(one_time),
            zone_name.strip(),
        )

    @property
    def has_hours(self) -> bool:
        return any(self.hours)

    def is_holiday(self, day: date) -> bool:
        return (day.month, day.day) in self.holidays or day in self.one_time

    def day_ranges(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working ranges of a local date as aware UTC moments (none on a holiday)."""
        if self.is_holiday(day):
            return []
        tz = ZoneInfo(self.zone)
        midnight = datetime.combine(day, time(0), tzinfo=tz)
        result = []
        for start, end in self.hours[day.weekday()]:
            begin = _local(day, start, tz) if start else midnight
            finish = _local(day, end, tz)
            begin_utc, finish_utc = begin.astimezone(UTC), finish.astimezone(UTC)
            if finish_utc > begin_utc:
                result.append((begin_utc, finish_utc))
        return result

    def add(self, start: datetime, seconds: int) -> datetime:
        """The moment ``seconds`` of working time after ``start`` (``start`` itself for 0 or less)."""
        begin = _aware(start)
        if seconds <= 0:
            return start
        if not self.has_hours:
            raise CalendarError("The calendar has no working hours, so no working time can pass.")
        remaining = timedelta(seconds=seconds)
        day = begin.astimezone(ZoneInfo(self.zone)).date()
        for offset in range(MAX_DAYS):
            for range_start, range_end in self.day_ranges(day + timedelta(days=offset)):
                if range_end <= begin:
                    continue
                lower = max(range_start, begin)
                if remaining <= range_end - lower:
                    return _same_kind(lower + remaining, start)
                remaining -= range_end - lower
        raise CalendarError("The calendar has no working day in the next ten years.")

    def subtract(self, end: datetime, seconds: int) -> datetime:
        """The moment ``seconds`` of working time before ``end``: the inverse of :meth:`add` (for warnings that
        fire when a share of the time is used)."""
        finish = _aware(end)
        if seconds <= 0:
            return end
        if not self.has_hours:
            raise CalendarError("The calendar has no working hours, so no working time can pass.")
        remaining = timedelta(seconds=seconds)
        day = finish.astimezone(ZoneInfo(self.zone)).date()
        for offset in range(MAX_DAYS):
            for range_start, range_end in reversed(self.day_ranges(day - timedelta(days=offset))):
                if range_start >= finish:
                    continue
                upper = min(range_end, finish)
                if remaining <= upper - range_start:
                    return _same_kind(upper - remaining, end)
                remaining -= upper - range_start
        raise CalendarError("The calendar has no working day in the ten years before.")

    def between(self, start: datetime, stop: datetime) -> int:
        """Working seconds from ``start`` to ``stop`` (0 when ``stop`` is not after ``start``)."""
        lower, upper = _aware(start), _aware(stop)
        if upper <= lower:
            return 0
        tz = ZoneInfo(self.zone)
        day, last = lower.astimezone(tz).date(), upper.astimezone(tz).date()
        total = timedelta()
        while day <= last:
            for range_start, range_end in self.day_ranges(day):
                overlap = min(range_end, upper) - max(range_start, lower)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return int(total.total_seconds())


def _local(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    if minutes >= DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _same_kind(result: datetime, like: datetime) -> datetime:
    return result.replace(tzinfo=None) if like.tzinfo is None else result

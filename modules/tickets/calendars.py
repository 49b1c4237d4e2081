"""The working-time calendars that escalation counts in, read from ``gotrs_calendar``.

A queue or SLA names its calendar in ``calendar_name`` (OTRS: ``''``/NULL is the default calendar, ``'1'`` ..
``'9'`` the numbered ones).  :func:`load_calendars` reads every calendar with one statement (the table holds a
handful of rows) and :meth:`Calendars.get` resolves a name: an unknown name, or a row whose rules no longer parse,
falls back to the default calendar, and a database without a default row uses OTRS's own default
(:data:`OTRS_DEFAULT`: Monday to Friday 08:00-21:00, i.e. OTRS's hours 8 .. 20, UTC, OTRS's recurring holidays),
so escalation never stops for want of a calendar.

Example::

    calendars = load_calendars(conn)
    calendars.get(queue_row.calendar_name).add(created, 60 * 60)   # one working hour after creation
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from goatkit.worktime import WEEKDAYS, CalendarError, WorkingCalendar
from modules.db.schema.gotrs_calendar import gotrs_calendar

log = logging.getLogger(__name__)

OTRS_DEFAULT = WorkingCalendar.parse(
    {day: "08:00-21:00" for day in WEEKDAYS[:5]},
    holidays="01-01\n05-01\n12-24\n12-25\n12-26\n12-31",
)


@dataclass(frozen=True)
class Calendars:
    """Calendars by name; ``''`` is the default."""

    by_name: dict[str, WorkingCalendar] = field(default_factory=dict)

    def get(self, name: str | None) -> WorkingCalendar:
        """The calendar called ``name``; the default one for None, ``''`` or a name no calendar has."""
        found = self.by_name.get((name or "").strip())
        return found if found is not None else self.by_name.get("", OTRS_DEFAULT)


def from_row(row: Any) -> WorkingCalendar:
    """A calendar from a ``gotrs_calendar`` row; :class:`CalendarError` when a rule does not parse."""
    calendar = WorkingCalendar.parse(
        {day: getattr(row, f"hours_{day}") or "" for day in WEEKDAYS},
        holidays=row.holidays or "",
        one_time=row.one_time_holidays or "",
        zone_name=row.time_zone or "UTC",
    )
    if not calendar.has_hours:
        raise CalendarError("A calendar needs working hours on at least one weekday.")
    return calendar


def load_calendars(conn: Connection) -> Calendars:
    """Every calendar, with one statement; rows that do not parse are logged and left out."""
    by_name: dict[str, WorkingCalendar] = {}
    for row in conn.execute(select(gotrs_calendar)):
        try:
            by_name[row.name.strip()] = from_row(row)
        except CalendarError as error:  # saved by hand past the admin form's checks
            log.warning("calendar %r is ignored: %s", row.name, error)
    return Calendars(by_name)

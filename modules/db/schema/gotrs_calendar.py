"""Working-time calendars (GOTRS's own table, revision ``0006_escalation_calendars``).

OTRS keeps calendars in SysConfig (``TimeWorkingHours``, ``TimeVacationDays``, ``TimeVacationDaysOneTime``,
``TimeZone`` and their ``::Calendar1`` .. ``::Calendar9`` variants); GOTRS keeps one row per calendar, edited in
the admin module ``modules/calendar.yaml``.  ``name`` is what ``queue.calendar_name`` and ``sla.calendar_name``
hold: ``''`` is the default calendar (used when those are empty or NULL), ``'1'`` .. ``'9'`` OTRS's numbered ones.
The rules are text, checked on save (``modules/admin/calendars.py``) and read by ``modules/tickets/calendars.py``:

* ``hours_mon`` .. ``hours_sun``: ``08:00-12:00, 13:00-17:00`` (empty: a day off);
* ``holidays``: ``MM-DD name`` lines; ``one_time_holidays``: ``YYYY-MM-DD name`` lines;
* ``time_zone``: an IANA name; the hours are wall-clock time there.

Kept in its own ``MetaData`` because :data:`modules.db.schema.metadata` is the frozen OTRS baseline;
``modules.db.ALL_METADATA`` lists both, so the migration test compares this table too.

Example::

    conn.execute(select(gotrs_calendar).where(gotrs_calendar.c.name == ""))   # the default calendar
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint

calendar_metadata = MetaData()

WEEKDAY_COLUMNS = ("hours_mon", "hours_tue", "hours_wed", "hours_thu", "hours_fri", "hours_sat", "hours_sun")

gotrs_calendar = Table(
    "gotrs_calendar",
    calendar_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("comments", String(250), nullable=True),
    Column("time_zone", String(64), nullable=False),
    *(Column(name, String(200), nullable=True) for name in WEEKDAY_COLUMNS),  # NULL or empty: a day off
    Column("holidays", Text, nullable=True),
    Column("one_time_holidays", Text, nullable=True),
    Column("create_time", DateTime, nullable=False),
    Column("create_by", Integer, nullable=False),
    Column("change_time", DateTime, nullable=False),
    Column("change_by", Integer, nullable=False),
    UniqueConstraint("name", name="gotrs_calendar_name"),
)

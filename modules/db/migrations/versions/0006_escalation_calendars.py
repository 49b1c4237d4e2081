"""Working-time calendars for escalation: business hours per weekday, holidays and a time zone.

OTRS keeps its calendars in SysConfig (``TimeWorkingHours``, ``TimeVacationDays``, ``TimeVacationDaysOneTime``,
``TimeZone`` and the numbered ``...::Calendar1`` to ``...::Calendar9`` variants); GOTRS keeps them in one table,
editable by administrators (``modules/calendar.yaml``).  ``name`` is what ``queue.calendar_name`` and
``sla.calendar_name`` refer to: ``''`` is OTRS's default calendar (used when those are empty or NULL), ``'1'`` to
``'9'`` OTRS's numbered ones; any other name works too.

* ``hours_mon`` ... ``hours_sun``: business hours as ``HH:MM-HH:MM`` ranges separated by commas
  (``08:00-12:00, 13:00-17:00``), empty for a day off;
* ``holidays``: recurring holidays, one ``MM-DD name`` per line; ``one_time_holidays``: ``YYYY-MM-DD name`` lines;
* ``time_zone``: an IANA zone name (``Europe/Berlin``); the hours are wall-clock time there.

The default calendar is seeded as OTRS's defaults: ``TimeWorkingHours`` lists the hours 8 to 20 for Monday to
Friday, and OTRS counts each listed hour whole, so that is 08:00-21:00; ``TimeZone`` UTC; ``TimeVacationDays``
1 January, 1 May, 24-26 and 31 December.

The ``ticket`` table already has OTRS's indexes on the four escalation columns, which the escalation checks and the
queue view's sort use.

Revision ID: 0006_escalation_calendars
Revises: 0005_ticket_search
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0006_escalation_calendars"
down_revision = "0005_ticket_search"
branch_labels = None
depends_on = None

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOLIDAYS = "\n".join(
    (
        "01-01 New Year's Day",
        "05-01 International Workers' Day",
        "12-24 Christmas Eve",
        "12-25 First Christmas Day",
        "12-26 Second Christmas Day",
        "12-31 New Year's Eve",
    )
)


def upgrade() -> None:
    calendar = op.create_table(
        "gotrs_calendar",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("comments", sa.String(250), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
        *(sa.Column(f"hours_{day}", sa.String(200), nullable=True) for day in DAYS),  # NULL or empty: a day off
        sa.Column("holidays", sa.Text, nullable=True),
        sa.Column("one_time_holidays", sa.Text, nullable=True),
        sa.Column("create_time", sa.DateTime, nullable=False),
        sa.Column("create_by", sa.Integer, nullable=False),
        sa.Column("change_time", sa.DateTime, nullable=False),
        sa.Column("change_by", sa.Integer, nullable=False),
        sa.UniqueConstraint("name", name="gotrs_calendar_name"),
    )
    now = datetime(2026, 12, 7)
    work = {f"hours_{day}": "08:00-21:00" for day in DAYS[:5]}  # OTRS: hours 8 .. 20, each a whole hour
    weekend = {f"hours_{day}": "" for day in DAYS[5:]}
    op.bulk_insert(
        calendar,
        [
            {
                "name": "",
                "comments": "Default calendar (OTRS TimeWorkingHours): queues and SLAs without a calendar use it.",
                "time_zone": "UTC",
                **work,
                **weekend,
                "holidays": DEFAULT_HOLIDAYS,
                "one_time_holidays": "",
                "create_time": now,
                "create_by": 1,
                "change_time": now,
                "change_by": 1,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("gotrs_calendar")

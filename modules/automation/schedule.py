"""When a scheduled job is due: OTRS's grid of week days, hours and minutes, as a cron line ``M H * * D``.

OTRS turns ``ScheduleDays`` (0 = Sunday ... 6), ``ScheduleHours`` and ``ScheduleMinutes`` into a cron entry and
runs the job when the newest grid point at or before now is newer than the job's last run (at most once per grid
point, and once to catch up after downtime, never once per missed point).  GOTRS keeps the last run in OTRS's own
``ScheduleLastRun`` key.  A job that never ran is due when its newest grid point lies within :data:`GRACE` (so a
job created at 15:00 for 10:00 daily first runs tomorrow, not at once).

Example::

    latest_point(job, datetime(2024, 3, 15, 10, 7))    # 2024-03-15 10:00 for minutes [0, 30], hours [10], Fri
    is_due(job, now)                                    # True when that point is newer than job.last_run.at
"""

from __future__ import annotations

from datetime import datetime, timedelta

from modules.automation.model import Job

GRACE = timedelta(minutes=10)
_LOOKBACK_DAYS = 8


def latest_point(job: Job, now: datetime) -> datetime | None:
    """The newest grid minute at or before ``now`` (naive UTC), or None for a job without a schedule."""
    if not job.scheduled:
        return None
    days, hours, minutes = set(job.schedule_days), sorted(job.schedule_hours), sorted(job.schedule_minutes)
    moment = now.replace(second=0, microsecond=0)
    for back in range(_LOOKBACK_DAYS):
        day = moment.date() - timedelta(days=back)
        if (day.isoweekday() % 7) not in days:  # isoweekday: Monday 1 ... Sunday 7; OTRS: Sunday 0
            continue
        for hour in reversed(hours):
            for minute in reversed(minutes):
                point = datetime(day.year, day.month, day.day, hour, minute)
                if point <= moment:
                    return point
    return None


def is_due(job: Job, now: datetime) -> bool:
    """Whether a valid scheduled job should run at ``now``."""
    point = latest_point(job, now)
    if point is None or not job.valid:
        return False
    last = job.last_run.scheduled_at
    if last is None:
        return point >= now - GRACE
    return point > last


def describe(job: Job) -> str:
    """``Mon, Fri at 08:00, 08:30`` for lists and the command line; ``""`` without a schedule."""
    if not job.scheduled:
        return ""
    names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    days = ", ".join(names[d] for d in sorted(job.schedule_days, key=lambda d: (d == 0, d)))
    times = ", ".join(f"{h:02d}:{m:02d}" for h in job.schedule_hours for m in job.schedule_minutes)
    if len(times) > 60:
        times = f"{len(job.schedule_hours) * len(job.schedule_minutes)} times a day"
    return f"{days} at {times}"

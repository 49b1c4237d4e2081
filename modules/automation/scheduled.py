"""Scheduled runs: every valid job whose grid point has come, from ``gotrs tickets maintain``.

``run_due(conn, now)`` (called by ``modules/tickets/maintenance.run``) reads every job with one statement, runs
those ``schedule.is_due`` says are due, each in a savepoint of the caller's transaction, so a job that breaks
cannot stop the others; its failure is recorded with the job.

Example::

    results = run_due(conn, utc_now())        # [RunResult, ...] of the jobs that were due
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Connection

from modules.automation import storage
from modules.automation.runner import RunResult, run_job
from modules.automation.schedule import is_due

log = logging.getLogger("gotrs.automation")


def run_due(conn: Connection, now: datetime) -> list[RunResult]:
    """Run every job whose schedule has come, each in a savepoint; the results of those that ran."""
    results = []
    for job in storage.load_all(conn, on_error=lambda name, why: log.warning("automation job %r: %s", name, why)):
        if not is_due(job, now):
            continue
        try:
            with conn.begin_nested():
                results.append(run_job(conn, job, now=now, trigger="schedule"))
        except Exception as error:
            log.exception("automation job %r failed", job.name)
            with conn.begin_nested():
                failed = RunResult(job.name, "schedule", stopped=f"The run failed: {type(error).__name__}.")
                storage.record_run(conn, job.name, failed.last_run(now), schedule=True)
            results.append(failed)
    return results

"""``gotrs automation ...``: GenericAgent jobs from the command line (OTRS's ``Maint::GenericAgent::Run``).

* ``gotrs automation list``: every job with its state, schedule, events and last run.
* ``gotrs automation run [--job NAME] [--dry-run]``: run one job now (``--job``), or every job that is due; with
  ``--dry-run`` nothing changes: the matching tickets are counted and the first ones listed.

Exit status 1 when a named job does not exist or a run had failures, so cron mails about it.
"""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import Connection

from goatkit.platform import current_platform


@click.group("automation")
def automation_group() -> None:
    """GenericAgent jobs: list them, run them."""


@automation_group.command("list")
@click.pass_context
def list_jobs(ctx: click.Context) -> None:
    """Every job with its schedule, events and last run."""
    from modules.automation import storage
    from modules.automation.schedule import describe

    app: Flask = ctx.obj()
    with app.app_context(), current_platform(app).engine.connect() as conn:
        jobs = storage.load_all(conn, on_error=lambda name, why: click.echo(f"{name}: {why}", err=True))
    if not jobs:
        click.echo("No jobs.")
    for job in jobs:
        last = job.last_run
        when = last.at.strftime("%Y-%m-%d %H:%M") if last.at else "never"
        parts = [job.name, "valid" if job.valid else "invalid", describe(job) or "no schedule"]
        parts.append(f"events: {', '.join(job.events)}" if job.events else "no events")
        parts.append(f"last run {when}: {last.matched} matched, {last.changed} changed, {last.failed} failed")
        click.echo(" | ".join(parts))


@automation_group.command("run")
@click.option("--job", "name", default=None, help="Run this job now (default: every job that is due).")
@click.option("--dry-run", is_flag=True, help="Change nothing: count and list the matching tickets.")
@click.pass_context
def run(ctx: click.Context, name: str | None, dry_run: bool) -> None:
    """Run a job now, or every due job."""
    from modules.automation import storage
    from modules.automation.model import Job
    from modules.automation.runner import RunResult, run_job
    from modules.automation.schedule import is_due
    from modules.tickets.changes import utc_now
    from modules.tickets.tx import run_in_transaction

    app: Flask = ctx.obj()
    engine = current_platform(app).engine
    now = utc_now()
    with app.app_context():
        with engine.connect() as conn:
            jobs = storage.load_all(conn)
        if name is not None:
            jobs = [job for job in jobs if job.name == name]
            if not jobs:
                raise click.ClickException(f"There is no job named '{name}'.")
        elif not dry_run:
            jobs = [job for job in jobs if is_due(job, now)]
        trigger = "manual" if name is not None else "schedule"
        results: list[RunResult] = []
        for job in jobs:

            def work(conn: Connection, job: Job = job) -> RunResult:
                return run_job(conn, job, now=now, trigger=trigger, dry_run=dry_run)

            results.append(run_in_transaction(engine, work))
    for result in results:
        _report(result)
    if not results:
        click.echo("No job was due.")
    if any(result.failed or result.stopped for result in results):
        ctx.exit(1)


def _report(result: object) -> None:
    from modules.automation.runner import RunResult

    assert isinstance(result, RunResult)
    if result.stopped:
        click.echo(f"{result.job}: not run: {result.stopped}")
        return
    if result.dry_run:
        click.echo(f"{result.job}: {result.matched} ticket(s) match (dry run, nothing changed).")
        for row in result.preview:
            click.echo(f"  {row['tn']}  {row['title']}")
        return
    click.echo(f"{result.job}: {result.matched} matched, {len(result.changed)} changed, {len(result.failed)} failed.")
    for failure in result.failed:
        click.echo(f"  {failure}")

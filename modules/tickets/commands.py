"""``gotrs tickets ...``: the periodic ticket work and the search index, from the command line.

* ``gotrs tickets maintain [--every SECONDS]``: pending auto close +/- and the unlock timeout
  (``maintenance.run``); once, or every N seconds until stopped (what a cron job or a container runs).
* ``gotrs tickets reindex [--batch N]``: rebuild the full-text index of every ticket and article (after an import
  from OTRS), in batches, with progress; the index stays usable meanwhile.
"""

from __future__ import annotations

import time

import click
from flask import Flask

from goatkit.platform import current_platform


@click.group("tickets")
def tickets_group() -> None:
    """Ticket maintenance and the search index."""


@tickets_group.command("maintain")
@click.option("--every", type=click.IntRange(0, 86400), default=0, help="Run again every N seconds (0: once).")
@click.pass_context
def maintain(ctx: click.Context, every: int) -> None:
    """Close due pending auto close tickets and unlock tickets whose unlock timeout passed."""
    from modules.tickets import maintenance
    from modules.tickets.changes import utc_now
    from modules.tickets.tx import run_in_transaction

    app: Flask = ctx.obj()
    engine = current_platform(app).engine
    while True:
        with app.app_context():
            report = run_in_transaction(engine, lambda conn: maintenance.run(conn, utc_now()))
        click.echo(f"closed {len(report.closed)} ticket(s), unlocked {len(report.unlocked)} ticket(s).")
        if not every:
            return
        time.sleep(every)


@tickets_group.command("reindex")
@click.option("--batch", type=click.IntRange(1, 100_000), default=10_000, show_default=True)
@click.pass_context
def reindex(ctx: click.Context, batch: int) -> None:
    """Rebuild the full-text index of every ticket and article."""
    from modules.tickets.search_index import reindex_all

    app: Flask = ctx.obj()

    def progress(phase: str, done: int, total: int) -> None:
        click.echo(f"\r{phase}: {done}/{total}", nl=False)

    with app.app_context():
        result = reindex_all(current_platform(app).engine, batch=batch, progress=progress)
    click.echo(f"\nindexed {result.tickets} ticket(s) and {result.articles} article(s).")

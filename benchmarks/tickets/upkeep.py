"""A found benchmark dataset made fit for another run: migrations applied, the tickets of earlier runs removed.

A kept dataset is treated as a real install would be: later migrations (indexes) apply to it.  And each run
measures the dataset as generated: the create benchmark's tickets (tens of thousands after a few runs, all in one
queue, written from a few hundred words) would otherwise be the newest tickets, the ones a search walks first and
the busiest queue's view shows.

Example::

    upkeep.upgrade(url, print)
    upkeep.remove_added_tickets(url, 1_000_000, print)   # the generated tickets have ids 1 to 1,000,000
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import URL

Progress = Callable[[str], None]


def upgrade(url: URL, progress: Progress) -> None:
    """Apply the migrations the dataset does not have yet."""
    from modules.db import MIGRATIONS

    engine = _engine(url)
    try:
        if MIGRATIONS.current(engine) != MIGRATIONS.head():
            started = time.perf_counter()
            MIGRATIONS.upgrade(engine)
            progress(f"dataset upgraded to {MIGRATIONS.head()} in {time.perf_counter() - started:.1f} s")
    finally:
        engine.dispose()


def remove_added_tickets(url: URL, tickets: int, progress: Progress) -> int:
    """Delete the tickets earlier runs created (the generated ones have ids 1 to ``tickets``) with all their rows
    (:func:`modules.tickets.deleting.delete_rows`), then ``VACUUM ANALYZE`` as after the build, so that the indexes
    the benchmarks read hold no dead entries.  Returns how many went."""
    from modules.db.schema import metadata
    from modules.tickets.deleting import delete_rows

    ticket = metadata.tables["ticket"]
    engine = _engine(url)
    try:
        started = time.perf_counter()
        with engine.begin() as conn:
            added = int(conn.execute(select(func.count()).where(ticket.c.id > tickets)).scalar_one())
            if not added:
                return 0
            delete_rows(conn, ticket.c.id > tickets)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        progress(f"removed {added:,} tickets earlier runs created in {time.perf_counter() - started:.1f} s")
        return added
    finally:
        engine.dispose()


def _engine(url: URL) -> Engine:
    from goatkit.db import make_engine

    return make_engine(url.render_as_string(hide_password=False))

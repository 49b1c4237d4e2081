"""A found benchmark dataset made fit for another run: migrations applied, the tickets of earlier runs removed, the
search's and the queue view's relations read into memory.

A kept dataset is treated as a real install would be: later migrations (indexes) apply to it.  And each run
measures the dataset as generated: the create benchmark's tickets (tens of thousands after a few runs, all in one
queue, written from a few hundred words) would otherwise be the newest tickets, the ones a search walks first and
the busiest queue's view shows.

Example::

    upkeep.upgrade(url, print)
    upkeep.remove_added_tickets(url, 1_000_000, print)   # the generated tickets have ids 1 to 1,000,000
    upkeep.prewarm(url, print)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

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


WARMED = ("ticket", "gotrs_ticket_fts", "gotrs_article_fts")
"""The tables the queue view and the search read, with their indexes and TOAST tables."""
_RELATIONS = text(
    "SELECT c.oid::regclass::text, c.relkind, pg_relation_size(c.oid) FROM pg_class c"
    " WHERE c.oid IN (SELECT t.oid FROM pg_class t WHERE t.relname = ANY(:tables)"
    " UNION SELECT t.reltoastrelid FROM pg_class t WHERE t.relname = ANY(:tables)"
    " UNION SELECT i.indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(:tables))"
    " ORDER BY c.relkind DESC, pg_relation_size(c.oid)"
)


def prewarm(url: URL, progress: Progress) -> None:
    """Read the relations of :data:`WARMED` into memory with ``pg_prewarm``: all into PostgreSQL's buffers when they
    fit in nine tenths of ``shared_buffers``; else their indexes and the ``ticket`` heap there and the big heaps and
    their TOAST (the article documents: 7 GB and 3 GB at a million tickets) into the OS cache.

    Each run starts with the removal of the earlier runs' tickets, and its ``VACUUM`` reads every index of the
    tables those tickets touched: gigabytes that push the article documents out of the OS cache.  Without this
    step the search benchmark measured whatever the cache held (p95 106 and 144 ms in two runs of the same code,
    the second with 26% IO pressure).  On the development VM the OS cache does not even hold still: the kernel's
    DAMON reclaim pages out memory not touched for a minute (``/sys/kernel/mm/damon``: ``pageout``, 270 GB so
    far), so the million-ticket figures are taken with ``GOTRS_BENCH_PG_SHARED_BUFFERS=16GB``, where it cannot reach
    (PostgreSQL's shared memory, no swap), as a server's page cache would hold them."""
    engine = _engine(url)
    try:
        started = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            try:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
            except DBAPIError as error:
                progress(
                    f"pg_prewarm is not available ({str(error.orig).strip()}): the run starts with the caches as found"
                )
                return
            relations = conn.execute(_RELATIONS, {"tables": list(WARMED)}).all()
            buffers = int(conn.execute(text("SELECT pg_size_bytes(current_setting('shared_buffers'))")).scalar_one())
            total = sum(size for _name, _kind, size in relations)
            fits = total < 0.9 * buffers
            for name, kind, _size in relations:
                mode = "buffer" if fits or kind == "i" or name == "ticket" else "read"
                conn.execute(text("SELECT pg_prewarm(CAST(:name AS regclass), :mode)"), {"name": name, "mode": mode})
        progress(
            f"prewarmed {len(relations)} relations ({total / 2**30:.1f} GiB) in {time.perf_counter() - started:.1f} s"
        )
    finally:
        engine.dispose()


def _engine(url: URL) -> Engine:
    from goatkit.db import make_engine

    return make_engine(url.render_as_string(hide_password=False))

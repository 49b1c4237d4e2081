"""One database connection for the reads of a request, instead of one checkout per read.

A page reads in several places (token revocation, permissions, the list itself).  Each ``engine.connect()`` costs
a pool checkout, a liveness ping, a ``BEGIN`` and a ``ROLLBACK``: four round trips around one query.
:func:`reading` hands every read of a request the same connection on PostgreSQL, whose READ COMMITTED isolation
lets each statement see what other transactions (this request's writes included) committed before it; the
connection goes back to the pool when the request ends.  SQLite and MariaDB/MySQL would read from the snapshot
taken by the first statement (WAL, REPEATABLE READ), so they get a connection per block as before, and so does
code outside a request.  The shared connection runs in autocommit (each read its own transaction: no ``BEGIN`` or
``ROLLBACK`` round trips, and a failed read cannot abort the rest).  Writes keep ``engine.begin()``, except the
few that must commit at once, outside the caller's open transaction (a counter, whose row lock then lasts one
statement instead of the caller's whole transaction): :func:`autocommit` hands them the same connection.

Example::

    with reading(engine) as conn:
        conn.execute(select(...))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g, has_request_context
from sqlalchemy import Connection, Engine

_READERS = "_goatkit_readers"


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads: the request's shared one on PostgreSQL, else a fresh one closed after the block."""
    if not has_request_context() or engine.dialect.name != "postgresql":
        with engine.connect() as own:
            yield own
        return
    readers: dict[Engine, Connection] = g.setdefault(_READERS, {})
    shared = readers.get(engine)
    if shared is None or shared.closed or shared.invalidated:
        # Autocommit: each read is its own statement-level transaction, so no BEGIN or ROLLBACK round trips.
        shared = readers[engine] = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    conn: Connection = shared
    yield conn


@contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection on which each statement commits at once, whatever transaction the caller has open: for a
    short write that must not wait for the caller's commit (a counter whose row lock would otherwise be held, and
    every other writer of that row kept waiting, until the caller's whole transaction ends).  In a request on
    PostgreSQL it is the request's shared autocommit connection (no extra checkout); otherwise a fresh autocommit
    connection for the block.  Not for SQLite: its one writer is the caller's open transaction (use that)."""
    if has_request_context() and engine.dialect.name == "postgresql":
        with reading(engine) as shared:
            yield shared
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as own:
        yield own


def close_readers(_error: BaseException | None = None) -> None:
    """``teardown_request``: return the request's read connections to the pool."""
    for conn in g.pop(_READERS, {}).values():
        conn.close()


def init_app(app: Flask) -> None:
    app.teardown_request(close_readers)

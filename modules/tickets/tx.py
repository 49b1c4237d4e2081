"""Running a ticket action in its own transaction, retried when the database asks for it.

Two writers racing for the same rows can be told to try again: PostgreSQL with a serialization failure (40001) or
a deadlock (40P01), SQLite with "database is locked" when a transaction that read first tries to write after
another one committed (WAL snapshots cannot be upgraded).  Screens, the API, the mail importer and the
maintenance command run their work through :func:`run_in_transaction`, which rolls back, waits a little (with
jitter) and runs the whole function again; any other error propagates at once.  After-commit listeners of a failed
attempt never run (``events.py``), so a retry cannot announce a change twice.

Example::

    created = run_in_transaction(engine, lambda conn: TicketService(conn, actor).create(draft, article))
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

R = TypeVar("R")
ATTEMPTS = 8
_SQLSTATES = frozenset({"40001", "40P01"})
_SQLITE_MESSAGES = ("database is locked", "database is busy", "database table is locked")


def is_retryable(error: DBAPIError) -> bool:
    """Whether the database refused the transaction only because of a concurrent one."""
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if code in _SQLSTATES:
        return True
    return any(message in str(error.orig).lower() for message in _SQLITE_MESSAGES)


def run_in_transaction(engine: Engine, work: Callable[[Connection], R], *, attempts: int = ATTEMPTS) -> R:
    """``work(conn)`` in a transaction of its own, committed; retried up to ``attempts`` times when retryable."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except DBAPIError as error:
            if attempt == attempts or not is_retryable(error):
                raise
            time.sleep(random.uniform(0.005, 0.02) * attempt)  # noqa: S311 - jitter, not security
    raise AssertionError("unreachable")  # pragma: no cover

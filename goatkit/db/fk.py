"""Deferring foreign-key checks for a block of statements, on every backend.

Bulk loads (initial data, imports, restores) insert rows whose references form cycles: OTRS's ``valid`` rows are
created by user 1, who in turn has ``valid_id`` 1.  Inside :func:`deferred_foreign_keys` such rows can go in in any
order.  The checks are not skipped, only postponed: PostgreSQL runs them when the block ends, SQLite when the
transaction commits.  MySQL/MariaDB cannot defer, so there the checks are off for the block and rows inserted in it
are never checked: load only data you trust.

SQLite's pragma is deliberately left on until the commit (which resets it): switching it off inside the transaction
makes SQLite forget the violations it was holding back, and a dangling reference would be committed.

=================  ============================================  ============================================
backend            entering / leaving the block                  deferred rows are checked
=================  ============================================  ============================================
PostgreSQL         ``SET CONSTRAINTS ALL DEFERRED / IMMEDIATE``  on leaving (constraints must be DEFERRABLE)
SQLite             ``PRAGMA defer_foreign_keys = ON`` / nothing  at COMMIT
MySQL / MariaDB    ``SET FOREIGN_KEY_CHECKS = 0 / 1``            never
=================  ============================================  ============================================

Example::

    with engine.begin() as conn, deferred_foreign_keys(conn):
        conn.execute(valid.insert(), rows)   # references users not inserted yet
        conn.execute(users.insert(), admin)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text


@contextmanager
def deferred_foreign_keys(conn: Connection) -> Iterator[Connection]:
    """Postpone foreign-key checks on ``conn``: to the end of the block on PostgreSQL, to COMMIT on SQLite.

    On MySQL/MariaDB the checks are off inside the block.  The statements run in the connection's transaction,
    which is begun if needed; the caller commits it.
    """
    backend = conn.dialect.name
    if backend == "postgresql":
        conn.execute(text("SET CONSTRAINTS ALL DEFERRED"))
        yield conn
        conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # checks the held-back rows now and ends the deferral
    elif backend == "sqlite":
        conn.execute(text("PRAGMA defer_foreign_keys = ON"))  # COMMIT resets it; never switch it OFF (see above)
        yield conn
    elif backend in ("mysql", "mariadb"):
        conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
        try:  # a session setting: switch the checks back on even when the block fails
            yield conn
        finally:
            conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
    else:
        raise NotImplementedError(f"deferred_foreign_keys does not know the {backend!r} backend")

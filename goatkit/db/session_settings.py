"""PostgreSQL planner and memory settings for one statement, set before it and reset after it.

Some statements need a setting the rest of a connection must not get: a list whose lookup joins are best planned
as written (``join_collapse_limit = 1``), a full-text scan whose bitmap should not turn lossy (``work_mem``).
Read connections run in autocommit (``goatkit/db/reader.py``), so ``SET LOCAL`` would end with the ``SET`` itself;
:func:`postgres_settings` sets the values on the session and resets them when the block ends, each in one round
trip.  On other backends it does nothing.  Names and values are the caller's constants, never request data (both
are checked)::

    with postgres_settings(conn, join_collapse_limit=1):
        rows = conn.execute(statement).all()
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

_NAME = re.compile(r"[a-z_]+")
_VALUE = re.compile(r"[0-9]+(kB|MB|GB)?|on|off")


@contextmanager
def postgres_settings(conn: Connection, **settings: int | str) -> Iterator[None]:
    """Run the block with ``settings`` on PostgreSQL (``SET`` before, ``RESET`` after, also when it fails)."""
    if conn.dialect.name != "postgresql" or not settings:
        yield
        return
    for name, value in settings.items():
        if not _NAME.fullmatch(name) or not _VALUE.fullmatch(str(value)):
            raise ValueError(f"postgres_settings: refusing setting {name!r} = {value!r}")
    conn.exec_driver_sql("; ".join(f"SET {name} = '{value}'" for name, value in settings.items()))
    try:
        yield
    except BaseException:
        with suppress(DBAPIError):  # in a failed transaction the rollback undoes the SET anyway
            _reset(conn, settings)
        raise
    _reset(conn, settings)


def _reset(conn: Connection, settings: dict[str, int | str]) -> None:
    conn.exec_driver_sql("; ".join(f"RESET {name}" for name in settings))

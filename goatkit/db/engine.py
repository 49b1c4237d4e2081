"""Engine creation with the per-backend settings GoatKit relies on.

SQLite gets WAL mode, foreign keys and a busy timeout on every connection, so the embedded default behaves like a
server database for concurrent readers.  PostgreSQL and MySQL/MariaDB get UTF-8 and sane pool settings.

Example::

    engine = make_engine("sqlite:///var/gotrs.db")
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
)


def backend_name(url: str | URL) -> str:
    """Return the backend family of a URL: ``sqlite``, ``postgresql`` or ``mysql`` (MariaDB included)."""
    name = make_url(url).get_backend_name()
    return "mysql" if name == "mariadb" else name


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with GoatKit's connection settings applied."""
    url = make_url(url)
    backend = backend_name(url)
    options: dict[str, Any] = {"future": True}
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
        options["connect_args"] = {"check_same_thread": False, "timeout": 10}
        # A file database is cheap to open; NullPool avoids sharing a connection across forked workers.
        options["poolclass"] = NullPool
    elif backend == "postgresql":
        options.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    elif backend == "mysql":
        options.update(pool_pre_ping=True, pool_recycle=3600)
        query = dict(url.query)
        query.setdefault("charset", "utf8mb4")
        url = url.set(query=query)
    options.update(kwargs)
    engine = create_engine(url, **options)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN until the first write and breaks SAVEPOINTs; take it over
    # (the workaround SQLAlchemy documents) so a SQLAlchemy transaction is a real SQLite transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")

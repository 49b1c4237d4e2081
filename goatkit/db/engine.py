"""Engine creation with the per-backend settings GoatKit relies on.

SQLite gets WAL mode, foreign keys and a busy timeout on every connection, so the embedded default behaves like a
server database for concurrent readers.  PostgreSQL and MySQL/MariaDB get UTF-8 and sane pool settings.

Example::

    engine = make_engine("sqlite:///var/gotrs.db")
"""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
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


#: Pooled connections of a server database when the settings name none (``database_pool_size``).
DEFAULT_POOL = 10


def make_engine(url: str | URL, *, pool: int = 0, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with GoatKit's connection settings applied.

    ``pool``: connections a server database keeps pooled, as many more opened at peak (0: :data:`DEFAULT_POOL`
    pooled and 20 more at peak).  A request may hold two (a reading one and a writing transaction), so a threaded
    worker needs as many as it has threads: fewer, and a burst of writers could wait on each other for the pool's
    timeout.
    """
    url = make_url(url)
    backend = backend_name(url)
    options: dict[str, Any] = {"future": True}
    pooled = {"pool_size": pool, "max_overflow": pool} if pool else {"pool_size": DEFAULT_POOL, "max_overflow": 20}
    if "poolclass" in kwargs:  # a caller's own pool (StaticPool, NullPool) takes no sizes
        pooled = {}
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
        options["connect_args"] = {"check_same_thread": False, "timeout": 10}
        # A file database is cheap to open; NullPool avoids sharing a connection across forked workers.
        options["poolclass"] = NullPool
    elif backend == "postgresql":
        options.update(pooled)
    elif backend == "mysql":
        options.update(pooled, pool_recycle=3600)
        query = dict(url.query)
        query.setdefault("charset", "utf8mb4")
        url = url.set(query=query)
    options.update(kwargs)
    engine = create_engine(url, **options)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    elif "pool_pre_ping" not in kwargs:
        ping_when_idle(engine)
    return engine


#: A pooled connection unused for longer than this is checked before it is handed out.
IDLE_PING_SECONDS = 10.0


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Check a pooled connection's liveness only when it sat idle for ``idle_seconds``.

    ``pool_pre_ping`` pings on every checkout: a round trip per request, for the rare connection a server restart
    or a firewall dropped, and those die while idle.  A busy pool now pays nothing; a dead idle connection is
    replaced before use (``DisconnectionError`` makes the pool retry with a fresh one, SQLAlchemy's documented
    pessimistic pattern).
    """

    @event.listens_for(engine, "checkin")
    def _stamp(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["goatkit_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("goatkit_idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            if not engine.dialect.do_ping(dbapi_connection):
                raise exc.DisconnectionError("the connection did not answer")
        except exc.DisconnectionError:
            raise
        except Exception as error:
            raise exc.DisconnectionError(str(error)) from error


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

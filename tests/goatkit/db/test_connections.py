"""Connection handling on real servers: idle connections checked before use, one shared read connection a request."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

from goatkit.db import make_engine, reader
from goatkit.db.engine import DEFAULT_POOL
from goatkit.platform import SERVING, Platform
from goatkit.settings import Settings


@pytest.mark.parametrize("url_fixture", ["postgres_url", "mariadb_url"])
def test_a_dropped_idle_connection_is_replaced_before_use_and_a_busy_one_is_not_pinged(
    request: pytest.FixtureRequest, url_fixture: str
) -> None:
    url = request.getfixturevalue(url_fixture)
    postgres = url_fixture == "postgres_url"
    engine, admin = make_engine(url), create_engine(url, poolclass=NullPool)
    pings: list[bool] = []
    ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda dbapi_connection: pings.append(True) or ping(dbapi_connection)  # type: ignore[method-assign]
    try:
        with engine.connect() as conn:
            backend = conn.execute(text("SELECT pg_backend_pid()" if postgres else "SELECT CONNECTION_ID()")).scalar()
        with engine.connect() as conn:  # back in the pool a moment ago: handed out with no round trip
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert pings == []

        with admin.connect() as killer:  # the server drops the pooled connection, as a restart would
            killer.execute(text("SELECT pg_terminate_backend(:pid)" if postgres else "KILL :pid"), {"pid": backend})
        pool: Any = engine.pool
        for record in list(pool._pool.queue):  # the pooled connection has now been idle for a minute
            record.info["goatkit_idle_since"] -= 60
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 2")).scalar() == 2  # a fresh connection, no error for the request
        assert pings == [True]
    finally:
        engine.dispose()
        admin.dispose()


def test_asking_for_pre_ping_replaces_the_idle_check(postgres_url: str) -> None:
    default, pinging = make_engine(postgres_url), make_engine(postgres_url, pool_pre_ping=True)
    try:
        assert len(default.pool.dispatch.checkout) == 1 and not default.pool._pre_ping  # type: ignore[attr-defined]
        assert len(pinging.pool.dispatch.checkout) == 0 and pinging.pool._pre_ping  # type: ignore[attr-defined]
    finally:
        default.dispose()
        pinging.dispose()


def test_the_reads_of_a_request_share_one_autocommit_connection_on_postgresql(db_url: str) -> None:
    engine = make_engine(db_url)
    app = Flask(__name__)
    reader.init_app(app)
    try:
        with app.test_request_context("/"):
            with reader.reading(engine) as first, reader.reading(engine) as second:
                shared = first is second
                first.execute(text("SELECT 1"))
            with engine.begin() as writer:  # a write of the same request, committed
                writer.execute(text("CREATE TABLE seen (id INTEGER)"))
                writer.execute(text("INSERT INTO seen VALUES (7)"))
            with reader.reading(engine) as later:
                assert later.execute(text("SELECT id FROM seen")).scalar() == 7  # sees the commit
            app.do_teardown_request()
        assert shared == (engine.dialect.name == "postgresql")
        if shared:
            assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]  # returned when the request ended
    finally:
        engine.dispose()


def test_an_autocommit_write_is_committed_at_once_whatever_the_caller_has_open(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    app = Flask(__name__)
    reader.init_app(app)
    try:
        with engine.begin() as setup:
            setup.execute(text("CREATE TABLE IF NOT EXISTS tally (n INTEGER)"))
            setup.execute(text("DELETE FROM tally"))
        with app.test_request_context("/"), engine.connect() as caller:
            caller.execute(text("INSERT INTO tally VALUES (1)"))  # the caller's transaction stays open
            with reader.autocommit(engine) as now, reader.reading(engine) as shared:
                now.execute(text("INSERT INTO tally VALUES (2)"))
                same = now is shared  # in a request: the request's autocommit connection, no second checkout
            caller.rollback()
            app.do_teardown_request()
        with reader.autocommit(engine) as outside:  # outside a request: a fresh connection, committed all the same
            outside.execute(text("INSERT INTO tally VALUES (3)"))
        with engine.connect() as check:
            assert sorted(check.execute(text("SELECT n FROM tally")).scalars()) == [2, 3]
        assert same
    finally:
        with engine.begin() as cleanup:
            cleanup.execute(text("DROP TABLE IF EXISTS tally"))
        engine.dispose()


@pytest.mark.parametrize("url_fixture", ["postgres_url", "mariadb_url"])
def test_every_thread_can_hold_a_reading_and_a_writing_connection_at_once(
    request: pytest.FixtureRequest, url_fixture: str
) -> None:
    """A pool sized for N threads (``pool=N``) opens 2N connections at peak: N requests that each hold a reading
    connection while they write all get both, where a pool of N alone would leave them waiting on each other."""
    threads = 4
    url = request.getfixturevalue(url_fixture)
    engine = make_engine(url, pool=threads, pool_timeout=3)
    pool: Any = engine.pool
    assert (pool.size(), pool._max_overflow) == (threads, threads)
    both = threading.Barrier(threads, timeout=10)

    def request_like() -> int:
        with engine.connect() as reading:
            reading.execute(text("SELECT 1"))
            both.wait()  # every thread holds one connection...
            with engine.begin() as writing:  # ...and asks for a second
                return int(writing.execute(text("SELECT 2")).scalar() or 0)

    try:
        with ThreadPoolExecutor(threads) as executor:
            assert list(executor.map(lambda _i: request_like(), range(threads))) == [2] * threads
        small = make_engine(url, pool=threads // 2, pool_timeout=1)  # the same burst on half the pool: refused
        with pytest.raises(PoolTimeout, match="QueuePool limit"), ThreadPoolExecutor(threads) as executor:
            list(executor.map(lambda _i: hold_two(small), range(threads)))
        small.dispose()
    finally:
        engine.dispose()


def hold_two(engine: Any) -> None:
    with engine.connect() as first, engine.connect() as second:
        first.execute(text("SELECT 1"))
        second.execute(text("SELECT 1"))
        time.sleep(1.5)  # all threads hold theirs while the last ones ask


def test_the_pool_follows_the_settings_else_the_serving_threads(postgres_url: str, tmp_path: Path) -> None:
    assert make_engine(postgres_url).pool.size() == DEFAULT_POOL
    named = Platform(Settings(var_dir=tmp_path, database_url=postgres_url, database_pool_size=7))
    SERVING["threads"] = 24
    try:
        served = Platform(Settings(var_dir=tmp_path, database_url=postgres_url))
        assert (named.engine.pool.size(), served.engine.pool.size()) == (7, 24)  # type: ignore[attr-defined]
    finally:
        SERVING["threads"] = 0
        named.close()
        served.close()

"""Revocation lists (Redis and database) and the counters' window end that throttling reports as Retry-After."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from goatkit.auth.revocation import DatabaseRevocationList, RedisRevocationList, RevocationList
from goatkit.auth.sessions import SessionStore
from goatkit.counters import Counters, DatabaseCounters, RedisCounters
from goatkit.db import make_engine
from modules.db import MIGRATIONS


@pytest.fixture(params=["database", "redis"])
def backend(request: pytest.FixtureRequest, db_url: str) -> Iterator[tuple[RevocationList, Counters]]:
    if request.param == "redis":
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        client.flushdb()
        yield RedisRevocationList(client), RedisCounters(client)
        return
    engine = make_engine(db_url)
    MIGRATIONS.upgrade(engine)
    yield DatabaseRevocationList(engine), DatabaseCounters(engine)
    engine.dispose()


def test_revocations(backend: tuple[RevocationList, Counters]) -> None:
    revocations, _ = backend
    assert not revocations.any_revoked("jti-1", "sid-1")
    assert not revocations.any_revoked()
    revocations.revoke("sid-1", expires_at=int(time.time()) + 60)
    revocations.revoke("sid-1", expires_at=int(time.time()) + 120)  # twice is fine
    assert revocations.any_revoked("jti-1", "sid-1")
    assert revocations.any_revoked("sid-1", "")
    assert not revocations.any_revoked("jti-1", "")
    revocations.revoke("old", expires_at=int(time.time()) - 10)
    revocations.purge_expired()
    assert revocations.any_revoked("sid-1")


def test_seconds_left_in_a_window(backend: tuple[RevocationList, Counters]) -> None:
    _, counters = backend
    assert counters.seconds_left("nothing") == 0
    counters.hit("lock", 30)
    assert 29 <= counters.seconds_left("lock") <= 30
    counters.reset("lock")
    assert counters.seconds_left("lock") == 0


def test_session_store(db_url: str) -> None:
    engine = make_engine(db_url)
    MIGRATIONS.upgrade(engine)
    store = SessionStore(engine, touch_every=60)
    first = store.create(realm="staff", user_id=7, login="x" * 300, ip="", user_agent="ua" * 200, lifetime=60)
    assert len(first.login) == 200 and first.ip == "-" and len(first.user_agent) == 250
    short = store.create(realm="client", user_id="c-1", login="c", ip="::1", user_agent="", lifetime=1)
    assert [s.session_id for s in store.list_active()] in (
        [first.session_id, short.session_id],
        [short.session_id, first.session_id],
    )
    assert [s.realm for s in store.list_active(realm="client")] == ["client"]
    time.sleep(1.1)
    assert [s.session_id for s in store.list_active()] == [first.session_id]  # expired ones are not listed
    assert store.end(first.session_id) is not None
    assert store.end(first.session_id) is None and store.end("unknown") is None
    assert store.list_active() == []
    store.purge()
    assert store.get(first.session_id) is not None  # ended rows are kept a month
    engine.dispose()

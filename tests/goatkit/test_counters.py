import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from goatkit.counters import Counters, DatabaseCounters, RedisCounters
from goatkit.db import make_engine
from modules.db import MIGRATIONS


@pytest.fixture(params=["database", "redis"])
def counters(request: pytest.FixtureRequest, sqlite_url: str) -> Counters:
    if request.param == "redis":
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        client.flushdb()
        return RedisCounters(client)
    engine = make_engine(sqlite_url)  # both database backends: test_concurrent_hits_are_all_counted
    MIGRATIONS.upgrade(engine)
    return DatabaseCounters(engine)


def test_counts_within_a_window_and_resets(counters: Counters) -> None:
    assert [counters.hit("k", 60) for _ in range(3)] == [1, 2, 3]
    assert counters.count("k") == 3
    assert counters.count("other") == 0
    counters.reset("k")
    assert counters.count("k") == 0
    assert counters.hit("k", 60) == 1


def test_a_new_window_starts_at_one(counters: Counters) -> None:
    counters.hit("w", 1)
    counters.hit("w", 1)
    time.sleep(2.05)
    assert counters.count("w") == 0
    assert counters.hit("w", 1) == 1


def test_concurrent_hits_are_all_counted(db_url: str) -> None:
    engine = make_engine(db_url)
    MIGRATIONS.upgrade(engine)
    counters = DatabaseCounters(engine)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: counters.hit("busy", 300), range(40)))
    assert sorted(results) == list(range(1, 41))
    assert counters.count("busy") == 40
    engine.dispose()

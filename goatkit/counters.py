"""Fixed-window counters shared by every worker: in Redis when configured, in the database otherwise.

Rate limits and sign-in throttling need a count that all gunicorn workers see.  Redis does it with ``INCR`` and an
expiry; without Redis, one row per key in ``goatkit_counter`` does it with a conditional ``UPDATE`` (portable to
SQLite, PostgreSQL and MySQL, and safe under concurrency because the row update is atomic).

Example::

    counters = counters_for(platform)
    if counters.hit(f"login:{ip}:{login}", window_seconds=300) > 5:
        ...
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine, case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from goatkit.db.tables import goatkit_counter

if TYPE_CHECKING:
    import redis

    from goatkit.platform import Platform

KEY_PREFIX = "goatkit:counter:"


class Counters(Protocol):
    def hit(self, key: str, window_seconds: int) -> int:
        """Count one hit on ``key`` and return the hits in the current window (a new window starts at 1)."""

    def count(self, key: str) -> int:
        """The hits in the current window, without counting one."""

    def reset(self, key: str) -> None:
        """Forget ``key``."""

    def seconds_left(self, key: str) -> int:
        """Seconds until the current window of ``key`` ends (0 when it has none): a ``Retry-After`` value."""


class RedisCounters:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def hit(self, key: str, window_seconds: int) -> int:
        pipe = self.client.pipeline()
        pipe.incr(KEY_PREFIX + key)
        pipe.expire(KEY_PREFIX + key, window_seconds, nx=True)
        hits, _ = pipe.execute()
        return int(hits)

    def count(self, key: str) -> int:
        value = self.client.get(KEY_PREFIX + key)
        return int(value) if value is not None else 0

    def reset(self, key: str) -> None:
        self.client.delete(KEY_PREFIX + key)

    def seconds_left(self, key: str) -> int:
        return max(int(self.client.ttl(KEY_PREFIX + key)), 0)  # -2 (no key) and -1 (no expiry) mean none


class DatabaseCounters:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def hit(self, key: str, window_seconds: int) -> int:
        now = int(time.time())
        expired = goatkit_counter.c.window_end <= now
        bump = (
            update(goatkit_counter)
            .where(goatkit_counter.c.counter_key == key)
            .values(
                hits=case((expired, 1), else_=goatkit_counter.c.hits + 1),
                window_end=case((expired, now + window_seconds), else_=goatkit_counter.c.window_end),
            )
        )
        for _attempt in range(3):
            with self.engine.begin() as conn:
                if conn.execute(bump).rowcount == 0:
                    try:
                        with conn.begin_nested():
                            conn.execute(
                                insert(goatkit_counter).values(counter_key=key, hits=1, window_end=now + window_seconds)
                            )
                        return 1
                    except IntegrityError:
                        continue  # another worker inserted it first: count on its row
                hits = conn.execute(select(goatkit_counter.c.hits).where(goatkit_counter.c.counter_key == key))
                return int(hits.scalar_one())
        raise RuntimeError(f"could not count a hit on {key!r}")

    def count(self, key: str) -> int:
        query = select(goatkit_counter.c.hits).where(
            goatkit_counter.c.counter_key == key, goatkit_counter.c.window_end > int(time.time())
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def reset(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(goatkit_counter).where(goatkit_counter.c.counter_key == key))

    def seconds_left(self, key: str) -> int:
        query = select(goatkit_counter.c.window_end).where(goatkit_counter.c.counter_key == key)
        with self.engine.connect() as conn:
            window_end = conn.execute(query).scalar()
        return max(int(window_end or 0) - int(time.time()), 0)


def counters_for(platform: Platform) -> Counters:
    """Redis counters when the platform has Redis, database counters otherwise."""
    if platform.redis is not None:
        return RedisCounters(platform.redis)
    return DatabaseCounters(platform.engine)

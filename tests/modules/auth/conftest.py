from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.modules.auth import Helpdesk, make_helpdesk


@pytest.fixture
def helpdesk(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    """GOTRS on SQLite and on PostgreSQL, with root@localhost, agent jane and customer cust@example.com."""
    desk = make_helpdesk(db_url, tmp_path)
    yield desk
    desk.close()


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Callable[..., Helpdesk]]:
    """Build a helpdesk on SQLite with extra settings (``make(auth_access_token_seconds=1)``)."""
    made: list[Helpdesk] = []

    def build(**config: Any) -> Helpdesk:
        var_dir = tmp_path / f"desk{len(made)}"
        desk = make_helpdesk(f"sqlite:///{var_dir / 'gotrs.db'}", var_dir, **config)
        made.append(desk)
        return desk

    yield build
    for desk in made:
        desk.close()


@pytest.fixture
def clean_redis(redis_url: str) -> str:
    """The test Redis, emptied (throttle counters and revocations from other tests would interfere)."""
    redis.Redis.from_url(redis_url).flushdb()
    return redis_url

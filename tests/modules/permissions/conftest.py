"""Fixtures of the permission tests: a fresh OTRS database (initial data only) on each backend, and its builder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.modules.permissions.world import World, make_database


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine: Engine) -> World:
    return World(engine)

"""Shared fixtures: real databases and services, started by ``scripts/test-services.sh``.

Every database test takes the ``db_url`` fixture and so runs on SQLite and on PostgreSQL.  A missing server skips
those tests locally, but fails them when ``CI=true``: a green run never hides an absent database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SERVICES_ENV = ROOT / "var" / "test-services.env"


def _load_services_env() -> None:
    if SERVICES_ENV.exists():
        for line in SERVICES_ENV.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key and key not in os.environ:
                os.environ[key] = value


_load_services_env()
# Hundreds of test apps must not each start a file watcher; the hot-reload tests turn it on explicitly.
os.environ.setdefault("GOTRS_MODULES_WATCH", "0")


def require_service(env_var: str, what: str) -> str:
    """Return the URL of a test service, or skip (fail under CI) with a message that says how to start it."""
    url = os.environ.get(env_var)
    if url:
        return url
    message = f"{what} is not running ({env_var} unset): start it with `scripts/test-services.sh start` or `make test`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def shared_path(*parts: str) -> Path:
    """Return a path under ../shared, or skip with a clear message where the reference material is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference material {path} is absent (../shared is not part of the product)")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gotrs-test.db'}"


def _server_database(env_var: str, what: str, create: str, drop: str) -> Iterator[str]:
    server = make_url(require_service(env_var, what))
    name = f"gotrs_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(create.format(name=name)))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(drop.format(name=name)))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _server_database(
        "GOTRS_TEST_PG_URL",
        "PostgreSQL",
        "CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0",
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)",
    )


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    yield from _server_database(
        "GOTRS_TEST_MARIADB_URL",
        "MariaDB",
        "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        "DROP DATABASE IF EXISTS {name}",
    )


@pytest.fixture
def redis_url() -> str:
    return require_service("GOTRS_TEST_REDIS_URL", "Redis")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on each backend every DB test must pass on."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))

"""The platform object: one per Flask app, holding settings, the database engine and optional Redis.

Applications create it in their factory and reach it from request code with :func:`current_platform`.

Example::

    platform = Platform(load_settings())
    platform.init_app(app)
    ...
    engine = current_platform().engine
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy import Connection, Engine

from goatkit.db import make_engine, reader
from goatkit.settings import Settings

if TYPE_CHECKING:
    import redis

EXTENSION_KEY = "goatkit"


class Platform:
    """Settings and shared resources of one GoatKit application."""

    def __init__(self, settings: Settings, *, root: Path | None = None) -> None:
        self.settings = settings
        #: The application's source root: where ``modules/``, ``routes/``, ``themes/`` and ``lambdas/`` live.
        self.root = root or Path.cwd()

    @cached_property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first use."""
        return make_engine(self.settings.database_url, pool=self.settings.database_pool_size or SERVING["threads"])

    @cached_property
    def redis(self) -> redis.Redis | None:
        """A Redis client when ``redis_url`` is set, else ``None``: every caller must work without it."""
        if not self.settings.redis_url:
            return None
        import redis as redis_lib

        return redis_lib.Redis.from_url(self.settings.redis_url, socket_timeout=2, socket_connect_timeout=2)

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION_KEY] = self
        reader.init_app(app)
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = self.settings.secret_key
        app.config["MAX_CONTENT_LENGTH"] = self.settings.request_max_bytes  # before any upload is spooled to disk

    def reading(self) -> AbstractContextManager[Connection]:
        """A connection for reads, shared by the reads of a request where that is safe (``goatkit/db/reader.py``)."""
        return reader.reading(self.engine)

    def close(self) -> None:
        """Release pooled connections (tests and forked workers call this)."""
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__ and self.redis is not None:
            self.redis.close()


#: Facts of this process that settings do not hold: ``threads``, the request threads of the threaded server that
#: runs it (set by ``gotrs serve --workers`` before it makes the app), sizes the connection pool when the settings
#: name no ``database_pool_size``.
SERVING: dict[str, int] = {"threads": 0}


def current_platform(app: Flask | None = None) -> Platform:
    """Return the :class:`Platform` of ``app`` (default: the current app)."""
    target: Any = app or current_app
    platform = target.extensions.get(EXTENSION_KEY)
    if platform is None:
        raise RuntimeError("this Flask app has no GoatKit platform: call Platform(settings).init_app(app)")
    return platform  # type: ignore[no-any-return]

"""The lambda runtime of a Flask app: created with the app, its sandbox processes started on first use.

Example::

    init_app(app, platform, policy=my_policy)      # in the app factory, before the module registry
    outcomes = runtime().evaluate(calls)           # in request code
"""

from __future__ import annotations

import atexit
from collections.abc import Callable, Iterable, Mapping

from flask import Flask, current_app

from goatkit.lambdas.runtime import LambdaRuntime, Limits
from goatkit.lambdas.sqlguard import ReadPolicy
from goatkit.platform import Platform
from goatkit.settings import Settings

EXTENSION_KEY = "goatkit.lambdas"


def limits_of(settings: Settings) -> Limits:
    """The ``lambda_*`` settings as :class:`Limits`."""
    return Limits(
        workers=settings.lambda_workers,
        timeout_ms=settings.lambda_timeout_ms,
        max_timeout_ms=settings.lambda_max_timeout_ms,
        memory_mb=settings.lambda_memory_mb,
        max_memory_mb=settings.lambda_max_memory_mb,
        budget_ms=settings.lambda_budget_ms,
        query_timeout_ms=settings.lambda_query_timeout_ms,
        query_rows=settings.lambda_query_rows,
    )


def init_app(
    app: Flask, platform: Platform, *, policy: ReadPolicy | Callable[[], ReadPolicy] | None = None
) -> LambdaRuntime:
    """Attach a :class:`LambdaRuntime` to ``app``; ``policy`` says what ``db.query`` may read (default: nothing)."""
    made = LambdaRuntime(platform.engine, limits=limits_of(platform.settings), policy=policy)
    app.extensions[EXTENSION_KEY] = made
    atexit.register(made.close)
    return made


def module_policy(
    denied: Callable[[str], bool] = lambda _table: False, hidden: Mapping[str, Iterable[str]] | None = None
) -> Callable[[], ReadPolicy]:
    """A read policy for ``db.query``: every table but GoatKit's own and those ``denied`` says no to, with the
    ``password`` fields of every loaded module and the ``hidden`` columns never readable.  Built per module
    snapshot (it changes when modules reload), in request code.

    Example::

        init_app(app, platform, policy=module_policy(lambda t: t in {"sessions"}, {"users": ["pw"]}))
    """
    cache: dict[int, tuple[object, ReadPolicy]] = {}

    def policy() -> ReadPolicy:
        from goatkit.engine.extension import modules  # the engine imports this module

        snapshot = modules().snapshot()
        hit = cache.get(id(snapshot))
        if hit is not None and hit[0] is snapshot:
            return hit[1]
        columns: dict[str, set[str]] = {table: set(names) for table, names in (hidden or {}).items()}
        for module in snapshot.values():
            for rf in module.fields:
                if rf.spec.type == "password" and rf.column is not None:
                    columns.setdefault(module.table.name.lower(), set()).add(rf.column.name.lower())
        made = ReadPolicy(
            readable=lambda table: not table.startswith("goatkit_") and not denied(table),
            hidden_columns={table: frozenset(names) for table, names in columns.items()},
        )
        cache.clear()
        cache[id(snapshot)] = (snapshot, made)
        return made

    return policy


def runtime(app: Flask | None = None) -> LambdaRuntime | None:
    """The app's runtime, or ``None`` when the app has no lambdas."""
    target = app or current_app
    found = target.extensions.get(EXTENSION_KEY)
    return found if isinstance(found, LambdaRuntime) else None

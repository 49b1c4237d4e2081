"""The GOTRS app as the ticket benchmarks run it: every built-in module and route, wrapped in ``ServerTiming``.

gunicorn starts :func:`create_app` with the environment :func:`benchmarks.tickets.targets.prepare` wrote: the
dataset's database, a fixed secret key (so the harness signs in before the run), Redis if given, no file watching.
Every measured request carries the agent's bearer token and goes through the whole stack a browser or API client
takes: sign-in check, token revocation, agent middleware, permissions, the screen or API handler.

Example::

    BENCH_DB_URL=... BENCH_SECRET_KEY=... BENCH_VAR_DIR=var/bench/tickets-app BENCH_REDIS_URL= \\
        gunicorn 'benchmarks.tickets.app:create_app()'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from benchmarks.engine.timing import ServerTiming


def settings(db_url: str, secret_key: str, var_dir: Path, redis_url: str = "") -> dict[str, Any]:
    """The app's settings (also used in-process by the harness to sign in)."""
    return {
        "database_url": db_url,
        "redis_url": redis_url,
        "secret_key": secret_key,
        "var_dir": var_dir,
        "modules_watch": False,
        "log_level": "WARNING",
        "auth_access_token_seconds": 4 * 3600,
    }


def create_app() -> Flask:
    from gotrs_app import create_app as create_gotrs

    environ = os.environ
    app = create_gotrs(
        settings(
            environ["BENCH_DB_URL"],
            environ["BENCH_SECRET_KEY"],
            Path(environ["BENCH_VAR_DIR"]),
            environ.get("BENCH_REDIS_URL", ""),
        )
    )
    app.wsgi_app = ServerTiming(app.wsgi_app)  # type: ignore[method-assign]
    return app

"""The engine as the benchmark runs it: the real GOTRS app (auth, permissions, registry, list view, full page).

gunicorn starts :func:`create_app` with the environment that :func:`benchmarks.engine.engine_ref.engine_target`
prepared: the bench database (which also holds the OTRS schema, for sign-in and permissions), a fixed secret key
(so the target can sign in and build cursors before the run), this folder's ``modules/`` only, no file watching.
Every measured request carries a bearer token and goes through the whole stack, exactly as an admin's browser would.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from benchmarks.engine.timing import ServerTiming

HERE = Path(__file__).resolve().parent
MODULE = "bench_ticket"


def settings(db_url: str, secret_key: str, var_dir: Path, redis_url: str = "") -> dict[str, Any]:
    """The app's settings for the benchmark (also used in-process by the target to sign in)."""
    return {
        "database_url": db_url,
        "redis_url": redis_url,
        "secret_key": secret_key,
        "var_dir": var_dir,
        "modules_builtin": False,
        "modules_path": str(HERE / "modules"),
        "modules_watch": False,
        "log_level": "WARNING",
        "auth_access_token_seconds": 4 * 3600,
    }


def create_app() -> Flask:
    from gotrs_app import create_app as create_gotrs

    environ = os.environ
    config = settings(
        environ["BENCH_DB_URL"], environ["BENCH_SECRET_KEY"], Path(environ["BENCH_VAR_DIR"]), environ["BENCH_REDIS_URL"]
    )
    app = create_gotrs(config)
    app.wsgi_app = ServerTiming(app.wsgi_app)  # type: ignore[method-assign]
    return app

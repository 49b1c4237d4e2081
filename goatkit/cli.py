"""The ``gotrs`` command line: platform commands here, application commands added by the app.

Applications call :func:`build_cli` with their app factory and add their own groups (``db``, ``seed`` ...).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from flask import Flask

from goatkit.platform import SERVING, current_platform

AppFactory = Callable[..., Flask]


#: Threads per gunicorn worker of ``gotrs serve`` (benchmarks run the app the same way).
DEFAULT_THREADS = 32


def build_cli(create_app: AppFactory, *, name: str = "gotrs") -> click.Group:
    """Return the root command group with ``serve`` and ``check``."""

    @click.group(name=name, context_settings={"help_option_names": ["-h", "--help"]})
    @click.pass_context
    def cli(ctx: click.Context) -> None:
        """GOTRS command line."""
        ctx.obj = create_app

    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
    @click.option(
        "--workers",
        default=0,
        type=click.IntRange(0, 64),
        help="Serve with gunicorn and this many worker processes (0: the development server).",
    )
    @click.option(
        "--threads",
        default=DEFAULT_THREADS,
        show_default=True,
        type=click.IntRange(2, 512),
        help="Threads per gunicorn worker: live event streams hold one each for about a minute.",
    )
    @click.option("--debug/--no-debug", default=False, help="Development server with the debugger and reloader.")
    def serve(host: str, port: int, workers: int, threads: int, debug: bool) -> None:
        """Serve the web application (the development server is threaded; gunicorn runs gthread workers)."""
        if workers:
            _serve_gunicorn(create_app, host, port, workers, threads)
            return
        app = create_app()
        click.echo(f"GOTRS serving on http://{host}:{port}/  (database: {_describe_db(app)})")
        app.run(host=host, port=port, debug=debug, use_reloader=debug, threaded=True)

    @cli.command()
    def check() -> None:
        """Validate every YAML file (modules, routes, themes, i18n), then resolve the modules against the database.

        Each problem is printed as file:line: key: message.  When the database (database_url) can be reached, every
        module is resolved against it as the running app would: a missing table or column, or a NOT NULL column that
        no create fills, is a problem too.  When it cannot be reached (or has no tables yet), one line says so and
        only the files are checked.  Exit status 1 when there is a problem, else 0 (an unreachable database is not a
        problem).
        """
        from goatkit.checks import check_database, check_tree

        platform = current_platform(create_app())
        problems, checked = check_tree(platform)
        db_problems, note = check_database(platform, problems)
        problems += db_problems
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(note)
        if problems:
            click.echo(f"{len(problems)} problem(s) in {checked} file(s).", err=True)
            sys.exit(1)
        click.echo(f"{checked} YAML file(s) OK.")

    return cli


def _describe_db(app: Flask) -> str:
    url = current_platform(app).engine.url
    return url.render_as_string(hide_password=True)


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """gunicorn's settings: threaded workers (``gthread``), because a server-sent event stream holds its thread
    for about a minute and the default sync worker would serve nothing else meanwhile.  A stop waits at most 10 s
    for requests in flight: open streams would otherwise hold it for their whole minute (browsers reconnect)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "graceful_timeout": 10,
        "accesslog": None,
    }


def _serve_gunicorn(create_app: AppFactory, host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in gunicorn_options(host, port, workers, threads).items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            SERVING["threads"] = threads  # the connection pool's size, unless the settings name one
            app = create_app()
            if workers > 1 and current_platform(app).redis is None:
                app.logger.warning(
                    "%d workers without redis_url: live updates reach only the agents served by the same worker; "
                    "set redis_url (GOTRS_REDIS_URL) for live updates across workers",
                    workers,
                )
            return app

    click.echo(f"GOTRS serving on http://{host}:{port}/ with {workers} gunicorn workers of {threads} threads")
    _Server().run()

"""The GOTRS application: ``create_app()`` builds the Flask app, ``app`` serves WSGI, ``main()`` is ``gotrs``.

GoatKit (``goatkit/``) is the platform; the helpdesk lives in ``modules/``.  This file only wires them together.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from goatkit import health
from goatkit.cli import build_cli
from goatkit.errors import init_error_handlers
from goatkit.logs import configure_logging, init_request_logging
from goatkit.platform import Platform, current_platform
from goatkit.settings import Settings, load_settings
from modules.settings import GotrsSettings

ROOT = Path(__file__).resolve().parent
GOATKIT_DIR = ROOT / "goatkit"


def create_app(config: dict[str, Any] | Settings | None = None) -> Flask:
    """Build the GOTRS Flask app.  ``config`` overrides settings (keys as in :class:`goatkit.settings.Settings`)."""
    settings = config if isinstance(config, Settings) else load_settings(GotrsSettings, **(config or {}))
    configure_logging(settings.log_level, settings.log_format)

    app = Flask("gotrs", static_folder=str(GOATKIT_DIR / "static"), static_url_path="/static", root_path=str(ROOT))
    app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
        [FileSystemLoader(str(ROOT / "modules" / "templates")), FileSystemLoader(str(GOATKIT_DIR / "templates"))]
    )
    app.config["APP_NAME"] = "GOTRS"
    platform = Platform(settings, root=ROOT)
    platform.init_app(app)
    init_request_logging(app)
    init_error_handlers(app)

    app.register_blueprint(health.bp)
    health.READINESS_CHECKS["schema"] = _schema_ready

    from modules.web.home import bp as home_bp

    app.register_blueprint(home_bp)
    return app


def _schema_ready() -> str | None:
    from modules.db import MIGRATIONS

    engine = current_platform().engine
    if not MIGRATIONS.is_current(engine):
        return "not initialised: run `gotrs db init`"
    return None


def main() -> None:
    """Entry point of the ``gotrs`` console script."""
    from modules.db.commands import db, seed

    cli = build_cli(create_app)
    cli.add_command(db)
    cli.add_command(seed)
    cli()


class _LazyApp:
    """The module-level WSGI ``app`` for ``gunicorn gotrs_app:app``, built on first request, not at import."""

    @cached_property
    def wrapped(self) -> Flask:
        return create_app()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.wrapped(environ, start_response)


app = _LazyApp()

if __name__ == "__main__":
    main()

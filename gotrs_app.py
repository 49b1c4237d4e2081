"""The GOTRS application: ``create_app()`` builds the Flask app, ``app`` serves WSGI, ``main()`` is ``gotrs``.

GoatKit (``goatkit/``) is the platform; the helpdesk lives in ``modules/``.  This file only wires them together.
"""

from __future__ import annotations

import importlib
import sys
from functools import cached_property
from pathlib import Path
from typing import Any

import click
from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from goatkit import health, i18n, live
from goatkit.cli import build_cli
from goatkit.engine import extension as engine_extension
from goatkit.errors import init_error_handlers
from goatkit.lambdas import extension as lambdas_extension
from goatkit.logs import configure_logging, init_request_logging
from goatkit.platform import Platform, current_platform
from goatkit.routing import RouteError, init_routes
from goatkit.security import init_security_headers
from goatkit.settings import Settings, load_settings
from modules.settings import GotrsSettings

ROOT = Path(__file__).resolve().parent
GOATKIT_DIR = ROOT / "goatkit"

#: Modules that register route handlers and middleware tokens when imported (``@handler``, ``@middleware``).
#: The route files may only name what these register; nothing is discovered by scanning the file system.
ROUTE_MODULES = (
    "goatkit.health",
    "modules.web.home",
    "modules.auth",  # sign-in pages, auth API, admin sessions; tokens auth, agent, customer, csrf
    "modules.permissions.tokens",  # admin, queue_*, queue_access_*, ticket_access_*
    "goatkit.engine.api",  # the JSON API of every YAML module
    "goatkit.engine.data_views",  # history, CSV export and import of every YAML module
    "goatkit.engine.views",  # the admin screens of every YAML module (page, htmx fragment, JSON)
    "goatkit.engine.relation_views",  # the matrix screens and JSON of relation modules
    "goatkit.engine.openapi",  # its OpenAPI document
    "goatkit.engine.playground",  # the lambda playground
    "modules.admin.attachments",  # standard attachment downloads
    "modules.tickets.api",  # the ticket JSON API
    "modules.tickets.web.dashboard",  # /agent: the agent's ticket lists
    "modules.tickets.web.queue_view",  # /agent/queues: queue tree, ticket list and bulk changes
    "modules.tickets.web.search_view",  # /agent/search and saved searches
    "modules.tickets.web.create",  # /agent/tickets/new: phone and email tickets; customer lookups
    "modules.tickets.web.zoom",  # /agent/tickets/<id> and its actions
    "modules.tickets.web.attachments",  # article attachment downloads
    "modules.automation.web",  # /admin/automation: GenericAgent jobs
    "modules.tickets.web.live",  # /agent/live: server-sent event streams of ticket changes (publishes them too)
)

#: Python companions of the YAML modules: importing one registers its hook classes (goatkit/engine/hooks.py) under
#: the names the specs use in ``hooks: [...]``.
COMPANION_MODULES: tuple[str, ...] = (
    "modules.admin.services",
    "modules.admin.calendars",  # checks of the working-time calendars (modules/calendar.yaml)
    "modules.admin.keys",
    "modules.admin.dynamic_fields",
    "modules.admin.mail_accounts",
    "modules.admin.postmaster_filters",
    "modules.admin.notifications",
    "modules.admin.attachments",
    "modules.tickets.list_scope",  # which tickets an agent's lists show (modules/ticket.yaml)
    "modules.tickets.dynamic_fields_columns",  # dynamic field columns of the ticket lists (modules/ticket.yaml)
)


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

    health.READINESS_CHECKS["schema"] = _schema_ready
    from modules.permissions.lambdas import lambda_read_policy

    lambdas_extension.init_app(app, platform, policy=lambda_read_policy())  # sandboxes start on first use
    engine_extension.init_app(app, platform)  # loads the module specs on first use, not here
    i18n.init_app(app, ROOT / "i18n", watch=settings.modules_watch)  # labels; language_of: user preferences later

    init_security_headers(app)
    live.init_app(app)  # live_position() in templates: where a page's event stream resumes
    for module in (*ROUTE_MODULES, *COMPANION_MODULES):
        importlib.import_module(module)
    from modules.auth import init_auth

    init_auth(app)
    from modules.permissions.engine import init_app as init_module_access

    init_module_access(app)  # module actions need OTRS group permissions (default rw on admin)
    from modules.admin.history_users import init_app as init_history_users

    init_history_users(app)  # the change history names agents
    from modules.automation.triggers import install as install_automation

    install_automation()  # GenericAgent event jobs listen to the ticket events
    init_routes(app, ROOT / "routes", watch=settings.routes_watch)
    return app


def _schema_ready() -> str | None:
    from modules.db import MIGRATIONS

    engine = current_platform().engine
    if not MIGRATIONS.is_current(engine):
        return "not initialised: run `gotrs db init`"
    return None


def main() -> None:
    """Entry point of the ``gotrs`` console script."""
    from goatkit.engine.cli import lambda_group, modules_group
    from goatkit.routing.cli import routes
    from modules.automation.commands import automation_group
    from modules.db.commands import db, seed
    from modules.tickets.commands import tickets_group

    cli = build_cli(create_app)
    cli.add_command(db)
    cli.add_command(seed)
    cli.add_command(routes)
    cli.add_command(modules_group)
    cli.add_command(lambda_group)
    cli.add_command(tickets_group)
    cli.add_command(automation_group)
    try:
        cli()
    except RouteError as exc:  # route files that cannot be served stop every command, with every problem listed
        click.echo(str(exc), err=True)
        sys.exit(1)


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

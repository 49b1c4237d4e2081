"""``gotrs db ...`` and ``gotrs seed ...``: create, upgrade and fill the database."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from goatkit.passwords import generate_password
from goatkit.platform import current_platform
from modules.db import MIGRATIONS

ADMIN_LOGIN = "root@localhost"


def _engine(ctx: click.Context) -> Engine:
    app: Flask = ctx.obj()
    return current_platform(app).engine


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group()
def db() -> None:
    """Create and upgrade the database."""


@db.command("init")
@click.pass_context
def db_init(ctx: click.Context) -> None:
    """Create the schema and the OTRS initial data (idempotent).

    The admin root@localhost gets $GOTRS_ADMIN_PASSWORD, or a random password printed once.
    """
    from modules.db.seed import insert_initial_data

    engine = _engine(ctx)
    try:
        MIGRATIONS.upgrade(engine)
        password = os.environ.get("GOTRS_ADMIN_PASSWORD") or ""
        generated = not password
        if generated:
            password = generate_password()
        with engine.begin() as conn:
            inserted = insert_initial_data(conn, admin_password=password)
    except SQLAlchemyError as exc:
        _fail(
            f"could not initialise the database at {engine.url.render_as_string()}: {exc.__class__.__name__}: "
            f"{getattr(exc, 'orig', exc)}"
        )
        return
    if not inserted:
        click.echo(f"Database already initialised (schema at {MIGRATIONS.current(engine)}).")
        click.echo(f"Admin login: {ADMIN_LOGIN}  (password as set at the first `gotrs db init`)")
        return
    click.echo(f"Database initialised at {engine.url.render_as_string()} (schema {MIGRATIONS.head()}).")
    if generated:
        click.echo(f"Admin login: {ADMIN_LOGIN}  password: {password}")
        click.echo("This password is shown once. Set your own with GOTRS_ADMIN_PASSWORD before `gotrs db init`.")
    else:
        click.echo(f"Admin login: {ADMIN_LOGIN}  password: from GOTRS_ADMIN_PASSWORD")


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply the pending migrations (idempotent)."""
    engine = _engine(ctx)
    before = MIGRATIONS.current(engine)
    try:
        MIGRATIONS.upgrade(engine)
    except SQLAlchemyError as exc:
        _fail(f"migration failed: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}")
    after = MIGRATIONS.current(engine)
    click.echo(f"Schema at {after}." if before == after else f"Schema upgraded from {before or 'empty'} to {after}.")


@db.command("status")
@click.pass_context
def db_status(ctx: click.Context) -> None:
    """Show the database URL, the schema revision and whether it is current."""
    engine = _engine(ctx)
    current = MIGRATIONS.current(engine)
    tables = len(inspect(engine).get_table_names())
    click.echo(f"database: {engine.url.render_as_string()}")
    click.echo(f"revision: {current or 'none'} (head {MIGRATIONS.head()}); tables: {tables}")
    if current != MIGRATIONS.head():
        sys.exit(1)


@click.group()
def seed() -> None:
    """Fill the database with sample data."""


@seed.command("demo")
@click.pass_context
def seed_demo_command(ctx: click.Context) -> None:
    """Add a realistic demo set (agents, customers, services, ~200 tickets); runs once."""
    from modules.db.seed import seed_demo

    engine = _engine(ctx)
    if not MIGRATIONS.is_current(engine):
        _fail("the database is not initialised: run `gotrs db init` first")
    with engine.begin() as conn:
        report = seed_demo(conn)
    if not report.get("seeded"):
        click.echo("Demo data already present.")
        return
    click.echo(
        f"Demo data added: {report.get('tickets', 0)} tickets, {len(report.get('agents', []))} agents, "
        f"{report.get('customers', 0)} customer users."
    )
    if report.get("agents"):
        click.echo(f"Demo agents: {', '.join(report['agents'])}  password: {report.get('password', '')}")

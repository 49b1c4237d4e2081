"""Alembic environment for GOTRS; run through goatkit.db.migrate.Migrations (``gotrs db upgrade``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from goatkit.db import make_engine
from modules.db import ALL_METADATA

config = context.config
target_metadata = list(ALL_METADATA)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    own_engine = engine is None
    if engine is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            # render_as_batch lets later migrations alter columns on SQLite (table copy-and-move).
            context.configure(
                connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        if own_engine:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Alembic, driven from code: the application names its migration directory, GoatKit runs it.

Example::

    migrations = Migrations(Path("modules/db/migrations"))
    migrations.upgrade(engine)                  # to head; a no-op when already there
    migrations.is_current(engine)               # True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table


class Migrations:
    """One Alembic script directory and the operations GoatKit needs on it."""

    def __init__(self, script_location: Path) -> None:
        self.script_location = script_location
        self._head: str | None = None

    def config(self, engine: Engine | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(self.script_location))
        if engine is not None:
            cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
            cfg.attributes["engine"] = engine
        return cfg

    def head(self) -> str:
        """The revision id of the newest migration (read from the scripts once: readiness probes ask often)."""
        if self._head is None:
            head = ScriptDirectory.from_config(self.config()).get_current_head()
            if head is None:
                raise RuntimeError(f"no migrations in {self.script_location}")
            self._head = head
        return self._head

    def current(self, engine: Engine) -> str | None:
        """The revision the database is at, or ``None`` for a database never migrated."""
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def is_current(self, engine: Engine) -> bool:
        return self.current(engine) == self.head()

    def upgrade(self, engine: Engine, revision: str = "head") -> None:
        """Apply every pending migration up to ``revision``; idempotent."""
        command.upgrade(self.config(engine), revision)

    def downgrade(self, engine: Engine, revision: str) -> None:
        command.downgrade(self.config(engine), revision)


def schema_fingerprint(tables: Iterable[Table]) -> str:
    """A stable hash of tables, columns, types, nullability, defaults, keys and indexes.

    A baseline migration records the fingerprint of the tables it creates, and a test compares it with the live
    definition: a frozen schema that is edited in place, instead of changed through a new migration, is caught.
    """
    lines: list[str] = []
    for table in sorted(tables, key=lambda t: t.name):
        for column in table.columns:
            default = getattr(column.server_default, "arg", None)
            lines.append(
                f"{table.name}.{column.name}:{column.type!r}:{column.nullable}:{column.primary_key}"
                f":{column.autoincrement}:{default!s}"
            )
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            lines.append(f"{table.name} index {index.name}:{index.unique}:{[c.name for c in index.columns]}")
        for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
            cols = [c.name for c in constraint.columns]  # type: ignore[attr-defined]
            lines.append(f"{table.name} constraint {constraint.name}:{type(constraint).__name__}:{cols}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()

"""Support for the registry tests: a small schema (a priority-like table, a lookup table, a table with a string key)
and a registry over a temporary modules directory.  Plain helpers, not a conftest, so other engine tests keep theirs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table

from goatkit.db import make_engine
from goatkit.engine.registry import ModuleRegistry

metadata = MetaData()
Table(
    "ticket_priority",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("color", String(25)),
    Column("valid_id", Integer, nullable=False),
)
Table("valid", metadata, Column("id", Integer, primary_key=True), Column("name", String(200), nullable=False))
Table(
    "customer_company",
    metadata,
    Column("customer_id", String(150), primary_key=True),
    Column("name", String(200), nullable=False),
)

#: A module over ``ticket_priority``; one field per line, so ``fields.N`` is on line ``N + 3``.
PRIORITY = """\
module: {name: priority, plural: Priorities, table: ticket_priority, route_prefix: /admin/priorities}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false}
  - {name: name, type: string, required: true, searchable: true, sortable: true}
  - {name: color, type: color}
  - {name: valid_id, type: int, lookup_table: valid, lookup_key: id, lookup_display: name}
  - {name: note, type: text, virtual: true}
"""


@contextmanager
def open_registry(db_url: str, modules_dir: Path) -> Iterator[ModuleRegistry]:
    """A registry over ``modules_dir`` (created) on a database holding the test schema; stopped and disposed after."""
    modules_dir.mkdir(exist_ok=True)
    engine = make_engine(db_url)
    metadata.create_all(engine)
    registry = ModuleRegistry(engine, [modules_dir])
    try:
        yield registry
    finally:
        registry.stop()
        engine.dispose()

"""The query layer's test world: an ``item`` table with four lookup tables, its module spec, 60 rows with ties
and NULLs, and the helpers the query tests share (``db`` runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    select,
)

from goatkit.db.tables import goatkit_metadata
from goatkit.engine import query as q
from goatkit.engine.model import Lookup, ResolvedField, ResolvedModule
from goatkit.specs.module import ModuleSpec

KEY = b"test-cursor-key"
LOOKUPS = {"queue_id": "queue", "priority_id": "priority", "state_id": "state", "type_id": "kind"}
NAMES = ["100% sure", "a_b", "aXb", "O'Brien", "'; DROP TABLE item; --", "back\\slash"]
T0 = datetime(2024, 3, 1, 12, 0, 0)


def build_tables(metadata: MetaData) -> dict[str, Table]:
    tables = {
        name: Table(
            name,
            metadata,
            Column("id", Integer, primary_key=True),
            Column("name", String(50), nullable=False),
            Column("valid_id", Integer, nullable=False),
        )
        for name in LOOKUPS.values()
    }
    tables["item"] = Table(
        "item",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(200), nullable=False),
        Column("note", String(50), nullable=True),
        Column("score", Integer, nullable=True),
        Column("valid_id", Integer, nullable=False, default=1),
        *(Column(col, Integer, nullable=True) for col in LOOKUPS),
        Column("create_time", DateTime, nullable=False),
        Column("create_by", Integer, nullable=False),
        Column("change_time", DateTime, nullable=False),
        Column("change_by", Integer, nullable=False),
    )
    tables["company"] = Table(
        "company",
        metadata,
        Column("customer_id", String(150), primary_key=True),
        Column("name", String(200), nullable=False),
    )
    return tables


ITEM_SPEC = {
    "module": {"name": "item", "table": "item"},
    "fields": [
        {"name": "id", "type": "int", "sortable": True},
        {"name": "name", "sortable": True, "searchable": True, "filterable": True},
        {"name": "note", "sortable": True, "searchable": True},
        {"name": "score", "type": "int", "sortable": True, "filterable": True},
        {"name": "valid_id", "type": "int", "filterable": True},
        *(
            {"name": col, "type": "select", "lookup_table": table, "lookup_key": "id", "lookup_display": "name"}
            for col, table in LOOKUPS.items()
        ),
        {"name": "created", "db_column": "create_time", "type": "datetime", "sortable": True},
        {"name": "shadow", "virtual": True},
    ],
    "filters": [{"field": "queue_id", "type": "multi_select"}, {"field": "created", "type": "date_range"}],
    "features": {"soft_delete": True},
    "ui": {"page_size": 10},
}


def resolve(spec: dict[str, Any], tables: dict[str, Table], condition: str = "") -> ResolvedModule:
    """What the registry does for real, by hand: each field against its column and lookup table."""
    module_spec = ModuleSpec.model_validate(spec)
    table = tables[module_spec.module.table]
    fields = []
    for fs in module_spec.fields:
        column = None if fs.virtual else table.c[fs.db_column or fs.name]
        lookup = None
        if fs.lookup_table:
            lt = tables[fs.lookup_table]
            lookup = Lookup(lt, lt.c[fs.lookup_key], lt.c[fs.lookup_display], condition)
        fields.append(ResolvedField(fs, column, lookup))
    pk = next(iter(table.primary_key.columns))
    return ResolvedModule(module_spec, Path("item.yaml"), table, pk, tuple(fields))


@pytest.fixture
def db(db_url: str) -> Iterator[tuple[Connection, dict[str, Table], ResolvedModule]]:
    engine = create_engine(db_url)
    metadata = MetaData()
    tables = build_tables(metadata)
    metadata.create_all(engine)
    goatkit_metadata.create_all(engine)  # goatkit_change: every write records its history
    with engine.connect() as conn:
        for lt in {t: tables[t] for t in LOOKUPS.values()}.values():
            conn.execute(
                lt.insert(), [{"id": i, "name": f"{lt.name} {i}", "valid_id": 1 + (i % 3 == 0)} for i in range(1, 9)]
            )
        # ids from the table's own sequence (1..60 in order), so later inserts continue after them on PostgreSQL too
        conn.execute(tables["item"].insert(), [item_row(i) for i in range(1, 61)])
        conn.commit()
        yield conn, tables, resolve(ITEM_SPEC, tables)
    engine.dispose()


def item_row(i: int) -> dict[str, Any]:
    """60 rows with many ties and NULLs in every sortable column."""
    at = T0 + timedelta(days=i % 7)
    return {
        "name": NAMES[i - 1] if i <= len(NAMES) else f"name {i % 9}",
        "note": None if i % 4 == 0 else f"n{i % 5}",
        "score": None if i % 3 == 0 else i % 6,
        "valid_id": 1 if i % 5 else 2,
        "queue_id": i % 8 + 1,
        "priority_id": i % 5 + 1,
        "state_id": None if i % 10 == 0 else i % 4 + 1,
        "type_id": i % 7 + 1,
        "create_time": at,
        "create_by": 1,
        "change_time": at,
        "change_by": 1,
    }


def page(conn: Connection, module: ResolvedModule, threshold: int = q.COUNT_THRESHOLD, **params: Any) -> q.Page:
    return q.list_page(conn, module, q.ListRequest.parse(module, params), key=KEY, count_threshold=threshold)


def expected_order(conn: Connection, module: ResolvedModule, field: str, descending: bool) -> list[int]:
    """The full order computed in Python: NULL is the largest value, ties broken by id in the same direction."""
    col = module.field_named(field).column
    assert col is not None
    rows = conn.execute(select(module.table.c.id, col)).all()

    def key(row: Any) -> tuple[Any, ...]:
        return (row[1] is None, row[1] if row[1] is not None else 0, row[0])

    return [r[0] for r in sorted(rows, key=key, reverse=descending)]


def statements(conn: Connection) -> list[str]:
    """The statements ``conn`` runs from now on, whitespace collapsed."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(" ".join(args[2].split()))

    event.listen(conn, "before_cursor_execute", record)
    return seen


def listing(tables: dict[str, Table], *columns: str) -> ResolvedModule:
    return resolve({**ITEM_SPEC, "ui": {"page_size": 10, "list_columns": ["name", *columns]}}, tables)

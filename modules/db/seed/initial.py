"""OTRS's initial data: the rows every OTRS/Znuny database starts with, with OTRS's own ids.

The rows come from ``otrs_initial.yaml`` beside this file (generated from OTRS's ``otrs-initial_insert.xml`` by
``scripts/gen_initial_data.py``).  Keeping OTRS's ids matters: other OTRS tools, imported databases and the API
refer to states, priorities, history types and queues by id.

Example::

    with engine.begin() as conn:
        insert_initial_data(conn, admin_password="s3cret")   # False if the database already has data
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import Connection, LargeBinary, Table, func, select

from goatkit.db.fk import deferred_foreign_keys
from goatkit.passwords import hash_password
from modules.db.schema import metadata

try:  # libyaml reads the 130 kB file about eight times faster
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

DATA_FILE = "otrs_initial.yaml"
# Markers written by scripts/gen_initial_data.py.
NOW_MARKER = "@now"
ADMIN_PASSWORD_MARKER = "@admin_password"  # noqa: S105 - a placeholder replaced by the hash, not a password

SeedEntry = dict[str, Any]  # {"table": name, "rows": [row, ...]}


class SeedError(RuntimeError):
    """Seeding cannot proceed; the message says why and what to do."""


@cache
def initial_entries() -> tuple[SeedEntry, ...]:
    """Return the parsed initial data, in insert order (read once per process)."""
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return tuple(yaml.load(text, Loader=_SafeLoader))


def insert_initial_data(conn: Connection, *, admin_password: str) -> bool:
    """Insert OTRS's initial data into an empty database; return False (and do nothing) if it has data.

    ``root@localhost`` (user 1) gets an argon2 hash of ``admin_password``.  Runs in ``conn``'s transaction: the
    caller commits.
    """
    if not admin_password:
        raise SeedError("An admin password is required to create root@localhost.")
    valid = metadata.tables["valid"]
    if conn.execute(select(func.count()).select_from(valid)).scalar_one():
        return False
    replacements = {NOW_MARKER: now(), ADMIN_PASSWORD_MARKER: hash_password(admin_password)}
    before = index_marks(conn)
    touched: list[Table] = []
    with deferred_foreign_keys(conn):
        for entry in initial_entries():
            table = metadata.tables[entry["table"]]
            rows = [{key: replacements.get(value, value) for key, value in row.items()} for row in entry["rows"]]
            insert_rows(conn, table, rows)
            touched.append(table)
    reset_id_sequences(conn, touched)
    index_since(conn, before)  # the welcome ticket is searchable
    return True


def index_marks(conn: Connection) -> tuple[int, int]:
    """The highest ticket and article ids before a seed: what :func:`index_since` indexes is what came after."""
    ticket, article = metadata.tables["ticket"], metadata.tables["article"]
    top = conn.execute(select(func.coalesce(func.max(ticket.c.id), 0), select(func.coalesce(func.max(article.c.id), 0))
                              .scalar_subquery())).one()  # fmt: skip
    return int(top[0]), int(top[1])


def index_since(conn: Connection, marks: tuple[int, int]) -> None:
    """Add the tickets and articles seeded after ``marks`` to the full-text index, in this transaction."""
    from modules.tickets.search_index import index_articles, index_tickets

    ticket, article = metadata.tables["ticket"], metadata.tables["article"]
    index_tickets(conn, conn.execute(select(ticket.c.id).where(ticket.c.id > marks[0])).scalars().all())
    index_articles(conn, conn.execute(select(article.c.id).where(article.c.id > marks[1])).scalars().all())


def now() -> datetime:
    """The timestamp stored in audit columns: server-local time to the second, as OTRS stores it."""
    return datetime.now().replace(microsecond=0)


def insert_rows(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert ``rows`` with one executemany per distinct column set; ``str`` values for BLOB columns become UTF-8."""
    binary = {column.name for column in table.columns if isinstance(column.type, LargeBinary)}
    for batch in _batches_by_columns(rows):
        conn.execute(table.insert(), [_encode_binary(row, binary) for row in batch] if binary else batch)


def reset_id_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """After inserts with explicit ids, move each table's id sequence past ``max(id)`` (PostgreSQL only).

    SQLite and MySQL/MariaDB derive the next id from the rows themselves.
    """
    if conn.dialect.name != "postgresql":
        return
    seen: set[str] = set()
    for table in tables:
        column = table.autoincrement_column
        if column is None or table.name in seen:
            continue
        seen.add(table.name)
        highest = select(func.max(column)).scalar_subquery()
        sequence = func.pg_get_serial_sequence(table.fullname, column.name)
        conn.execute(select(func.setval(sequence, func.coalesce(highest, 1), highest.is_not(None))))


def _batches_by_columns(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    # executemany needs the same keys in every row; consecutive rows with the same keys share a batch.
    batch: list[dict[str, Any]] = []
    for row in rows:
        if batch and row.keys() != batch[0].keys():
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch


def _encode_binary(row: dict[str, Any], binary: set[str]) -> dict[str, Any]:
    return {
        key: value.encode("utf-8") if key in binary and isinstance(value, str) else value for key, value in row.items()
    }

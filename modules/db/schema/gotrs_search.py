"""The full-text index of tickets (GOTRS's own, revision ``0005_ticket_search``): its tables, per backend.

Two tables, with the same roles on every backend and a different kind of index on each:

==================  ================================  =======================================  ====================
table               PostgreSQL                        SQLite                                   MariaDB / MySQL
==================  ================================  =======================================  ====================
gotrs_ticket_fts    ticket_id PK, doc tsvector (GIN)  FTS5: rowid = ticket id, doc             doc text, FULLTEXT
gotrs_article_fts   article_id PK, ticket_id, doc     FTS5: rowid = article id, doc,           doc text, FULLTEXT
                    tsvector (GIN), index ticket_id   ticket_id UNINDEXED
==================  ================================  =======================================  ====================

They are **not** part of :data:`modules.db.schema.metadata`: that metadata is the frozen OTRS baseline, and no
SQLAlchemy ``Table`` can describe an FTS5 virtual table and the shadow tables SQLite creates beside it
(``gotrs_article_fts_data``, ``_idx``, ``_content``, ``_config``).  Instead:

* :func:`search_tables` gives the ``Table`` objects the search code queries, for one dialect (on SQLite the key
  column is ``rowid``; its Python key is still ``ticket_id`` or ``article_id``, so the queries read the same);
* :data:`SEARCH_TABLES` and :data:`TICKET_INDEXES` name every object the migration creates, and an Alembic
  comparator leaves exactly those alone, so ``alembic revision --autogenerate`` (and the test that compares a
  migrated database with the metadata) never proposes to drop them.  ``tests/modules/tickets/test_search_schema.py``
  checks that the migration really creates them on each backend.

Example::

    tables = search_tables(conn.dialect.name)
    conn.execute(select(tables.article.c.ticket_id).where(tables.article.c.article_id == 7))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from alembic.autogenerate import comparators
from alembic.operations import ops
from alembic.util import DispatchPriority, PriorityDispatchResult
from sqlalchemy import BigInteger, Column, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import TSVECTOR

TICKET_FTS = "gotrs_ticket_fts"
ARTICLE_FTS = "gotrs_article_fts"
SEARCH_TABLES = (TICKET_FTS, ARTICLE_FTS)
"""The index tables; on SQLite each also has the FTS5 shadow tables ``<name>_data``, ``_idx``, ``_content``..."""

TICKET_INDEXES = (
    "gotrs_ticket_change_time",
    "gotrs_ticket_service_id",
    "gotrs_ticket_sla_id",
    "gotrs_ticket_state_queue",
)
"""Indexes migrations add to OTRS's ``ticket`` table: for the search filters and sorts (``0005_ticket_search``), and
(state, queue) for the queue tree's open counts (``0007_queue_counts``)."""

_SHADOW = re.compile(rf"^(?:{TICKET_FTS}|{ARTICLE_FTS})_(?:data|idx|content|docsize|config)$")


@dataclass(frozen=True)
class SearchTables:
    """The two index tables as one dialect sees them; ``key`` columns are ``ticket_id`` and ``article_id``."""

    dialect: str
    ticket: Table
    article: Table

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"


@cache
def search_tables(dialect: str) -> SearchTables:
    """The index tables for ``dialect`` (``conn.dialect.name``), built once per dialect.

    >>> search_tables("sqlite").ticket.c.ticket_id.name
    'rowid'
    >>> search_tables("postgresql").article.c.article_id.name
    'article_id'
    """
    metadata = MetaData()  # private: these tables are never created from metadata
    doc_type: Any = TSVECTOR() if dialect == "postgresql" else Text()
    sqlite = dialect == "sqlite"
    ticket = Table(
        TICKET_FTS,
        metadata,
        Column("rowid" if sqlite else "ticket_id", BigInteger, key="ticket_id", primary_key=True),
        Column("doc", doc_type),
    )
    article = Table(
        ARTICLE_FTS,
        metadata,
        Column("rowid" if sqlite else "article_id", BigInteger, key="article_id", primary_key=True),
        Column("ticket_id", BigInteger),
        Column("doc", doc_type),
    )
    return SearchTables(dialect, ticket, article)


def is_search_object(name: str | None) -> bool:
    """Whether a database table or index named ``name`` belongs to the search index (see the module docstring)."""
    return name is not None and (name in SEARCH_TABLES or name in TICKET_INDEXES or bool(_SHADOW.match(name)))


def _keeps(op: ops.MigrateOperation) -> bool:
    if isinstance(op, ops.DropTableOp):
        return not is_search_object(op.table_name)
    if isinstance(op, ops.DropIndexOp):  # the index tables' own indexes, and those added to ``ticket``
        return not (is_search_object(op.table_name) or is_search_object(str(op.index_name)))
    return True


@comparators.dispatch_for("autogenerate", priority=DispatchPriority.LAST)
def _leave_search_objects_alone(_context: Any, upgrade_ops: ops.UpgradeOps) -> PriorityDispatchResult:
    """Drop the operations autogenerate proposes against the search index's own tables and indexes.

    Only drops are removed, and only of the objects named above: any other difference still shows.
    """
    kept: list[ops.MigrateOperation] = []
    for op in upgrade_ops.ops:
        if isinstance(op, ops.ModifyTableOps):
            op.ops = [inner for inner in op.ops if _keeps(inner)]
            if not op.ops:
                continue
        if _keeps(op):
            kept.append(op)
    upgrade_ops.ops = kept
    return PriorityDispatchResult.CONTINUE

"""Full-text search of tickets: the GOTRS index tables, per backend, and indexes for the search filters.

Two index tables, written in the same transaction as the ticket or article they describe
(``modules/tickets/search_index.py``):

* ``gotrs_ticket_fts``: one row per ticket, its number and title;
* ``gotrs_article_fts``: one row per article, its subject, from, to, cc and body, with the article's ticket id.

Each backend gets its own kind of index:

* **PostgreSQL**: ``tsvector`` documents (``simple`` configuration) with GIN indexes; the rows follow their ticket
  and article on delete (``ON DELETE CASCADE``), so OTRS's own code deleting tickets leaves no orphans.
* **SQLite**: FTS5 virtual tables (``unicode61 remove_diacritics 2``); the rowid is the ticket or article id, and
  the article table keeps the ticket id as an UNINDEXED column.  ``columnsize=0``: no ranking, so no size table.
* **MariaDB / MySQL**: InnoDB tables holding the document text with a FULLTEXT index (searched with ``MATCH ...
  AGAINST`` in boolean mode), cascading like PostgreSQL.  The indexes are created without InnoDB's stopword list
  (it holds "on", "com", "the"...); words shorter than the server's ``innodb_ft_min_token_size`` (3) stay
  unsearchable there.

The ``ticket`` table gets the indexes its search filters and sorts lack in OTRS's schema: ``change_time`` (filter and
sort), ``service_id`` and ``sla_id``.  These objects are not in any SQLAlchemy metadata (SQLAlchemy cannot describe
FTS5 tables); ``modules/db/schema/gotrs_search.py`` names them so that autogenerate leaves them alone.

Revision ID: 0005_ticket_search
Revises: 0004_history_jobs
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0005_ticket_search"
down_revision = "0004_history_jobs"
branch_labels = None
depends_on = None

TICKET_INDEXES = (
    ("gotrs_ticket_change_time", "change_time"),
    ("gotrs_ticket_service_id", "service_id"),
    ("gotrs_ticket_sla_id", "sla_id"),
)

POSTGRESQL = (
    "CREATE TABLE gotrs_ticket_fts (ticket_id BIGINT NOT NULL, doc TSVECTOR NOT NULL,"
    " CONSTRAINT gotrs_ticket_fts_pkey PRIMARY KEY (ticket_id),"
    " CONSTRAINT fk_gotrs_ticket_fts_ticket_id_id FOREIGN KEY (ticket_id) REFERENCES ticket (id)"
    " ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE)",
    "CREATE INDEX gotrs_ticket_fts_doc ON gotrs_ticket_fts USING gin (doc)",
    "CREATE TABLE gotrs_article_fts (article_id BIGINT NOT NULL, ticket_id BIGINT NOT NULL, doc TSVECTOR NOT NULL,"
    " CONSTRAINT gotrs_article_fts_pkey PRIMARY KEY (article_id),"
    " CONSTRAINT fk_gotrs_article_fts_article_id_id FOREIGN KEY (article_id) REFERENCES article (id)"
    " ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE)",
    "CREATE INDEX gotrs_article_fts_doc ON gotrs_article_fts USING gin (doc)",
    "CREATE INDEX gotrs_article_fts_ticket_id ON gotrs_article_fts (ticket_id)",
)

SQLITE = (
    "CREATE VIRTUAL TABLE gotrs_ticket_fts USING fts5(doc, tokenize = 'unicode61 remove_diacritics 2', columnsize = 0)",
    "CREATE VIRTUAL TABLE gotrs_article_fts USING fts5("
    "doc, ticket_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2', columnsize = 0)",
)

MYSQL = (
    "SET SESSION innodb_ft_enable_stopword = OFF",  # read when a FULLTEXT index is created
    "CREATE TABLE gotrs_ticket_fts (ticket_id BIGINT NOT NULL, doc LONGTEXT NOT NULL,"
    " PRIMARY KEY (ticket_id), FULLTEXT KEY gotrs_ticket_fts_doc (doc),"
    " CONSTRAINT fk_gotrs_ticket_fts_ticket_id_id FOREIGN KEY (ticket_id) REFERENCES ticket (id) ON DELETE CASCADE"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE gotrs_article_fts (article_id BIGINT NOT NULL, ticket_id BIGINT NOT NULL, doc LONGTEXT NOT NULL,"
    " PRIMARY KEY (article_id), KEY gotrs_article_fts_ticket_id (ticket_id), FULLTEXT KEY gotrs_article_fts_doc (doc),"
    " CONSTRAINT fk_gotrs_article_fts_article_id_id FOREIGN KEY (article_id) REFERENCES article (id)"
    " ON DELETE CASCADE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(dialect, MYSQL)
    for statement in statements:
        op.execute(statement)
    for name, column in TICKET_INDEXES:
        op.create_index(name, "ticket", [column])


def downgrade() -> None:
    for name, _column in reversed(TICKET_INDEXES):
        op.drop_index(name, "ticket")
    op.execute("DROP TABLE gotrs_article_fts")  # SQLite: dropping the virtual table drops its shadow tables
    op.execute("DROP TABLE gotrs_ticket_fts")

"""The full-text index of tickets, written in the caller's transaction so it never disagrees with the data.

Each function takes the connection of the write it follows and adds its statements to that transaction: a rolled
back article leaves no index row, a committed one is found at once.

* ticket document: ``tn`` and ``title``;
* article document (``article_data_mime``): subject, from, to, cc and the first :data:`BODY_CHARS` characters of the
  body (PostgreSQL caps a ``tsvector`` at 1 MB).

A document is the fields' tokens as :func:`modules.tickets.search_text.document` cuts them (the same cutting as the
search words, so both always agree).  PostgreSQL stores them as a ``tsvector`` of the tokens as they are, with each
word's beginnings marked ``^`` for prefix searches (:func:`modules.tickets.search_text.tsvector_literal`, equal to
the database function ``gotrs_search_doc`` of revision ``0008_search_prefixes`` that bulk loads use).  The rows are read
and written :data:`CHUNK` at a time, and writing a document replaces the old one.  On PostgreSQL and MariaDB the
index rows follow deleted tickets and articles by ``ON DELETE CASCADE``; on SQLite (FTS5 has no foreign keys) call
:func:`drop_tickets` or :func:`drop_articles` *before* deleting the rows.

Example::

    with engine.begin() as conn:
        article_id = ...                     # the article and its article_data_mime row, inserted
        index_article(conn, article_id)      # same transaction
    reindex_all(engine, progress=lambda phase, done, total: print(phase, done, total))
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.dialects.postgresql import TSVECTOR

from modules.db.schema import metadata
from modules.db.schema.gotrs_search import SearchTables, search_tables
from modules.tickets.search_text import document, tsvector_literal

T = metadata.tables
BODY_CHARS = 100_000
"""Characters of an article body that are searchable."""
ADDRESS_CHARS = 10_000
"""Characters of each of from, to and cc that are searchable (long recipient lists)."""
CHUNK = 500
"""Rows read and written per statement: bounds memory (a body may be 100,000 characters)."""

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: phase ``"tickets"`` or ``"articles"``, after each batch."""


def _ticket_rows(conn: Connection, ids: Sequence[int]) -> list[dict[str, Any]]:
    ticket = T["ticket"]
    rows = conn.execute(select(ticket.c.id, ticket.c.tn, ticket.c.title).where(ticket.c.id.in_(ids)))
    return [{"key": row.id, "doc": document(row.tn, row.title)} for row in rows]


def _article_rows(conn: Connection, ids: Sequence[int]) -> list[dict[str, Any]]:
    article, mime = T["article"], T["article_data_mime"]
    statement = (
        select(
            article.c.id,
            article.c.ticket_id,
            mime.c.a_subject,
            func.substr(mime.c.a_from, 1, ADDRESS_CHARS),
            func.substr(mime.c.a_to, 1, ADDRESS_CHARS),
            func.substr(mime.c.a_cc, 1, ADDRESS_CHARS),
            func.substr(mime.c.a_body, 1, BODY_CHARS),
        )
        .select_from(article.join(mime, mime.c.article_id == article.c.id))
        .where(article.c.id.in_(ids))
    )
    return [{"key": row[0], "ticket": row[1], "doc": document(*row[2:])} for row in conn.execute(statement)]


def article_document(subject: str | None, from_: str | None, to: str | None, cc: str | None, body: str | None) -> str:
    """The document of an article from its ``article_data_mime`` values, cut as :func:`_article_rows` cuts them."""
    return document(subject, *(_cut(part, ADDRESS_CHARS) for part in (from_, to, cc)), _cut(body, BODY_CHARS))


def _cut(text: str | None, size: int) -> str | None:
    return text[:size] if text else text


def _write(
    conn: Connection, table: Table, keys: Sequence[int], rows: list[dict[str, Any]], *, new: bool = False
) -> None:
    """Make ``rows`` the documents of ``keys`` in ``table``; keys without a row (no such ticket) lose theirs.
    ``new``: the rows were just inserted, so they have no document to replace."""
    key = next(iter(table.primary_key.columns))
    dialect = conn.dialect.name
    missing = set(keys) - {row["key"] for row in rows}
    if (dialect == "sqlite" and not new) or missing:  # SQLite: one writer at a time, delete-then-insert cannot race
        conn.execute(delete(table).where(key.in_(keys if dialect == "sqlite" else sorted(missing))))
    if not rows:
        return
    if dialect == "postgresql":
        rows = [{**row, "doc": tsvector_literal(row["doc"])} for row in rows]
    conn.execute(_writer(dialect, table), rows)


@cache
def _writer(dialect: str, table: Table) -> Any:
    """The statement that writes (or replaces) documents ``{key, doc[, ticket]}`` of ``table``: built once."""
    key = next(iter(table.primary_key.columns))
    doc: Any = bindparam("doc")
    values = {key.key: bindparam("key"), "doc": doc}
    if key.key != "ticket_id":
        values["ticket_id"] = bindparam("ticket")
    if dialect == "postgresql":
        values["doc"] = cast(doc, TSVECTOR)  # tsvector_literal: the tokens and their beginnings, as is
        upsert = postgresql.insert(table).values(values)
        changed = {name: upsert.excluded[name] for name in values if name != key.key}
        return upsert.on_conflict_do_update(index_elements=[key], set_=changed)
    if dialect in ("mysql", "mariadb"):
        upsert_my = mysql.insert(table).values(values)
        changed_my = {name: upsert_my.inserted[name] for name in values if name != key.key}
        return upsert_my.on_duplicate_key_update(changed_my)
    return insert(table).values(values)


def _chunks(ids: Collection[int]) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]


def index_tickets(conn: Connection, ticket_ids: Collection[int]) -> None:
    """(Re)write the documents of these tickets: number and title."""
    table = search_tables(conn.dialect.name).ticket
    for ids in _chunks(ticket_ids):
        _write(conn, table, ids, _ticket_rows(conn, ids))


def index_ticket(conn: Connection, ticket_id: int) -> None:
    """(Re)write one ticket's document: after creating a ticket or changing its title."""
    index_tickets(conn, [ticket_id])


def index_new_ticket(conn: Connection, ticket_id: int, tn: str, title: str) -> None:
    """Write the document of a ticket just inserted, from the values in hand (no read back)."""
    table = search_tables(conn.dialect.name).ticket
    _write(conn, table, [ticket_id], [{"key": ticket_id, "doc": document(tn, title)}], new=True)


def new_ticket_document(tn: str, title: str) -> str:
    """PostgreSQL: the ``tsvector`` literal :func:`index_new_ticket` writes, for :func:`with_new_ticket_document`."""
    return tsvector_literal(document(tn, title))


def with_new_ticket_document(ticket_insert: Any, also: Callable[[Any], list[Any]] = lambda _new: []) -> Any:
    """PostgreSQL: ``ticket_insert`` (an ``INSERT INTO ticket ... RETURNING id``) with the new ticket's search
    document written by the same statement: ``WITH new_ticket AS (<insert>), new_document AS (INSERT INTO
    gotrs_ticket_fts SELECT id, CAST(:search_document AS tsvector) FROM new_ticket) SELECT id FROM new_ticket``,
    and the columns ``also(new_ticket)`` after the id.  Bind ``search_document`` to :func:`new_ticket_document`; no
    row comes back when the insert inserted nothing."""
    table = search_tables("postgresql").ticket
    new = ticket_insert.cte("new_ticket")
    written = (
        insert(table)
        .from_select(["ticket_id", "doc"], select(new.c.id, cast(bindparam("search_document"), TSVECTOR)))
        .cte("new_document")
    )
    return select(new.c.id, *also(new)).add_cte(written)


def new_article_document(
    subject: str | None, from_: str | None, to: str | None, cc: str | None, body: str | None
) -> str:
    """PostgreSQL: the ``tsvector`` literal :func:`index_new_articles` writes, for :func:`new_article_document_cte`."""
    return tsvector_literal(article_document(subject, from_, to, cc, body))


def new_article_document_cte(new_article: Any) -> Any:
    """PostgreSQL: a CTE writing the search document of the article ``new_article`` (a CTE of an ``INSERT INTO
    article ... RETURNING id, ticket_id``) for the statement that inserts it: ``new_document AS (INSERT INTO
    gotrs_article_fts SELECT id, ticket_id, CAST(:search_document AS tsvector) FROM new_article)``.  Bind
    ``search_document`` to :func:`new_article_document`."""
    table = search_tables("postgresql").article
    document_of = select(new_article.c.id, new_article.c.ticket_id, cast(bindparam("search_document"), TSVECTOR))
    return insert(table).from_select(["article_id", "ticket_id", "doc"], document_of).cte("new_document")


def index_articles(conn: Connection, article_ids: Collection[int]) -> None:
    """(Re)write the documents of these articles from their ``article_data_mime`` rows."""
    table = search_tables(conn.dialect.name).article
    for ids in _chunks(article_ids):
        _write(conn, table, ids, _article_rows(conn, ids))


def index_article(conn: Connection, article_id: int) -> None:
    """(Re)write one article's document: after adding the article (and its MIME data)."""
    index_articles(conn, [article_id])


def index_new_articles(conn: Connection, documents: Sequence[tuple[int, int, str]]) -> None:
    """Write the documents of articles just inserted, ``(article id, ticket id, article_document(...))``, from the
    values in hand: the article writer calls this, so a new article costs no read back."""
    table = search_tables(conn.dialect.name).article
    for start in range(0, len(documents), CHUNK):
        chunk = documents[start : start + CHUNK]
        rows = [{"key": article_id, "ticket": ticket_id, "doc": doc} for article_id, ticket_id, doc in chunk]
        _write(conn, table, [article_id for article_id, _ticket_id, _doc in chunk], rows, new=True)


def _articles_of(tables: SearchTables, ticket_ids: list[int] | Select[Any]) -> ColumnElement[bool]:
    if tables.is_sqlite:  # ticket_id is UNINDEXED in FTS5: find the rows through article's index instead
        article = T["article"]
        return tables.article.c.article_id.in_(select(article.c.id).where(article.c.ticket_id.in_(ticket_ids)))
    return tables.article.c.ticket_id.in_(ticket_ids)


def drop_tickets(conn: Connection, ticket_ids: list[int] | Select[Any]) -> None:
    """Remove the documents of these tickets (ids, or a ``SELECT`` of them) and of their articles (on SQLite:
    before the article rows are deleted)."""
    tables = search_tables(conn.dialect.name)
    conn.execute(delete(tables.article).where(_articles_of(tables, ticket_ids)))
    conn.execute(delete(tables.ticket).where(tables.ticket.c.ticket_id.in_(ticket_ids)))


def drop_articles(conn: Connection, article_ids: Collection[int]) -> None:
    """Remove the documents of these articles."""
    if article_ids:
        tables = search_tables(conn.dialect.name)
        conn.execute(delete(tables.article).where(tables.article.c.article_id.in_(sorted(set(article_ids)))))


def follow_articles(conn: Connection, ticket_ids: Collection[int]) -> None:
    """Give the documents of the articles now in these tickets their ticket id (after a merge moved articles)."""
    tables, article = search_tables(conn.dialect.name), T["article"]
    for ticket_id in sorted(set(ticket_ids)):
        moved = tables.article.c.article_id.in_(select(article.c.id).where(article.c.ticket_id == ticket_id))
        conn.execute(
            update(tables.article).where(moved, tables.article.c.ticket_id != ticket_id).values(ticket_id=ticket_id)
        )


@dataclass(frozen=True)
class ReindexResult:
    tickets: int
    articles: int


def reindex_all(engine: Engine, batch: int = 10_000, progress: Progress | None = None) -> ReindexResult:
    """(Re)build the whole index of an existing database, such as one imported from OTRS.

    Tickets, then articles, in id order, ``batch`` rows per transaction (an interrupted run is simply started
    again); then documents whose ticket or article is gone are removed.  The index stays usable meanwhile: rows
    are replaced, never emptied first, and writes of other transactions keep maintaining it.
    """
    if batch < 1:
        raise ValueError("batch: use a number above 0.")
    ticket, article, mime = T["ticket"], T["article"], T["article_data_mime"]
    tables = search_tables(engine.dialect.name)
    done = {"tickets": 0, "articles": 0}
    phases: tuple[tuple[str, Table, Callable[[Connection, Collection[int]], None]], ...] = (
        ("tickets", ticket, index_tickets),
        ("articles", article, index_articles),
    )
    for phase, source, index in phases:
        with engine.connect() as conn:
            total = int(conn.execute(select(func.count()).select_from(source)).scalar_one())
        last = 0
        while True:
            with engine.begin() as conn:
                after = select(source.c.id).where(source.c.id > last).order_by(source.c.id).limit(batch)
                ids = conn.execute(after).scalars().all()
                if not ids:
                    break
                index(conn, ids)
            last, done[phase] = ids[-1], done[phase] + len(ids)
            if progress:
                progress(phase, done[phase], total)
    with engine.begin() as conn:
        conn.execute(delete(tables.ticket).where(~exists().where(ticket.c.id == tables.ticket.c.ticket_id)))
        conn.execute(delete(tables.article).where(~exists().where(mime.c.article_id == tables.article.c.article_id)))
    return ReindexResult(done["tickets"], done["articles"])

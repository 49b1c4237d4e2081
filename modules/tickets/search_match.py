"""The words' condition on ``ticket``, per backend, and on PostgreSQL the choice between two plans for it.

A ticket matches when its own document (number, title) or one of its article documents holds every term.  Two
ways to find such tickets, each fast where the other is slow:

* **collect** (the default, and the only way on SQLite and MariaDB): ``ticket.id IN (ids from the ticket index
  UNION ALL ids from the article index)``.  The full-text indexes give every matching document, the database joins
  their ticket ids to ``ticket``.  Its cost grows with the number of matching documents: a rare word costs
  milliseconds, a word in a third of all articles costs hundreds (each match is a heap row to read).
* **walk** (PostgreSQL, common words): tickets are read in the page's order, through the ticket indexes and the
  filters, and each is tested with ``EXISTS`` on its own documents (``gotrs_article_fts.ticket_id`` index).  The
  page is full after about ``page size / share of matching tickets`` tickets, whatever the number of matches.  The
  ``OFFSET 0`` keeps PostgreSQL from turning the ``EXISTS`` back into a collection (a hashed subplan).  A walk
  tests at most :data:`WALK_LIMIT` tickets: when the page is not full by then, the planner was wrong about the
  words (a word in no document is estimated like a rare real one) and the page is collected.
* **try** (PostgreSQL, words common alone whose combination the planner expects rare): a walk of at most
  :data:`WALK_BUDGET` tickets, then the same.
* **probe** (PostgreSQL, words the planner guesses common without statistics for them: a ticket number, a typo):
  a walk of :data:`PROBE_BUDGET` tickets; if it finds none, the page is collected, else the walk goes on.

A walk that tested every ticket meeting the filters before its budget ran out has found every match: the page is
complete and its count exact, nothing is collected.

:func:`choose` asks the planner how many documents ``M`` match (``EXPLAIN``: its statistics on the ``tsvector``
columns; nothing is executed) out of ``N``.  Collecting reads about ``2 M`` documents (page and count); walking
evaluates about ``page size * N / M`` of them (and the count is then the planner's estimate): walking wins when
``M`` is above a few times ``sqrt(N)`` (:data:`WALK_FACTOR`, measured on 200,000 tickets and 1,000,000 articles:
from about 4,000 matching documents).

Example::

    plan = choose(conn, tables, terms)                  # "collect", or a walk: "walk", "try", "probe"
    select(ticket.c.id).where(condition(tables, terms, plan))
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Select,
    Table,
    cast,
    exists,
    false,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSQUERY

from modules.db.schema import metadata
from modules.db.schema.gotrs_search import SearchTables
from modules.tickets.search_text import Term, boolean_query, fts5_query, tsquery

Plan = Literal["collect", "walk", "try", "probe"]
WALK_FACTOR = 4.0
"""Walk when the planner expects at least ``WALK_FACTOR * sqrt(all documents)`` matching documents."""
WALK_MIN_DOCUMENTS = 2_000
"""Never walk for fewer matching documents: collecting them costs a few milliseconds anyway."""
WALK_BUDGET = 2_000
"""Tickets a tried walk (``try``) tests, in the page's order, before it gives up and the page is collected.
Measured on the million-ticket benchmark (200 rotating terms, in-process, warm): 2,000 tickets cost a giving-up
walk 13 ms and found the page of most two-word searches (p95 96 ms, from 186 ms when such words were collected);
5,000 and 10,000 let more walks finish but cost the others more (p95 101 and 112 ms)."""
PROBE_BUDGET = 500
"""Tickets a probe (``probe``) tests, in the page's order, for words the planner only guesses common: none found,
the page is collected (the words are rare); some found, the walk goes on (:data:`WALK_LIMIT`).  A word in one
ticket of a hundred is found among 500 with a probability of 99.3%."""
WALK_LIMIT = 10_000
"""Tickets a walk (``walk``) tests before it gives up and the page is collected.  The rarest words that walk are in
about ``WALK_FACTOR * sqrt(documents)`` documents (9,800 of six million in the million-ticket benchmark): one
ticket in a hundred, so a page of 50 is full after about 5,000 tickets when the planner is right.  A word in no
document is estimated at 26,928 documents there: without a limit its walk tested every ticket the agent may read
(175 seconds); with it, 10,000 tickets, then a collection that finds nothing."""

_TICKET = metadata.tables["ticket"]
_SIZES = text(
    "SELECT coalesce(sum(greatest(reltuples, 0)), 0) FROM pg_class"
    " WHERE oid IN ('gotrs_ticket_fts'::regclass, 'gotrs_article_fts'::regclass)"
)


def matcher(tables: SearchTables, terms: tuple[Term, ...]) -> Callable[[Table], ColumnElement[bool]] | None:
    """``matcher(table)``: the backend's full-text test of an index table's ``doc``; ``None``: nothing can match."""
    if tables.is_sqlite:
        expression: Any = literal(fts5_query(terms))
        return lambda table: table.c.doc.match(expression)  # FTS5: doc MATCH ?
    if tables.is_postgresql:
        expression = cast(literal(tsquery(terms)), TSQUERY)  # the tokens are the lexemes: no parser in between
        return lambda table: table.c.doc.op("@@", return_type=Boolean)(expression)
    if not boolean_query(terms):  # only words shorter than InnoDB indexes
        return None
    expression = literal(boolean_query(terms))
    return lambda table: table.c.doc.match(expression)  # MATCH (doc) AGAINST (? IN BOOLEAN MODE)


def condition(
    tables: SearchTables, terms: tuple[Term, ...], plan: Plan = "collect", ticket_id: Any = None
) -> ColumnElement[bool]:
    """The condition on ``ticket`` (or on the rows whose ticket id is ``ticket_id``) that its documents hold every
    term, written for ``plan``."""
    matches = matcher(tables, terms)
    if matches is None:
        return false()
    column: ColumnElement[int] = _TICKET.c.id if ticket_id is None else ticket_id
    if plan != "collect":
        per_ticket = [
            exists(select(literal(1)).where(table.c.ticket_id == column, matches(table)).offset(0))
            for table in (tables.article, tables.ticket)
        ]
        return or_(*per_ticket)
    return column.in_(_hits(tables, matches))


def choose(conn: Connection, tables: SearchTables, terms: tuple[Term, ...]) -> Plan:
    """On PostgreSQL ``walk`` when the planner expects the words in many documents, ``probe`` when it only guesses
    so (:func:`guessed`); ``try`` when it does not expect the words together in many, but each alone; else
    ``collect``.

    The planner multiplies the words' frequencies as if they were independent; words of one topic are not
    (``scanner laptop``: 1,701 documents expected, 53,418 found among a million tickets), and collecting then reads
    thirty times the documents foreseen.  Each word's own estimate bounds their combination from above, so two
    common words are tried as a walk, which costs at most the budget when they are rarely found together.
    """
    if not tables.is_postgresql or matcher(tables, terms) is None:
        return "collect"
    all_documents = float(conn.execute(_SIZES).scalar_one())
    enough = max(WALK_MIN_DOCUMENTS, WALK_FACTOR * math.sqrt(all_documents))
    expected = expected_documents(conn, tables, terms)
    if expected >= enough:
        return "probe" if guessed(conn, tables, expected) else "walk"
    if len(terms) > 1 and all(expected_documents(conn, tables, (term,)) >= enough for term in terms):
        return "try"
    return "collect"


def guessed(conn: Connection, tables: SearchTables, expected: float) -> bool:
    """Whether ``expected`` documents is the planner's guess for words it has no statistics for.

    PostgreSQL keeps the most common lexemes of each ``tsvector`` column (``pg_stats.most_common_elems``) and
    estimates every other lexeme alike, at half the rarest kept one's frequency: 26,928 documents in the
    million-ticket benchmark, for a ticket number, a word in no document and a misspelling as for a real word of
    20,000 documents (the kept lexemes are mostly prefixes, so many common words are not among them).  Walking for
    the first three tested 10,000 tickets before their page was collected (0.3 s).  Such words are probed: a walk
    of :data:`PROBE_BUDGET` tickets that finds none of them collects the page, one that finds some walks on.
    Measured in-process on the million-ticket benchmark (200 rotating terms, 200 needles), against walking on the
    guess (p50/p95 25/80 ms and 190/198 ms for the needles): counting their documents on the GIN indexes first cost
    the rotating terms 48/114 ms (a common word's postings, up to 38 ms); trying them as two-word searches are
    tried (:data:`WALK_BUDGET`) 24/208 ms (real words in 0.5-2.5% of tickets collected).
    """
    return expected <= unknown_documents(conn, tables) * UNKNOWN_MARGIN


UNKNOWN = Term(("gotrs_unknown",), prefix=True)
"""A word no document holds (``_`` is never part of a token), in the prefix form a search's last word takes:
the planner's estimate for it is its estimate for every word it has no statistics for."""
UNKNOWN_MARGIN = 1.01
"""Estimates up to this factor of :data:`UNKNOWN`'s are guesses (rounding of the planner's arithmetic)."""
UNKNOWN_SECONDS = 300.0
"""How long :func:`unknown_documents` keeps a database's figure; it changes only when the tables are analyzed."""
_unknown: dict[str, tuple[float, float]] = {}  # database URL: (monotonic time, estimate)


def unknown_documents(conn: Connection, tables: SearchTables) -> float:
    """The planner's estimate for a word it has no statistics for (:data:`UNKNOWN`), kept per database for
    :data:`UNKNOWN_SECONDS`."""
    key = conn.engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    cached = _unknown.get(key)
    if cached is None or now - cached[0] > UNKNOWN_SECONDS:
        cached = (now, expected_documents(conn, tables, (UNKNOWN,)))
        _unknown[key] = cached
    return cached[1]


def expected_documents(conn: Connection, tables: SearchTables, terms: tuple[Term, ...]) -> float:
    """The planner's estimate of the documents (ticket and article) holding every term (0: nothing can match)."""
    matches = matcher(tables, terms)
    return 0.0 if matches is None else estimated_rows(conn, _hits(tables, matches))


def estimated_rows(conn: Connection, statement: Select[Any] | Any) -> float:
    """The planner's row estimate for ``statement`` (PostgreSQL ``EXPLAIN``; nothing is executed)."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])


def _hits(tables: SearchTables, matches: Callable[[Table], ColumnElement[bool]]) -> Any:
    return union_all(
        select(tables.ticket.c.ticket_id).where(matches(tables.ticket)),
        select(tables.article.c.ticket_id).where(matches(tables.article)),
    )

"""Ticket search: full-text words plus filters on every ticket attribute, permission-filtered, keyset-paged.

One statement per page, plus small ones: the agent's permissions and queues, state ids for ``state_type``, on
PostgreSQL the planner's estimate for the words, and on the first page a count capped at :data:`COUNT_CAP`.

* **Text** (:attr:`TicketQuery.text`): tickets whose own document (number, title) or one of whose article
  documents (subject, from, to, cc, body) holds every term.  Rare words: the matching ticket ids are collected
  through the full-text indexes (GIN on PostgreSQL, FTS5 on SQLite, FULLTEXT on MariaDB) and joined to ``ticket``;
  common words on PostgreSQL: tickets are walked in the page's order and tested one by one, within a budget, and
  the total is the planner's estimate (exact when the walk tested every candidate; a walk whose budget runs out
  before the page is full collects it; :mod:`modules.tickets.search_match`).  Word rules:
  :mod:`modules.tickets.search_text`.
* **Filters**: plain conditions on ``ticket`` columns, each backed by an index (``state_type`` is resolved to
  state ids first).
* **Permission** (OTRS's ``ro``): tickets in queues of groups where the agent has ``ro``, or owned by the agent,
  or (``ticket_responsible``) with the agent responsible, or (``ticket_watcher``) watched by the agent.  An agent
  with ``ro`` on every queue gets no condition at all.
* **Paging**: keyset on (sort column, ticket id), newest first by default; the cursor is HMAC-signed and bound to
  the query and the agent, so a client can neither forge a position nor reuse it for another search.

The index follows the ticket events (``modules/tickets/events.py``) inside their transaction: ``TicketCreate`` and
``TicketTitleUpdate`` rewrite the ticket's document, ``ArticleCreate`` writes the article's, ``TicketMerge`` moves
the merged ticket's article documents to the main ticket.  These listeners are registered when this module is
imported (the search screen imports it; so must any process that writes tickets, such as a mail daemon).

Example::

    page = search_tickets(conn, TicketQuery(text="printer jam", state_type=("open",)), agent_id=7)
    [hit.tn for hit in page.rows]; page.total, page.total_capped
    more = search_tickets(conn, query, agent_id=7, cursor=page.next_cursor)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)

from goatkit.db.session_settings import postgres_settings
from goatkit.engine.cursor import CursorError, decode_cursor, encode_cursor, pack_value, unpack_value
from goatkit.platform import current_platform
from modules.db.schema import metadata
from modules.db.schema.gotrs_search import SearchTables, search_tables
from modules.permissions.agent import agent_permissions
from modules.permissions.options import PermissionOptions, current_options
from modules.tickets import search_match as match
from modules.tickets.events import TicketEvent, listen
from modules.tickets.search_filters import filter_conditions
from modules.tickets.search_index import follow_articles, index_ticket
from modules.tickets.search_match import Plan
from modules.tickets.search_query import SearchInvalid, TicketQuery

T = metadata.tables
MAX_PAGE_SIZE = 500
COUNT_CAP = 1000
"""Matches are counted up to this many; past it the page says "more than 1000"."""

_CURSOR_LABEL = b"gotrs.tickets.search.cursor.v1"
_PROCESS_KEY = secrets.token_bytes(32)  # outside an app (CLI, tests): cursors valid within this process only
_TICKET = T["ticket"]
_SORTS: dict[str, Any] = {
    "id": _TICKET.c.id,
    "create_time": _TICKET.c.create_time,
    "change_time": _TICKET.c.change_time,
    "priority": _TICKET.c.ticket_priority_id,
}
_RENAMED = {  # TicketHit field: ticket column, where the names differ
    "state_id": "ticket_state_id",
    "priority_id": "ticket_priority_id",
    "lock_id": "ticket_lock_id",
    "owner_id": "user_id",
    "responsible_id": "responsible_user_id",
    "pending_until": "until_time",
    "archived": "archive_flag",
}


@dataclass(frozen=True)
class TicketHit:
    """One found ticket: its own columns (names of queues, states... are the caller's batched lookups)."""

    id: int
    tn: str
    title: str | None
    queue_id: int
    state_id: int
    priority_id: int
    lock_id: int
    type_id: int | None
    service_id: int | None
    sla_id: int | None
    owner_id: int
    responsible_id: int
    customer_id: str | None
    customer_user_id: str | None
    pending_until: int
    archived: bool
    create_time: datetime
    change_time: datetime


_HIT_NAMES = tuple(hit_field.name for hit_field in fields(TicketHit))


@dataclass(frozen=True)
class SearchPage:
    """A page of hits; ``total`` counts matches up to :data:`COUNT_CAP` (``total_capped``: there are more).

    ``total_estimated``: the total is the planner's estimate (common words on PostgreSQL, see
    :mod:`modules.tickets.search_match`), shown as "about".
    """

    rows: tuple[TicketHit, ...]
    next_cursor: str | None
    total: int
    total_capped: bool
    total_estimated: bool = False


def search_tickets(
    conn: Connection,
    query: TicketQuery,
    *,
    agent_id: int,
    page_size: int = 50,
    cursor: str | None = None,
    signing_key: bytes | None = None,
    options: PermissionOptions | None = None,
) -> SearchPage:
    """The page of tickets matching ``query`` that agent ``agent_id`` may read (``ro``), after ``cursor``.

    Raises :class:`SearchInvalid` (a ``ValueError`` naming the field) for a bad page size, cursor or state type.
    """
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise SearchInvalid("page_size", f"use a number from 1 to {MAX_PAGE_SIZE}.")
    signing = _signing_key(signing_key)
    fingerprint = _fingerprint(query, agent_id)
    position = _open_cursor(signing, cursor, fingerprint) if cursor else None
    allowed = _permission(conn, agent_id, options or current_options())
    if allowed is None:
        return SearchPage((), None, 0, False)
    conditions = [allowed, *filter_conditions(conn, query)]
    tables = search_tables(conn.dialect.name)
    plan: Plan = "collect"
    if query.terms:
        plan = position["p"] if position else match.choose(conn, tables, query.terms)
    after = [_after(query, unpack_value(position["v"]), int(position["k"]))] if position else []
    rows: list[TicketHit] | None = None
    counted: int | None = None
    words = [match.condition(tables, query.terms)] if query.terms else []  # collecting form; a walk tests its own
    if plan in ("walk", "try", "probe"):
        plan, rows, counted = _walk(conn, query, [*conditions, *after], tables, page_size=page_size, plan=plan)
    if rows is None:
        fenced = bool(words)  # a walk has its rows by now: words here are collected
        counting = fenced and not position  # the collected matches are all joined anyway: count them in passing
        rows, counted = _page(conn, query, [*conditions, *words, *after], page_size + 1, fenced=fenced, count=counting)
    if position:
        total = Total(int(position["n"]), bool(position["c"]), bool(position["e"]))
    elif counted is not None:
        total = Total(min(counted, COUNT_CAP), counted > COUNT_CAP, False)
    elif plan in ("walk", "try") and tables.is_postgresql:  # a full page of a walk: counting would collect all
        total = _estimate(conn, [*conditions, *words], len(rows))
    else:
        total = _count(conn, [*conditions, *words])
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        value = getattr(rows[-1], {"priority": "priority_id"}.get(query.sort, query.sort))
        payload = {"f": fingerprint, "p": plan, "v": pack_value(value), "k": rows[-1].id}
        next_cursor = encode_cursor(signing, payload | {"n": total.count, "c": total.capped, "e": total.estimated})
    return SearchPage(tuple(rows), next_cursor, total.count, total.capped, total.estimated)


@dataclass(frozen=True)
class Total:
    count: int
    capped: bool
    estimated: bool


SEARCH_WORK_MEM = "32MB"
"""PostgreSQL ``work_mem`` for a collected search, so that its bitmaps stay exact.  Measured before revision
``0008_search_prefixes``: GIN's partial match of a common prefix (``laptop:*``, 700,000 postings in the
million-ticket benchmark) overflowed the default 4 MB into a lossy bitmap, and the heap then rechecked every row of
every page it touched (37,000 blocks instead of 6,400 for the same 7,300 matches).  Since then a prefix of up to
16 characters is one exact lexeme; a longer one is still a partial match, and a common word's own bitmap is large."""


def _page(
    conn: Connection,
    query: TicketQuery,
    conditions: list[ColumnElement[bool]],
    limit: int,
    *,
    fenced: bool,
    count: bool = False,
) -> tuple[list[TicketHit], int | None]:
    """One page in the query's order, and with ``count`` (fenced only) the number of all matches.

    ``fenced`` (collected words): every match is joined first, then sorted (``OFFSET 0`` keeps the ``ORDER BY ...
    LIMIT`` out of the inner plan).  Otherwise PostgreSQL may walk the sort index hoping to meet the matches early,
    which costs a scan of most tickets when they are all old (a ticket number prefix, a word of last year).  As the
    fenced statement joins every match anyway, ``count(*) OVER ()`` counts them in the same statement: the words'
    index is read once for page and total, not twice.
    """
    columns = hit_columns()
    if count and fenced:
        columns.append(func.count().over().label("gk_total"))
    selected: Any = select(*columns).where(*conditions)
    source: Any = selected.offset(0).subquery() if fenced else _TICKET
    statement: Any = select(*source.c) if fenced else selected
    with postgres_settings(conn, work_mem=SEARCH_WORK_MEM) if fenced else nullcontext():
        rows = conn.execute(statement.order_by(*_order(query, source)).limit(limit)).all()
    hits = [hit_of(row) for row in rows]
    if not (count and fenced):
        return hits, None
    return hits, int(rows[0][-1]) if rows else 0


def _walk(
    conn: Connection,
    query: TicketQuery,
    conditions: list[ColumnElement[bool]],
    tables: SearchTables,
    *,
    page_size: int,
    plan: Plan,
) -> tuple[Plan, list[TicketHit] | None, int | None]:
    """A walk within the plan's budget: (plan, rows, count).  A full page, or every candidate tested (then the
    rows are all the matches, counted); else ``("collect", None, None)``: the budget ran out, collect the page.  A
    probe that found some matches walks on after its last candidate, with the rest of the walk's budget (its
    cursor says ``walk``)."""
    budget = {"walk": match.WALK_LIMIT, "try": match.WALK_BUDGET, "probe": match.PROBE_BUDGET}[plan]
    rows = _tried_walk(conn, query, conditions, tables, page_size + 1, budget=budget)
    if len(rows) > page_size:
        return ("walk" if plan == "probe" else plan), rows, None
    last = _last_candidate(conn, query, conditions, budget)
    if last is None:
        return plan, rows, len(rows)  # every candidate was tested: these are all the matches (after the cursor)
    if plan == "probe" and rows:  # the words are there after all: walk on
        rest = max(match.WALK_LIMIT - budget, 1)
        beyond = [*conditions, _after(query, *last)]
        rows += _tried_walk(conn, query, beyond, tables, page_size + 1 - len(rows), budget=rest)
        if len(rows) > page_size:
            return "walk", rows, None
        if _last_candidate(conn, query, beyond, rest) is None:
            return "walk", rows, len(rows)
    return "collect", None, None


def _tried_walk(
    conn: Connection,
    query: TicketQuery,
    conditions: list[ColumnElement[bool]],
    tables: SearchTables,
    limit: int,
    *,
    budget: int,
) -> list[TicketHit]:
    """Up to ``limit`` matches among the first ``budget`` tickets that meet ``conditions``, in the query's order:
    the candidates are read through the sort index and each is tested with ``EXISTS`` on its documents, in order,
    so the statement stops at the ``limit``-th match (the candidates' ``ORDER BY ... LIMIT`` is a fence PostgreSQL
    neither flattens nor sorts again).  The budget bounds a walk whose words the planner thought common and are
    not: a word in no document at all is estimated like a rare real one (``bitrox``: 26,928 documents of six
    million in the million-ticket benchmark, in 26,296 articles), and an unbounded walk then tested every ticket the
    agent may read (175 seconds for ``x``)."""
    candidates = select(*hit_columns()).where(*conditions).order_by(*_order(query, _TICKET)).limit(budget).subquery()
    words = match.condition(tables, query.terms, "try", ticket_id=candidates.c.id)
    statement = select(*candidates.c).where(words).order_by(*_order(query, candidates)).limit(limit)
    return [hit_of(row) for row in conn.execute(statement)]


def _last_candidate(
    conn: Connection, query: TicketQuery, conditions: list[ColumnElement[bool]], budget: int
) -> tuple[Any, int] | None:
    """The sort value and id of the ``budget``-th ticket (in the query's order) that meets ``conditions``; None when
    fewer do, so a walk with that budget tested every candidate (an index range, no document read)."""
    statement = (
        select(_SORTS[query.sort], _TICKET.c.id)
        .where(*conditions)
        .order_by(*_order(query, _TICKET))
        .offset(budget - 1)
        .limit(1)
    )
    row = conn.execute(statement).first()
    return None if row is None else (row[0], int(row[1]))


def hit_columns() -> list[Any]:
    """The ``ticket`` columns a :class:`TicketHit` is read from, in its fields' order (see :func:`hit_of`)."""
    return [_TICKET.c[_RENAMED.get(name, name)] for name in _HIT_NAMES]


def hit_of(row: Sequence[Any]) -> TicketHit:
    """The hit of a row whose first columns are :func:`hit_columns` (later ones, such as a count, are ignored)."""
    values = dict(zip(_HIT_NAMES, row[: len(_HIT_NAMES)], strict=True))
    return TicketHit(**{**values, "archived": bool(values["archived"])})


def _order(query: TicketQuery, source: Any) -> list[Any]:
    """The query's order on ``source`` (``ticket`` or a selection of its columns): its sort key, then the id."""
    keys: list[Any] = [source.c[_SORTS[query.sort].name]] + ([] if query.sort == "id" else [source.c.id])
    return [key.desc() if query.order == "desc" else key.asc() for key in keys]


def _count(conn: Connection, conditions: list[ColumnElement[bool]]) -> Total:
    """The matches, counted up to :data:`COUNT_CAP`."""
    capped = select(_TICKET.c.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
    counted = int(conn.execute(select(func.count()).select_from(capped)).scalar_one())
    return Total(min(counted, COUNT_CAP), counted > COUNT_CAP, False)


def _estimate(conn: Connection, conditions: list[ColumnElement[bool]], found: int) -> Total:
    """The planner's estimate of the matches (``conditions`` with the words in their collecting form)."""
    expected = match.estimated_rows(conn, select(_TICKET.c.id).where(*conditions))
    return Total(min(max(int(expected), found), COUNT_CAP), expected > COUNT_CAP, True)


def _signing_key(explicit: bytes | None) -> bytes:
    if explicit:
        return explicit
    try:
        secret = current_platform().settings.secret_key
    except RuntimeError:
        return _PROCESS_KEY
    return hmac.new(str(secret).encode(), _CURSOR_LABEL, hashlib.sha256).digest()


def _fingerprint(query: TicketQuery, agent_id: int) -> str:
    return hashlib.sha256(f"{agent_id}:{query.model_dump_json()}".encode()).hexdigest()[:24]


def _open_cursor(key: bytes, token: str, fingerprint: str) -> dict[str, Any]:
    try:
        payload = decode_cursor(key, token)
    except (CursorError, ValueError, UnicodeDecodeError):
        payload = {}
    shape = isinstance(payload.get("k"), int) and "v" in payload and payload.get("p") in ("collect", "walk", "try")
    if payload.get("f") != fingerprint or not shape:
        raise SearchInvalid("cursor", "this page link is invalid or belongs to another search; search again.")
    return payload


def _permission(conn: Connection, agent_id: int, options: PermissionOptions) -> ColumnElement[bool] | None:
    """The ``ro`` condition for the agent, ``None`` when the agent may read nothing (unknown or invalid user)."""
    perms = agent_permissions(conn, agent_id)
    if not perms.valid:
        return None
    queue, watcher = T["queue"], T["ticket_watcher"]
    groups = perms.groups_with("ro")
    queues = conn.execute(select(queue.c.id, queue.c.group_id)).all()
    readable = [queue_id for queue_id, group_id in queues if group_id in groups]
    if len(readable) == len(queues):
        return true()
    grants: list[ColumnElement[bool]] = [_TICKET.c.user_id == agent_id]
    if readable:
        grants.append(_TICKET.c.queue_id.in_(readable))
    if options.ticket_responsible:
        grants.append(_TICKET.c.responsible_user_id == agent_id)
    if options.ticket_watcher:
        grants.append(_TICKET.c.id.in_(select(watcher.c.ticket_id).where(watcher.c.user_id == agent_id)))
    return or_(*grants)


def _after(query: TicketQuery, value: Any, ticket_id: int) -> ColumnElement[bool]:
    """The keyset condition: rows after (sort value, ticket id) in the query's order."""
    if query.sort == "id":
        return _TICKET.c.id < ticket_id if query.order == "desc" else _TICKET.c.id > ticket_id
    pair, bound = tuple_(_SORTS[query.sort], _TICKET.c.id), tuple_(literal(value), literal(ticket_id))
    return pair < bound if query.order == "desc" else pair > bound


# A new ticket's and a new article's documents are written by their writers (creating.py, articles.py), from the
# values in hand; a title change re-reads the ticket.
@listen("TicketTitleUpdate")
def _index_ticket(conn: Connection, event: TicketEvent) -> None:
    index_ticket(conn, event.ticket_id)


@listen("TicketMerge")
def _follow_merge(conn: Connection, event: TicketEvent) -> None:
    main_ticket_id = event.data.get("main_ticket_id")
    follow_articles(conn, [event.ticket_id] + ([int(main_ticket_id)] if main_ticket_id else []))

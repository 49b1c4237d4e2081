"""The million-ticket dataset: the real GOTRS schema in its own PostgreSQL database, filled set-based in minutes.

Usage:
    nice -n 10 .venv/bin/python -m benchmarks.tickets.dataset [--url SERVER_URL] [--tickets 1000000]

The URL names a *server* (default: the benchmarks' own cluster, ``scripts/bench-postgres.sh start``, which
outlives the test services' throwaway one; else GOTRS_TEST_PG_URL); the script builds the database
``gotrs_bench_tickets`` (``--database``): ``MIGRATIONS.upgrade`` and ``insert_initial_data`` as a real install, then

* 20 groups and 200 queues (``Support``, ``Support::Level 2`` ...; queue *i* in group *i* mod 20, ticket counts
  skewed by a power law, so a few queues hold most tickets), 500 customer companies, 5,000 customer users;
* 50 agents: 3 admins ``rw`` on every group, 37 agents ``rw`` on 2 to 6 groups (some also ``ro`` on one more), 10
  agents ``ro`` only (:func:`agent_grants`);
* N tickets over three years (ids in time order): a tenth in a viewable state (new, open, pending; half of the
  newest tenth, a twentieth of the older), priorities mostly ``3 normal``, customers skewed, 40% of the open ones
  locked; 1 to 9 articles each (5 on average: 5,000,000 for a million tickets; ``article.id = ticket.id * 10 + k``)
  with ``article_data_mime`` rows whose subjects and bodies are drawn from :mod:`benchmarks.tickets.words`;
* history as the creation writes it (NewTicket, CustomerUpdate, the first article's PhoneCallCustomer or
  EmailCustomer), three dynamic fields (Dropdown ``Category`` on 60% of the tickets, Text ``OrderNumber`` on 30%,
  Date ``DueDate`` on 20%), and the full-text index filled by SQL that writes exactly what
  :mod:`modules.tickets.search_index` writes (``tests/benchmarks/test_tickets_dataset.py`` checks it against
  ``reindex_all``).

Bulk tables are filled with ``INSERT ... SELECT`` with their secondary indexes and foreign keys dropped and made
again afterwards (one sort each instead of millions of index inserts), then ``VACUUM ANALYZE``.  ``setseed`` per
statement and no parallel workers make the data the same on every machine.  A second run with the same size does
nothing; another size drops the database and builds it again.
"""

from __future__ import annotations

import argparse
import random
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, insert, text
from sqlalchemy.engine import URL, make_url

from benchmarks.tickets import upkeep, words

DEFAULT_TICKETS = 1_000_000
DEFAULT_DATABASE = "gotrs_bench_tickets"
SEED = 0.42
VERSION = 1
"""Stored with the dataset: a dataset built by another version of this script is built again."""
GROUPS, QUEUES, AGENTS, COMPANIES, CUSTOMERS = 20, 200, 50, 500, 5000
FIRST_GROUP, FIRST_QUEUE, FIRST_AGENT, FIRST_FIELD = 101, 101, 101, 1001
ADMINS, READ_ONLY = 3, 10
START, END = datetime(2023, 12, 1), datetime(2026, 11, 30, 23, 0)
BATCH = 100_000
"""Tickets per article statement: bounds each transaction and paces the progress lines."""
BULK_TABLES = (
    "ticket",
    "article",
    "article_data_mime",
    "ticket_history",
    "dynamic_field_value",
    "gotrs_ticket_fts",
    "gotrs_article_fts",
)
Progress = Callable[[str], None]
WELCOME_TABLES = (
    "gotrs_article_fts",
    "gotrs_ticket_fts",
    "ticket_history",
    "article_data_mime_attachment",
    "article_data_mime_plain",
    "article_data_mime",
    "article_flag",
    "ticket_flag",
)
"""Rows of the initial data's welcome ticket that refer to it or its article, deleted before the load."""


@dataclass(frozen=True)
class Dataset:
    """Where the dataset lives and the facts the benchmarks need from it."""

    url: URL
    tickets: int
    articles: int
    typical_agent: str  # login of a non-admin agent with rw on 4 groups: the queue view's reader
    build_seconds: float


# --- the small tables, built in Python ---------------------------------------------------------------------------


def agent_grants(agents: int = AGENTS, groups: int = GROUPS, seed: int = 42) -> dict[int, dict[int, str]]:
    """``{agent number (1-based): {group number (1-based): 'rw' | 'ro'}}``: a few admins, most agents rw on 2 to 6
    groups (every third also ro on one more), the last :data:`READ_ONLY` agents ro on 2 or 3 groups."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, no secret
    grants: dict[int, dict[int, str]] = {}
    for agent in range(1, agents + 1):
        everyone = range(1, groups + 1)
        if agent <= ADMINS:
            grants[agent] = dict.fromkeys(everyone, "rw")
        elif agent > agents - READ_ONLY:
            grants[agent] = dict.fromkeys(rng.sample(everyone, 2 + agent % 2), "ro")
        else:
            chosen = rng.sample(everyone, 2 + agent % 5 + (1 if agent % 3 == 0 else 0))
            grants[agent] = {group: "rw" for group in chosen[: 2 + agent % 5]}
            grants[agent] |= {group: "ro" for group in chosen[2 + agent % 5 :]}
    return grants


def typical_agent_number(grants: dict[int, dict[int, str]]) -> int:
    """The first agent with rw on exactly 4 groups and nothing else: the queue view benchmark's reader."""
    return next(n for n, keys in grants.items() if n > ADMINS and list(keys.values()) == ["rw"] * 4)


def agent_login(number: int) -> str:
    first, last = _agent_name(number)
    return f"{first}.{last}".lower()


def _agent_name(number: int) -> tuple[str, str]:
    return words.FIRST_NAMES[number % len(words.FIRST_NAMES)], words.LAST_NAMES[(number * 7) % len(words.LAST_NAMES)]


def _stamp(now: datetime) -> dict[str, Any]:
    return {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}


def _small_tables(conn: Connection, now: datetime) -> str:
    """Groups, queues, agents and their grants, customers, dynamic fields; returns the typical agent's login."""
    from modules.db.schema import metadata

    t, stamp = metadata.tables, _stamp(now)
    for table in (*WELCOME_TABLES, "article", "ticket"):
        # the initial data's welcome ticket, deleted as an admin would; the names are constants of this module
        conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608
    groups = [{"id": FIRST_GROUP + i, "name": name, "valid_id": 1, **stamp} for i, name in enumerate(words.GROUPS)]
    conn.execute(insert(t["permission_groups"]), groups)
    queues = []
    for q in range(QUEUES):
        group, sub = q % GROUPS, q // GROUPS
        name = words.GROUPS[group] + (f"::{words.SUBQUEUES[sub - 1]}" if sub else "")
        queues.append({"id": FIRST_QUEUE + q, "name": name, "group_id": FIRST_GROUP + group, "system_address_id": 1,
                       "salutation_id": 1, "signature_id": 1, "follow_up_id": 1, "follow_up_lock": 0, "valid_id": 1,
                       **stamp})  # fmt: skip
    conn.execute(insert(t["queue"]), queues)
    agents = [{"id": FIRST_AGENT + n - 1, "login": agent_login(n), "pw": "!", "first_name": _agent_name(n)[0],
               "last_name": _agent_name(n)[1], "valid_id": 1, **stamp} for n in range(1, AGENTS + 1)]  # fmt: skip
    conn.execute(insert(t["users"]), agents)
    grants = agent_grants()
    rows = [{"user_id": FIRST_AGENT + n - 1, "group_id": 1, "permission_key": "rw", **stamp} for n in grants]
    for n, keys in grants.items():
        rows += [{"user_id": FIRST_AGENT + n - 1, "group_id": FIRST_GROUP + g - 1, "permission_key": key, **stamp}
                 for g, key in keys.items()]  # fmt: skip
        if n <= ADMINS:
            rows += [{"user_id": FIRST_AGENT + n - 1, "group_id": g, "permission_key": "rw", **stamp} for g in (2, 3)]
    conn.execute(insert(t["group_user"]), rows)
    names = [
        f"{words.LAST_NAMES[c % len(words.LAST_NAMES)]} {words.GROUPS[c % GROUPS]} {c:03d} Ltd"
        for c in range(COMPANIES)
    ]
    companies = [{"customer_id": f"company{c:03d}", "name": names[c], "valid_id": 1, **stamp} for c in range(COMPANIES)]
    conn.execute(insert(t["customer_company"]), companies)
    customers = []
    for c in range(1, CUSTOMERS + 1):
        first = words.FIRST_NAMES[c % len(words.FIRST_NAMES)]
        last = words.LAST_NAMES[(c // 7) % len(words.LAST_NAMES)]
        email = f"{first}.{last}{c}@company{c % COMPANIES:03d}.example.com".lower()
        customers.append({"id": c, "login": email, "email": email, "customer_id": f"company{c % COMPANIES:03d}",
                          "first_name": first, "last_name": last, "valid_id": 1, **stamp})  # fmt: skip
    conn.execute(insert(t["customer_user"]), customers)
    conn.execute(insert(t["dynamic_field"]), [{**row, **stamp} for row in field_rows()])
    return agent_login(typical_agent_number(grants))


def field_rows() -> list[dict[str, Any]]:
    """The three ticket fields: Category (a queue-view column), OrderNumber, DueDate (a queue-view column); all
    shown in the zoom and the search form (``Screens``, see ``modules/tickets/dynamic_fields_screens.py``)."""
    from modules.admin.dynamic_fields import DEFAULTS, to_yaml

    everywhere = {"AgentTicketZoom": "1", "AgentTicketSearch": "1"}
    fields = [
        ("Category", "Dropdown", {"PossibleValues": {c: c.title() for c in words.CATEGORIES}, "PossibleNone": "1",
                                  "Screens": everywhere | {"OverviewSmall": "1"}}),
        ("OrderNumber", "Text", {"Screens": everywhere}),
        ("DueDate", "Date", {"Screens": everywhere | {"OverviewSmall": "1"}}),
    ]  # fmt: skip
    return [
        {
            "id": FIRST_FIELD + i,
            "internal_field": 0,
            "name": name,
            "label": name,
            "field_order": 100 + i,
            "field_type": kind,
            "object_type": "Ticket",
            "config": to_yaml({**DEFAULTS[kind], **extra}).encode(),
            "valid_id": 1,
        }
        for i, (name, kind, extra) in enumerate(fields)
    ]


# --- the bulk tables, set-based ---------------------------------------------------------------------------------

# Draws per row come from one LATERAL of random() values (OFFSET 0 keeps it evaluated once per row).  Word picks are
# correlated subqueries (they name the outer row), so each row gets its own words; ``+ 0 * k`` keeps string_agg
# in the subquery (an aggregate of outer columns only would belong to the outer query).
_WORDS = (
    "(SELECT string_agg(v.words[1 + floor(:nv * power(random(), :skew))::int + 0 * k], ' ') "
    "FROM generate_series(1, {n}) k)"
)

_TICKETS = f"""
INSERT INTO ticket (id, tn, title, queue_id, ticket_lock_id, type_id, user_id, responsible_user_id,
    ticket_priority_id, ticket_state_id, customer_id, customer_user_id, timeout, until_time, escalation_time,
    escalation_update_time, escalation_response_time, escalation_solution_time, archive_flag,
    create_time, create_by, change_time, change_by)
SELECT g, to_char(r.t, 'YYYYMMDD') || '10' || lpad(g::text, 7, '0'),
       initcap(left(r.title, 1)) || substr(r.title, 2),
       :first_queue + floor(:queues * power(r.q, 2.5))::int,
       CASE WHEN s.viewable AND r.l < 0.4 THEN 2 ELSE 1 END, 1,
       s.owner, s.owner, s.priority, s.state, c.customer_id, c.login, 0,
       CASE WHEN s.state IN (6, 7, 8) THEN extract(epoch FROM r.t + interval '5 days')::bigint ELSE 0 END,
       0, 0, 0, 0, 0, r.t, 1,
       least(r.t + r.c * CASE WHEN s.viewable THEN interval '2 days' ELSE interval '20 days' END, :end), 1
FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g,
     LATERAL (SELECT random() AS p, random() AS q, random() AS l, random() AS o, random() AS c, random() AS pr,
                     1 + floor(:customers * power(random(), 2))::int AS cu,
                     date_trunc('second', :start + (g - 1) * (:span / :n) * interval '1 second'
                         + (random() - 0.5) * interval '2 hours') AS t,
                     {_WORDS.format(n="3 + g % 5")} AS title
              FROM (SELECT CAST(:words_array AS text[]) AS words) v OFFSET 0) r,
     LATERAL (SELECT o.open_share > r.p AS viewable, o.open_share, o.state,
                     CASE WHEN o.open_share > r.p AND r.l >= 0.4 AND r.o < 0.5 THEN 1
                          ELSE :first_agent + floor(:agents * power(r.o, 1.5))::int END AS owner,
                     CASE WHEN r.pr < 0.03 THEN 1 WHEN r.pr < 0.15 THEN 2 WHEN r.pr < 0.85 THEN 3
                          WHEN r.pr < 0.97 THEN 4 ELSE 5 END AS priority
              FROM (SELECT x.open_share,
                           CASE WHEN r.p < x.open_share THEN
                                CASE WHEN r.p / x.open_share < 0.2 THEN 1 WHEN r.p / x.open_share < 0.7 THEN 4
                                     WHEN r.p / x.open_share < 0.9 THEN 6 WHEN r.p / x.open_share < 0.95 THEN 7
                                     ELSE 8 END
                           ELSE CASE WHEN (r.p - x.open_share) / (1 - x.open_share) < 0.88 THEN 2
                                     WHEN (r.p - x.open_share) / (1 - x.open_share) < 0.985 THEN 3
                                     WHEN (r.p - x.open_share) / (1 - x.open_share) < 0.995 THEN 9 ELSE 5 END
                           END AS state
                    FROM (SELECT CASE WHEN g > 0.9 * :n THEN 0.5 ELSE 0.0556 END AS open_share) x) o) s,
     LATERAL (SELECT customer_id, login FROM customer_user WHERE id = r.cu) c
"""  # noqa: S608 - built from this module's constants; every value is bound

_ARTICLE_COUNT = "1 + (t.id * 7919) % 9"
"""Articles of ticket t: 1 to 9, each count equally often, 5 on average."""

_ARTICLES = f"""
INSERT INTO article (id, ticket_id, article_sender_type_id, communication_channel_id, is_visible_for_customer,
    search_index_needs_rebuild, create_time, create_by, change_time, change_by)
SELECT t.id * 10 + k, t.id, CASE WHEN k % 2 = 1 THEN 3 ELSE 1 END,
       CASE WHEN k % 4 = 0 THEN 3 WHEN k = 1 AND t.id % 10 < 3 THEN 2 ELSE 1 END,
       CASE WHEN k % 4 = 0 THEN 0 ELSE 1 END, 0,
       date_trunc('second', t.create_time + (t.change_time - t.create_time) * ((k - 1)::float8 / ({_ARTICLE_COUNT}))),
       CASE WHEN k % 2 = 1 OR t.user_id = 1 THEN 1 ELSE t.user_id END,
       date_trunc('second', t.create_time + (t.change_time - t.create_time) * ((k - 1)::float8 / ({_ARTICLE_COUNT}))),
       CASE WHEN k % 2 = 1 OR t.user_id = 1 THEN 1 ELSE t.user_id END
FROM ticket t, generate_series(1, {_ARTICLE_COUNT}) k
WHERE t.id BETWEEN :lo AND :hi
"""  # noqa: S608 - built from this module's constants; every value is bound

_BODY = _WORDS.format(n="15 + a.id % 31")
_MIME = f"""
INSERT INTO article_data_mime (id, article_id, a_from, a_to, a_subject, a_message_id, a_content_type, a_body,
    incoming_time, create_time, create_by, change_time, change_by)
SELECT a.id, a.id,
       CASE WHEN a.article_sender_type_id = 3 THEN cu.first_name || ' ' || cu.last_name || ' <' || cu.email || '>'
            ELSE u.first_name || ' ' || u.last_name || ' <' || split_part(u.login, '@', 1) || '@example.com>' END,
       CASE WHEN a.communication_channel_id = 3 THEN NULL
            WHEN a.article_sender_type_id = 3 THEN 'Support <support@example.com>'
            ELSE cu.first_name || ' ' || cu.last_name || ' <' || cu.email || '>' END,
       CASE WHEN a.id % 10 = 1 THEN t.title ELSE 'Re: ' || t.title END,
       '<' || a.id || '@bench.gotrs.example>', 'text/plain; charset=utf-8',
       'Hello,' || chr(10) || chr(10) || initcap(left(b.body, 1)) || substr(b.body, 2) || '.' || chr(10) || chr(10)
           || CASE WHEN a.id % 5 = 0 THEN 'Reference: INC-' || (a.id * 7919) % 1000000 || chr(10) || chr(10)
                   ELSE '' END
           || 'Regards,' || chr(10) || CASE WHEN a.article_sender_type_id = 3 THEN cu.first_name
                                              ELSE u.first_name END,
       extract(epoch FROM a.create_time)::bigint, a.create_time, a.create_by, a.create_time, a.create_by
FROM article a
JOIN ticket t ON t.id = a.ticket_id
JOIN customer_user cu ON cu.login = t.customer_user_id
JOIN users u ON u.id = CASE WHEN a.article_sender_type_id = 3 THEN t.user_id ELSE a.create_by END,
     LATERAL (SELECT {_BODY} AS body FROM (SELECT CAST(:words_array AS text[]) AS words) v OFFSET 0) b
WHERE a.ticket_id BETWEEN :lo AND :hi
"""  # noqa: S608 - built from this module's constants; every value is bound

_HISTORY = """
INSERT INTO ticket_history (id, name, history_type_id, ticket_id, article_id, type_id, queue_id, owner_id,
    priority_id, state_id, create_time, create_by, change_time, change_by)
SELECT t.id * 3 - 2 + h.n,
       CASE h.n WHEN 0 THEN :sep || t.tn || :sep || q.name || :sep || p.name || :sep || 'new' || :sep || t.id
                WHEN 1 THEN :sep || 'CustomerID=' || t.customer_id || ';CustomerUser=' || t.customer_user_id || ';'
                ELSE :sep END,
       CASE h.n WHEN 0 THEN (SELECT id FROM ticket_history_type WHERE name = 'NewTicket')
                WHEN 1 THEN (SELECT id FROM ticket_history_type WHERE name = 'CustomerUpdate')
                WHEN 2 THEN CASE WHEN t.id % 10 < 3 THEN (SELECT id FROM ticket_history_type
                                                          WHERE name = 'PhoneCallCustomer')
                                 ELSE (SELECT id FROM ticket_history_type WHERE name = 'EmailCustomer') END END,
       t.id, CASE WHEN h.n = 2 THEN t.id * 10 + 1 END, t.type_id, t.queue_id, 1, t.ticket_priority_id, 1,
       t.create_time, 1, t.create_time, 1
FROM ticket t JOIN queue q ON q.id = t.queue_id JOIN ticket_priority p ON p.id = t.ticket_priority_id,
     (VALUES (0), (1), (2)) h(n)
WHERE t.id BETWEEN :lo AND :hi
"""

_FIELD_VALUES = [
    "INSERT INTO dynamic_field_value (field_id, object_id, value_text) "
    "SELECT :first_field, id, (CAST(:categories AS text[]))[1 + floor(8 * power(random(), 1.5))::int] "
    "FROM ticket WHERE random() < 0.6 ORDER BY id",
    "INSERT INTO dynamic_field_value (field_id, object_id, value_text) "
    "SELECT :first_field + 1, id, 'ORD-' || lpad(((id * 7919) % 1000000)::text, 6, '0') "
    "FROM ticket WHERE random() < 0.3 ORDER BY id",
    "INSERT INTO dynamic_field_value (field_id, object_id, value_date) "
    "SELECT :first_field + 2, id, date_trunc('day', create_time + interval '14 days') "
    "FROM ticket WHERE random() < 0.2 ORDER BY id",
]


def _tokens_sql(expression: str) -> str:
    """SQL for ``gotrs_search_doc(document(...))`` of ASCII text (lower case, runs of [a-z0-9]), as the app writes."""
    return f"gotrs_search_doc(regexp_replace(lower({expression}), '[^a-z0-9]+', ' ', 'g'))"


_TICKET_FTS = f"""
INSERT INTO gotrs_ticket_fts (ticket_id, doc)
SELECT id, {_tokens_sql("concat_ws(' ', tn, title)")} FROM ticket WHERE id BETWEEN :lo AND :hi
"""  # noqa: S608 - built from this module's constants; every value is bound
_ARTICLE_DOC = (
    "concat_ws(' ', m.a_subject, left(m.a_from, 10000), left(m.a_to, 10000), left(m.a_cc, 10000), "
    "left(m.a_body, 100000))"
)
"""The fields of :func:`modules.tickets.search_index._article_rows`, in its order and with its limits."""
_ARTICLE_FTS = f"""
INSERT INTO gotrs_article_fts (article_id, ticket_id, doc)
SELECT a.id, a.ticket_id, {_tokens_sql(_ARTICLE_DOC)}
FROM article a JOIN article_data_mime m ON m.article_id = a.id WHERE a.ticket_id BETWEEN :lo AND :hi
"""  # noqa: S608 - built from this module's constants; every value is bound


@contextmanager
def _bulk_load(engine: Engine, tables: Sequence[str], progress: Progress) -> Iterator[None]:
    """Drop the secondary indexes and foreign keys of ``tables`` for the load; make them again after it."""
    with engine.begin() as conn:
        indexes = conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                "AND i.tablename = ANY(:t) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conname = i.indexname AND c.contype IN ('p', 'u'))"
            ),
            {"t": list(tables)},
        ).all()
        keys = conn.execute(
            text(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(:t)"
            ),
            {"t": list(tables)},
        ).all()
        for table, name, _ in keys:  # names come from the catalogue, quoted
            conn.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    for name, definition in indexes:
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
            conn.execute(text(definition))
        progress(f"index {name}: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with engine.begin() as conn:
        for table, name, definition in keys:
            conn.execute(text(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))
    progress(f"{len(keys)} foreign keys: {time.perf_counter() - started:.1f} s")


def _batches(tickets: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + BATCH - 1, tickets)) for lo in range(1, tickets + 1, BATCH)]


def _run(engine: Engine, label: str, sql: str, params: dict[str, Any], *, tickets: int, progress: Progress) -> None:
    """``sql`` once per batch of ticket ids (``:lo``..``:hi``), each in its own transaction and seed."""
    started = time.perf_counter()
    rows = 0
    for number, (lo, hi) in enumerate(_batches(tickets)):
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            conn.execute(text("SET LOCAL work_mem = '64MB'"))
            conn.execute(text("SELECT setseed(:s)"), {"s": (SEED * 1000 + number * 7 + len(label)) % 1000 / 1000})
            rows += conn.execute(text(sql), {**params, "lo": lo, "hi": hi}).rowcount
        progress(f"{label}: {rows:,} rows, tickets to {hi:,} ({time.perf_counter() - started:.0f} s)")


def _fill(engine: Engine, tickets: int, progress: Progress) -> None:
    vocabulary = list(words.VOCABULARY)
    params = {
        "n": tickets,
        "first_queue": FIRST_QUEUE,
        "queues": QUEUES,
        "first_agent": FIRST_AGENT,
        "agents": AGENTS,
        "customers": CUSTOMERS,
        "start": START,
        "end": END,
        "span": (END - START).total_seconds(),
        "nv": len(vocabulary),
        "skew": words.SKEW,
        "words_array": vocabulary,
    }
    word_params = {"nv": params["nv"], "skew": words.SKEW, "words_array": vocabulary}
    with _bulk_load(engine, BULK_TABLES, progress):
        _run(engine, "tickets", _TICKETS, params, tickets=tickets, progress=progress)
        _run(engine, "articles", _ARTICLES, {}, tickets=tickets, progress=progress)
        _run(engine, "article_data_mime", _MIME, word_params, tickets=tickets, progress=progress)
        _run(engine, "ticket_history", _HISTORY, {"sep": "%%"}, tickets=tickets, progress=progress)
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            conn.execute(text("SELECT setseed(:s)"), {"s": SEED})
            for statement in _FIELD_VALUES:
                conn.execute(text(statement), {"categories": list(words.CATEGORIES), "first_field": FIRST_FIELD})
        progress("dynamic_field_value: done")
        _run(engine, "gotrs_ticket_fts", _TICKET_FTS, {}, tickets=tickets, progress=progress)
        _run(engine, "gotrs_article_fts", _ARTICLE_FTS, {}, tickets=tickets, progress=progress)


_SEQUENCES = (
    "ticket",
    "article",
    "article_data_mime",
    "ticket_history",
    "dynamic_field_value",
    "dynamic_field",
    "users",
    "permission_groups",
    "queue",
    "customer_user",
)


def _finish(engine: Engine, tickets: int, typical: str, seconds: float) -> None:
    with engine.begin() as conn:
        for table in _SEQUENCES:  # our own constant names
            top = f"SELECT max(id) FROM {table}"  # noqa: S608
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({top}))"))
        conn.execute(
            text(
                "CREATE TABLE gotrs_bench_meta (tickets bigint NOT NULL, articles bigint NOT NULL, "
                "typical_agent varchar(200) NOT NULL, build_seconds float8 NOT NULL, version integer NOT NULL)"
            )
        )
        articles = conn.execute(text("SELECT count(*) FROM article")).scalar_one()
        conn.execute(
            text("INSERT INTO gotrs_bench_meta VALUES (:t, :a, :agent, :s, :v)"),
            {"t": tickets, "a": articles, "agent": typical, "s": seconds, "v": VERSION},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def database_url(server_url: str | URL, database: str = DEFAULT_DATABASE) -> URL:
    return make_url(server_url).set(database=database)


def _present(url: URL) -> Dataset | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT to_regclass('gotrs_bench_meta')")).scalar() is None:
                return None
            row = conn.execute(text("SELECT * FROM gotrs_bench_meta")).mappings().one()
    except Exception:  # noqa: BLE001 - no such database yet
        return None
    finally:
        engine.dispose()
    if row.get("version") != VERSION:
        return None
    return Dataset(
        url, int(row["tickets"]), int(row["articles"]), str(row["typical_agent"]), float(row["build_seconds"])
    )


def _recreate_database(server_url: str | URL, database: str) -> None:
    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote(database)  # our own option, quoted
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {quoted} ENCODING 'UTF8' TEMPLATE template0"))
    finally:
        admin.dispose()


def build(url: URL, tickets: int, progress: Progress = print) -> Dataset:
    """Build the dataset of ``tickets`` tickets in the (empty) database at ``url``."""
    from goatkit.db import make_engine
    from modules.db import MIGRATIONS
    from modules.db.seed import insert_initial_data

    started = time.perf_counter()
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        MIGRATIONS.upgrade(engine)
        with engine.begin() as conn:
            insert_initial_data(conn, admin_password=secrets.token_urlsafe(16))
            typical = _small_tables(conn, START - timedelta(days=1))
        progress(f"schema, initial data, {QUEUES} queues, {AGENTS} agents, {CUSTOMERS} customers: "
                 f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        _fill(engine, tickets, progress)
        seconds = time.perf_counter() - started
        _finish(engine, tickets, typical, seconds)
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    progress(f"built {tickets:,} tickets in {seconds:.0f} s ({url.database})")
    dataset = _present(url)
    assert dataset is not None
    return dataset


def ensure_dataset(
    server_url: str | URL,
    tickets: int = DEFAULT_TICKETS,
    database: str = DEFAULT_DATABASE,
    progress: Progress = print,
    rebuild: bool = False,
) -> Dataset:
    """The dataset of ``tickets`` tickets in ``database``: found, or (re)built from scratch."""
    url = database_url(server_url, database)
    present = _present(url)
    if present is not None and present.tickets == tickets and not rebuild:
        progress(f"dataset: {tickets:,} tickets already present ({database}, built in {present.build_seconds:.0f} s)")
        upkeep.upgrade(url, progress)  # later migrations (indexes) apply to a kept dataset as to a real install
        upkeep.remove_added_tickets(url, tickets, progress)
        return present
    _recreate_database(server_url, database)
    return build(url, tickets, progress)


def main(argv: list[str] | None = None) -> None:
    from benchmarks.engine.run import default_url

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        default=default_url(),
        help="PostgreSQL server URL (default: GOTRS_BENCH_PG_URL, else GOTRS_TEST_PG_URL)",
    )
    parser.add_argument("--tickets", type=int, default=DEFAULT_TICKETS)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--rebuild", action="store_true", help="build again even when the same size is present")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("no PostgreSQL URL: pass --url or run scripts/bench-postgres.sh start")
    started = time.perf_counter()

    def progress(line: str) -> None:
        print(f"{time.perf_counter() - started:8.1f} s  {line}", flush=True)

    ensure_dataset(args.url, args.tickets, args.database, progress, args.rebuild)


if __name__ == "__main__":
    main()

"""The list benchmark's dataset: a ticket-like table of N rows and 4 lookup tables, in a PostgreSQL database.

Usage:
    .venv/bin/python -m benchmarks.engine.dataset --url postgresql+psycopg://postgres@127.0.0.1:55432/postgres \
        [--rows N]

The URL names a *server*: the script creates the database ``gotrs_bench_engine`` in it (``--database`` to change)
and builds the tables there with ``INSERT ... SELECT generate_series`` (about 10 s for 1,000,000 rows), then the
indexes, then ``VACUUM ANALYZE`` so index-only and keyset scans see a settled table.  A second run with the same N
does nothing; another N rebuilds.  The data is deterministic (``setseed``), so two machines get the same rows.

Skew is deliberate: queues, owners and priorities follow power laws (a few queues hold most tickets, as in a real
helpdesk), most tickets are closed, and ``create_time`` grows with ``id`` with an hour of jitter, so sorting by
``create_time`` is close to but not the same as sorting by ``id``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

DEFAULT_ROWS = 1_000_000
DEFAULT_DATABASE = "gotrs_bench_engine"
QUEUES, USERS = 200, 50
STATES = (
    "new",
    "open",
    "closed successful",
    "closed unsuccessful",
    "pending reminder",
    "pending auto close+",
    "pending auto close-",
    "removed",
    "merged",
)
#: Cumulative share of tickets per state, in STATES order: most tickets are closed.
STATE_CUMULATIVE = (0.04, 0.14, 0.84, 0.92, 0.95, 0.97, 0.98, 0.99, 1.0)
PRIORITIES = ("1 very low", "2 low", "3 normal", "4 high", "5 very high")

LOOKUP_TABLES = ("bench_queue", "bench_ticket_state", "bench_ticket_priority", "bench_users")

# Table names are constants of this module (identifiers cannot be bound parameters); every value is bound.
_SCHEMA = [
    *(
        f"CREATE TABLE {name} (id integer PRIMARY KEY, name varchar(200) NOT NULL UNIQUE, "
        "valid_id smallint NOT NULL DEFAULT 1)"
        for name in LOOKUP_TABLES
    ),
    """CREATE TABLE bench_ticket (
        id bigint PRIMARY KEY,
        tn varchar(50) NOT NULL,
        title varchar(255) NOT NULL,
        queue_id integer NOT NULL REFERENCES bench_queue(id),
        ticket_state_id integer NOT NULL REFERENCES bench_ticket_state(id),
        ticket_priority_id integer NOT NULL REFERENCES bench_ticket_priority(id),
        user_id integer NOT NULL REFERENCES bench_users(id),
        customer_id varchar(150) NOT NULL,
        create_time timestamp NOT NULL,
        change_time timestamp NOT NULL
    )""",
    "CREATE TABLE bench_meta (rows bigint NOT NULL, mid_queue_id integer NOT NULL)",
]

_LOOKUPS = [
    "INSERT INTO bench_queue SELECT g, 'Support::Team ' || lpad(g::text, 3, '0'), "
    "CASE WHEN g % 40 = 0 THEN 2 ELSE 1 END FROM generate_series(1, :queues) g",
    "INSERT INTO bench_users SELECT g, 'agent' || lpad(g::text, 2, '0'), 1 FROM generate_series(1, :users) g",
]

# Power laws by ``floor(n * random() ^ k) + 1``: a larger k piles more rows onto the low ids.
_TICKETS = """
INSERT INTO bench_ticket
SELECT g,
       (2026000000 + g)::text,
       'Ticket ' || g || ': ' || (ARRAY['Printer jams on tray 2', 'VPN drops every hour', 'Invoice missing',
           'Cannot log in', 'Mailbox full', 'Laptop battery swelling', 'Request new monitor',
           'Password reset'])[1 + (g % 8)],
       floor(:queues * power(random(), 2.5))::int + 1,
       width_bucket(r.s, CAST(:thresholds AS float8[])) + 1,
       CASE WHEN r.p < 0.7 THEN 3 WHEN r.p < 0.85 THEN 2 WHEN r.p < 0.95 THEN 4
            WHEN r.p < 0.98 THEN 1 ELSE 5 END,
       floor(:users * power(random(), 1.8))::int + 1,
       'customer' || floor(5000 * power(random(), 2))::int || '@example.com',
       r.t,
       date_trunc('second', r.t + random() * interval '20 days')
FROM generate_series(1, :rows) g,
     LATERAL (SELECT random() AS s, random() AS p,
                     date_trunc('second', timestamp '2025-01-01' + g * interval '31 seconds'
                         + (random() - 0.5) * interval '2 hours') AS t
              OFFSET 0) r
"""

_INDEXES = [
    # Shape 2: filtered by queue, sorted by create_time; the id column makes the keyset order total.
    "CREATE INDEX ix_bench_ticket_queue_time ON bench_ticket (queue_id, create_time, id)",
    "CREATE INDEX ix_bench_ticket_queue_id ON bench_ticket (queue_id, id)",
    "CREATE INDEX ix_bench_ticket_time ON bench_ticket (create_time, id)",
    "CREATE INDEX ix_bench_ticket_state ON bench_ticket (ticket_state_id, id)",
    "CREATE INDEX ix_bench_ticket_owner ON bench_ticket (user_id, id)",
]


@dataclass(frozen=True)
class Dataset:
    """Where the dataset lives and what the page shapes need from it."""

    url: URL
    rows: int
    mid_queue_id: int


def database_url(server_url: str | URL, database: str = DEFAULT_DATABASE) -> URL:
    return make_url(server_url).set(database=database)


def ensure_database(server_url: str | URL, database: str) -> None:
    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}).first()
            if not exists:
                # A database name cannot be a bound parameter; it comes from our own option, quoted here.
                quoted = conn.dialect.identifier_preparer.quote(database)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        admin.dispose()


def _present(conn: Connection) -> tuple[int, int] | None:
    if conn.execute(text("SELECT to_regclass('bench_meta')")).scalar() is None:
        return None
    row = conn.execute(text("SELECT rows, mid_queue_id FROM bench_meta")).first()
    return (int(row[0]), int(row[1])) if row else None


def _mid_queue(conn: Connection) -> int:
    """The queue at the median of the queues that hold tickets: a mid-size queue, neither huge nor empty."""
    counts = conn.execute(
        text("SELECT queue_id FROM bench_ticket GROUP BY queue_id ORDER BY count(*) DESC, queue_id")
    ).scalars()
    ranked = list(counts)
    return int(ranked[len(ranked) // 2])


def _build(engine: Engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_meta, bench_ticket, " + ", ".join(LOOKUP_TABLES)))
        for statement in _SCHEMA:
            conn.execute(text(statement))
        sizes = {"queues": QUEUES, "users": USERS}
        for statement in _LOOKUPS:
            conn.execute(text(statement), sizes)
        conn.execute(
            text("INSERT INTO bench_ticket_state VALUES (:id, :name, 1)"),
            [{"id": i, "name": name} for i, name in enumerate(STATES, 1)],
        )
        conn.execute(
            text("INSERT INTO bench_ticket_priority VALUES (:id, :name, 1)"),
            [{"id": i, "name": name} for i, name in enumerate(PRIORITIES, 1)],
        )
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))  # index builds sort in memory
        conn.execute(text("SELECT setseed(0.42)"))
        conn.execute(text(_TICKETS), {**sizes, "rows": rows, "thresholds": list(STATE_CUMULATIVE[:-1])})
        for statement in _INDEXES:
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO bench_meta VALUES (:rows, :mid)"), {"rows": rows, "mid": _mid_queue(conn)})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def ensure_dataset(server_url: str | URL, rows: int = DEFAULT_ROWS, database: str = DEFAULT_DATABASE) -> Dataset:
    """Build the dataset unless the database already holds one of ``rows`` rows; return where it is."""
    ensure_database(server_url, database)
    url = database_url(server_url, database)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            present = _present(conn)
        if present is None or present[0] != rows:
            started = time.perf_counter()
            _build(engine, rows)
            print(f"dataset: built {rows:,} rows in {time.perf_counter() - started:.1f} s ({url.database})")
            with engine.connect() as conn:
                present = _present(conn)
        else:
            print(f"dataset: {rows:,} rows already present ({url.database})")
        assert present is not None
        return Dataset(url=url, rows=rows, mid_queue_id=present[1])
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="PostgreSQL server URL (any database on it)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    args = parser.parse_args()
    ensure_dataset(args.url, args.rows, args.database)


if __name__ == "__main__":
    main()

"""Allocating ticket numbers from ``ticket_number_counter``: unique under concurrency, restarting daily.

OTRS 3.1+ inserts one counter row per ticket, sleeps 50 ms and numbers the rows afterwards
(``NumberBase::TicketNumberCounterAdd``); that relies on autocommit and cannot work inside the caller's
transaction.  GOTRS gives the same visible numbers with one row per *scope* in the same table:

- ``counter_uid = 'gotrs:day:20240101'`` for the date-based generators (Date, DateChecksum): the day's first
  ticket gets counter 1, as in OTRS;
- ``counter_uid = 'gotrs:all'`` for AutoIncrement, which never restarts.

A number is ``UPDATE ... SET counter = counter + 1 ... RETURNING counter``: atomic on every backend, so two
transactions never get the same counter.  The row lock of that UPDATE serialises every creator of every worker
until the transaction holding it ends, so a create on PostgreSQL takes its numbers on :func:`counter_connection`,
which commits each increment at once: the lock lasts one statement, not the whole create (a rolled-back create
then burns its number, as OTRS's does).  SQLite has one writer anyway, and MariaDB reads its increment back in the
same transaction, so both count inside the caller's transaction (where a rollback gives the number back).
The day's row is created with ``INSERT ... ON CONFLICT DO NOTHING`` by whichever
transaction comes first.  A new scope row continues from counters an OTRS installation left in the table (the
day's highest, or for AutoIncrement the highest overall or the last ticket's number), so GOTRS can take over an
OTRS database in the middle of a day.  As OTRS does, a number already present in ``ticket.tn`` is skipped.

Example::

    tn = allocate(conn, DateChecksumGenerator("10"), now=datetime(2024, 1, 1, 9, 0))   # '2024010110000012'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection, Insert, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from goatkit.db.reader import autocommit
from modules.db.schema import metadata
from modules.tickets.numbers import TicketNumberGenerator

T = metadata.tables
SCOPE_PREFIX = "gotrs:"
MAX_TRIES = 1000  # numbers already taken in ticket.tn (imported data) are skipped, up to this many


def scope(generator: TicketNumberGenerator, day: date) -> str:
    """The ``counter_uid`` of the row that counts for ``generator`` on ``day``."""
    return f"{SCOPE_PREFIX}day:{day:%Y%m%d}" if generator.date_based else f"{SCOPE_PREFIX}all"


_TN_TAKEN = select(T["ticket"].c.id).where(T["ticket"].c.tn == bindparam("tn")).limit(1)
_TABLE = T["ticket_number_counter"]
_INCREMENT = (
    update(_TABLE).where(_TABLE.c.counter_uid == bindparam("uid")).values(counter=_TABLE.c.counter + 1)
)  # fmt: skip
_INCREMENT_RETURNING = _INCREMENT.returning(_TABLE.c.counter)


@contextmanager
def counter_connection(conn: Connection) -> Iterator[Connection]:
    """Where a create in ``conn``'s transaction takes its numbers: on PostgreSQL a connection that commits each
    increment at once (:func:`goatkit.db.reader.autocommit`), so concurrent creators wait for one statement, not for
    each other's transactions; elsewhere ``conn`` itself."""
    if conn.dialect.name != "postgresql":
        yield conn
        return
    with autocommit(conn.engine) as own:
        yield own


def allocate(conn: Connection, generator: TicketNumberGenerator, *, now: datetime) -> str:
    """A ticket number no ticket has, from the counter of ``now``'s day (two statements once the day began)."""
    for tn in candidates(conn, generator, now=now):
        if conn.execute(_TN_TAKEN, {"tn": tn}).first() is None:
            return tn
    raise RuntimeError(no_free_number(generator, now))


def candidates(conn: Connection, generator: TicketNumberGenerator, *, now: datetime) -> Iterator[str]:
    """Numbers from the counter of ``now``'s day, one statement each, up to :data:`MAX_TRIES`: for a caller that
    finds out itself whether one is taken (an ``INSERT ... ON CONFLICT (tn) DO NOTHING``), instead of
    :func:`allocate`'s look-up."""
    day = now.date()
    for _ in range(MAX_TRIES):
        counter = next_counter(conn, generator, day, now=now) if generator.uses_counter else 0
        yield generator.create(counter, day)


def no_free_number(generator: TicketNumberGenerator, now: datetime) -> str:
    return f"no free ticket number after {MAX_TRIES} tries ({generator.name}, {now.date()})"


def next_counter(conn: Connection, generator: TicketNumberGenerator, day: date, *, now: datetime) -> int:
    """The next counter of ``generator``'s scope on ``day`` (1 for the day's first ticket)."""
    uid = scope(generator, day)
    value = _increment(conn, uid)
    if value is None:
        start = datetime.combine(day, time()) if generator.date_based else now
        conn.execute(
            _insert_ignore(conn).values(counter=_seed(conn, generator, day), counter_uid=uid, create_time=start)
        )
        value = _increment(conn, uid)
    if value is None:  # pragma: no cover - the row was just created
        raise RuntimeError(f"ticket number counter '{uid}' could not be created")
    return value


def set_counter(conn: Connection, generator: TicketNumberGenerator, day: date, counter: int) -> None:
    """Make the next number of ``day`` use ``counter + 1`` (tests, and data migrations that renumber)."""
    next_counter(conn, generator, day, now=datetime.combine(day, time()))
    table = T["ticket_number_counter"]
    conn.execute(update(table).where(table.c.counter_uid == scope(generator, day)).values(counter=counter))


def delete_old_scopes(conn: Connection, *, now: datetime, keep_days: int = 2) -> int:
    """Delete day rows older than ``keep_days`` (the maintenance run); returns how many went."""
    table = T["ticket_number_counter"]
    result = conn.execute(
        table.delete().where(
            table.c.counter_uid.like(f"{SCOPE_PREFIX}day:%"),
            table.c.create_time < datetime.combine(now.date() - timedelta(days=keep_days), time()),
        )
    )
    return int(result.rowcount or 0)


def _increment(conn: Connection, uid: str) -> int | None:
    if conn.dialect.update_returning:
        row = conn.execute(_INCREMENT_RETURNING, {"uid": uid}).first()
        return int(row[0]) if row else None
    if not conn.execute(_INCREMENT, {"uid": uid}).rowcount:
        return None
    # MySQL: the UPDATE holds the row lock until commit, so this read sees our own increment.
    return int(conn.execute(select(_TABLE.c.counter).where(_TABLE.c.counter_uid == uid)).scalar_one())


def _insert_ignore(conn: Connection) -> Insert:
    table = T["ticket_number_counter"]
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["counter_uid"])
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=["counter_uid"])
    return insert(table).prefix_with("IGNORE")


def _seed(conn: Connection, generator: TicketNumberGenerator, day: date) -> int:
    """Where a new scope starts: the highest counter OTRS wrote for it (0 when none)."""
    table = T["ticket_number_counter"]
    query = select(func.max(table.c.counter)).where(~table.c.counter_uid.like(f"{SCOPE_PREFIX}%"))
    if generator.date_based:
        start = datetime.combine(day, time())
        query = query.where(table.c.create_time >= start, table.c.create_time < start + timedelta(days=1))
    highest = conn.execute(query).scalar()
    if highest is not None or generator.date_based:
        return int(highest or 0)
    return _last_auto_increment(conn, generator)


def _last_auto_increment(conn: Connection, generator: TicketNumberGenerator) -> int:
    """OTRS's AutoIncrement fallback: continue from the newest ticket's number unless it looks date-based."""
    ticket = T["ticket"]
    row = conn.execute(select(ticket.c.id, ticket.c.tn).order_by(ticket.c.id.desc()).limit(1)).first()
    system_id = getattr(generator, "system_id", "")
    if row is None or row.id == 1 or not row.tn.startswith(system_id):
        return 0
    rest = row.tn[len(system_id) :]
    if not rest.isdigit() or len(row.tn) >= 14:  # a YYYYMMDD-prefixed number: start again at 1
        return 0
    return int(rest)

"""Run the recorded queries of a page's lambdas together: one connection, one read-only transaction, rolled back.

Lambdas cannot call Python synchronously, so their ``db.query`` calls are recorded on a first run, checked by
:func:`goatkit.lambdas.sqlguard.guard`, answered here in one batch, and replayed.  The database is the second line
of defence and holds even for a query the guard never saw:

- PostgreSQL: ``SET TRANSACTION READ ONLY`` and a local ``statement_timeout`` (``set_config(..., true)``: ``SET
  LOCAL`` with a bound value); the batch goes out in psycopg's pipeline mode, one round trip for all of it.  A
  failing query aborts the transaction and skips what was queued after it, so the batch runs after a savepoint:
  on a failure, that query gets its own error, the transaction rolls back to the savepoint and the queries after
  it go out again (one more round trip per failing query).  Each answer stays independent.
- SQLite: ``PRAGMA query_only``, an authorizer that allows only reads (of readable tables and visible columns, when
  a :class:`ReadPolicy` is given) and allowed functions, and a progress handler that stops a statement at its
  deadline.  All three are undone afterwards, so the pooled connection is clean.
- MySQL and MariaDB (and PostgreSQL without pipeline mode): the same read-only transaction, each query after its
  own savepoint, the statement timeout as a session setting that is reset afterwards.

Whatever the engine's isolation level, the batch runs in a real transaction: on an AUTOCOMMIT connection
``SET TRANSACTION READ ONLY`` would bind nothing.

Example::

    answers = run_readonly(engine, [guard("SELECT name FROM bench_item WHERE id = ?", [1], dialect=..., policy=...)])
    answers[0].rows   # [{'name': 'Hammer'}]
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from goatkit.lambdas.sqlguard import GuardedQuery, ReadPolicy

log = logging.getLogger(__name__)

READ_ONLY = "Lambdas may only read data."


def _seconds(milliseconds: int) -> float:
    return milliseconds / 1000


#: What SQLite's authorizer lets a lambda query call: the native names of the guard's allowed functions.
SQLITE_FUNCTIONS = frozenset(
    {
        *("count", "sum", "avg", "min", "max", "total", "group_concat", "string_agg", "row_number", "rank"),
        *("dense_rank", "lower", "upper", "length", "substr", "substring", "trim", "ltrim", "rtrim", "replace"),
        *("concat", "concat_ws", "coalesce", "ifnull", "nullif", "iif", "instr", "like", "glob", "round", "abs"),
        *("floor", "ceil", "ceiling", "date", "time", "datetime", "julianday", "unixepoch", "strftime"),
        *("json_extract", "json_array_length", "json_type", "json_valid", "->", "->>"),
    }
)
_SAVEPOINT = "SAVEPOINT goatkit_lambda_batch"
_BACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT goatkit_lambda_batch"
_SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
#: (backend, MariaDB?) -> the statement that sets the statement timeout, the one that resets it (a session setting
#: on MySQL and MariaDB; PostgreSQL's SET LOCAL ends with the transaction), and the value from milliseconds.
_TIMEOUTS: dict[tuple[str, bool], tuple[str, str | None, Callable[[int], Any]]] = {
    ("postgresql", False): ("SELECT set_config('statement_timeout', :t, true)", None, str),
    ("mysql", False): ("SET SESSION max_execution_time = :t", "SET SESSION max_execution_time = DEFAULT", int),
    ("mysql", True): ("SET SESSION max_statement_time = :t", "SET SESSION max_statement_time = DEFAULT", _seconds),
}
#: Error codes, PostgreSQL SQLSTATEs and MySQL/MariaDB numbers: statement timeouts, writes in a read-only transaction.
_TIMED_OUT = frozenset({"57014", 1969, 3024, 1317})
_READ_ONLY_VIOLATION = frozenset({"25006", 1792})


@dataclass(frozen=True)
class Answer:
    """The answer to one lambda query: JSON-able ``rows``, or ``error``, one sentence for the admin.

    Example: ``Answer(rows=[{"id": 1, "name": "Hammer"}])`` or ``Answer(error="The query took longer than 250 ms.")``
    """

    rows: list[dict[str, Any]] | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Limits:
    timeout_ms: int
    row_cap: int


class _Unreadable(Exception):
    """A value or result a lambda cannot receive; the message is the answer's error."""


def run_readonly(
    engine: Engine,
    queries: Sequence[GuardedQuery],
    *,
    statement_timeout_ms: int = 250,
    row_cap: int = 100,
    policy: ReadPolicy | None = None,
) -> list[Answer]:
    """Answer ``queries`` in order, on one connection in one read-only transaction that is rolled back.

    One bad query gets its own ``Answer.error``; the others still get their rows.  ``policy`` lets SQLite's
    authorizer enforce the tables and hidden columns too (PostgreSQL has no per-connection equivalent).

    Example::

        run_readonly(engine, queries, statement_timeout_ms=250, row_cap=100, policy=policy)
    """
    if not queries:
        return []
    limits = _Limits(statement_timeout_ms, row_cap)
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":  # SQLite's guards do not depend on the transaction
            conn.execution_options(isolation_level=conn.default_isolation_level)
        transaction = conn.begin()
        try:
            if conn.dialect.name == "sqlite":
                return _run_sqlite(conn, queries, limits, policy)
            if conn.dialect.driver == "psycopg" and _pipeline_supported():
                return _run_pipelined(conn, queries, limits)
            return _run_in_turn(conn, queries, limits)
        finally:
            transaction.rollback()


# -- PostgreSQL ----------------------------------------------------------------------------------------------------


def _pipeline_supported() -> bool:
    import psycopg

    return bool(psycopg.Pipeline.is_supported())  # libpq 14 or later


def _run_pipelined(conn: Connection, queries: Sequence[GuardedQuery], limits: _Limits) -> list[Answer]:
    """The batch in psycopg pipeline mode: one round trip, plus one per failing query."""
    pg: Any = conn.connection.driver_connection  # the psycopg.Connection
    statements = [_for_driver(conn, query.sql, query.params) for query in queries]
    answers: list[Answer] = []
    prelude = [
        _for_driver(conn, "SET TRANSACTION READ ONLY", {}),
        _for_driver(conn, _TIMEOUTS["postgresql", False][0], {"t": str(limits.timeout_ms)}),
        _for_driver(conn, _SAVEPOINT, {}),
    ]
    while len(answers) < len(statements):
        cursors, error = _pipeline_round(pg, prelude, statements[len(answers) :])
        if not cursors:  # nothing was queued: the connection itself failed
            raise error or RuntimeError("The pipeline queued no query.")
        for cursor in cursors:
            if cursor.pgresult is None:  # the failing query; those queued after it were skipped
                answers.append(_error_answer(error, limits) if error else Answer(error="The query did not run."))
                prelude = [_for_driver(conn, _BACK_TO_SAVEPOINT, {})]
                break
            columns = [column.name for column in cursor.description or []]
            answers.append(_answer(columns, cursor.fetchmany(limits.row_cap + 1), limits.row_cap))
        for cursor in cursors:
            cursor.close()
    return answers


def _for_driver(conn: Connection, sql: str, params: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """``sql`` for :func:`sqlalchemy.text` compiled to the driver's own paramstyle (``%(p1)s``, ``%`` doubled)."""
    compiled = text(sql).compile(dialect=conn.dialect)
    return compiled.string, compiled.construct_params(dict(params))


def _pipeline_round(
    pg: Any, prelude: list[tuple[str, Mapping[str, Any]]], statements: list[tuple[str, Mapping[str, Any]]]
) -> tuple[list[Any], Exception | None]:
    """Queue ``prelude`` and ``statements`` in one pipeline; return their cursors and the first error."""
    import psycopg

    cursors: list[Any] = []
    first_error: Exception | None = None
    try:
        with pg.pipeline():
            for sql, params in prelude:
                pg.execute(sql, params)
            for sql, params in statements:
                cursor = pg.cursor()
                cursors.append(cursor)
                try:
                    cursor.execute(sql, params)
                except psycopg.Error as error:  # an earlier query's error surfaces here; keep queueing
                    first_error = first_error or error
    except psycopg.Error as error:
        first_error = first_error or error
    return cursors, first_error


def _run_in_turn(conn: Connection, queries: Sequence[GuardedQuery], limits: _Limits) -> list[Answer]:
    """Without pipeline mode (other drivers, libpq before 14, MySQL and MariaDB): each query after a savepoint.

    Three round trips a query.  ``SET TRANSACTION READ ONLY`` comes first, before the transaction's first read;
    MySQL's statement timeout is a session setting, reset afterwards.
    """
    conn.execute(text("SET TRANSACTION READ ONLY"))
    timeout, reset, value = _TIMEOUTS[conn.dialect.name, bool(getattr(conn.dialect, "is_mariadb", False))]
    conn.execute(text(timeout), {"t": value(limits.timeout_ms)})
    try:
        answers = []
        for query in queries:
            savepoint = conn.begin_nested()
            try:
                result = conn.execute(text(query.sql), dict(query.params))
                answers.append(_answer(list(result.keys()), result.fetchmany(limits.row_cap + 1), limits.row_cap))
            except DBAPIError as error:
                answers.append(_error_answer(error.orig, limits))
            finally:
                savepoint.rollback()
        return answers
    finally:
        if reset is not None:
            conn.execute(text(reset))


# -- SQLite --------------------------------------------------------------------------------------------------------


def _run_sqlite(
    conn: Connection, queries: Sequence[GuardedQuery], limits: _Limits, policy: ReadPolicy | None
) -> list[Answer]:
    raw: Any = conn.connection.driver_connection  # the sqlite3.Connection
    deadline = [math.inf]
    denial: list[str] = []
    previous = raw.execute("PRAGMA query_only").fetchone()[0]
    tables = {name.lower() for (name,) in raw.execute(_SQLITE_TABLES)}
    raw.execute("PRAGMA query_only = ON")
    raw.set_authorizer(_sqlite_authorizer(policy, tables, denial))
    raw.set_progress_handler(lambda: time.monotonic() > deadline[0], 1000)
    try:
        answers = []
        for query in queries:
            denial.clear()
            deadline[0] = time.monotonic() + limits.timeout_ms / 1000
            try:
                result = conn.execute(text(query.sql), dict(query.params))
                answers.append(_answer(list(result.keys()), result.fetchmany(limits.row_cap + 1), limits.row_cap))
                result.close()
            except DBAPIError as error:
                answers.append(Answer(error=denial[0]) if denial else _error_answer(error.orig, limits))
        return answers
    finally:
        deadline[0] = math.inf
        raw.set_authorizer(None)
        raw.set_progress_handler(None, 1000)
        raw.execute("PRAGMA query_only = ON" if previous else "PRAGMA query_only = OFF")


def _sqlite_authorizer(policy: ReadPolicy | None, tables: set[str], denial: list[str]) -> Callable[..., int]:
    """An authorizer that allows reads and allowed functions, and notes why it denied anything else."""

    def authorize(action: int, arg1: str | None, arg2: str | None, database: str | None, _inner: str | None) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            reason = None
        elif action == sqlite3.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            reason = None if name in SQLITE_FUNCTIONS else f"Function '{name}' is not allowed in lambda queries."
        elif action == sqlite3.SQLITE_READ:
            reason = _sqlite_read_denial((arg1 or "").lower(), (arg2 or "").lower(), database, policy, tables)
        else:
            reason = READ_ONLY
        if reason is None:
            return sqlite3.SQLITE_OK
        denial.append(reason)
        return sqlite3.SQLITE_DENY

    return authorize


def _sqlite_read_denial(
    table: str, column: str, database: str | None, policy: ReadPolicy | None, tables: set[str]
) -> str | None:
    """Why a read of ``table.column`` is denied, or None.

    SQLite reports ``SELECT count(*) FROM c`` as a read of column '' of ``c`` (database None) whether ``c`` is a
    table or a CTE: a name that is none of the schema's ``tables`` is a CTE or a subquery.
    """
    if database not in (None, "main") or table.startswith("sqlite_"):
        return f"Table '{table}' may not be read by lambdas."
    if policy is not None and table in tables and not policy.readable(table):
        return f"Table '{table}' may not be read by lambdas."
    if policy is not None and column in policy.hidden_columns.get(table, frozenset()):
        return f"Column '{table}.{column}' may not be read by lambdas."
    return None


# -- answers -------------------------------------------------------------------------------------------------------


def _answer(columns: list[str], rows: Sequence[Sequence[Any]], row_cap: int) -> Answer:
    """Rows as JSON-able dicts, or the error a lambda gets instead: never a silently shortened list."""
    if len(rows) > row_cap:
        return Answer(error=f"The query returned more than {row_cap} rows; add a LIMIT.")
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        return Answer(error=f"Column '{duplicates[0]}' appears twice in the result; give each column its own name.")
    try:
        return Answer(
            rows=[{name: _json_value(name, value) for name, value in zip(columns, row, strict=True)} for row in rows]
        )
    except _Unreadable as error:
        return Answer(error=str(error))


#: Conversions to JSON: ISO 8601 for dates and times, seconds for intervals, text for UUIDs.
_CONVERSIONS: tuple[tuple[type | tuple[type, ...], Callable[[Any], Any]], ...] = (
    ((datetime, date, time_of_day), lambda value: value.isoformat()),
    (timedelta, lambda value: value.total_seconds()),
    (uuid.UUID, str),
)


def _json_value(column: str, value: Any) -> Any:
    """``value`` as JSON, or :class:`_Unreadable` naming the column (binary data, numbers JSON cannot hold)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | Decimal):
        if not math.isfinite(value):
            raise _Unreadable(f"Column '{column}' holds a number JSON cannot represent.")
        integral = isinstance(value, Decimal) and value == value.to_integral_value()
        return int(value) if integral else float(value)
    if isinstance(value, list | tuple):  # PostgreSQL arrays; json and jsonb arrive as lists and dicts
        return [_json_value(column, item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(column, item) for key, item in value.items()}
    for kinds, convert in _CONVERSIONS:
        if isinstance(value, kinds):
            return convert(value)
    if isinstance(value, bytes | bytearray | memoryview):
        raise _Unreadable(f"Column '{column}' holds binary data, which lambdas cannot read.")
    raise _Unreadable(f"Column '{column}' holds a {type(value).__name__} value, which lambdas cannot read.")


def _error_answer(error: BaseException | None, limits: _Limits) -> Answer:
    """One sentence for a database error; the raw error is logged at DEBUG, never shown."""
    log.debug("lambda query failed: %r", error)
    args: tuple[Any, ...] = getattr(error, "args", ())
    mysql_code = args[0] if len(args) > 1 and isinstance(args[0], int) else None  # pymysql: (code, message)
    codes = {getattr(error, "sqlstate", None), mysql_code}  # pymysql gives both
    diag = getattr(error, "diag", None)
    primary = getattr(diag, "message_primary", None) or (args[1] if mysql_code else str(error or ""))
    primary = (primary.strip().splitlines() or [""])[0].rstrip(".")
    if codes & _TIMED_OUT or primary == "interrupted":
        return Answer(error=f"The query took longer than {limits.timeout_ms} ms.")
    if codes & _READ_ONLY_VIOLATION or primary in ("not authorized", "attempt to write a readonly database"):
        return Answer(error=READ_ONLY)
    if primary.startswith("no such table: "):
        return Answer(error=f"No such table '{primary.removeprefix('no such table: ')}'.")
    return Answer(error=f"The query failed: {primary}." if primary else "The query failed.")

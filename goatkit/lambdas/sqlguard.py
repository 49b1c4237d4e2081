"""The SQL guard: what a lambda's ``db.query(sql, ...params)`` may ask of the database, checked before it runs.

Lambdas are admin-written JavaScript; their queries run in the web process (record and replay, see
``dataaccess.py``).  The guard parses a query with sqlglot (never with regexes), refuses anything but one read of
readable tables through allowed functions, and renders the checked syntax tree again for the target database with
named binds ``:p1``, ``:p2`` ... for :func:`sqlalchemy.text`: the database executes what was checked, never the
raw string.  The guard is the first line of defence; the read-only transaction of ``dataaccess.run_readonly`` is
the second, and each holds on its own.

Example::

    policy = ReadPolicy(readable={"bench_item", "users"}.__contains__, hidden_columns={"users": frozenset({"pw"})})
    query = guard("SELECT name FROM bench_item WHERE id = $1", [7], dialect="sqlite", policy=policy)
    query.sql     # 'SELECT name FROM bench_item WHERE id = :p1'
    query.params  # {'p1': 7}
"""

from __future__ import annotations

import functools
import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, UnsupportedError
from sqlglot.generator import Generator
from sqlglot.generators.mysql import MySQLGenerator
from sqlglot.generators.postgres import PostgresGenerator
from sqlglot.generators.sqlite import SQLiteGenerator

MAX_SQL_CHARS = 4000
MAX_PARAMS = 20
MAX_PARAM_CHARS = 1000

#: Functions lambdas may call, as sqlglot parses them: aggregates, string and number functions, casts, CASE,
#: date/time functions that read the clock or transform values, JSON functions that read.
ALLOWED_FUNCTIONS: frozenset[type[exp.Func]] = frozenset(
    {
        *(exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.GroupConcat),
        *(exp.Lower, exp.Upper, exp.Length, exp.Substring, exp.Trim, exp.Replace, exp.Concat, exp.ConcatWs),
        # No lpad/rpad/repeat: their length argument is a memory size the query chooses; lambdas pad in JavaScript.
        *(exp.Coalesce, exp.Nullif, exp.StrPosition, exp.Left, exp.Right, exp.Greatest, exp.Least),
        *(exp.Round, exp.Abs, exp.Floor, exp.Ceil, exp.Cast, exp.Case, exp.If, exp.Exists),
        *(exp.Date, exp.Datetime, exp.Time, exp.CurrentDate, exp.CurrentTime, exp.CurrentTimestamp),
        *(exp.Localtimestamp, exp.TimeToStr, exp.ToChar, exp.StrToDate, exp.StrToTime, exp.UnixToTime),
        *(exp.TsOrDsToTimestamp, exp.TsOrDsToDate, exp.DateTrunc, exp.TimestampTrunc, exp.Extract),
        *(exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract, exp.JSONBExtractScalar, exp.JSONType),
        *(exp.RowNumber, exp.Rank, exp.DenseRank, exp.Pow, exp.Collate),
        *(exp.And, exp.Or, exp.Xor),  # operators that sqlglot models as functions
    }
)
#: Functions sqlglot does not model (``exp.Anonymous``), allowed by lower-case name.
ALLOWED_FUNCTION_NAMES = frozenset(
    {
        *("total", "date", "time", "datetime", "julianday", "unixepoch", "strftime", "date_part", "date_trunc"),
        *("to_char", "date_format", "unix_timestamp", "now"),
        *("json_array_length", "jsonb_array_length", "json_valid", "json_typeof", "jsonb_typeof", "json_unquote"),
    }
)
#: Statement kinds that never belong in a read, wherever they appear (a data-modifying CTE included).
_WRITES: tuple[type[exp.Expr], ...] = (
    *(exp.DML, exp.DDL, exp.Drop, exp.Alter, exp.TruncateTable, exp.Command, exp.Set, exp.Pragma, exp.Use),
    *(exp.Attach, exp.Detach, exp.Transaction, exp.Commit, exp.Rollback, exp.Grant, exp.Revoke, exp.Kill),
    *(exp.Describe, exp.Show, exp.LoadData, exp.Analyze, exp.Cache, exp.Uncache, exp.Refresh, exp.Comment),
    *(exp.Summarize, exp.Declare, exp.Execute),
)
_SPECIAL_STRINGS = (exp.RawString, exp.ByteString, exp.National, exp.UnicodeString)
_SYSTEM_PREFIXES = ("pg_", "sqlite_")
_SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast", "mysql", "performance_schema", "sys"})
_DEFAULT_SCHEMA = {"postgresql": "public", "sqlite": "main"}


class QueryRefused(ValueError):
    """A lambda query the guard will not run; the message is one sentence naming what was wrong.

    Example: ``QueryRefused("Table 'goatkit_session' may not be read by lambdas.")``
    """


@dataclass(frozen=True)
class ReadPolicy:
    """What lambdas may read: ``readable(table)`` for lower-case unqualified names, and hidden columns per table.

    Example::

        ReadPolicy(readable={"bench_item", "users"}.__contains__, hidden_columns={"users": frozenset({"pw"})})
    """

    readable: Callable[[str], bool]
    hidden_columns: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class GuardedQuery:
    """A checked query, run as ``connection.execute(text(query.sql), dict(query.params))``.

    Example: ``GuardedQuery(sql="SELECT name FROM bench_item WHERE id = :p1", params={"p1": 7},
    tables=frozenset({"bench_item"}))``
    """

    sql: str
    params: Mapping[str, Any] = field(default_factory=dict)
    tables: frozenset[str] = frozenset()


class _LambdaRendering(Generator):
    """Render binds as ``:name`` and escape every other colon (``\\:``, which :func:`sqlalchemy.text` removes):
    ``text()`` reads ``:word`` as a bind anywhere, string literals and quoted names included."""

    def placeholder_sql(self, expression: exp.Placeholder) -> str:
        return f":{expression.name}"

    def literal_sql(self, expression: exp.Literal) -> str:
        return super().literal_sql(expression).replace(":", "\\:")

    def identifier_sql(self, expression: exp.Identifier) -> str:
        return super().identifier_sql(expression).replace(":", "\\:")


class _SQLiteRendering(_LambdaRendering, SQLiteGenerator):
    pass


class _PostgresRendering(_LambdaRendering, PostgresGenerator):
    pass


class _MySQLRendering(_LambdaRendering, MySQLGenerator):
    pass


_TARGETS: dict[str, tuple[str, type[Generator]]] = {
    "sqlite": ("sqlite", _SQLiteRendering),
    "postgresql": ("postgres", _PostgresRendering),
    "mysql": ("mysql", _MySQLRendering),
}


def guard(sql: str, params: Sequence[Any], *, dialect: str, policy: ReadPolicy) -> GuardedQuery:
    """Check one lambda query and render it for ``dialect`` (``sqlite``, ``postgresql`` or ``mysql``).

    Placeholders are ``?`` (in text order) or ``$1``..``$n`` (each may repeat); parameters are ``None``,
    booleans, numbers and strings.  Raises :class:`QueryRefused` with one sentence naming what was wrong.

    Example::

        guard("SELECT count(*) FROM bench_item WHERE kind = ?", ["tool"], dialect="postgresql", policy=policy)
    """
    if dialect not in _TARGETS:
        raise ValueError(f"Unknown dialect {dialect!r}; expected one of {', '.join(_TARGETS)}.")
    _check_inputs(sql, params)
    compiled = _compile(sql, dialect, len(params))
    tables = _check_tables(compiled.tree, dialect, policy)
    binds = {f"p{number}": params[number - 1] for number in compiled.numbers}
    return GuardedQuery(sql=compiled.sql, params=binds, tables=tables)


@dataclass(frozen=True)
class _Compiled:
    """What does not depend on the policy or the parameter values: a page runs one query for many rows."""

    tree: exp.Expr  # shared by later calls: only read, never changed
    sql: str
    numbers: tuple[int, ...]  # bind p<n> takes parameter n


@functools.lru_cache(maxsize=256)
def _compile(sql: str, dialect: str, param_count: int) -> _Compiled:
    target = Dialect.get_or_raise(_TARGETS[dialect][0])
    tree = _parse_one(sql, target)
    _check_statement(tree)
    numbers = _bind_placeholders(tree, param_count, dialect, target)
    _check_functions(tree, target)
    rendered = _render(tree, dialect, target)
    # What text() will bind must be exactly our binds: no stray ':word', none of ours unseen (':p1::int').
    found, ours = set(text(rendered).compile().params), {f"p{number}" for number in numbers}
    if stray := sorted(found - ours):
        raise QueryRefused(f"The query contains ':{stray[0]}' outside a string; lambda queries use ? or $1.")
    if found != ours:
        raise QueryRefused("The query's placeholders could not be bound; write each as ? or $1 on its own.")
    return _Compiled(tree=tree, sql=rendered, numbers=numbers)


def _check_inputs(sql: str, params: Sequence[Any]) -> None:
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRefused(f"The query has {len(sql):,} characters; at most {MAX_SQL_CHARS:,} are allowed.")
    if len(params) > MAX_PARAMS:
        raise QueryRefused(f"A lambda query takes at most {MAX_PARAMS} parameters; {len(params)} were given.")
    for number, value in enumerate(params, start=1):
        if value is not None and not isinstance(value, bool | int | float | str):
            kind = type(value).__name__
            raise QueryRefused(f"Parameter {number} must be null, a boolean, a number or a string, not {kind}.")
        if isinstance(value, float) and not math.isfinite(value):
            raise QueryRefused(f"Parameter {number} is not a finite number.")
        if isinstance(value, str) and len(value) > MAX_PARAM_CHARS:
            raise QueryRefused(f"Parameter {number} is longer than {MAX_PARAM_CHARS:,} characters.")
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold it; SQLite cuts strings there
            raise QueryRefused(f"Parameter {number} contains a NUL character.")


def _parse_one(sql: str, target: Dialect) -> exp.Expr:
    try:
        parsed = target.parse(sql)
    except ParseError as error:
        where = error.errors[0] if error.errors else {}
        line, col = where.get("line", 1), where.get("col", 1)
        raise QueryRefused(f"The query could not be parsed (line {line}, column {col}).") from None
    except SqlglotError:
        raise QueryRefused("The query could not be parsed.") from None
    # A comment after the last ';' parses as a Semicolon node, and ';;' as None: neither is a statement.
    statements = [node for node in parsed if node is not None and not isinstance(node, exp.Semicolon)]
    if not statements:
        raise QueryRefused("The query is empty.")
    if len(statements) > 1:
        raise QueryRefused(f"Only one SELECT statement is allowed; found {len(statements)} statements.")
    return statements[0]


def _kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return node.name.upper()
    return {"truncatetable": "TRUNCATE", "transaction": "BEGIN"}.get(node.key, node.key.upper())


def _check_statement(tree: exp.Expr) -> None:
    if not isinstance(tree, exp.Query):
        found = f"; found {_kind(tree)}" if isinstance(tree, _WRITES) else ""
        raise QueryRefused(f"Only SELECT statements are allowed{found}.")
    for node in tree.walk():
        if isinstance(node, _WRITES):
            raise QueryRefused(f"Lambda queries may only read data; this one contains {_kind(node)}.")
        if isinstance(node, exp.Into):
            raise QueryRefused("SELECT ... INTO is not allowed; lambda queries may only read data.")
        if isinstance(node, exp.Lock):
            raise QueryRefused("Locking reads (FOR UPDATE, FOR SHARE) are not allowed in lambda queries.")
        if isinstance(node, exp.Join) and node.method.upper() == "NATURAL":
            raise QueryRefused("NATURAL JOIN is not allowed in lambda queries; use JOIN ... ON.")
        if isinstance(node, exp.Slice):
            raise QueryRefused("Array slices are not allowed in lambda queries.")
        if isinstance(node, _SPECIAL_STRINGS) and ":" in node.name:
            raise QueryRefused("Strings containing ':' must be plain '...' literals in lambda queries.")


def _numbered(node: exp.Expr) -> int | None:
    """The n of ``$n``: a Parameter on PostgreSQL, an unquoted column named ``$n`` on SQLite and MySQL."""
    if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Literal) and node.this.is_int:
        return int(node.this.name)
    if isinstance(node, exp.Column) and not node.table and isinstance(node.this, exp.Identifier):
        name = node.this.name
        if not node.this.quoted and name.startswith("$") and name[1:].isdigit():
            return int(name[1:])
    return None


def _counted(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'} {'was' if count == 1 else 'were'}"


def _find_placeholders(tree: exp.Expr) -> tuple[list[exp.Expr], list[tuple[exp.Expr, int]]]:
    """The ``?`` placeholders and the ``$n`` ones with their n; refuse named placeholders and variables."""
    positional: list[exp.Expr] = []
    numbered: list[tuple[exp.Expr, int]] = []
    for node in list(tree.walk()):
        number = _numbered(node)
        if number is not None:
            numbered.append((node, number))
        elif isinstance(node, exp.Placeholder):
            if node.this:
                raise QueryRefused(f"Named placeholders like ':{node.name}' are not supported; use ? or $1.")
            positional.append(node)
        elif isinstance(node, exp.Parameter | exp.SessionParameter):
            raise QueryRefused("Variables such as @name are not allowed in lambda queries; use ? or $1.")
        elif isinstance(node, exp.Column) and node.name.startswith("$") and not node.this.quoted:
            raise QueryRefused(f"Named placeholders like '{node.name}' are not supported; use ? or $1.")
    return positional, numbered


def _bind_placeholders(tree: exp.Expr, param_count: int, dialect: str, target: Dialect) -> tuple[int, ...]:
    """Replace ``?`` and ``$n`` by named binds ``:p1``..; return the n of the binds (``:pn`` takes parameter n)."""
    positional, numbered = _find_placeholders(tree)
    if positional and numbered:
        raise QueryRefused("Use either ? or $1-style placeholders in a query, not both.")
    if numbered:
        numbers = {number for _node, number in numbered}
        if min(numbers) < 1:
            raise QueryRefused("Placeholders are numbered from $1.")
        if max(numbers) != param_count:
            given = _counted(param_count, "parameter")
            raise QueryRefused(f"The query uses placeholders up to ${max(numbers)} but {given} given.")
        for node, number in numbered:
            node.replace(exp.Placeholder(this=f"p{number}"))
        return tuple(sorted(numbers))
    if len(positional) != param_count:
        placeholders = f"{len(positional)} placeholder{'' if len(positional) == 1 else 's'}"
        raise QueryRefused(f"The query has {placeholders} but {_counted(param_count, 'parameter')} given.")
    for number, node in enumerate(_in_text_order(tree, positional, dialect, target), start=1):
        node.replace(exp.Placeholder(this=f"p{number}"))
    return tuple(range(1, param_count + 1))


def _in_text_order(tree: exp.Expr, placeholders: list[exp.Expr], dialect: str, target: Dialect) -> list[exp.Expr]:
    """Order ``?`` placeholders as they stand in the SQL text.

    The tree's walk order is not the text order (a WITH clause is attached after the statement it precedes), so
    each ``?`` becomes a unique marker, the tree is rendered in its own dialect, and sqlglot's tokenizer reads
    the markers back in text order.
    """
    if len(placeholders) < 2:
        return placeholders
    prefix = f"gk{secrets.token_hex(6)}m"
    markers: dict[str, exp.Expr] = {}
    for index, node in enumerate(placeholders):
        marker = exp.var(f"{prefix}{index}")
        node.replace(marker)
        markers[marker.name] = marker
    order = list(dict.fromkeys(t.text for t in target.tokenize(_render(tree, dialect, target)) if t.text in markers))
    if len(order) != len(markers):
        raise QueryRefused("The query's ? placeholders could not be put in order; use $1-style placeholders.")
    return [markers[name] for name in order]


def _function_name(node: exp.Func, target: Dialect) -> str:
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    head = node.sql(dialect=target).partition("(")[0]
    return head.lower() if head.isidentifier() else node.sql_name().lower()


def _check_functions(tree: exp.Expr, target: Dialect) -> None:
    for node in tree.find_all(exp.Func):
        # myschema.lower(x) parses as a Dot around an allowed-looking name: a function of its own, refused.
        parent, qualifier = node.parent, ""
        if isinstance(parent, exp.Dot) and node.arg_key == "expression":
            qualifier = parent.this.name + "."
        if isinstance(node, exp.Anonymous):
            allowed = node.name.lower() in ALLOWED_FUNCTION_NAMES
        else:
            allowed = type(node) in ALLOWED_FUNCTIONS
        if qualifier or not allowed:
            name = qualifier + _function_name(node, target)
            raise QueryRefused(f"Function '{name}' is not allowed in lambda queries.")
    for cast in tree.find_all(exp.Cast):
        to = cast.args.get("to")
        # PostgreSQL's reg* types (``::regclass``) parse as ObjectIdentifier, a DataType subclass.
        if type(to) is not exp.DataType or to.this == exp.DataType.Type.USERDEFINED:
            shown = to.sql(dialect=target) if isinstance(to, exp.Expr) else "?"
            raise QueryRefused(f"Casting to '{shown}' is not allowed in lambda queries.")


def _is_cte_reference(table: exp.Table) -> bool:
    """Whether ``table`` names a CTE in scope rather than a real table.

    Inside the body of CTE number i, only CTEs 0..i-1 are in scope (and CTE i itself under RECURSIVE):
    PostgreSQL and MySQL read ``WITH users AS (SELECT * FROM users)`` as the real table.
    """
    if table.db or table.catalog:
        return False
    name = table.name.lower()
    child: exp.Expr = table
    node = table.parent
    while node is not None:
        visible: list[exp.Expr] = []
        if isinstance(node, exp.With) and isinstance(child, exp.CTE):
            ctes = list(node.expressions)
            position = next(i for i, cte in enumerate(ctes) if cte is child)
            visible = ctes[: position + 1] if node.args.get("recursive") else ctes[:position]
        elif isinstance(node, exp.Query) and (with_ := node.args.get("with_")) is not None and child is not with_:
            visible = list(with_.expressions)
        if any(cte.alias.lower() == name for cte in visible):
            return True
        child, node = node, node.parent
    return False


def _check_tables(tree: exp.Expr, dialect: str, policy: ReadPolicy) -> frozenset[str]:
    """Refuse unreadable, system and schema-qualified tables; return the real tables the query reads."""
    real: list[exp.Table] = []
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            continue  # a table function: _check_functions has judged it
        if not isinstance(table.this, exp.Identifier):
            raise QueryRefused("The query reads from something that is not a table.")
        if _is_cte_reference(table):
            continue
        name, schema = table.name.lower(), table.db.lower()
        qualified = ".".join(part for part in (table.catalog, table.db, table.name) if part)
        if name.startswith(_SYSTEM_PREFIXES) or schema in _SYSTEM_SCHEMAS:
            raise QueryRefused(f"Table '{qualified}' may not be read by lambdas.")
        if table.catalog or (schema and schema != _DEFAULT_SCHEMA.get(dialect)):
            raise QueryRefused(f"Table '{qualified}' is in another schema; lambda queries name tables alone.")
        if not policy.readable(name):
            raise QueryRefused(f"Table '{name}' may not be read by lambdas.")
        real.append(table)
    _check_hidden_columns(tree, real, policy)
    return frozenset(table.name.lower() for table in real)


def _check_hidden_columns(tree: exp.Expr, real: list[exp.Table], policy: ReadPolicy) -> None:
    """Refuse hidden columns, whole rows (``*``, ``t.*``, PostgreSQL's ``SELECT u FROM users u``) of their tables.

    Conservative on purpose: an unqualified column is refused when any table of the query hides that name.
    """
    hidden = {name: cols for t in real if (cols := policy.hidden_columns.get(name := t.name.lower()))}
    if not hidden:
        return
    sources: dict[str, set[str]] = {}  # table name or alias -> tables with hidden columns
    for table in real:
        if (name := table.name.lower()) in hidden:
            for key in (name, table.alias_or_name.lower()):
                sources.setdefault(key, set()).add(name)

    def refuse_whole(tables: set[str]) -> None:
        if tables:
            raise QueryRefused(f"Name the columns: '{min(tables)}' has columns lambdas may not read.")

    def check(column: str, qualifier: str) -> None:
        refuse_whole(set() if qualifier else sources.get(column, set()))  # PostgreSQL whole-row reference
        for table in sorted(sources.get(qualifier, set()) if qualifier else hidden):
            if column in hidden[table]:
                raise QueryRefused(f"Column '{table}.{column}' may not be read by lambdas.")

    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            refuse_whole(sources.get(column.table.lower(), set()))
        else:
            check(column.name.lower(), column.table.lower())
    for join in tree.find_all(exp.Join):
        for identifier in join.args.get("using") or []:
            check(identifier.name.lower(), "")
    for star in tree.find_all(exp.Star):
        if isinstance(star.parent, exp.Select):
            refuse_whole({t.name.lower() for t in real if t.find_ancestor(exp.Select) is star.parent} & set(hidden))


def _render(tree: exp.Expr, dialect: str, target: Dialect) -> str:
    generator = _TARGETS[dialect][1](dialect=target, comments=False, unsupported_level=ErrorLevel.RAISE)
    try:
        return generator.generate(tree, copy=True)
    except UnsupportedError as error:
        raise QueryRefused(f"The query uses syntax that cannot run on {dialect}: {error}".rstrip(".") + ".") from None

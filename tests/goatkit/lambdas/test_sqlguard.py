"""The SQL guard of lambda queries: accepted shapes, refusals with their exact messages, placeholders, rendering."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot
from sqlalchemy import text
from sqlglot import exp

from goatkit.lambdas.sqlguard import GuardedQuery, QueryRefused, ReadPolicy, guard

POLICY = ReadPolicy(
    readable={"bench_item", "bench_tag", "users"}.__contains__,
    hidden_columns={"users": frozenset({"pw"})},
)
DIALECTS = ["sqlite", "postgresql", "mysql"]


def ok(sql: str, params: list[Any] | None = None, dialect: str = "postgresql") -> GuardedQuery:
    return guard(sql, params or [], dialect=dialect, policy=POLICY)


def refusal(sql: str, params: list[Any] | None = None, dialect: str = "postgresql") -> str:
    with pytest.raises(QueryRefused) as info:
        guard(sql, params or [], dialect=dialect, policy=POLICY)
    return str(info.value)


# -- accepted ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT b.name, t.label FROM bench_item b JOIN bench_tag t ON t.item_id = b.id WHERE b.id = ?", [1]),
        ("SELECT b.name FROM bench_item b LEFT JOIN bench_tag t ON t.item_id = b.id WHERE t.id IS NULL", []),
        ("SELECT name FROM bench_item WHERE id IN (SELECT item_id FROM bench_tag WHERE label = ?)", ["x"]),
        ("SELECT name FROM bench_item b WHERE EXISTS (SELECT 1 FROM bench_tag t WHERE t.item_id = b.id)", []),
        ("SELECT x.n FROM (SELECT count(*) AS n FROM bench_tag) AS x", []),
        ("WITH cheap AS (SELECT id, name FROM bench_item WHERE price < ?) SELECT name FROM cheap", [10]),
        ("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT n FROM c", []),
        ("SELECT id FROM bench_item UNION SELECT item_id FROM bench_tag ORDER BY 1", []),
        ("SELECT id FROM bench_item INTERSECT SELECT item_id FROM bench_tag", []),
        ("SELECT id FROM bench_item EXCEPT SELECT item_id FROM bench_tag", []),
        ("SELECT kind, count(*), sum(price), avg(price), min(price), max(price) FROM bench_item GROUP BY kind", []),
        ("SELECT CASE WHEN price > ? THEN 'dear' ELSE 'cheap' END AS band FROM bench_item", [10]),
        ("SELECT lower(name), upper(name), length(name), trim(name), replace(name, 'a', 'b') FROM bench_item", []),
        ("SELECT coalesce(name, ''), nullif(name, ''), round(price, 2), abs(price), floor(price) FROM bench_item", []),
        ("SELECT name FROM bench_item WHERE id = $1 OR parent_id = $1", [3]),
        ("SELECT u.id, u.login FROM users u", []),
        ("SELECT count(*) FROM users", []),
        ("SELECT id FROM bench_item LIMIT ? OFFSET ?", [10, 20]),
        ("SELECT 1; -- a trailing comment", []),
    ],
)
def test_accepted_shapes(sql: str, params: list[Any], dialect: str) -> None:
    query = ok(sql, params, dialect)
    assert query.tables <= {"bench_item", "bench_tag", "users"}
    assert set(text(query.sql).compile().params) == set(query.params)


def test_dollar_placeholders_may_repeat_and_become_named_binds() -> None:
    query = ok("SELECT name FROM bench_item WHERE id = $1 OR parent_id = $1 OR kind = $2", [3, "tool"])
    assert query.sql == "SELECT name FROM bench_item WHERE id = :p1 OR parent_id = :p1 OR kind = :p2"
    assert query.params == {"p1": 3, "p2": "tool"}
    assert query.tables == frozenset({"bench_item"})


@pytest.mark.parametrize("dialect", DIALECTS)
def test_question_marks_are_numbered_in_text_order_even_inside_a_cte(dialect: str) -> None:
    query = ok("WITH c AS (SELECT id FROM bench_item WHERE id > ?) SELECT id, ? AS tag FROM c WHERE id < ?", [1, 2, 3])
    assert (
        query.sql == "WITH c AS (SELECT id FROM bench_item WHERE id > :p1) SELECT id, :p2 AS tag FROM c WHERE id < :p3"
    )
    assert query.params == {"p1": 1, "p2": 2, "p3": 3}
    assert query.tables == frozenset({"bench_item"})


def test_postgresql_casts_become_cast_so_text_sees_no_double_colon() -> None:
    query = ok("SELECT $1::int + 1 AS n, name::text FROM bench_item WHERE id = $2::int", [1, 2])
    assert (
        query.sql == "SELECT CAST(:p1 AS INT) + 1 AS n, CAST(name AS TEXT) FROM bench_item WHERE id = CAST(:p2 AS INT)"
    )
    assert set(text(query.sql).compile().params) == {"p1", "p2"}


def test_colons_in_strings_and_names_are_escaped_for_text() -> None:
    query = ok("""SELECT 'at 10:30' AS "a:b", ':p1' AS c FROM bench_item WHERE id = ?""", [1])
    assert query.sql == """SELECT 'at 10\\:30' AS "a\\:b", '\\:p1' AS c FROM bench_item WHERE id = :p1"""
    assert set(text(query.sql).compile().params) == {"p1"}


def test_comments_are_dropped_and_cannot_hide_a_statement() -> None:
    assert ok("SELECT 1 /* ; DELETE FROM bench_item */").sql == "SELECT 1"
    assert ok("SELECT 1; -- DELETE FROM bench_item").sql == "SELECT 1"
    assert refusal("SELECT 1; DELETE FROM bench_item; -- hidden") == (
        "Only one SELECT statement is allowed; found 2 statements."
    )


def test_default_schema_is_allowed() -> None:
    assert ok("SELECT id FROM public.bench_item").tables == frozenset({"bench_item"})
    assert ok("SELECT id FROM main.bench_item", dialect="sqlite").tables == frozenset({"bench_item"})


# -- refused: statements -------------------------------------------------------------------------------------------


def test_second_statement_is_refused_with_the_count() -> None:
    assert refusal("SELECT 1; DELETE FROM bench_item") == "Only one SELECT statement is allowed; found 2 statements."
    assert refusal("SELECT 1; SELECT 2; SELECT 3") == "Only one SELECT statement is allowed; found 3 statements."


@pytest.mark.parametrize(
    ("sql", "dialect", "kind"),
    [
        ("INSERT INTO bench_item (id) VALUES (1)", "postgresql", "INSERT"),
        ("UPDATE bench_item SET name = 'x'", "postgresql", "UPDATE"),
        ("DELETE FROM bench_item", "postgresql", "DELETE"),
        (
            "MERGE INTO bench_item USING bench_tag ON bench_item.id = bench_tag.id WHEN MATCHED THEN DELETE",
            "postgresql",
            "MERGE",
        ),
        ("CREATE TABLE evil (id int)", "postgresql", "CREATE"),
        ("DROP TABLE bench_item", "postgresql", "DROP"),
        ("ALTER TABLE bench_item ADD COLUMN x int", "postgresql", "ALTER"),
        ("TRUNCATE bench_item", "postgresql", "TRUNCATE"),
        ("GRANT SELECT ON bench_item TO someone", "postgresql", "GRANT"),
        ("COPY bench_item TO STDOUT", "postgresql", "COPY"),
        ("SET statement_timeout = 0", "postgresql", "SET"),
        ("BEGIN", "postgresql", "BEGIN"),
        ("COMMIT", "postgresql", "COMMIT"),
        ("VACUUM", "postgresql", "VACUUM"),
        ("PRAGMA query_only = OFF", "sqlite", "PRAGMA"),
        ("ATTACH DATABASE '/tmp/other.db' AS other", "sqlite", "ATTACH"),
        ("REPLACE INTO bench_item VALUES (1)", "mysql", "REPLACE"),
    ],
)
def test_writes_ddl_and_session_statements_are_refused(sql: str, dialect: str, kind: str) -> None:
    assert refusal(sql, dialect=dialect) == f"Only SELECT statements are allowed; found {kind}."


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("cte", "kind"),
    [
        ("DELETE FROM bench_item RETURNING id", "DELETE"),
        ("UPDATE bench_item SET name = 'x' RETURNING id", "UPDATE"),
        ("INSERT INTO bench_item (id) VALUES (9) RETURNING id", "INSERT"),
    ],
)
def test_data_modifying_cte_is_refused(cte: str, kind: str, dialect: str) -> None:
    sql = f"WITH changed AS ({cte}) SELECT id FROM changed"
    assert refusal(sql, dialect=dialect) == f"Lambda queries may only read data; this one contains {kind}."


@pytest.mark.parametrize("dialect", DIALECTS)
def test_select_into_and_locking_reads_are_refused(dialect: str) -> None:
    into = "SELECT ... INTO is not allowed; lambda queries may only read data."
    assert refusal("SELECT id INTO copied FROM bench_item", dialect=dialect) == into
    locking = "Locking reads (FOR UPDATE, FOR SHARE) are not allowed in lambda queries."
    assert refusal("SELECT id FROM bench_item FOR UPDATE", dialect=dialect) == locking
    assert refusal("SELECT id FROM bench_item FOR SHARE", dialect=dialect) == locking


def test_empty_and_unparsable_queries() -> None:
    assert refusal("") == "The query is empty."
    assert refusal("-- nothing but a comment") == "The query is empty."
    assert refusal("SELECT (1") == "The query could not be parsed (line 1, column 9)."


def test_natural_join_and_array_slices_are_refused() -> None:
    natural = "NATURAL JOIN is not allowed in lambda queries; use JOIN ... ON."
    assert refusal("SELECT id FROM bench_item NATURAL JOIN bench_tag") == natural
    assert refusal("SELECT (ARRAY[1, 2, 3])[:2]") == "Array slices are not allowed in lambda queries."


# -- refused: tables -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM goatkit_session",
        "SELECT b.id FROM bench_item b JOIN goatkit_session s ON s.id = b.id",
        "SELECT id FROM bench_item WHERE id IN (SELECT id FROM goatkit_session)",
        "WITH s AS (SELECT id FROM goatkit_session) SELECT id FROM s",
        "SELECT id FROM bench_item UNION SELECT id FROM goatkit_session",
        # Without RECURSIVE, a CTE's body reads the real table of its own name (PostgreSQL, MySQL).
        "WITH goatkit_session AS (SELECT id FROM goatkit_session) SELECT id FROM goatkit_session",
        # ...and a CTE cannot see the CTEs after it.
        "WITH a AS (SELECT id FROM goatkit_session), goatkit_session AS (SELECT id FROM bench_item) SELECT id FROM a",
    ],
)
def test_unreadable_tables_are_refused_wherever_they_appear(sql: str, dialect: str) -> None:
    assert refusal(sql, dialect=dialect) == "Table 'goatkit_session' may not be read by lambdas."


def test_a_cte_of_the_same_name_shadows_the_table_in_the_main_query() -> None:
    assert ok("WITH goatkit_session AS (SELECT id FROM bench_item) SELECT id FROM goatkit_session").tables == {
        "bench_item"
    }


@pytest.mark.parametrize(
    ("sql", "dialect", "table"),
    [
        ("SELECT relname FROM pg_class", "postgresql", "pg_class"),
        ("SELECT usename FROM pg_user", "postgresql", "pg_user"),
        ("SELECT relname FROM pg_catalog.pg_class", "postgresql", "pg_catalog.pg_class"),
        ("SELECT table_name FROM information_schema.tables", "postgresql", "information_schema.tables"),
        ("SELECT sql FROM sqlite_master", "sqlite", "sqlite_master"),
        ("SELECT sql FROM sqlite_schema", "sqlite", "sqlite_schema"),
        ("SELECT name FROM sqlite_temp_master", "sqlite", "sqlite_temp_master"),
        ("SELECT user FROM mysql.user", "mysql", "mysql.user"),
    ],
)
def test_system_catalogs_are_refused(sql: str, dialect: str, table: str) -> None:
    assert refusal(sql, dialect=dialect) == f"Table '{table}' may not be read by lambdas."


@pytest.mark.parametrize(
    ("sql", "dialect", "table"),
    [
        ("SELECT id FROM other.bench_item", "postgresql", "other.bench_item"),
        ("SELECT id FROM main.bench_item", "postgresql", "main.bench_item"),
        ("SELECT id FROM public.bench_item", "sqlite", "public.bench_item"),
        ("SELECT id FROM other.bench_item", "sqlite", "other.bench_item"),
        ("SELECT id FROM gotrs.bench_item", "mysql", "gotrs.bench_item"),
        ("SELECT id FROM db.public.bench_item", "postgresql", "db.public.bench_item"),
    ],
)
def test_schema_qualified_tables_are_refused(sql: str, dialect: str, table: str) -> None:
    assert refusal(sql, dialect=dialect) == f"Table '{table}' is in another schema; lambda queries name tables alone."


# -- refused: hidden columns ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT users.pw FROM users",
        "SELECT pw FROM users",
        "SELECT u.pw FROM users u",
        "SELECT u.id FROM users u WHERE u.pw = ?",
        "SELECT id FROM users WHERE pw LIKE ?",
        "SELECT b.id FROM bench_item b JOIN users u ON u.id = b.id ORDER BY pw",
        "SELECT id FROM bench_item WHERE name IN (SELECT pw FROM users)",
        "WITH x AS (SELECT pw AS p FROM users) SELECT p FROM x",
        "SELECT b.id FROM bench_item b JOIN users u USING (pw)",
    ],
)
def test_hidden_columns_are_refused(sql: str, dialect: str) -> None:
    params = ["x"] if "?" in sql else []
    assert refusal(sql, params, dialect) == "Column 'users.pw' may not be read by lambdas."


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM users",
        "SELECT u.* FROM users u",
        "SELECT users.* FROM users",
        "SELECT * FROM bench_item b JOIN users u ON u.id = b.id",
        "SELECT x.id FROM (SELECT * FROM users) x",
        "SELECT u FROM users u",  # PostgreSQL: the whole row
    ],
)
def test_whole_rows_of_tables_with_hidden_columns_are_refused(sql: str, dialect: str) -> None:
    assert refusal(sql, dialect=dialect) == "Name the columns: 'users' has columns lambdas may not read."


def test_star_over_a_subquery_that_names_its_columns_is_fine() -> None:
    assert ok("SELECT * FROM (SELECT id, login FROM users) AS x").tables == {"users"}
    assert ok("SELECT b.* FROM bench_item b JOIN users u ON u.id = b.id").tables == {"bench_item", "users"}


# -- refused: functions and casts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "dialect", "name"),
    [
        ("SELECT pg_sleep(10)", "postgresql", "pg_sleep"),
        ("SELECT pg_read_file('/etc/passwd')", "postgresql", "pg_read_file"),
        ("SELECT lo_import('/etc/passwd')", "postgresql", "lo_import"),
        ("SELECT dblink('host=x', 'DELETE FROM bench_item')", "postgresql", "dblink"),
        ("SELECT set_config('statement_timeout', '0', false)", "postgresql", "set_config"),
        ("SELECT current_setting('data_directory')", "postgresql", "current_setting"),
        ("SELECT pg_terminate_backend(1)", "postgresql", "pg_terminate_backend"),
        ("SELECT randomblob(1000000000)", "sqlite", "randomblob"),
        ("SELECT zeroblob(1000000000)", "sqlite", "zeroblob"),
        ("SELECT load_extension('evil')", "sqlite", "load_extension"),
        ("SELECT readfile('/etc/passwd')", "sqlite", "readfile"),
        ("SELECT writefile('/tmp/x', 'y')", "sqlite", "writefile"),
        ("SELECT sleep(10)", "mysql", "sleep"),
        ("SELECT name FROM bench_item WHERE lower(name) = pg_sleep(1)::text", "postgresql", "pg_sleep"),
        ("WITH c AS (SELECT pg_sleep(1) AS s) SELECT s FROM c", "postgresql", "pg_sleep"),
    ],
)
def test_functions_outside_the_allow_list_are_refused_by_name(sql: str, dialect: str, name: str) -> None:
    assert refusal(sql, dialect=dialect) == f"Function '{name}' is not allowed in lambda queries."


@pytest.mark.parametrize(
    ("sql", "node", "name"),
    [
        ("SELECT pg_sleep(1)", exp.Anonymous, "pg_sleep"),
        ("SELECT md5(name) FROM bench_item", exp.MD5, "md5"),
        ("SELECT random()", exp.Rand, "random"),
        ("SELECT version()", exp.CurrentVersion, "version"),
    ],
)
def test_both_ways_sqlglot_represents_functions_are_checked(sql: str, node: type[exp.Func], name: str) -> None:
    # sqlglot parses functions it knows into exp.Func subclasses and the rest into exp.Anonymous.
    assert type(sqlglot.parse_one(sql, read="postgres").expressions[0]) is node
    assert refusal(sql) == f"Function '{name}' is not allowed in lambda queries."


@pytest.mark.parametrize(
    ("sql", "dialect", "name"),
    [
        ("SELECT * FROM generate_series(1, 1000000000) AS g", "postgresql", "generate_series"),
        ("SELECT relname FROM pg_ls_dir('/') AS f", "postgresql", "pg_ls_dir"),
        ("SELECT x FROM unnest(ARRAY[1, 2]) AS x", "postgresql", "unnest"),
        ("SELECT j.value FROM bench_item b, json_each(b.name) AS j", "sqlite", "json_each"),
        ("SELECT * FROM generate_series(1, 10)", "sqlite", "generate_series"),
    ],
)
def test_table_functions_are_refused(sql: str, dialect: str, name: str) -> None:
    assert refusal(sql, dialect=dialect) == f"Function '{name}' is not allowed in lambda queries."


def test_schema_qualified_functions_and_unusual_casts_are_refused() -> None:
    assert refusal("SELECT myschema.lower(name) FROM bench_item") == (
        "Function 'myschema.lower' is not allowed in lambda queries."
    )
    assert refusal("SELECT 'bench_item'::regclass") == "Casting to 'REGCLASS' is not allowed in lambda queries."
    assert (
        refusal("SELECT CAST(name AS mytype) FROM bench_item")
        == "Casting to 'mytype' is not allowed in lambda queries."
    )


# -- placeholders and parameters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_placeholder_count_must_match(dialect: str) -> None:
    sql = "SELECT id FROM bench_item WHERE id = ? OR id = ?"
    assert refusal(sql, [1], dialect) == "The query has 2 placeholders but 1 parameter was given."
    assert refusal("SELECT id FROM bench_item", [1, 2], dialect) == (
        "The query has 0 placeholders but 2 parameters were given."
    )
    assert refusal("SELECT id FROM bench_item WHERE id = $2", [1], dialect) == (
        "The query uses placeholders up to $2 but 1 parameter was given."
    )
    assert refusal("SELECT id FROM bench_item WHERE id = $1", [1, 2, 3], dialect) == (
        "The query uses placeholders up to $1 but 3 parameters were given."
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_named_placeholders_mixing_and_variables_are_refused(dialect: str) -> None:
    assert refusal("SELECT id FROM bench_item WHERE id = :id", [1], dialect) == (
        "Named placeholders like ':id' are not supported; use ? or $1."
    )
    assert refusal("SELECT id FROM bench_item WHERE id = ? OR id = $1", [1], dialect) == (
        "Use either ? or $1-style placeholders in a query, not both."
    )
    assert refusal("SELECT @v", dialect=dialect) == (
        "Variables such as @name are not allowed in lambda queries; use ? or $1."
    )


def test_dollar_zero_is_refused() -> None:
    assert refusal("SELECT id FROM bench_item WHERE id = $0") == "Placeholders are numbered from $1."


def test_too_long_sql_and_too_many_parameters_are_refused() -> None:
    long_sql = "SELECT id FROM bench_item WHERE name = ?" + " " * 4000
    assert refusal(long_sql, ["x"]) == "The query has 4,040 characters; at most 4,000 are allowed."
    many = ", ".join(["?"] * 21)
    assert refusal(f"SELECT {many}", list(range(21))) == "A lambda query takes at most 20 parameters; 21 were given."
    twenty = ", ".join(["?"] * 20)
    assert ok(f"SELECT {twenty}", list(range(20))).params["p20"] == 19


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([2], "Parameter 2 must be null, a boolean, a number or a string, not list."),
        ({"a": 1}, "Parameter 2 must be null, a boolean, a number or a string, not dict."),
        (b"x", "Parameter 2 must be null, a boolean, a number or a string, not bytes."),
        (float("nan"), "Parameter 2 is not a finite number."),
        ("x" * 1001, "Parameter 2 is longer than 1,000 characters."),
        ("a\x00b", "Parameter 2 contains a NUL character."),
    ],
)
def test_bad_parameters_are_refused(value: object, message: str) -> None:
    assert refusal("SELECT ?, ?", [1, value]) == message


def test_accepted_parameter_types() -> None:
    query = ok("SELECT ?, ?, ?, ?, ?", [None, True, 3, 2.5, "x" * 1000])
    assert query.params == {"p1": None, "p2": True, "p3": 3, "p4": 2.5, "p5": "x" * 1000}


def test_unknown_dialect_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="Unknown dialect 'oracle'"):
        guard("SELECT 1", [], dialect="oracle", policy=POLICY)

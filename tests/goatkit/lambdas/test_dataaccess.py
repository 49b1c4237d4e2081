"""Read-only batches of lambda queries on real databases: order, independent errors, timeouts, the database as the
second line of defence, row caps, JSON values, a clean connection afterwards, one connection per batch."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.pool import StaticPool

from goatkit.db.engine import make_engine
from goatkit.lambdas.dataaccess import Answer, run_readonly
from goatkit.lambdas.sqlguard import GuardedQuery, ReadPolicy, guard

POLICY = ReadPolicy(readable={"bench_item"}.__contains__, hidden_columns={"bench_item": frozenset({"content"})})
OPEN = ReadPolicy(readable={"bench_item"}.__contains__)
SLOW = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000) SELECT count(*) FROM c"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    # One pooled connection on both backends, so "the connection is clean afterwards" is about the same connection.
    pool: dict[str, Any] = {"poolclass": StaticPool} if db_url.startswith("sqlite") else {"pool_size": 1}
    engine = make_engine(db_url, **pool)
    blob = "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bench_item (id INTEGER PRIMARY KEY, name VARCHAR(40), price NUMERIC(10, 2),"
                f" made DATE, created TIMESTAMP, content {blob})"
            )
        )
        conn.execute(text("CREATE TABLE secret (id INTEGER PRIMARY KEY, pw VARCHAR(40))"))
        conn.execute(
            text(
                "INSERT INTO bench_item (id, name, price, made, created) VALUES (:id, :name, :price, :made, :created)"
            ),
            [
                {"id": 1, "name": "Hammer", "price": "12.50", "made": "2024-01-02", "created": "2024-01-02 03:04:05"},
                {"id": 2, "name": "Saw", "price": "20.00", "made": "2024-02-03", "created": "2024-02-03 04:05:06"},
                {"id": 3, "name": "Drill", "price": None, "made": None, "created": None},
            ],
        )
        conn.execute(text("INSERT INTO secret (id, pw) VALUES (1, 'hunter2')"))
    yield engine
    engine.dispose()


def guarded(engine: Engine, sql: str, *params: Any, policy: ReadPolicy = OPEN) -> GuardedQuery:
    return guard(sql, list(params), dialect=engine.dialect.name, policy=policy)


def run(engine: Engine, queries: list[GuardedQuery], **options: Any) -> list[Answer]:
    """run_readonly with a timeout a busy test machine cannot hit, unless the test is about the timeout."""
    options.setdefault("statement_timeout_ms", 5000)
    return run_readonly(engine, queries, **options)


def names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT name FROM bench_item ORDER BY id")).scalars())


def test_answers_come_in_order_and_a_bad_query_gets_only_its_own_error(engine: Engine) -> None:
    queries = [
        guarded(engine, "SELECT name FROM bench_item WHERE id = $1", 2),
        guarded(engine, "SELECT nope FROM bench_item"),
        guarded(engine, "SELECT count(*) AS n FROM bench_item WHERE name LIKE ?", "%r%"),
        guarded(engine, "SELECT name FROM bench_item WHERE id = 1/0"),
        guarded(engine, "SELECT id FROM bench_item ORDER BY id DESC LIMIT 1"),
        GuardedQuery(sql="SELECT id FROM nowhere"),  # a policy may name a table the database lacks
    ]
    answers = run(engine, queries)
    postgresql = engine.dialect.name == "postgresql"
    assert answers == [
        Answer(rows=[{"name": "Saw"}]),
        Answer(
            error='The query failed: column "nope" does not exist.'
            if postgresql
            else "The query failed: no such column: nope."
        ),
        Answer(rows=[{"n": 2}]),
        # SQLite divides by zero into NULL; PostgreSQL refuses.
        Answer(error="The query failed: division by zero.") if postgresql else Answer(rows=[]),
        Answer(rows=[{"id": 3}]),
        Answer(
            error='The query failed: relation "nowhere" does not exist.' if postgresql else "No such table 'nowhere'."
        ),
    ]


def test_an_empty_batch_needs_no_connection(engine: Engine) -> None:
    assert run(engine, []) == []


def test_placeholders_casts_and_colons_reach_the_database_intact(engine: Engine) -> None:
    cast = "$1::int" if engine.dialect.name == "postgresql" else "CAST($1 AS INTEGER)"
    queries = [
        guarded(engine, f"SELECT {cast} + 1 AS n, 'at 10:30' AS t, ':p1' AS c FROM bench_item WHERE id = $1", "2"),
        guarded(engine, "WITH c AS (SELECT id FROM bench_item WHERE id > ?) SELECT id FROM c WHERE id < ?", 1, 3),
        guarded(engine, "SELECT count(*) AS n FROM bench_item WHERE name LIKE '%a%'"),
    ]
    assert run(engine, queries) == [
        Answer(rows=[{"n": 3, "t": "at 10:30", "c": ":p1"}]),
        Answer(rows=[{"id": 2}]),
        Answer(rows=[{"n": 2}]),
    ]


def test_the_statement_timeout_stops_a_slow_query(engine: Engine) -> None:
    # The guard lets the slow query through: the database's own timeout must stop it.
    queries = [guarded(engine, SLOW), guarded(engine, "SELECT id FROM bench_item WHERE id = 1")]
    started = time.monotonic()
    answers = run_readonly(engine, queries, statement_timeout_ms=250)
    assert time.monotonic() - started < 3
    assert answers == [Answer(error="The query took longer than 250 ms."), Answer(rows=[{"id": 1}])]


def test_the_database_refuses_writes_the_guard_never_saw(engine: Engine) -> None:
    writes = ["UPDATE bench_item SET name = 'x'", "DELETE FROM bench_item", "DROP TABLE bench_item"]
    writes.append("CREATE TABLE evil (id INTEGER)")
    writes.append("INSERT INTO secret (id, pw) SELECT id + 10, name FROM bench_item")
    if engine.dialect.name == "postgresql":
        writes.append("WITH gone AS (DELETE FROM bench_item RETURNING id) SELECT id FROM gone")
    answers = run(engine, [GuardedQuery(sql=sql) for sql in writes])
    assert answers == [Answer(error="Lambdas may only read data.")] * len(writes)
    assert names(engine) == ["Hammer", "Saw", "Drill"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM secret")).scalar() == 1


def test_an_autocommit_engine_still_gets_a_read_only_transaction(engine: Engine, db_url: str) -> None:
    autocommit = make_engine(db_url, isolation_level="AUTOCOMMIT")
    writes = [GuardedQuery(sql="UPDATE bench_item SET name = 'x'"), GuardedQuery(sql="DELETE FROM bench_item")]
    assert run(autocommit, writes) == [Answer(error="Lambdas may only read data.")] * 2
    assert names(engine) == ["Hammer", "Saw", "Drill"]
    autocommit.dispose()


def test_sqlite_authorizer_enforces_the_policy(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_item (id INTEGER PRIMARY KEY, name TEXT, content BLOB)"))
        conn.execute(text("CREATE TABLE secret (id INTEGER PRIMARY KEY, pw TEXT)"))
        conn.execute(text("INSERT INTO bench_item (id, name) VALUES (1, 'Hammer')"))
    queries = [
        GuardedQuery(sql="SELECT pw FROM secret"),
        GuardedQuery(sql="SELECT count(*) FROM secret"),
        GuardedQuery(sql="SELECT content FROM bench_item"),
        GuardedQuery(sql="SELECT hex(name) FROM bench_item"),
        GuardedQuery(sql="SELECT sql FROM sqlite_master"),
        GuardedQuery(sql=SLOW.replace("1000000000", "3")),
        GuardedQuery(sql="SELECT upper(name) AS n FROM bench_item"),
    ]
    assert run(engine, queries, policy=POLICY) == [
        Answer(error="Table 'secret' may not be read by lambdas."),
        Answer(error="Table 'secret' may not be read by lambdas."),
        Answer(error="Column 'bench_item.content' may not be read by lambdas."),
        Answer(error="Function 'hex' is not allowed in lambda queries."),
        Answer(error="Table 'sqlite_master' may not be read by lambdas."),
        Answer(rows=[{"count(*)": 3}]),
        Answer(rows=[{"n": "HAMMER"}]),
    ]
    engine.dispose()


def test_more_rows_than_the_cap_is_an_error_never_a_short_list(engine: Engine) -> None:
    queries = [
        guarded(engine, "SELECT id FROM bench_item"),
        guarded(engine, "SELECT id FROM bench_item WHERE id < 3 ORDER BY id"),
        guarded(engine, "SELECT id FROM bench_item ORDER BY id LIMIT 2"),
    ]
    assert run(engine, queries, row_cap=2) == [
        Answer(error="The query returned more than 2 rows; add a LIMIT."),
        Answer(rows=[{"id": 1}, {"id": 2}]),
        Answer(rows=[{"id": 1}, {"id": 2}]),
    ]


def test_values_are_json_able(engine: Engine) -> None:
    sql = "SELECT id, name, price, made, created FROM bench_item ORDER BY id"
    (answer,) = run(engine, [guarded(engine, sql)])
    assert answer.rows is not None
    json.dumps(answer.rows)
    if engine.dialect.name == "postgresql":
        assert answer.rows[0] == {
            "id": 1,
            "name": "Hammer",
            "price": 12.5,  # Decimal('12.50')
            "made": "2024-01-02",
            "created": "2024-01-02T03:04:05",
        }
        assert answer.rows[1]["price"] == 20 and isinstance(answer.rows[1]["price"], int)  # Decimal('20.00')
        uuid_sql = "SELECT CAST('6f1c2b9e-8d5a-4c3e-9f7a-2b1d0e4c5a6f' AS UUID) AS u, CAST('10:30' AS TIME) AS t"
        (more,) = run(engine, [guarded(engine, uuid_sql)])
        assert more == Answer(rows=[{"u": "6f1c2b9e-8d5a-4c3e-9f7a-2b1d0e4c5a6f", "t": "10:30:00"}])
    else:  # SQLite keeps dates as text and NUMERIC as REAL or INTEGER
        assert answer.rows[0] == {
            "id": 1,
            "name": "Hammer",
            "price": 12.5,
            "made": "2024-01-02",
            "created": "2024-01-02 03:04:05",
        }
    assert answer.rows[2] == {"id": 3, "name": "Drill", "price": None, "made": None, "created": None}


def test_binary_data_and_duplicate_column_names_are_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE bench_item SET content = :blob WHERE id = 1"), {"blob": b"\x00\x01"})
    queries = [
        guarded(engine, "SELECT id, content FROM bench_item WHERE id = 1"),
        guarded(engine, "SELECT id, name AS id FROM bench_item WHERE id = 1"),
        guarded(engine, "SELECT id, content FROM bench_item WHERE id = 2"),  # NULL is not binary
    ]
    assert run(engine, queries) == [
        Answer(error="Column 'content' holds binary data, which lambdas cannot read."),
        Answer(error="Column 'id' appears twice in the result; give each column its own name."),
        Answer(rows=[{"id": 2, "content": None}]),
    ]


def test_the_connection_is_clean_afterwards(engine: Engine) -> None:
    queries = [guarded(engine, SLOW), GuardedQuery(sql="UPDATE bench_item SET name = 'x'"), guarded(engine, "SELECT 1")]
    if engine.dialect.name == "postgresql":  # a session setting (the guard refuses set_config) is rolled back too
        queries.append(GuardedQuery(sql="SELECT set_config('statement_timeout', '1', false) AS s"))
    run_readonly(engine, queries, statement_timeout_ms=50, policy=POLICY)
    with engine.begin() as conn:  # writes work again, on the same pooled connection
        conn.execute(text("UPDATE bench_item SET name = 'Mallet' WHERE id = 1"))
    assert names(engine) == ["Mallet", "Saw", "Drill"]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA query_only")).scalar() == 0
            # No authorizer (hex is not on the lambda list) and no progress handler (this takes well over 50 ms).
            assert conn.execute(text("SELECT hex(name) FROM bench_item WHERE id = 2")).scalar() == "536177"
            count = SLOW.replace("1000000000", "3000000")
            started = time.monotonic()
            assert conn.execute(text(count)).scalar() == 3000000
            assert time.monotonic() - started > 0.05
        else:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
            assert conn.execute(text("SHOW transaction_read_only")).scalar() == "off"


def test_fifty_queries_take_one_connection_and_one_transaction(engine: Engine) -> None:
    counts = {"checkout": 0, "begin": 0}

    def count(name: str) -> Any:
        def listener(*_args: Any) -> None:
            counts[name] += 1

        return listener

    event.listen(engine, "checkout", count("checkout"))
    event.listen(engine, "begin", count("begin"))
    queries = [guarded(engine, "SELECT id, name FROM bench_item WHERE id = ?", n % 3 + 1) for n in range(50)]
    run(engine, queries)  # warm: prepared caches, first-connect initialisation
    counts.update(checkout=0, begin=0)
    started = time.perf_counter()
    answers = run(engine, queries)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert counts == {"checkout": 1, "begin": 1}
    assert [answer.rows for answer in answers[:3]] == [
        [{"id": 1, "name": "Hammer"}],
        [{"id": 2, "name": "Saw"}],
        [{"id": 3, "name": "Drill"}],
    ]
    print(f"\n50 lambda queries on {engine.dialect.name}: {elapsed_ms:.1f} ms")


def test_postgresql_without_pipeline_mode_gives_the_same_answers(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_item (id INTEGER PRIMARY KEY, name VARCHAR(40))"))
        conn.execute(text("INSERT INTO bench_item (id, name) VALUES (1, 'Hammer'), (2, 'Saw')"))
    queries = [
        guarded(engine, "SELECT name FROM bench_item WHERE id = ?", 1),
        guarded(engine, "SELECT nope FROM bench_item"),
        guarded(engine, SLOW),
        GuardedQuery(sql="UPDATE bench_item SET name = 'x'"),
        guarded(engine, "SELECT name FROM bench_item WHERE id = ?", 2),
    ]
    pipelined = run_readonly(engine, queries, statement_timeout_ms=250)
    monkeypatch.setattr(psycopg.Pipeline, "is_supported", classmethod(lambda cls: False))
    assert (
        run_readonly(engine, queries, statement_timeout_ms=250)
        == pipelined
        == [
            Answer(rows=[{"name": "Hammer"}]),
            Answer(error='The query failed: column "nope" does not exist.'),
            Answer(error="The query took longer than 250 ms."),
            Answer(error="Lambdas may only read data."),
            Answer(rows=[{"name": "Saw"}]),
        ]
    )
    engine.dispose()


def test_mariadb_batch_is_read_only_with_a_session_timeout_that_is_reset(mariadb_url: str) -> None:
    engine = make_engine(mariadb_url, poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def deep_recursion(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:  # MariaDB stops recursive CTEs after 1000 rounds by default
            cursor.execute("SET SESSION max_recursive_iterations = 1000000000")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_item (id INTEGER PRIMARY KEY, name VARCHAR(40))"))
        conn.execute(text("INSERT INTO bench_item (id, name) VALUES (1, 'Hammer'), (2, 'Saw')"))
    queries = [
        guarded(engine, "SELECT name FROM bench_item WHERE id = ?", 1),
        guarded(engine, "SELECT nope FROM bench_item"),
        guarded(engine, SLOW),
        GuardedQuery(sql="UPDATE bench_item SET name = 'x'"),
        guarded(engine, "SELECT count(*) AS n FROM bench_item WHERE name LIKE ?", "%a%"),
    ]
    assert run_readonly(engine, queries, statement_timeout_ms=250) == [
        Answer(rows=[{"name": "Hammer"}]),
        Answer(error="The query failed: Unknown column 'nope' in 'SELECT'."),
        Answer(error="The query took longer than 250 ms."),
        Answer(error="Lambdas may only read data."),
        Answer(rows=[{"n": 2}]),
    ]
    assert names(engine) == ["Hammer", "Saw"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT @@session.max_statement_time, @@session.tx_read_only")).one() == (0, 0)
    engine.dispose()

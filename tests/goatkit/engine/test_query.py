"""The query layer on SQLite and PostgreSQL: allow-listed input, keyset pages, counts, batched lookups, writes."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    inspect,
    select,
    text,
)

from goatkit.db.tables import goatkit_metadata
from goatkit.engine import lookups, writes
from goatkit.engine import query as q
from goatkit.engine.conditions import ConditionError, parse_condition
from goatkit.engine.cursor import decode_cursor, encode_cursor
from goatkit.engine.model import Lookup, ResolvedField, ResolvedModule
from goatkit.specs.module import ModuleSpec

KEY = b"test-cursor-key"
LOOKUPS = {"queue_id": "queue", "priority_id": "priority", "state_id": "state", "type_id": "kind"}
NAMES = ["100% sure", "a_b", "aXb", "O'Brien", "'; DROP TABLE item; --", "back\\slash"]
T0 = datetime(2024, 3, 1, 12, 0, 0)


def build_tables(metadata: MetaData) -> dict[str, Table]:
    tables = {
        name: Table(
            name,
            metadata,
            Column("id", Integer, primary_key=True),
            Column("name", String(50), nullable=False),
            Column("valid_id", Integer, nullable=False),
        )
        for name in LOOKUPS.values()
    }
    tables["item"] = Table(
        "item",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(200), nullable=False),
        Column("note", String(50), nullable=True),
        Column("score", Integer, nullable=True),
        Column("valid_id", Integer, nullable=False, default=1),
        *(Column(col, Integer, nullable=True) for col in LOOKUPS),
        Column("create_time", DateTime, nullable=False),
        Column("create_by", Integer, nullable=False),
        Column("change_time", DateTime, nullable=False),
        Column("change_by", Integer, nullable=False),
    )
    tables["company"] = Table(
        "company",
        metadata,
        Column("customer_id", String(150), primary_key=True),
        Column("name", String(200), nullable=False),
    )
    return tables


ITEM_SPEC = {
    "module": {"name": "item", "table": "item"},
    "fields": [
        {"name": "id", "type": "int", "sortable": True},
        {"name": "name", "sortable": True, "searchable": True, "filterable": True},
        {"name": "note", "sortable": True, "searchable": True},
        {"name": "score", "type": "int", "sortable": True, "filterable": True},
        {"name": "valid_id", "type": "int", "filterable": True},
        *(
            {"name": col, "type": "select", "lookup_table": table, "lookup_key": "id", "lookup_display": "name"}
            for col, table in LOOKUPS.items()
        ),
        {"name": "created", "db_column": "create_time", "type": "datetime", "sortable": True},
        {"name": "shadow", "virtual": True},
    ],
    "filters": [{"field": "queue_id", "type": "multi_select"}, {"field": "created", "type": "date_range"}],
    "features": {"soft_delete": True},
    "ui": {"page_size": 10},
}


def resolve(spec: dict[str, Any], tables: dict[str, Table], condition: str = "") -> ResolvedModule:
    """What the registry does for real, by hand: each field against its column and lookup table."""
    module_spec = ModuleSpec.model_validate(spec)
    table = tables[module_spec.module.table]
    fields = []
    for fs in module_spec.fields:
        column = None if fs.virtual else table.c[fs.db_column or fs.name]
        lookup = None
        if fs.lookup_table:
            lt = tables[fs.lookup_table]
            lookup = Lookup(lt, lt.c[fs.lookup_key], lt.c[fs.lookup_display], condition)
        fields.append(ResolvedField(fs, column, lookup))
    pk = next(iter(table.primary_key.columns))
    return ResolvedModule(module_spec, Path("item.yaml"), table, pk, tuple(fields))


@pytest.fixture
def db(db_url: str) -> Iterator[tuple[Connection, dict[str, Table], ResolvedModule]]:
    engine = create_engine(db_url)
    metadata = MetaData()
    tables = build_tables(metadata)
    metadata.create_all(engine)
    goatkit_metadata.create_all(engine)  # goatkit_change: every write records its history
    with engine.connect() as conn:
        for lt in {t: tables[t] for t in LOOKUPS.values()}.values():
            conn.execute(
                lt.insert(), [{"id": i, "name": f"{lt.name} {i}", "valid_id": 1 + (i % 3 == 0)} for i in range(1, 9)]
            )
        # ids from the table's own sequence (1..60 in order), so later inserts continue after them on PostgreSQL too
        conn.execute(tables["item"].insert(), [item_row(i) for i in range(1, 61)])
        conn.commit()
        yield conn, tables, resolve(ITEM_SPEC, tables)
    engine.dispose()


def item_row(i: int) -> dict[str, Any]:
    """60 rows with many ties and NULLs in every sortable column."""
    at = T0 + timedelta(days=i % 7)
    return {
        "name": NAMES[i - 1] if i <= len(NAMES) else f"name {i % 9}",
        "note": None if i % 4 == 0 else f"n{i % 5}",
        "score": None if i % 3 == 0 else i % 6,
        "valid_id": 1 if i % 5 else 2,
        "queue_id": i % 8 + 1,
        "priority_id": i % 5 + 1,
        "state_id": None if i % 10 == 0 else i % 4 + 1,
        "type_id": i % 7 + 1,
        "create_time": at,
        "create_by": 1,
        "change_time": at,
        "change_by": 1,
    }


def page(conn: Connection, module: ResolvedModule, threshold: int = q.COUNT_THRESHOLD, **params: Any) -> q.Page:
    return q.list_page(conn, module, q.ListRequest.parse(module, params), key=KEY, count_threshold=threshold)


def expected_order(conn: Connection, module: ResolvedModule, field: str, descending: bool) -> list[int]:
    """The full order computed in Python: NULL is the largest value, ties broken by id in the same direction."""
    col = module.field_named(field).column
    assert col is not None
    rows = conn.execute(select(module.table.c.id, col)).all()

    def key(row: Any) -> tuple[Any, ...]:
        return (row[1] is None, row[1] if row[1] is not None else 0, row[0])

    return [r[0] for r in sorted(rows, key=key, reverse=descending)]


# ---------------------------------------------------------------------------------------------------------- paging


@pytest.mark.parametrize(
    "sort", ["id", "-id", "name", "-name", "note", "-note", "score", "-score", "created", "-created"]
)
def test_cursor_walk_matches_full_ordered_select_both_ways(db: Any, sort: str) -> None:
    conn, _, module = db
    want = expected_order(conn, module, sort.removeprefix("-"), sort.startswith("-"))
    got: list[int] = []
    pages = [page(conn, module, sort=sort, page_size=7)]
    while True:
        got += [row["id"] for row in pages[-1].rows]
        if pages[-1].next_cursor is None:
            break
        pages.append(page(conn, module, sort=sort, page_size=7, cursor=pages[-1].next_cursor))
    assert got == want
    assert len(pages) == 9
    assert pages[0].prev_cursor is None
    back: list[int] = [row["id"] for row in pages[-1].rows]
    current = pages[-1]
    while current.prev_cursor is not None:
        current = page(conn, module, sort=sort, page_size=7, cursor=current.prev_cursor)
        back = [row["id"] for row in current.rows] + back
    assert back == want
    assert current.next_cursor is not None


def test_rows_are_plain_dicts_keyed_by_field_name(db: Any) -> None:
    conn, _, module = db
    row = page(conn, module, sort="id").rows[0]
    assert set(row) == {
        "id", "name", "note", "score", "valid_id", "queue_id", "priority_id", "state_id", "type_id", "created",
        "queue_id_display", "priority_id_display", "state_id_display", "type_id_display",
    }  # fmt: skip
    assert row["created"] == T0 + timedelta(days=1)
    assert row["queue_id_display"] == "queue 2"


def test_default_page_size_and_sort_come_from_the_spec(db: Any) -> None:
    conn, tables, module = db
    assert [r["id"] for r in page(conn, module).rows] == list(range(1, 11))
    spec = ITEM_SPEC | {"ui": {"default_sort": "-score"}}
    other = resolve(spec, tables)
    assert q.ListRequest.parse(other, {}).page_size == 25
    assert [r["id"] for r in page(conn, other, page_size=3).rows] == expected_order(conn, other, "score", True)[:3]


# ---------------------------------------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("%", ["100% sure"]),
        ("_", ["a_b"]),
        ("a_b", ["a_b"]),
        ("O'Brien", ["O'Brien"]),
        ("'; drop table item; --", ["'; DROP TABLE item; --"]),
        ("\\", ["back\\slash"]),
        ("OBRIEN", []),
    ],
)
def test_search_matches_literally_and_ignores_case(db: Any, search: str, names: list[str]) -> None:
    conn, _, module = db
    result = page(conn, module, search=search)
    assert [r["name"] for r in result.rows] == names
    assert result.total == len(names)
    assert conn.execute(select(module.table.c.id).limit(1)).scalar() == 1  # the table is still there


def test_search_also_covers_other_searchable_fields(db: Any) -> None:
    conn, _, module = db
    ids = [r["id"] for r in page(conn, module, search="n3", page_size=100).rows]
    assert ids == [i for i in range(1, 61) if i % 4 and i % 5 == 3]


# ---------------------------------------------------------------------------------------------------------- filters


def ids_where(conn: Connection, module: ResolvedModule, **params: Any) -> list[int]:
    return [r["id"] for r in page(conn, module, page_size=100, **params).rows]


def test_select_filter_is_equality_with_the_value_converted(db: Any) -> None:
    conn, _, module = db
    assert ids_where(conn, module, filter_valid_id="2") == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]
    assert ids_where(conn, module, filter_valid_id=" 2 ", filter_score="4") == [10, 40]


def test_text_filter_is_contains(db: Any) -> None:
    conn, _, module = db
    assert ids_where(conn, module, filter_name="AME 7") == [i for i in range(7, 61) if i % 9 == 7]
    assert ids_where(conn, module, filter_name="0%") == [1]


def test_multi_select_filter_is_in_from_a_list_or_comma_text(db: Any) -> None:
    conn, _, module = db
    want = [i for i in range(1, 61) if i % 8 + 1 in {2, 5}]
    assert ids_where(conn, module, filter_queue_id=["2", "5"]) == want
    assert ids_where(conn, module, filter_queue_id="2,5") == want


def test_date_range_filter_has_inclusive_day_bounds(db: Any) -> None:
    conn, _, module = db
    # create_time is 12:00 on 2024-03-01 + (i % 7) days
    inside = ids_where(conn, module, filter_created_from="2024-03-02", filter_created_to="2024-03-03")
    assert inside == [i for i in range(1, 61) if i % 7 in {1, 2}]
    assert ids_where(conn, module, filter_created_to="2024-03-01") == [i for i in range(1, 61) if i % 7 == 0]
    assert ids_where(conn, module, filter_created_from="2024-03-07") == [i for i in range(1, 61) if i % 7 == 6]


# ---------------------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "valid_id"}, "Cannot sort by 'valid_id'; sortable fields: id, name, note, score, created."),
        (
            {"sort": "-nme"},
            "Cannot sort by 'nme'; sortable fields: id, name, note, score, created. Did you mean 'name'?",
        ),
        ({"sort": "shadow"}, "Cannot sort by 'shadow'; sortable fields: id, name, note, score, created."),
        (
            {"filter_note": "x"},
            "Cannot filter by 'note'; filterable fields: created, name, queue_id, score, valid_id.",
        ),
        (
            {"filter_name_from": "2024-01-01"},
            "Cannot filter by 'name_from'; filterable fields: created, name, queue_id, score, valid_id. "
            "Did you mean 'name'?",
        ),
        ({"filter_score": "high"}, "'high' is not a valid value for filter 'score' (expected a whole number)."),
        ({"filter_queue_id": "1,x"}, "'x' is not a valid value for filter 'queue_id' (expected a whole number)."),
        (
            {"filter_created_from": "yesterday"},
            "'yesterday' is not a valid value for filter 'created' (expected a date, YYYY-MM-DD).",
        ),
        ({"filter_score": ["1", "2"]}, "Filter 'score' takes one value."),
        ({"page_size": "0"}, "Page size must be a whole number from 1 to 500."),
        ({"page_size": "501"}, "Page size must be a whole number from 1 to 500."),
        ({"page_size": "ten"}, "Page size must be a whole number from 1 to 500."),
        ({"search": "x" * 201}, "Search text is too long: at most 200 characters."),
    ],
)
def test_bad_input_is_refused_with_one_clear_sentence(db: Any, params: dict[str, Any], message: str) -> None:
    _, _, module = db
    with pytest.raises(q.QueryError) as caught:
        q.ListRequest.parse(module, params)
    assert str(caught.value) == message


BAD_CURSOR = "This page link is invalid or out of date; start again from the first page."


def test_forged_or_foreign_cursors_are_refused(db: Any) -> None:
    conn, _, module = db
    good = page(conn, module, sort="name", page_size=5).next_cursor
    assert good is not None
    body, _, mac = good.partition(".")
    payload = decode_cursor(KEY, good)
    forged_body = base64.urlsafe_b64encode(json.dumps(payload | {"k": "1 OR 1=1"}).encode()).decode().rstrip("=")
    candidates = {
        "tampered body": forged_body + "." + mac,
        "other key": encode_cursor(b"another key", payload),
        "no signature": body,
        "garbage": "!!!.???",
        "other sort": encode_cursor(KEY, payload | {"s": "-name"}),
        "other module": encode_cursor(KEY, payload | {"m": "users"}),
    }
    for what, token in candidates.items():
        with pytest.raises(q.QueryError) as caught:
            page(conn, module, sort="name", page_size=5, cursor=token)
        assert str(caught.value) == BAD_CURSOR, what


# ---------------------------------------------------------------------------------------------------------- lookups


def statements(conn: Connection) -> list[str]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(" ".join(args[2].split()))

    event.listen(conn, "before_cursor_execute", record)
    return seen


def listing(tables: dict[str, Table], *columns: str) -> ResolvedModule:
    return resolve({**ITEM_SPEC, "ui": {"page_size": 10, "list_columns": ["name", *columns]}}, tables)


def test_a_page_is_one_statement_joining_its_lookups_plus_the_count(db: Any) -> None:
    conn, tables, _ = db
    module = listing(tables, *LOOKUPS)
    seen = statements(conn)
    result = page(conn, module, page_size=50)
    assert len(result.rows) == 50
    page_queries = [s for s in seen if "ORDER BY" in s]
    counts = [s for s in seen if "count(" in s or "pg_class" in s]
    assert len(page_queries) == 1
    assert sorted(re.findall(r"LEFT OUTER JOIN (\w+) AS", page_queries[0])) == ["kind", "priority", "queue", "state"]
    postgresql = conn.dialect.name == "postgresql"
    assert len(counts) == (2 if postgresql else 1)  # PostgreSQL asks pg_class first
    # PostgreSQL plans the joins as written (exhaustive join search cost more than the query): set and reset
    planned = [s for s in seen if "join_collapse_limit" in s]
    assert planned == (["SET join_collapse_limit = '1'", "RESET join_collapse_limit"] if postgresql else [])
    assert len(seen) == 1 + len(counts) + len(planned)  # no query per lookup, none per row
    if postgresql:
        assert seen.index(planned[0]) + 1 == seen.index(page_queries[0]) == seen.index(planned[1]) - 1
        assert conn.exec_driver_sql("SHOW join_collapse_limit").scalar() == "8"
    assert {r["state_id_display"] for r in result.rows if r["state_id"] is None} == {None}
    assert all(r["type_id_display"] == f"kind {r['type_id']}" for r in result.rows)


def test_lookups_the_list_does_not_show_or_beyond_the_join_cap_cost_one_query_each(db: Any, monkeypatch: Any) -> None:
    conn, tables, _ = db
    for listed, cap, joined in ((["queue_id"], 6, ["queue"]), (list(LOOKUPS), 2, ["priority", "queue"])):
        monkeypatch.setattr(q, "MAX_JOINS", cap)  # every lookup listed, two joins: PostgreSQL plans many slowly
        module = listing(tables, *listed)
        seen = statements(conn)
        result = page(conn, module, page_size=50)
        page_queries = [s for s in seen if "ORDER BY" in s]
        assert sorted(re.findall(r"LEFT OUTER JOIN (\w+) AS", page_queries[0])) == joined
        lookups = [s for s in seen if "ORDER BY" not in s and " IN (" in s]
        assert len(lookups) == len(LOOKUPS) - len(joined)  # one batched query per other lookup, none per row
        assert all(r["type_id_display"] == f"kind {r['type_id']}" for r in result.rows)
        assert all(r["queue_id_display"] == f"queue {r['queue_id']}" for r in result.rows if r["queue_id"])


def test_a_page_asked_for_the_displays_it_shows_reads_no_other_lookup(db: Any) -> None:
    conn, tables, _ = db
    module = listing(tables, "queue_id")  # the other three lookups are not listed
    seen = statements(conn)
    shown = q.list_page(conn, module, q.ListRequest.parse(module, {}), key=KEY, displays={"name", "queue_id"})
    assert not [s for s in seen if "ORDER BY" not in s and " IN (" in s]  # no query for the unlisted lookups
    assert all(r["queue_id_display"] == f"queue {r['queue_id']}" for r in shown.rows if r["queue_id"])
    assert not any("type_id_display" in r for r in shown.rows)
    seen.clear()
    every = page(conn, module)  # displays=None: all of them, as a JSON answer gives
    assert len([s for s in seen if "ORDER BY" not in s and " IN (" in s]) == len(LOOKUPS) - 1
    assert all(r["type_id_display"] == f"kind {r['type_id']}" for r in every.rows)


def test_a_lookup_on_a_key_that_is_not_unique_costs_one_in_query_per_page(db: Any) -> None:
    conn, tables, _ = db
    spec = {**ITEM_SPEC, "fields": [*ITEM_SPEC["fields"], {"name": "note_label", "db_column": "note"}]}
    spec["fields"][-1] |= {"lookup_table": "queue", "lookup_key": "name", "lookup_display": "name"}
    module = resolve(spec | {"ui": {"list_columns": ["name", *LOOKUPS, "note_label"]}}, tables)  # all listed
    conn.execute(tables["queue"].insert(), [{"id": 100 + i, "name": f"n{i}", "valid_id": 1} for i in range(5)])
    seen = statements(conn)
    result = page(conn, module, page_size=50)
    assert [s.split(" FROM ")[1].split()[0] for s in seen if " IN (" in s] == ["queue"]  # joining could repeat rows
    assert len(result.rows) == 50
    assert all(r["note_label_display"] == r["note"] for r in result.rows)


def test_deep_pages_are_keyset_queries_without_offset(db: Any) -> None:
    conn, _, module = db
    first = page(conn, module, sort="-note", page_size=20)
    seen: list[tuple[str, Any]] = []
    event.listen(conn, "before_cursor_execute", lambda *args: seen.append((args[2], args[3])))
    page(conn, module, sort="-note", page_size=20, cursor=first.next_cursor)
    ((query, params),) = [(s, p) for s, p in seen if "ORDER BY" in s]
    assert "LIMIT" in query
    # SQLite's dialect always writes "LIMIT ? OFFSET ?"; the offset it binds must be 0
    assert "OFFSET" not in query or (conn.dialect.name == "sqlite" and params[-1] == 0)


def test_lookup_options_default_to_valid_rows(db: Any) -> None:
    conn, tables, module = db
    options = lookups.lookup_options(conn, module.field_named("queue_id"))
    assert options == [(i, f"queue {i}") for i in (1, 2, 4, 5, 7, 8)]
    custom = resolve(ITEM_SPEC, tables, condition="valid_id = 2 AND name IN ('queue 3', 'queue 9')")
    assert lookups.lookup_options(conn, custom.field_named("queue_id")) == [(3, "queue 3")]


def test_filter_choices_are_reused_briefly_and_forgotten_when_the_engine_writes_their_table(db: Any) -> None:
    conn, tables, module = db
    rf = module.field_named("queue_id")
    first = lookups.cached_lookup_options(conn, rf)
    conn.execute(tables["queue"].update().where(tables["queue"].c.id == 1).values(name="renamed"))
    assert lookups.cached_lookup_options(conn, rf) == first  # a write outside the engine shows within seconds
    fields = [{"name": "id", "type": "int"}, {"name": "name"}, {"name": "valid_id", "type": "int"}]
    queues = resolve({"module": {"name": "queues", "table": "queue"}, "fields": fields}, tables)
    writes.update_row(conn, queues, 2, {"name": "via the engine"}, user_id=1)
    fresh = lookups.cached_lookup_options(conn, rf)
    assert ("1", "renamed") in fresh and ("2", "via the engine") in fresh


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("valid_id > 1", "Lookup condition 'valid_id > 1': unexpected '> 1'; use column = literal or column IN "
         "(literals), joined by AND."),
        ("valid_id = 1 OR 1 = 1", "Lookup condition 'valid_id = 1 OR 1 = 1': expected AND, found 'OR'; use column = "
         "literal or column IN (literals), joined by AND."),
        ("colour = 'red'", "Lookup condition 'colour = 'red'': table queue has no column 'colour'."),
        ("name = (SELECT 1)", "Lookup condition 'name = (SELECT 1)': expected a literal, found '('; use column = "
         "literal or column IN (literals), joined by AND."),
        ("id IN (1, 2", "Lookup condition 'id IN (1, 2': expected , or ), found the end; use column = literal or "
         "column IN (literals), joined by AND."),
    ],
)  # fmt: skip
def test_lookup_conditions_outside_the_grammar_are_refused(db: Any, condition: str, message: str) -> None:
    _, tables, _ = db
    with pytest.raises(ConditionError) as caught:
        parse_condition(tables["queue"], condition)
    assert str(caught.value) == message


def test_condition_literals_are_bound_not_spliced(db: Any) -> None:
    _, tables, _ = db
    clause = parse_condition(tables["queue"], "name = 'it''s; DROP TABLE queue' AND id IN (1, -2)")
    compiled = clause.compile()
    assert "DROP" not in str(compiled)
    assert list(compiled.params.values()) == ["it's; DROP TABLE queue", [1, -2]]


# ---------------------------------------------------------------------------------------------------------- counts


def test_counts_are_exact_below_the_threshold_and_estimated_above(db: Any) -> None:
    conn, _, module = db
    exact = page(conn, module)
    assert (exact.total, exact.total_is_estimate) == (60, False)
    filtered = page(conn, module, threshold=5, filter_valid_id="1")
    if conn.dialect.name == "postgresql":
        conn.execute(text("ANALYZE item"))
        unfiltered = page(conn, module, threshold=5)
        assert (unfiltered.total, unfiltered.total_is_estimate) == (60, True)  # pg_class.reltuples
        assert filtered.total_is_estimate and filtered.total >= 5  # the planner's rows for the filter
        seen = statements(conn)
        page(conn, module, threshold=5, filter_valid_id="1")
        assert not any(s.startswith("EXPLAIN") for s in seen)  # an estimate is reused for ESTIMATE_SECONDS
        page(conn, module, threshold=5, filter_valid_id="2")
        assert any(s.startswith("EXPLAIN (FORMAT JSON)") for s in seen)
    else:
        assert (filtered.total, filtered.total_is_estimate) == (5, True)  # "5+": counted no further than 6 rows
        assert (page(conn, module, threshold=5).total, page(conn, module, threshold=5).total_is_estimate) == (5, True)
    mixed = page(conn, module, threshold=5, filter_queue_id=["3", "4"], search="a_", filter_created_from="2024-03-01")
    assert [r["id"] for r in mixed.rows] == [2]
    assert mixed.total_is_estimate or mixed.total == 1  # EXPLAIN takes the expanded IN list and the LIKE escape
    small = page(conn, module, threshold=5, filter_valid_id="2", filter_score="4")
    assert (small.total, small.total_is_estimate) == (2, False)


# ---------------------------------------------------------------------------------------------------------- writes


def test_insert_fills_audit_columns_and_returns_the_new_key(db: Any) -> None:
    conn, _, module = db
    before = datetime.now().replace(microsecond=0)
    pk = writes.insert_row(conn, module, {"name": "fresh", "valid_id": 1, "queue_id": 3}, user_id=7)
    assert pk == 61
    row = conn.execute(select(module.table).where(module.table.c.id == pk)).mappings().one()
    assert (row["create_by"], row["change_by"]) == (7, 7)
    assert row["create_time"] == row["change_time"] >= before
    assert q.get_row(conn, module, "61") == q.get_row(conn, module, 61)
    assert q.get_row(conn, module, 61)["queue_id_display"] == "queue 3"  # type: ignore[index]
    assert q.get_row(conn, module, 999) is None


def test_string_primary_keys_are_given_by_the_caller(db: Any) -> None:
    conn, tables, _ = db
    company = resolve({"module": {"name": "company", "table": "company", "primary_key": "customer_id"},
                       "fields": [{"name": "customer_id"}, {"name": "name"}]}, tables)  # fmt: skip
    assert writes.insert_row(conn, company, {"customer_id": "ACME", "name": "Acme"}, user_id=1) == "ACME"
    assert writes.update_row(conn, company, "ACME", {"name": "Acme Inc."}, user_id=1)
    assert q.get_row(conn, company, "ACME") == {"customer_id": "ACME", "name": "Acme Inc."}
    assert writes.delete_row(conn, company, "ACME", user_id=1)  # no valid_id: a real DELETE
    assert q.get_row(conn, company, "ACME") is None


def test_update_sets_change_columns_only(db: Any) -> None:
    conn, _, module = db
    assert writes.update_row(conn, module, 3, {"name": "renamed", "note": None}, user_id=9)
    row = conn.execute(select(module.table).where(module.table.c.id == 3)).mappings().one()
    assert (row["name"], row["note"], row["create_by"], row["change_by"]) == ("renamed", None, 1, 9)
    assert row["change_time"] > row["create_time"]
    assert not writes.update_row(conn, module, 999, {"name": "x"}, user_id=9)
    assert writes.update_rows(conn, module, [4, 5, 999], {"score": 42}, user_id=9) == 2
    assert conn.execute(select(module.table.c.score).where(module.table.c.id.in_([4, 5]))).scalars().all() == [42, 42]
    with pytest.raises(q.QueryError, match=r"^'shadow' is not a stored field of item\.$"):
        writes.update_row(conn, module, 3, {"shadow": "x"}, user_id=9)
    expected = r"^'abc' is not a valid value for the record id \(expected a whole number\)\.$"
    with pytest.raises(q.QueryError, match=expected):
        writes.update_row(conn, module, "abc", {"name": "x"}, user_id=9)


def test_soft_delete_and_status_toggle_set_valid_id(db: Any) -> None:
    conn, _, module = db
    valid = module.table.c.valid_id
    assert writes.delete_row(conn, module, 1, user_id=4)
    assert conn.execute(select(valid).where(module.table.c.id == 1)).scalar() == 2
    assert writes.set_valid(conn, module, 1, True, user_id=4)
    assert conn.execute(select(valid).where(module.table.c.id == 1)).scalar() == 1
    assert writes.delete_rows(conn, module, [1, 2, "3"], user_id=4) == 3
    assert writes.set_valid_rows(conn, module, [2, 3], True, user_id=4) == 2
    assert conn.execute(select(valid).where(module.table.c.id.in_([1, 2, 3])).order_by("id")).scalars().all() == [
        2,
        1,
        1,
    ]
    assert conn.execute(select(module.table.c.id).where(module.table.c.id == 1)).scalar() == 1  # still there


def test_hard_delete_removes_rows_in_one_statement(db: Any) -> None:
    conn, tables, _ = db
    hard = resolve(ITEM_SPEC | {"features": {"audit": False}}, tables)  # history: tests/goatkit/engine/test_history.py
    seen = statements(conn)
    assert writes.delete_rows(conn, hard, [1, 2, 3, 999], user_id=1) == 3
    assert len(seen) == 1 and seen[0].startswith("DELETE FROM item")
    assert writes.delete_rows(conn, hard, [], user_id=1) == 0
    assert not writes.delete_row(conn, hard, 1, user_id=1)
    assert inspect(conn).has_table("item")
    assert conn.execute(select(hard.table.c.id).order_by("id").limit(1)).scalar() == 4


def test_list_cells_render_the_same_html_on_the_fast_path_as_their_markup(db: Any) -> None:
    from goatkit.engine.screens.cells import cell_for

    conn, _, module = db
    hostile = {"name": "<b>x</b> & 'y'", "queue_id": 1, "queue_id_display": "<i>"}
    rows = [*page(conn, module, page_size=60).rows, hostile]
    cells = [cell_for(f) for f in module.fields]
    assert any(c.text is not None for c in cells) and any(c.text is None for c in cells)  # both paths are used
    for row in rows:
        for cell in cells:
            assert cell.html(row) == str(cell.show(row)), (cell.name, row.get(cell.name))
    name = next(c for c in cells if c.name == "name")
    assert name.html(rows[-1]) == "&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;"

"""Lookups in the query layer: display values joined or batched, lookup conditions, choices (SQLite, PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import event

from goatkit.engine import lookups, writes
from goatkit.engine import query as q
from goatkit.engine.conditions import ConditionError, parse_condition
from tests.goatkit.engine import query_world
from tests.goatkit.engine.query_world import (
    ITEM_SPEC,
    KEY,
    LOOKUPS,
    listing,
    page,
    resolve,
    statements,
)

db = query_world.db  # the fixture, under this module's name


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

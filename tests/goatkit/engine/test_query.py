"""The query layer on SQLite and PostgreSQL: allow-listed input, keyset pages, counts, writes.

Lookups are in test_query_lookups.py; the shared table, spec and rows in query_world.py.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    Connection,
    inspect,
    select,
    text,
)

from goatkit.engine import query as q
from goatkit.engine import writes
from goatkit.engine.cursor import decode_cursor, encode_cursor
from goatkit.engine.model import ResolvedModule
from tests.goatkit.engine import query_world
from tests.goatkit.engine.query_world import (
    ITEM_SPEC,
    KEY,
    T0,
    expected_order,
    page,
    resolve,
    statements,
)

db = query_world.db  # the fixture, under this module's name

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

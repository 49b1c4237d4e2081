"""Revision 0005: the index tables each backend gets, and autogenerate leaving exactly them alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from goatkit.db import make_engine
from modules.db import ALL_METADATA, MIGRATIONS
from modules.db.schema.gotrs_search import SEARCH_TABLES, TICKET_INDEXES, is_search_object

FOREIGN_KEYS = (
    "SELECT conname, confdeltype FROM pg_constraint WHERE contype = 'f'"
    " AND conrelid IN ('gotrs_ticket_fts'::regclass, 'gotrs_article_fts'::regclass)"
)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    MIGRATIONS.upgrade(engine)
    yield engine
    engine.dispose()


def test_sqlite_gets_fts5_tables(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    MIGRATIONS.upgrade(engine)
    with engine.connect() as conn:
        sql = dict(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE name LIKE 'gotrs_%fts'")).all())
        shadows = conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'gotrs_article_fts_%'")).scalars()
        assert sorted(shadows) == ["gotrs_article_fts_config", "gotrs_article_fts_content", "gotrs_article_fts_data",
                                   "gotrs_article_fts_idx"]  # fmt: skip
    engine.dispose()
    assert sql == {
        "gotrs_ticket_fts": "CREATE VIRTUAL TABLE gotrs_ticket_fts USING fts5("
        "doc, tokenize = 'unicode61 remove_diacritics 2', columnsize = 0)",
        "gotrs_article_fts": "CREATE VIRTUAL TABLE gotrs_article_fts USING fts5("
        "doc, ticket_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2', columnsize = 0)",
    }


def test_postgresql_gets_tsvector_tables_with_gin_indexes(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    MIGRATIONS.upgrade(engine)
    inspector = inspect(engine)
    columns = {t: {c["name"]: str(c["type"]) for c in inspector.get_columns(t)} for t in SEARCH_TABLES}
    with engine.connect() as conn:
        indexes = dict(
            conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'gotrs_%'")).all()
        )
        deletes = conn.execute(text(FOREIGN_KEYS)).all()
    engine.dispose()
    assert columns == {
        "gotrs_ticket_fts": {"ticket_id": "BIGINT", "doc": "TSVECTOR"},
        "gotrs_article_fts": {"article_id": "BIGINT", "ticket_id": "BIGINT", "doc": "TSVECTOR"},
    }
    assert "USING gin (doc)" in indexes["gotrs_ticket_fts_doc"]
    assert "USING gin (doc)" in indexes["gotrs_article_fts_doc"]
    assert "(ticket_id)" in indexes["gotrs_article_fts_ticket_id"]
    assert sorted(deletes) == [("fk_gotrs_article_fts_article_id_id", "c"), ("fk_gotrs_ticket_fts_ticket_id_id", "c")]


def test_the_ticket_table_gets_the_filter_indexes(engine: Engine) -> None:
    indexes = {index["name"]: index["column_names"] for index in inspect(engine).get_indexes("ticket")}
    assert {name: indexes.get(name) for name in TICKET_INDEXES} == {
        "gotrs_ticket_change_time": ["change_time"],
        "gotrs_ticket_service_id": ["service_id"],
        "gotrs_ticket_sla_id": ["sla_id"],
        "gotrs_ticket_state_queue": ["ticket_state_id", "queue_id"],  # 0007: the queue tree's counts
    }


def diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), list(ALL_METADATA)))


def test_autogenerate_leaves_only_the_search_objects_alone(engine: Engine) -> None:
    assert diffs(engine) == []
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE gotrs_ticket_fts_extra (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE INDEX gotrs_ticket_extra ON ticket (tn, title)"))
    found = {(diff[0], diff[1].name) for diff in diffs(engine)}  # type: ignore[index, attr-defined]
    assert found == {("remove_table", "gotrs_ticket_fts_extra"), ("remove_index", "gotrs_ticket_extra")}


def test_downgrade_removes_the_search_objects(engine: Engine) -> None:
    MIGRATIONS.downgrade(engine, "0004_history_jobs")
    inspector = inspect(engine)
    assert [name for name in inspector.get_table_names() if name.startswith("gotrs_")] == []
    assert [i["name"] for i in inspector.get_indexes("ticket") if i["name"].startswith("gotrs_")] == []
    MIGRATIONS.upgrade(engine)
    assert set(SEARCH_TABLES) <= set(inspect(engine).get_table_names())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gotrs_ticket_fts", True),
        ("gotrs_article_fts_idx", True),
        ("gotrs_article_fts_docsize", True),
        ("gotrs_ticket_sla_id", True),
        ("gotrs_article_fts_other", False),
        ("ticket", False),
        ("gotrs_ticket_fts_data_x", False),
        (None, False),
    ],
)
def test_is_search_object(name: str | None, expected: bool) -> None:
    assert is_search_object(name) is expected

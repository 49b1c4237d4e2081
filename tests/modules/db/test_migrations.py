"""Alembic and the table definitions agree, and the baseline cannot drift silently."""

import importlib.util

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from goatkit.db import make_engine
from goatkit.db.migrate import schema_fingerprint
from modules.db import ALL_METADATA, MIGRATIONS
from modules.db.schema import metadata
from modules.db.seed import insert_initial_data


def load_baseline():  # the revision file is not an importable module name (it starts with a digit)
    path = MIGRATIONS.script_location / "versions" / "0001_baseline.py"
    spec = importlib.util.spec_from_file_location("baseline_0001", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_baseline_definitions_are_frozen() -> None:
    baseline = load_baseline()
    tables = [metadata.tables[name] for name in baseline.BASELINE_TABLES]
    assert schema_fingerprint(tables) == baseline.BASELINE_FINGERPRINT, (
        "modules/db/schema/ changed in place: the baseline is frozen. Revert the edit and add an Alembic revision "
        "plus a new definition file instead."
    )
    assert len(baseline.BASELINE_TABLES) == 123


def test_fingerprint_sees_a_changed_column() -> None:
    baseline = load_baseline()
    tables = [metadata.tables[name] for name in baseline.BASELINE_TABLES]
    column = metadata.tables["queue"].c.comments
    column.nullable = False
    try:
        assert schema_fingerprint(tables) != baseline.BASELINE_FINGERPRINT
    finally:
        column.nullable = True


def test_the_baseline_is_the_schema_package() -> None:
    baseline = load_baseline()
    assert set(metadata.tables) == set(baseline.BASELINE_TABLES), "schema tables belong to the frozen baseline"


def test_upgrade_creates_what_the_metadata_defines(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert MIGRATIONS.current(engine) is None
        MIGRATIONS.upgrade(engine)
        assert MIGRATIONS.current(engine) == MIGRATIONS.head()
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), list(ALL_METADATA))
        assert diffs == []
        MIGRATIONS.upgrade(engine)  # idempotent
        assert MIGRATIONS.is_current(engine)
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        MIGRATIONS.upgrade(engine)
        MIGRATIONS.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        MIGRATIONS.upgrade(engine)
        expected = {name for md in ALL_METADATA for name in md.tables}
        assert expected <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.mariadb
def test_mariadb_migrates_and_takes_the_initial_data(mariadb_url: str) -> None:
    engine = make_engine(mariadb_url)
    try:
        MIGRATIONS.upgrade(engine)
        with engine.begin() as conn:
            assert insert_initial_data(conn, admin_password="mariadb-admin-1") is True
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), list(ALL_METADATA))
        # MariaDB has no DEFERRABLE: each foreign key shows up as removed and re-added, identical but for that flag.
        removed = {d[1].name for d in diffs if d[0] == "remove_fk"}
        added = {d[1].name: d[1] for d in diffs if d[0] == "add_fk"}
        assert removed == set(added) and all(fk.deferrable for fk in added.values())
        assert [d for d in diffs if d[0] not in {"remove_fk", "add_fk"}] == []
        assert len(removed) > 250
    finally:
        engine.dispose()

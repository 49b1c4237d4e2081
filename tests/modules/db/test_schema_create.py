"""``metadata.create_all`` and ``drop_all`` work on SQLite, PostgreSQL and MariaDB, and the foreign keys hold.

The first tests need no database: they check what the metadata would emit (names within every backend's limit,
OTRS's foreign-key names, DEFERRABLE only where the backend accepts it).  The others create the schema on each
backend, the way the application connects (``goatkit.db.make_engine``: foreign keys on for SQLite).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Connection, Engine, ForeignKeyConstraint, UniqueConstraint, create_engine, inspect
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import AddConstraint, CreateTable

from goatkit.db.engine import make_engine
from goatkit.db.fk import deferred_foreign_keys
from modules.db.schema import TABLE_NAMES, metadata
from modules.db.schema._types import otrs_fk_name

NOW = datetime(2024, 1, 2, 3, 4, 5)
AUDIT = {"create_time": NOW, "create_by": 1, "change_time": NOW, "change_by": 1}
USER = {"id": 1, "login": "root@localhost", "pw": "-", "first_name": "Admin", "last_name": "OTRS", **AUDIT}
URL_FIXTURES = {"sqlite": "sqlite_url", "postgresql": "postgres_url", "mariadb": "mariadb_url"}

# 271 references in the OTRS 6 XML, 7 from Znuny 7 (acl_ticket_attribute_relations 2, calendar_appointment_plugin 2,
# smime_keys 2, oauth2_token.token_config_id 1) and 3 on article_color.
FOREIGN_KEY_COUNT = 271 + 7 + 3


def _names() -> list[str]:
    names = []
    for table in metadata.tables.values():
        names += [str(c.name) for c in table.constraints if isinstance(c, ForeignKeyConstraint | UniqueConstraint)]
        names += [str(index.name) for index in table.indexes]
    return names


def test_every_constraint_and_index_name_fits_every_backend_and_is_unique() -> None:
    names = _names()
    assert [n for n in names if len(n) > 63] == []
    assert sorted({n for n in names if names.count(n) > 1}) == []
    assert set(names).isdisjoint(TABLE_NAMES)  # PostgreSQL keeps indexes and tables in one namespace


def test_foreign_keys_carry_otrs_names_and_are_deferrable() -> None:
    fks = [fk for table in metadata.tables.values() for fk in table.foreign_key_constraints]
    assert len(fks) == FOREIGN_KEY_COUNT
    for fk in fks:
        (element,) = fk.elements
        assert fk.name == otrs_fk_name(fk.table.name, element.parent.name, element.column.name)
        assert (fk.deferrable, fk.initially) == (True, "IMMEDIATE")
    assert otrs_fk_name("sysconfig_modified_version", "sysconfig_default_version_id", "id") == (
        "fk_sysconfig_modified_version_sysconfig_default_version_idaf"  # as in Znuny's schema-post SQL
    )


def test_only_users_valid_id_is_added_after_the_tables() -> None:
    late = [
        (table.name, fk.column_keys)
        for table in metadata.tables.values()
        for fk in table.foreign_key_constraints
        if fk.use_alter
    ]
    assert late == [("users", ["valid_id"])]


@pytest.mark.parametrize("dialect", [mysql.dialect(), mysql.dialect(is_mariadb=True)], ids=["mysql", "mariadb"])
def test_mysql_ddl_has_no_deferrable_clause(dialect: mysql.base.MySQLDialect) -> None:
    ddl = [str(CreateTable(t).compile(dialect=dialect)) for t in metadata.tables.values()]
    late = [fk for fk in metadata.tables["users"].foreign_key_constraints if fk.use_alter]
    # isolate_from_table=False: by default AddConstraint takes the constraint out of CREATE TABLE for good.
    ddl += [str(AddConstraint(fk, isolate_from_table=False).compile(dialect=dialect)) for fk in late]
    assert [statement for statement in ddl if "DEFERRABLE" in statement or "INITIALLY" in statement] == []
    assert "CONSTRAINT fk_queue_group_id_id FOREIGN KEY(group_id) REFERENCES permission_groups (id)" in "".join(ddl)


def test_postgresql_ddl_is_deferrable() -> None:
    ddl = str(CreateTable(metadata.tables["queue"]).compile(dialect=create_engine("postgresql+psycopg://").dialect))
    expected = (
        "fk_queue_group_id_id FOREIGN KEY(group_id) REFERENCES permission_groups (id) DEFERRABLE INITIALLY IMMEDIATE"
    )
    assert expected in ddl


def test_prefix_lengths_reach_mysql_and_mariadb() -> None:
    (index,) = [i for i in metadata.tables["virtual_fs"].indexes if i.name == "virtual_fs_filename"]
    assert index.dialect_options["mysql"]["length"] == {"filename": 255}
    assert index.dialect_options["mariadb"]["length"] == {"filename": 255}


# --- on real databases -------------------------------------------------------------------------------------------


@pytest.fixture(params=list(URL_FIXTURES))
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on a fresh, empty database of each backend."""
    engine = make_engine(request.getfixturevalue(URL_FIXTURES[request.param]))
    yield engine
    engine.dispose()


def test_create_all_and_drop_all_without_warnings(engine: Engine) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metadata.create_all(engine)
        assert set(inspect(engine).get_table_names()) == set(TABLE_NAMES)
        metadata.drop_all(engine)
    assert inspect(engine).get_table_names() == []


def _seed_queue_references(conn: Connection) -> None:
    """Everything a queue refers to, except its group; valid and users refer to each other, so defer the checks."""
    tables = metadata.tables
    with deferred_foreign_keys(conn):
        conn.execute(tables["valid"].insert(), {"id": 1, "name": "valid", **AUDIT})
        conn.execute(tables["users"].insert(), {**USER, "valid_id": 1})
    common = {"valid_id": 1, **AUDIT}
    conn.execute(tables["permission_groups"].insert(), {"id": 1, "name": "users", **common})
    conn.execute(tables["system_address"].insert(), {"id": 1, "value0": "a@b", "value1": "A", "queue_id": 1, **common})
    conn.execute(tables["salutation"].insert(), {"id": 1, "name": "s", "text": "Dear", **common})
    conn.execute(tables["signature"].insert(), {"id": 1, "name": "s", "text": "Bye", **common})
    conn.execute(tables["follow_up_possible"].insert(), {"id": 1, "name": "possible", **common})


def _queue(group_id: int) -> dict[str, object]:
    references = {"system_address_id": 1, "salutation_id": 1, "signature_id": 1, "follow_up_id": 1}
    return {"name": "Raw", "group_id": group_id, "follow_up_lock": 0, "valid_id": 1, **references, **AUDIT}


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    """A queue in a group that does not exist is refused; every other reference of the row is valid."""
    metadata.create_all(engine)
    queue = metadata.tables["queue"]
    with engine.begin() as conn:
        _seed_queue_references(conn)
    with engine.connect() as conn, pytest.raises(IntegrityError) as error:
        conn.execute(queue.insert(), _queue(group_id=999))
    if engine.dialect.name != "sqlite":  # SQLite does not say which constraint failed
        assert "fk_queue_group_id_id" in str(error.value)
    with engine.begin() as conn:
        conn.execute(queue.insert(), _queue(group_id=1))
        assert conn.execute(queue.select()).one().group_id == 1


def test_deferred_checks_still_run(db_url: str) -> None:
    """Deferring is not switching off: a user whose valid_id points nowhere is refused before the commit ends."""
    engine = make_engine(db_url)
    metadata.create_all(engine)
    expected = "fk_users_valid_id_id" if engine.dialect.name == "postgresql" else "FOREIGN KEY constraint failed"
    try:
        with pytest.raises(IntegrityError, match=expected), engine.begin() as conn, deferred_foreign_keys(conn):
            conn.execute(metadata.tables["users"].insert(), {**USER, "valid_id": 9})
    finally:
        engine.dispose()


def test_sqlite_keeps_the_cycle_foreign_key_after_another_backend(postgres_url: str, sqlite_url: str) -> None:
    """Creating on PostgreSQL first (ALTER TABLE for users.valid_id) must not cost SQLite that foreign key."""
    for url in (postgres_url, sqlite_url):
        engine = make_engine(url)
        metadata.create_all(engine)
        fks = {(fk["constrained_columns"][0], fk["referred_table"]) for fk in inspect(engine).get_foreign_keys("users")}
        engine.dispose()
        assert ("valid_id", "valid") in fks, url

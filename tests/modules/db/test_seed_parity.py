"""OTRS initial data: the rows, ids and names of otrs-initial_insert.xml, on SQLite and PostgreSQL.

The XML is parsed here on its own, not through the generator, so a mistake in the converter cannot hide itself.
"""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, insert, select

from goatkit.db import make_engine
from goatkit.passwords import verify_password
from modules.db import MIGRATIONS
from modules.db.schema import metadata
from modules.db.seed import SeedError, insert_initial_data
from tests.conftest import ROOT, shared_path

PASSWORD = "correct horse battery staple"
OTRS_DEFAULT_PW = "roK20XGbWEsSM"
SEED_FILE = ROOT / "modules" / "db" / "seed" / "otrs_initial.yaml"
RENAMED = {"groups": "permission_groups"}


def xml_rows() -> dict[str, list[dict[str, str]]]:
    """The XML's rows per (GOTRS) table name, every value as the XML's text."""
    path = shared_path("reference", "otrs6", "otrs-initial_insert.xml")
    rows: dict[str, list[dict[str, str]]] = {}
    for insert_ in ET.parse(path).getroot().iter("Insert"):
        table = RENAMED.get(insert_.attrib["Table"], insert_.attrib["Table"])
        rows.setdefault(table, []).append({d.attrib["Key"]: d.text or "" for d in insert_.iter("Data")})
    return rows


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(t)).scalar_one() for name, t in _tables()}


def _tables() -> Iterator[tuple[str, Any]]:
    yield from sorted(metadata.tables.items())


@pytest.fixture
def seeded(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    MIGRATIONS.upgrade(engine)  # as `gotrs db init`: the schema with the search index tables
    with engine.begin() as conn:
        assert insert_initial_data(conn, admin_password=PASSWORD) is True
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("table", "count"),
    [
        ("ticket_state", 9),
        ("ticket_state_type", 7),
        ("ticket_priority", 5),
        ("ticket_history_type", 52),
        ("queue", 4),
        ("permission_groups", 3),
    ],
)
def test_lookup_tables_have_otrs_ids_names_and_values(seeded: Engine, table: str, count: int) -> None:
    expected = xml_rows()[table]
    assert len(expected) == count
    columns = metadata.tables[table].c
    with seeded.connect() as conn:
        stored = {row.id: row._asdict() for row in conn.execute(select(columns).order_by(columns.id))}
    assert {int(row["id"]): row["name"] for row in expected} == {id_: row["name"] for id_, row in stored.items()}
    for row in expected:  # every other column the XML sets, e.g. ticket_state.type_id and queue.group_id
        actual = stored[int(row["id"])]
        for key, value in row.items():
            if value != "current_timestamp":
                assert str(actual[key]) == value, (table, row["id"], key)


def test_every_xml_row_is_inserted(seeded: Engine) -> None:
    expected = {table: len(rows) for table, rows in xml_rows().items()}
    counts = row_counts(seeded)
    assert {table: counts[table] for table in expected} == expected
    assert sum(expected.values()) == 368


def test_audit_timestamps_are_the_insert_time(seeded: Engine) -> None:
    valid = metadata.tables["valid"]
    with seeded.connect() as conn:
        times = conn.execute(select(valid.c.create_time, valid.c.change_time)).all()
    for created, changed in times:
        assert isinstance(created, datetime) and created == changed
        assert abs(datetime.now() - created) < timedelta(minutes=5)


def test_blob_columns_hold_utf8_bytes(seeded: Engine) -> None:
    channel = metadata.tables["communication_channel"]
    with seeded.connect() as conn:
        data = {name: value for name, value in conn.execute(select(channel.c.name, channel.c.channel_data))}
    assert sorted(data) == ["Chat", "Email", "Internal", "Phone"]
    assert (
        bytes(data["Chat"])
        == b"---\nArticleDataArticleIDField: article_id\nArticleDataTables:\n- article_data_otrs_chat\n"
    )


def test_admin_gets_an_argon2_hash_of_the_given_password(seeded: Engine) -> None:
    users = metadata.tables["users"]
    with seeded.connect() as conn:
        row = conn.execute(select(users.c.id, users.c.pw).where(users.c.login == "root@localhost")).one()
    assert row.id == 1
    assert row.pw.startswith("$argon2id$")
    assert verify_password(PASSWORD, row.pw)
    assert not verify_password("root", row.pw)
    assert row.pw != OTRS_DEFAULT_PW


def test_the_otrs_default_password_hash_is_not_shipped() -> None:
    assert OTRS_DEFAULT_PW not in SEED_FILE.read_text(encoding="utf-8")


def test_second_run_does_nothing(seeded: Engine) -> None:
    before = row_counts(seeded)
    with seeded.begin() as conn:
        assert insert_initial_data(conn, admin_password="another password") is False
    assert row_counts(seeded) == before
    users = metadata.tables["users"]
    with seeded.connect() as conn:
        assert verify_password(PASSWORD, conn.execute(select(users.c.pw).where(users.c.id == 1)).scalar_one())


def test_empty_admin_password_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    MIGRATIONS.upgrade(engine)  # as `gotrs db init`: the schema with the search index tables
    with engine.begin() as conn, pytest.raises(SeedError, match=r"^An admin password is required to create "):
        insert_initial_data(conn, admin_password="")
    engine.dispose()


@pytest.mark.parametrize(("table", "next_id"), [("ticket_state", 10), ("ticket_history_type", 53), ("valid", 4)])
def test_id_sequences_continue_after_otrs_ids(seeded: Engine, table: str, next_id: int) -> None:
    target = metadata.tables[table]
    now = datetime.now().replace(microsecond=0)
    values: dict[str, Any] = {
        "name": "gotrs test",
        "create_time": now,
        "create_by": 1,
        "change_time": now,
        "change_by": 1,
    }
    values.update({key: 1 for key in ("type_id", "valid_id") if key in target.c})
    with seeded.begin() as conn:
        new_id = conn.execute(insert(target).values(values).returning(target.c.id)).scalar_one()
    assert new_id == next_id


def test_seed_file_is_current_with_the_xml() -> None:
    """The committed YAML is what scripts/gen_initial_data.py makes of the reference XML today."""
    xml = shared_path("reference", "otrs6", "otrs-initial_insert.xml")
    spec = importlib.util.spec_from_file_location("gen_initial_data", ROOT / "scripts" / "gen_initial_data.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    committed = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    assert generator.convert(Path(xml)) == committed
    tables = Counter(entry["table"] for entry in committed)
    assert "groups" not in tables and tables["permission_groups"] == 1

"""The schema a real database gets from ``modules.db.schema`` matches OTRS's own schema XML.

The XML is parsed here, independently of ``scripts/gen_schema.py``, and compared with what the database reports
through ``sqlalchemy.inspect`` (not with the metadata): every table, column, type family, length, nullability,
server default, primary key, unique constraint, index and foreign key.  Each mismatch is reported with its table
and column, all at once.

The deliberate differences from the XML are listed below as facts: OTRS's ``groups`` is ``permission_groups``, the
Znuny 7 tables and wider columns, and the GOTRS extras.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, types

from goatkit.db.engine import backend_name, make_engine
from modules.db.schema import metadata
from tests.conftest import shared_path

RENAMED = {"groups": "permission_groups"}
ZNUNY_TABLES = {"acl_ticket_attribute_relations", "calendar_appointment_plugin", "smime_keys", "mention"}
GOTRS_TABLES = {"article_color"}
AUDIT_COLUMNS = ("create_time", "create_by", "change_time", "change_by")
OTRS_TABLE_COUNT = 118
TABLE_COUNT = OTRS_TABLE_COUNT + len(ZNUNY_TABLES) + len(GOTRS_TABLES)  # 123

# Columns that are wider than in the XML, (table, column) -> VARCHAR size: Znuny 7's, and GOTRS's colour.
WIDER = {
    ("standard_template", "text"): 16777216,
    ("notification_event_message", "text"): 16777216,
    ("customer_user_customer", "user_id"): 200,
    ("generic_agent_jobs", "job_key"): 255,
    ("generic_agent_jobs", "job_value"): 3800,
    ("oauth2_token_config", "config"): 100000,
    ("oauth2_token", "authorization_code"): 100000,
    ("oauth2_token", "token"): 100000,
    ("oauth2_token", "refresh_token"): 100000,
    ("oauth2_token", "error_message"): 100000,
    ("oauth2_token", "error_description"): 100000,
    ("oauth2_token", "error_code"): 1000,
    ("ticket_priority", "color"): 25,
}


@dataclass(frozen=True)
class XmlColumn:
    name: str
    type: str
    size: int
    required: bool
    primary_key: bool
    auto_increment: bool
    default: str | None


@dataclass
class XmlTable:
    name: str
    columns: list[XmlColumn] = field(default_factory=list)
    uniques: dict[str, tuple[str, ...]] = field(default_factory=dict)
    indexes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    foreign_keys: set[tuple[str, str, str]] = field(default_factory=set)  # (column, referred table, its column)


def load_xml() -> dict[str, XmlTable]:
    root = ET.parse(shared_path("reference", "otrs6", "otrs-schema.xml")).getroot()
    tables = {}
    for element in root.iter("Table"):
        table = XmlTable(RENAMED.get(element.get("Name", ""), element.get("Name", "")))
        for column in element.iter("Column"):
            size = column.get("Size", "0").split(",")[0]
            table.columns.append(
                XmlColumn(
                    name=column.get("Name", ""),
                    type=column.get("Type", ""),
                    size=int(size),
                    required=column.get("Required") == "true",
                    primary_key=column.get("PrimaryKey") == "true",
                    auto_increment=column.get("AutoIncrement") == "true",
                    default=column.get("Default"),
                )
            )
        for unique in element.iter("Unique"):
            table.uniques[unique.get("Name", "")] = tuple(c.get("Name", "") for c in unique.iter("UniqueColumn"))
        for index in element.iter("Index"):
            table.indexes[index.get("Name", "")] = tuple(c.get("Name", "") for c in index.iter("IndexColumn"))
        for fk in element.iter("ForeignKey"):
            referred = RENAMED.get(fk.get("ForeignTable", ""), fk.get("ForeignTable", ""))
            for ref in fk.iter("Reference"):
                table.foreign_keys.add((ref.get("Local", ""), referred, ref.get("Foreign", "")))
        tables[table.name] = table
    return tables


def otrs_fk_name(table: str, column: str, referred_column: str) -> str:
    """OTRS's rule: FK_<table>_<column>_<referred>, cut to 58 characters + 2 MD5 hex digits above 60."""
    name = f"FK_{table}_{column}_{referred_column}"
    if len(name) > 60:
        digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
        name = name[:58] + digest[0] + digest[31]
    return name.lower()


def expected_family(table: str, column: XmlColumn, backend: str) -> str:
    if column.primary_key and column.auto_increment and backend == "sqlite":
        return "integer"  # SQLite auto-increments only an INTEGER PRIMARY KEY
    if column.type in ("SMALLINT", "INTEGER", "BIGINT"):
        return column.type.lower()
    if column.type == "VARCHAR":
        size = WIDER.get((table, column.name), column.size)
        return "text" if size >= 10000 or (backend == "mysql" and size > 255) else "string"
    return {"DATE": "datetime", "DECIMAL": "numeric", "LONGBLOB": "binary"}[column.type]


def mysql_text(size: int) -> str:
    return "TEXT" if size <= 65535 else "MEDIUMTEXT" if size <= 16777215 else "LONGTEXT"


def family(type_: Any) -> str:
    """The family of a reflected column type, strict about integer widths."""
    for kind, name in (
        (types.SmallInteger, "smallint"),
        (types.BigInteger, "bigint"),
        (types.Integer, "integer"),
        (types.DateTime, "datetime"),
        (types.Text, "text"),
    ):
        if isinstance(type_, kind):
            return name
    if isinstance(type_, types.String):  # MySQL's MEDIUMTEXT and LONGTEXT are Strings without a length
        return "string" if type_.length else "text"
    if isinstance(type_, types.Numeric) and not isinstance(type_, types.Float):
        return "numeric"
    if type_.python_type is bytes:  # LargeBinary, and MySQL's LONGBLOB, which is not a LargeBinary subclass
        return "binary"
    return repr(type_)


def column_problems(table: XmlTable, reflected: dict[str, Any], backend: str) -> Iterator[str]:
    for column in table.columns:
        where = f"{table.name}.{column.name}"
        found = reflected.get(column.name)
        if found is None:
            yield f"{where}: missing"
            continue
        expected, actual = expected_family(table.name, column, backend), family(found["type"])
        if actual != expected:
            yield f"{where}: type {found['type']!r} is {actual}, expected {expected} (XML {column.type})"
        size = WIDER.get((table.name, column.name), column.size)
        if actual == "string" and found["type"].length != size:
            yield f"{where}: length {found['type'].length}, expected {size}"
        if actual == "text" and backend == "mysql" and type(found["type"]).__name__ != mysql_text(size):
            yield f"{where}: {found['type']!r}, expected {mysql_text(size)} for {size} characters"
        if actual == "numeric" and (found["type"].precision, found["type"].scale) != (10, 2):
            yield f"{where}: {found['type']!r}, expected NUMERIC(10, 2)"
        if found["nullable"] != (not column.required and not column.primary_key):
            yield f"{where}: nullable={found['nullable']}, but the XML says Required={column.required}"
        if column.default is not None and (found["default"] is None or column.default not in found["default"]):
            yield f"{where}: server default {found['default']!r}, expected {column.default!r}"


def constraint_problems(table: XmlTable, inspector: Any) -> Iterator[str]:
    pk = inspector.get_pk_constraint(table.name)["constrained_columns"]
    if pk != [c.name for c in table.columns if c.primary_key]:
        yield f"{table.name}: primary key {pk}"
    indexes = inspector.get_indexes(table.name)
    uniques = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints(table.name)}
    uniques |= {i["name"]: tuple(i["column_names"]) for i in indexes if i["unique"]}
    plain = {i["name"]: tuple(i["column_names"]) for i in indexes if not i["unique"]}
    for kind, expected, actual in (("unique", table.uniques, uniques), ("index", table.indexes, plain)):
        for name, columns in expected.items():
            if actual.get(name) != columns:
                yield f"{table.name}: {kind} {name} on {columns} is {actual.get(name) or 'missing'}"
    fks = {
        (fk["constrained_columns"][0], fk["referred_table"], fk["referred_columns"][0]): fk["name"]
        for fk in inspector.get_foreign_keys(table.name)
    }
    for local, referred, column in sorted(table.foreign_keys):
        name = otrs_fk_name(table.name, local, column)
        if (local, referred, column) not in fks:
            yield f"{table.name}.{local}: foreign key to {referred}.{column} missing"
        elif fks[(local, referred, column)] != name:
            yield f"{table.name}.{local}: foreign key named {fks[(local, referred, column)]!r}, expected {name!r}"


def schema_problems(engine: Engine) -> list[str]:
    backend = backend_name(engine.url)
    xml = load_xml()
    inspector = inspect(engine)
    actual = set(inspector.get_table_names())
    problems = [f"{name}: table missing" for name in sorted(set(xml) - actual)]
    problems += [f"{name}: unexpected table" for name in sorted(actual - set(xml) - ZNUNY_TABLES - GOTRS_TABLES)]
    for table in xml.values():
        if table.name in actual:
            reflected = {c["name"]: c for c in inspector.get_columns(table.name)}
            problems += column_problems(table, reflected, backend)
            problems += constraint_problems(table, inspector)
    return problems


def _create(url: str) -> Engine:
    engine = make_engine(url)
    metadata.create_all(engine)
    return engine


def test_the_xml_is_the_otrs_6_schema() -> None:
    xml = load_xml()
    assert len(xml) == OTRS_TABLE_COUNT
    assert "permission_groups" in xml
    assert not (ZNUNY_TABLES | GOTRS_TABLES) & set(xml)


def test_database_matches_the_xml(db_url: str) -> None:
    engine = _create(db_url)
    try:
        assert schema_problems(engine) == []
        tables = set(inspect(engine).get_table_names())
        assert len(tables) == TABLE_COUNT == 123
        assert tables >= ZNUNY_TABLES | GOTRS_TABLES
    finally:
        engine.dispose()


def test_mariadb_matches_the_xml(mariadb_url: str) -> None:
    """MariaDB gets OTRS's MySQL types: TEXT above 255 characters, LONGBLOB, and prefix indexes on long text."""
    engine = _create(mariadb_url)
    try:
        assert schema_problems(engine) == []
        assert len(inspect(engine).get_table_names()) == TABLE_COUNT
    finally:
        engine.dispose()


def test_gotrs_extras_and_znuny_columns_exist(db_url: str) -> None:
    engine = _create(db_url)
    try:
        inspector = inspect(engine)

        def columns(table: str) -> dict[str, Any]:
            return {c["name"]: c for c in inspector.get_columns(table)}

        color = columns("ticket_state")["color"]
        assert (color["nullable"], color["type"].length) == (True, 25)
        article_color = columns("article_color")
        assert list(article_color) == ["id", "name", "color", "valid_id", *AUDIT_COLUMNS]
        assert (article_color["color"]["nullable"], article_color["color"]["type"].length) == (False, 25)
        assert [u["name"] for u in inspector.get_unique_constraints("article_color")] == ["article_color_name"]
        assert columns("mail_account")["authentication_type"]["nullable"] is True
        assert {"token_config_id", "dbcrud_uuid"} <= set(columns("oauth2_token"))
    finally:
        engine.dispose()


def test_committed_schema_files_are_what_the_generator_makes_of_the_xml() -> None:
    xml = shared_path("reference", "otrs6", "otrs-schema.xml")
    script = Path(__file__).resolve().parents[3] / "scripts" / "gen_schema.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check", "--xml", str(xml)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""``gotrs modules scaffold <table>``: a starter module spec for an existing table.

The spec is written from the table's reflected columns: types from the column types, foreign keys as lookups
(displayed by the referenced table's ``name`` column when it has one), audit columns shown in lists but kept out of
forms, ``valid_id`` as a Valid/Invalid select with soft delete.  The result validates as a ``ModuleSpec``; an admin
edits labels and screens from there.

Example::

    text = scaffold_module(engine, "salutation")
    Path("modules/salutation.yaml").write_text(text)
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    Time,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.types import TypeEngine

AUDIT_COLUMNS = ("create_time", "create_by", "change_time", "change_by")
VALID_OPTIONS = [
    {"value": 1, "label": "@admin.statuses.valid|Valid"},
    {"value": 2, "label": "@admin.statuses.invalid|Invalid"},
    {"value": 3, "label": "@admin.statuses.invalid_temporarily|Invalid temporarily"},
]


class ScaffoldError(ValueError):
    """The table cannot be scaffolded (it does not exist, or has no primary key)."""


def scaffold_module(engine: Engine, table_name: str) -> str:
    """Return the YAML text of a starter module for ``table_name``."""
    if not inspect(engine).has_table(table_name):
        names = sorted(inspect(engine).get_table_names())
        close = [n for n in names if table_name in n or n in table_name][:3]
        hint = f"; did you mean {', '.join(repr(n) for n in close)}?" if close else ""
        raise ScaffoldError(f"table '{table_name}' does not exist{hint}")
    table = Table(table_name, MetaData(), autoload_with=engine)
    primary = list(table.primary_key.columns)
    if len(primary) != 1:
        raise ScaffoldError(f"table '{table_name}' needs a single-column primary key to be a module")
    spec = _module_spec(table, primary[0].name)
    return yaml.safe_dump(_plain(spec), sort_keys=False, allow_unicode=True, width=120)


def _module_spec(table: Table, primary_key: str) -> dict[str, Any]:
    name = re.sub(r"[^a-z0-9_]", "_", table.name.lower())
    title = name.replace("_", " ").title()
    info: dict[str, Any] = {"name": name, "singular": title, "plural": _plural(title), "table": table.name}
    if primary_key != "id":
        info["primary_key"] = primary_key
    info["route_prefix"] = "/admin/" + name.replace("_", "-")
    fields = [_field(table, column, primary_key) for column in table.columns]
    has_valid = "valid_id" in table.c
    spec: dict[str, Any] = {"module": info, "fields": fields}
    spec["features"] = {
        "search": True,
        "export_csv": True,
        "import_csv": True,
        "soft_delete": has_valid,
        "status_toggle": has_valid,
    }
    spec["permissions"] = ["view", "create", "update", "delete", "export", "import"]
    unique = {c.name for c in table.columns if c.unique and not c.primary_key}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and len(constraint.columns) == 1:
            unique.add(next(iter(constraint.columns)).name)
    for index in table.indexes:
        if index.unique and len(index.columns) == 1:
            unique.add(next(iter(index.columns)).name)
    spec["validation"] = {"unique_fields": sorted(unique)}
    return spec


def _field(table: Table, column: Any, primary_key: str) -> dict[str, Any]:
    field: dict[str, Any] = {"name": column.name, "type": _field_type(column.type), "label": _label(column.name)}
    is_pk = column.name == primary_key
    is_audit = column.name in AUDIT_COLUMNS
    auto_pk = is_pk and isinstance(column.type, Integer)
    field["required"] = not column.nullable and column.server_default is None and not auto_pk and not is_audit
    field["show_in_list"] = not isinstance(column.type, Text) and column.name not in ("create_by", "change_by")
    field["show_in_form"] = not auto_pk and not is_audit
    field["sortable"] = field["show_in_list"]
    if field["type"] in ("string", "email"):
        field["searchable"] = True
        length = getattr(column.type, "length", None)
        if length:
            field["max_length"] = length
    if column.name == "valid_id":
        field.update(type="select", options=VALID_OPTIONS, default=1, filterable=True)
    foreign = next(iter(column.foreign_keys), None)
    if foreign is not None and column.name not in AUDIT_COLUMNS and column.name != "valid_id":
        target = foreign.column.table
        display = "name" if "name" in target.c else foreign.column.name
        field.update(lookup_table=target.name, lookup_key=foreign.column.name, lookup_display=display, filterable=True)
    return field


def _plain(value: Any) -> Any:
    """Plain builtins for the YAML dumper (SQLAlchemy names are ``quoted_name``, a str subclass it refuses)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def _field_type(column_type: TypeEngine[Any]) -> str:
    for kind, name in (
        (Boolean, "bool"),
        (DateTime, "datetime"),
        (Date, "date"),
        (Time, "time"),
        (Integer, "int"),
        (Numeric, "decimal"),
        (Text, "textarea"),
    ):
        if isinstance(column_type, kind):
            return name
    return "string"


def _label(column: str) -> str:
    words = column.removesuffix("_id").replace("_", " ")
    return words[:1].upper() + words[1:]


def _plural(word: str) -> str:
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy")):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")

"""The ``item`` a lambda reads: a row as plain JSON, without passwords, binary values or other lambdas' results."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table

from goatkit.engine.computed import item_of
from goatkit.engine.model import ResolvedField, ResolvedModule
from goatkit.lambdas.sandbox import Outcome
from goatkit.specs.module import ModuleSpec


def test_a_row_becomes_plain_json_without_secrets() -> None:
    table = Table("gadget", MetaData(), Column("id", Integer, primary_key=True), Column("name", String(20)),
                  Column("pw", String(128)))  # fmt: skip
    spec = ModuleSpec.model_validate({
        "module": {"name": "gadget", "singular": "Gadget", "plural": "Gadgets", "table": "gadget"},
        "fields": [{"name": "id", "type": "int"}, {"name": "name", "type": "string"},
                   {"name": "pw", "type": "password"}],
    })  # fmt: skip
    fields = tuple(ResolvedField(f, table.c[f.name], None) for f in spec.fields)
    module = ResolvedModule(spec, Path("gadget.yaml"), table, table.c.id, fields)
    row = {
        "id": 7, "name": "Ada", "pw": "$argon2id$secret", "ok": True, "none": None, "ratio": 0.5,
        "day": date(2026, 1, 2), "at": datetime(2026, 1, 2, 9, 30), "clock": time(8, 15), "price": Decimal("12.50"),
        "blob": b"\x00\x01", "age": Outcome(value="3 days"),
    }  # fmt: skip
    assert item_of(module, row) == {
        "id": 7, "name": "Ada", "ok": True, "none": None, "ratio": 0.5, "day": "2026-01-02",
        "at": "2026-01-02T09:30:00", "clock": "08:15:00", "price": 12.5,
    }  # fmt: skip

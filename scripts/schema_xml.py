"""The OTRS schema XML as data: the table, column, index and foreign-key model, and the parser.

Used by ``scripts/gen_schema.py`` (run it from the repository root); kept apart so the generator reads as
"parse, amend, check, render".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

RENAMED_TABLES = {"groups": "permission_groups"}


# --- the model ---------------------------------------------------------------------------------------------------


@dataclass
class ColumnSpec:
    name: str
    type: str
    size: str | None = None
    required: bool = True
    primary_key: bool = False
    auto_increment: bool = False
    default: str | None = None
    note: str = ""


@dataclass
class IndexSpec:
    name: str
    columns: list[str]
    unique: bool = False
    lengths: dict[str, int] = field(default_factory=dict)
    note: str = ""


@dataclass
class ForeignKeySpec:
    column: str
    referred_table: str
    use_alter: bool = False
    note: str = ""


@dataclass
class TableSpec:
    name: str
    columns: list[ColumnSpec]
    indexes: list[IndexSpec] = field(default_factory=list)
    foreign_keys: list[ForeignKeySpec] = field(default_factory=list)
    note: str = ""

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise SystemExit(f"table {self.name} has no column {name}")

    def foreign_key(self, column: str) -> ForeignKeySpec | None:
        found = [fk for fk in self.foreign_keys if fk.column == column]
        if len(found) > 1:
            raise SystemExit(f"{self.name}.{column} has {len(found)} foreign keys; the generator expects at most one")
        return found[0] if found else None


# --- reading the XML ---------------------------------------------------------------------------------------------


def parse_schema(path: Path) -> list[TableSpec]:
    root = ET.parse(path).getroot()
    return [_parse_table(element) for element in root.iter("Table")]


def _parse_table(element: ET.Element) -> TableSpec:
    name = RENAMED_TABLES.get(element.attrib["Name"], element.attrib["Name"])
    spec = TableSpec(name=name, columns=[])
    for child in element:
        if child.tag == "Column":
            spec.columns.append(_parse_column(child))
        elif child.tag in ("Unique", "Index"):
            item = "UniqueColumn" if child.tag == "Unique" else "IndexColumn"
            columns = [c.attrib["Name"] for c in child.iter(item)]
            lengths = {c.attrib["Name"]: int(c.attrib["Size"]) for c in child.iter(item) if "Size" in c.attrib}
            spec.indexes.append(IndexSpec(child.attrib["Name"], columns, child.tag == "Unique", lengths))
        elif child.tag == "ForeignKey":
            referred = RENAMED_TABLES.get(child.attrib["ForeignTable"], child.attrib["ForeignTable"])
            for reference in child.iter("Reference"):
                if reference.attrib["Foreign"] != "id":
                    raise SystemExit(f"{name}: a foreign key refers to {referred}.{reference.attrib['Foreign']}")
                spec.foreign_keys.append(ForeignKeySpec(reference.attrib["Local"], referred))
    return spec


def _parse_column(element: ET.Element) -> ColumnSpec:
    attrib = element.attrib
    return ColumnSpec(
        name=attrib["Name"],
        type=attrib["Type"],
        size=attrib.get("Size"),
        # Anything but "true" is optional, as in OTRS's drivers (the XML even has Required="fasle").
        required=attrib.get("Required") == "true",
        primary_key=attrib.get("PrimaryKey") == "true",
        auto_increment=attrib.get("AutoIncrement") == "true",
        default=attrib.get("Default"),
    )

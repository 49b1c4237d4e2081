"""What the engine knows about a loaded module: the spec, the database table and each field resolved against it.

A :class:`ResolvedModule` is immutable and complete: the registry builds one only when the spec is valid and every
column it names exists, so the layers above never meet a half-known module.

Example::

    module = registry.get("priority")
    module.table.name                      # 'priorities'
    module.field_named("name").column.name # 'name'
    [f.name for f in module.sortable]      # ['id', 'name']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Index, Table, UniqueConstraint

from goatkit.lambdas.programs import ModuleLambdas
from goatkit.specs.module import FieldSpec, ModuleSpec

if TYPE_CHECKING:
    from goatkit.engine.relation import Relation

#: Field types grouped by the value they hold; the spec's aliases collapse here.
INTEGER_TYPES = frozenset({"int", "integer", "range"})
DECIMAL_TYPES = frozenset({"decimal", "float", "number"})
BOOLEAN_TYPES = frozenset({"bool", "boolean", "checkbox"})
DATE_TYPES = frozenset({"date"})
DATETIME_TYPES = frozenset({"datetime"})
TIME_TYPES = frozenset({"time"})
MULTI_TYPES = frozenset({"multiselect", "files"})


@dataclass(frozen=True)
class Lookup:
    """A foreign key shown by a display column of another table (``lookup_table/key/display/condition``)."""

    table: Table
    key: Column  # type: ignore[type-arg]
    display: Column  # type: ignore[type-arg]
    condition: str = ""  # raw spec text; the query layer only accepts the forms it can bind safely


@dataclass(frozen=True)
class ResolvedField:
    """One spec field and the column that stores it (``None`` for ``virtual`` fields)."""

    spec: FieldSpec
    column: Column | None  # type: ignore[type-arg]
    lookup: Lookup | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        """The value family: ``int``, ``decimal``, ``bool``, ``date``, ``datetime``, ``time``, ``multi``, ``str``."""
        t = self.spec.type
        for family, types in (
            ("int", INTEGER_TYPES),
            ("decimal", DECIMAL_TYPES),
            ("bool", BOOLEAN_TYPES),
            ("date", DATE_TYPES),
            ("datetime", DATETIME_TYPES),
            ("time", TIME_TYPES),
            ("multi", MULTI_TYPES),
        ):
            if t in types:
                return family
        return "str"


@dataclass(frozen=True)
class ResolvedModule:
    """A module ready to serve: its spec, source file, table, primary key and resolved fields in spec order.

    A relation module (``relation:`` in the spec, ``relation.py``) has ``relation`` set, usually no fields, and the
    relation table's left column as ``primary_key`` (relation tables such as ``group_user`` have none).
    """

    spec: ModuleSpec
    source: Path
    table: Table
    primary_key: Column  # type: ignore[type-arg]
    fields: tuple[ResolvedField, ...]
    by_name: dict[str, ResolvedField] = field(default_factory=dict, compare=False)
    #: Filters with their own ``lookup_table`` (their options come from it), by field name.
    filter_lookups: dict[str, Lookup] = field(default_factory=dict, compare=False)
    relation: Relation | None = None
    #: The module's lambdas (computed fields, validators, defaults, rules, row style), checked when it loaded.
    lambdas: ModuleLambdas = field(default_factory=ModuleLambdas, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({f.name: f for f in self.fields})

    @property
    def name(self) -> str:
        return self.spec.module.name

    def field_named(self, name: str) -> ResolvedField:
        return self.by_name[name]

    @cached_property
    def stored(self) -> tuple[ResolvedField, ...]:
        """Fields with a column (not ``virtual``)."""
        return tuple(f for f in self.fields if f.column is not None)

    @cached_property
    def sortable(self) -> tuple[ResolvedField, ...]:
        return tuple(f for f in self.stored if f.spec.sortable)

    @cached_property
    def searchable(self) -> tuple[ResolvedField, ...]:
        return tuple(f for f in self.stored if f.spec.searchable)

    @cached_property
    def filterable(self) -> tuple[ResolvedField, ...]:
        declared = {flt.field for flt in self.spec.filters}
        return tuple(f for f in self.stored if f.spec.filterable or f.name in declared)

    @cached_property
    def grouped(self) -> bool:
        """Whether the key is not unique in the table (OTRS's ``postmaster_filter.f_name``): a record is then every
        row sharing the key, and lists read the distinct values of the fields shown somewhere (list, form, detail)."""
        key = self.primary_key
        if key.primary_key:
            return False
        sets = [[c.name for c in u.columns] for u in self.table.constraints if isinstance(u, UniqueConstraint)]
        sets += [[c.name for c in i.columns] for i in self.table.indexes if isinstance(i, Index) and i.unique]
        return [key.name] not in sets

    @property
    def soft_delete(self) -> bool:
        return bool(self.spec.features.get("soft_delete")) and "valid_id" in self.table.c

"""Resolving validated module specs against the database: every table and column a spec names must exist.

A spec that passed pydantic can still name a table or a column the database lacks.  Such a module is refused with a
:class:`~goatkit.yamlfile.Problem` naming the file, line, key, the missing table or column and the closest existing
name, never with a crash at the first request.  :func:`reflect_tables` reads every table the specs of one load need
in one batched reflection; :func:`resolve_module` then checks one spec against those tables.

Example::

    with engine.connect() as conn:
        tables = reflect_tables(conn, {"priorities"})
    module, problems = resolve_module(spec, doc, tables)
    # problems: [Problem('modules/p.yaml', 7, 'fields.2.name',
    #            "column 'colour' does not exist in table 'priorities'; did you mean 'color'?")]
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Column, MetaData, Table, inspect
from sqlalchemy.engine import Connection

from goatkit.engine.conditions import ConditionError, parse_condition
from goatkit.engine.hooks import registered as registered_hooks
from goatkit.engine.model import Lookup, ResolvedField, ResolvedModule
from goatkit.engine.relation import ASSIGNED, Relation, Side
from goatkit.engine.relation import AUDIT_COLUMNS as GRANT_AUDIT_COLUMNS
from goatkit.specs.module import FieldSpec, ModuleSpec, RelationSide
from goatkit.yamlfile import Document, KeyPath, Problem

#: Lookup columns when the spec leaves them out (the OTRS convention: ``id`` and ``name``).
DEFAULT_LOOKUP_KEY = "id"
DEFAULT_LOOKUP_DISPLAY = "name"
#: Columns :func:`goatkit.engine.writes.insert_row` fills on every insert, whatever the spec says.
AUDIT_COLUMNS = frozenset({"create_time", "create_by", "change_time", "change_by"})


@dataclass(frozen=True)
class Tables:
    """The tables reflected for one load, and the names of every table of the database (for suggestions)."""

    by_name: Mapping[str, Table]
    known: tuple[str, ...]

    def get(self, name: str) -> Table | None:
        return self.by_name.get(name)


def tables_named(spec: ModuleSpec) -> set[str]:
    """Every table ``spec`` reads: its own and those of its lookups."""
    names = {spec.module.table}
    names.update(f.lookup_table for f in spec.fields if f.lookup_table)
    names.update(f.lookup_table for f in spec.filters if f.lookup_table)
    if spec.relation is not None:
        names.update((spec.relation.left.table, spec.relation.right.table))
    return names


def reflect_tables(conn: Connection, names: Iterable[str]) -> Tables:
    """Reflect the existing tables (and views) among ``names`` at once; missing ones are simply absent."""
    inspector = inspect(conn)
    known = tuple(sorted({*inspector.get_table_names(), *inspector.get_view_names()}))
    wanted = sorted(set(names) & set(known))
    metadata = MetaData()
    if wanted:
        # resolve_fks=False: a module needs its own columns, not the whole graph of tables its keys point at.
        metadata.reflect(conn, only=wanted, views=True, resolve_fks=False)
    return Tables(by_name=dict(metadata.tables), known=known)


def resolve_module(spec: ModuleSpec, doc: Document, tables: Tables) -> tuple[ResolvedModule | None, list[Problem]]:
    """Bind ``spec`` to its table; return the module, or ``None`` and a problem for each missing table or column."""
    checker = _Checker(doc, tables)
    table = checker.table(spec.module.table, ("module", "table"))
    if table is None:
        return None, checker.problems
    if spec.relation is not None:
        return resolve_relation(spec, doc, table, checker)
    primary_key = checker.column(table, spec.module.primary_key, ("module", "primary_key"))
    fields = []
    for index, field_spec in enumerate(spec.fields):
        column = None
        if not field_spec.virtual:
            key = "db_column" if field_spec.db_column else "name"
            column = checker.column(table, field_spec.db_column or field_spec.name, ("fields", index, key))
        lookup = None
        if field_spec.lookup_table:
            lookup = checker.lookup(
                field_spec.lookup_table,
                field_spec.lookup_key,
                field_spec.lookup_display,
                ("fields", index),
                condition=field_spec.lookup_condition,
            )
        fields.append(ResolvedField(spec=field_spec, column=column, lookup=lookup))
    filter_lookups = checker.filters(spec)
    checker.computed_reads(spec)
    checker.hooks(spec)
    checker.not_null_columns(spec, table, fields)
    if checker.problems or primary_key is None:
        return None, checker.problems
    module = ResolvedModule(spec=spec, source=doc.path, table=table, primary_key=primary_key, fields=tuple(fields))
    module.filter_lookups.update(filter_lookups)
    return module, []


class _Checker:
    """Looks names up in the reflected tables and records a problem, with a suggestion, for each one missing."""

    def __init__(self, doc: Document, tables: Tables) -> None:
        self.doc = doc
        self.tables = tables
        self.problems: list[Problem] = []

    def hooks(self, spec: ModuleSpec) -> None:
        known = sorted(registered_hooks())
        for index, name in enumerate(spec.hooks):
            if name not in known:
                choices = ", ".join(known) or "none are registered"
                self._problem(("hooks", index), f"no hook named '{name}' is registered (known: {choices})")

    def table(self, name: str, where: KeyPath) -> Table | None:
        table = self.tables.get(name)
        if table is None:
            self._problem(where, f"table '{name}' does not exist" + _did_you_mean(name, self.tables.known))
        return table

    def column(self, table: Table, name: str, where: KeyPath) -> Column | None:  # type: ignore[type-arg]
        if name in table.c:
            return table.c[name]
        message = f"column '{name}' does not exist in table '{table.name}'"
        self._problem(where, message + _did_you_mean(name, list(table.c.keys())))
        return None

    def lookup(self, table_name: str, key: str, display: str, where: KeyPath, condition: str = "") -> Lookup | None:
        table = self.table(table_name, (*where, "lookup_table"))
        if table is None:
            return None
        key_column = self.column(table, key or DEFAULT_LOOKUP_KEY, (*where, "lookup_key"))
        display_column = self.column(table, display or DEFAULT_LOOKUP_DISPLAY, (*where, "lookup_display"))
        if key_column is None or display_column is None:
            return None
        if condition:
            try:
                parse_condition(table, condition)
            except ConditionError as exc:
                self._problem((*where, "lookup_condition"), str(exc))
                return None
        return Lookup(table=table, key=key_column, display=display_column, condition=condition)

    def filters(self, spec: ModuleSpec) -> dict[str, Lookup]:
        """Check each filter's field and lookup; return the lookups that give filters their options, by field."""
        names = [f.name for f in spec.fields]
        lookups: dict[str, Lookup] = {}
        for index, flt in enumerate(spec.filters):
            if flt.field not in names:
                message = f"unknown field '{flt.field}'" + _did_you_mean(flt.field, names)
                self._problem(("filters", index, "field"), message)
            if flt.lookup_table:
                found = self.lookup(flt.lookup_table, flt.lookup_key, flt.lookup_display, ("filters", index))
                if found is not None:
                    lookups[flt.field] = found
        return lookups

    def computed_reads(self, spec: ModuleSpec) -> None:
        """Each name a computed field ``reads`` must be a field of the module."""
        names = [f.name for f in spec.fields]
        for index, computed in enumerate(spec.computed_fields):
            for position, name in enumerate(computed.reads):
                if name not in names:
                    message = f"unknown field '{name}'" + _did_you_mean(name, names)
                    self._problem(("computed_fields", index, "reads", position), message)

    def not_null_columns(self, spec: ModuleSpec, table: Table, fields: list[ResolvedField]) -> None:
        """Refuse a NOT NULL column without a server default that a create could leave empty.

        A field covers its column when a request may write it (shown in the form, not read-only), or it is
        required, or it has a spec ``default``.  The autoincrement key and the audit columns are filled anyway.
        A module that offers no ``create`` (``permissions`` without it) never inserts, so it is not held to this.
        """
        if _offers_no_create(spec):
            return
        required = set(spec.validation.required_fields)
        for column in table.c:
            if column.nullable or column.server_default is not None or column.default is not None:
                continue
            if column.name in AUDIT_COLUMNS or column is table.autoincrement_column:
                continue
            indexes = [i for i, f in enumerate(fields) if f.column is not None and f.column.name == column.name]
            if any(_fills(fields[i].spec, required) for i in indexes):
                continue
            where: KeyPath = ("fields", indexes[0]) if indexes else ("module", "table")
            self._problem(
                where,
                f"column '{column.name}' of table '{table.name}' is NOT NULL without a default: "
                "add a field for it (required, or with a default)",
            )

    def _problem(self, where: KeyPath, message: str) -> None:
        key = ".".join(str(part) for part in where)
        self.problems.append(Problem(str(self.doc.path), self.doc.line_of(where), key, message))


def _fills(field: FieldSpec, required: set[str]) -> bool:
    """Whether every create gives ``field`` a value: a request may write it, it is required, or it has a default."""
    writable = field.show_in_form and not field.readonly
    return writable or field.required or field.name in required or field.default is not None


def resolve_relation(
    spec: ModuleSpec, doc: Document, table: Table, checker: _Checker
) -> tuple[ResolvedModule | None, list[Problem]]:
    """Bind a ``relation:`` spec (``relation.py``): both sides, the link columns, the permission and fixed columns."""
    rel = spec.relation
    assert rel is not None
    at: KeyPath = ("relation",)
    left = _relation_side(checker, table, "left", rel.left, rel.columns.left)
    right = _relation_side(checker, table, "right", rel.right, rel.columns.right)
    perms = rel.permissions
    key_column = value_column = None
    if perms is not None:
        key_column = checker.column(table, perms.column, (*at, "permissions", "column"))
        if perms.value_column:
            value_column = checker.column(table, perms.value_column, (*at, "permissions", "value_column"))
        if perms.implied_by and perms.implied_by not in perms.keys:
            checker._problem((*at, "permissions", "implied_by"), f"'{perms.implied_by}' is not one of the keys")
    fixed = [(checker.column(table, name, (*at, "fixed", name)), value) for name, value in rel.fixed.items()]
    one_per = [
        (checker.column(right.table, c.one_per, (*at, "constraints", i, "one_per")) if right else None, c.message)
        for i, c in enumerate(rel.constraints)
    ]
    if checker.problems or left is None or right is None:
        return None, checker.problems
    relation = Relation(
        table,
        left,
        right,
        key_column=key_column,
        keys=tuple(perms.keys) if perms else (ASSIGNED,),
        value_column=value_column,
        implied_by=perms.implied_by if perms else "",
        fixed=tuple((c, v) for c, v in fixed if c is not None),
        one_per=tuple((c, m) for c, m in one_per if c is not None),
    )
    _relation_not_null(checker, relation)
    if checker.problems:
        return None, checker.problems
    return ResolvedModule(spec, doc.path, table, left.link, fields=(), relation=relation), []


def _relation_side(checker: _Checker, table: Table, name: str, side: RelationSide, link: str) -> Side | None:
    at: KeyPath = ("relation", name)
    link_column = checker.column(table, link, ("relation", "columns", name))
    side_table = checker.table(side.table, (*at, "table"))
    if side_table is None or link_column is None:
        return None
    key = checker.column(side_table, side.key, (*at, "key"))
    display = checker.column(side_table, side.display, (*at, "display"))
    search = [checker.column(side_table, c, (*at, "search", i)) for i, c in enumerate(side.search)]
    if side.condition:
        try:
            parse_condition(side_table, side.condition)
        except ConditionError as exc:
            checker._problem((*at, "condition"), str(exc))
    if key is None or display is None or any(c is None for c in search):
        return None
    return Side(
        name=name,
        table=side_table,
        key=key,
        display=display,
        link=link_column,
        label=side.label or side.table,
        plural=side.plural or side.label or side.table,
        condition=side.condition,
        search=tuple(c for c in search if c is not None),
        extra=tuple((item.key, item.label) for item in side.extra_items),
    )


def _relation_not_null(checker: _Checker, relation: Relation) -> None:
    """Refuse a NOT NULL column without default that a grant would leave empty (e.g. a missing ``fixed`` value)."""
    filled = {relation.left.link.name, relation.right.link.name, *GRANT_AUDIT_COLUMNS}
    filled |= {c.name for c in (relation.key_column, relation.value_column) if c is not None}
    filled |= {c.name for c, _v in relation.fixed}
    table = relation.table
    for column in table.c:
        if column.nullable or column.server_default is not None or column.default is not None:
            continue
        if column.name in filled or column is table.autoincrement_column:
            continue
        checker._problem(
            ("relation", "fixed"),
            f"column '{column.name}' of table '{table.name}' is NOT NULL without a default: give it a fixed value",
        )


def _offers_no_create(spec: ModuleSpec) -> bool:
    permissions = spec.permissions
    if "permissions" not in spec.model_fields_set:
        return False
    if isinstance(permissions, dict):
        return permissions.get("create", False) is False
    return "create" not in permissions


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""

"""Lookups: the display values of foreign keys on a page, and the choices of a lookup's dropdown or filter.

Display values cost one ``IN`` query per lookup column for a whole page (the list statement joins the lookups it
can, see :func:`query.list_page`, and these are then free).  Choices are read with the lookup's condition (the
spec's ``lookup_condition``, else ``valid_id = 1``).

Example::

    add_lookup_displays(conn, module, rows)     # rows[i]["queue_id_display"] == "Raw"
    lookup_options(conn, module.field_named("queue_id"))   # [(1, "Junk"), (2, "Misc"), ...]
"""

from __future__ import annotations

import weakref
from collections.abc import Collection
from time import monotonic
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, String, cast, func, or_, select, true
from sqlalchemy.engine import Engine

from goatkit.engine.conditions import ConditionError, parse_condition
from goatkit.engine.errors import QueryError
from goatkit.engine.model import Lookup, ResolvedField, ResolvedModule

VALID, INVALID = 1, 2
Col = ColumnElement[Any]


def add_lookup_displays(
    conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]], only: Collection[str] | None = None
) -> None:
    """Add ``<field>_display`` to each row: one ``WHERE key IN (...)`` query per lookup field, none per row.

    Lookups the list statement already joined (their ``_display`` is in the rows) cost nothing here.  ``only``:
    the fields whose displays are wanted (a page shows a few columns); ``None``: every lookup field.
    """
    if not rows:
        return
    for rf in module.stored:
        lookup = rf.lookup
        if lookup is None or rf.name + "_display" in rows[0] or (only is not None and rf.name not in only):
            continue
        keys = sorted({row[rf.name] for row in rows if row.get(rf.name) is not None}, key=str)
        names: dict[Any, Any] = {}
        if keys:
            stmt = select(lookup.key, lookup.display).where(lookup.key.in_(keys))
            names = {k: d for k, d in conn.execute(stmt)}
        for row in rows:
            row[rf.name + "_display"] = names.get(row.get(rf.name))


def lookup_condition(lookup: Lookup) -> Col:
    """The lookup's ``condition`` as SQL: the spec's text (see :mod:`conditions`), else ``valid_id = 1`` if present."""
    if lookup.condition.strip():
        try:
            return parse_condition(lookup.table, lookup.condition)
        except ConditionError as error:
            raise QueryError(str(error)) from error
    return lookup.table.c.valid_id == VALID if "valid_id" in lookup.table.c else true()


def cached_lookup_options(conn: Connection, rf: ResolvedField, lookup: Lookup | None = None) -> list[tuple[str, str]]:
    """:func:`lookup_options` as text pairs, remembered for :data:`CHOICES_SECONDS` per engine: list filters on
    every page (the same list object is handed out while it lasts, so what is derived from it can be memoised).

    A write through the engine to the lookup's table forgets them at once in this process (:func:`forget_choices`);
    other processes see a change within the same few seconds.  Forms keep reading the table each time.
    """
    lookup = lookup or rf.lookup
    if lookup is None:
        raise QueryError(f"Field '{rf.name}' has no lookup.")
    key = (lookup.table.name, lookup.key.name, lookup.display.name, lookup.condition)
    choices = _CHOICES.setdefault(conn.engine, {})
    now = monotonic()
    hit = choices.get(key)
    if hit is not None and hit[1] > now:
        return hit[0]
    stmt = select(lookup.key, lookup.display).where(lookup_condition(lookup)).order_by(lookup.display, lookup.key)
    options = [(str(value), str(display)) for value, display in conn.execute(stmt)]
    choices[key] = (options, now + CHOICES_SECONDS)
    return options


def forget_choices(conn: Connection, table_name: str) -> None:
    """Drop the remembered options read from ``table_name`` (called by every engine write to that table)."""
    choices = _CHOICES.get(conn.engine)
    if choices:
        for key in [key for key in choices if key[0] == table_name]:
            choices.pop(key, None)


#: How long filter options are reused (per process and engine).
CHOICES_SECONDS = 5.0
_CHOICES: weakref.WeakKeyDictionary[Engine, dict[tuple[str, ...], tuple[list[tuple[str, str]], float]]] = (
    weakref.WeakKeyDictionary()
)


def lookup_options(conn: Connection, rf: ResolvedField) -> list[tuple[Any, Any]]:
    """``(key, display)`` pairs for a lookup field's dropdown, ordered by display value."""
    lookup = rf.lookup
    if lookup is None:
        raise QueryError(f"Field '{rf.name}' has no lookup.")
    stmt = select(lookup.key, lookup.display).where(lookup_condition(lookup)).order_by(lookup.display, lookup.key)
    return [(k, d) for k, d in conn.execute(stmt)]


def distinct_values(conn: Connection, rf: ResolvedField, *, limit: int = 200) -> list[Any]:
    """Up to ``limit`` distinct non-NULL values of a stored field, sorted (``source: database`` filter options)."""
    col = rf.column
    if col is None:
        raise QueryError(f"Field '{rf.name}' is not stored.")
    stmt = select(col).where(col.is_not(None)).distinct().order_by(col).limit(limit)
    return [value for (value,) in conn.execute(stmt)]


#: Above this many choices a lookup's form control is a typeahead (a search) instead of a dropdown.
TYPEAHEAD_OVER = 200
#: How many matches a typeahead search answers.
SEARCH_LIMIT = 20


def capped_options(conn: Connection, rf: ResolvedField, limit: int = TYPEAHEAD_OVER) -> list[tuple[Any, Any]] | None:
    """:func:`lookup_options` when there are at most ``limit`` choices, else ``None`` (one query, ``LIMIT n+1``):
    a form never loads a million customers into a dropdown."""
    lookup = rf.lookup
    if lookup is None:
        raise QueryError(f"Field '{rf.name}' has no lookup.")
    stmt = select(lookup.key, lookup.display).where(lookup_condition(lookup)).order_by(lookup.display, lookup.key)
    options = [(k, d) for k, d in conn.execute(stmt.limit(limit + 1))]
    return None if len(options) > limit else options


def search_options(conn: Connection, lookup: Lookup, term: str, limit: int = SEARCH_LIMIT) -> list[tuple[Any, Any]]:
    """Up to ``limit`` choices whose display value contains ``term`` (any case), or whose key is ``term``.

    ``%`` and ``_`` in the term are matched literally.  Example::

        search_options(conn, field.lookup, "jun")      # [(3, "Junk")]
    """
    stmt = select(lookup.key, lookup.display).where(lookup_condition(lookup))
    term = term.strip()[:100]
    if term:
        escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        match = func.lower(cast(lookup.display, String)).like(f"%{escaped}%", escape="\\")
        key = _typed_key(lookup, term)
        stmt = stmt.where(or_(match, lookup.key == key) if key is not None else match)
    stmt = stmt.order_by(lookup.display, lookup.key).limit(limit)
    return [(k, d) for k, d in conn.execute(stmt)]


def display_of(conn: Connection, lookup: Lookup, key: Any) -> Any:
    """The display value of one key (``None`` when there is no such row): one primary-key lookup."""
    typed = _typed_key(lookup, str(key))
    if typed is None:
        return None
    return conn.execute(select(lookup.display).where(lookup.key == typed)).scalar()


def _typed_key(lookup: Lookup, text: str) -> Any:
    """``text`` as a value of the lookup's key column, or ``None`` when it cannot be one (``"abc"`` for an integer)."""
    if isinstance(lookup.key.type, Integer):
        try:
            return int(text)
        except ValueError:
            return None
    return text

"""Lookup values on write: a key must name a row of the lookup table, and a newly chosen one must be choosable.

A key without a row is refused unless the field says ``lookup_strict: false`` (OTRS's free-text
``customer_user.customer_id`` may name a company that has no record).

A form offers only the rows the lookup's condition allows (``valid_id = 1`` by default), but the JSON API, CSV
import and a stale form can send anything.  Without this check a missing key reaches the database as a foreign-key
error (a generic 409) and an invalid row is silently accepted.  A value the record already holds stays acceptable
even if its row has since become invalid: editing another field must not fail because of it.

One query per lookup field that changes, none per row of anything.

Example::

    check_references(conn, module, {"queue_id": 999}, old=None)   # {"queue_id": ["999 does not exist."]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, case, literal, select

from goatkit.engine.forms import FormErrors
from goatkit.engine.lookups import lookup_condition
from goatkit.engine.model import ResolvedField, ResolvedModule


def check_references(
    conn: Connection, module: ResolvedModule, values: Mapping[str, Any], old: Mapping[str, Any] | None = None
) -> FormErrors:
    """Errors of the lookup fields in ``values`` whose keys do not exist or may not be chosen (see module doc)."""
    errors: FormErrors = {}
    for rf in module.stored:
        if rf.lookup is None or rf.name not in values:
            continue
        keys = _keys(rf, values[rf.name])
        if old is not None:
            keys -= _keys(rf, old.get(rf.name))
        if keys:
            problems = _problems(conn, rf, keys)
            if problems:
                errors[rf.name] = problems
    return errors


def _keys(rf: ResolvedField, value: Any) -> set[Any]:
    if value is None or value == "":
        return set()
    if rf.kind == "multi":
        items = value if isinstance(value, list | tuple | set) else str(value).split(",")
        return {item.strip() if isinstance(item, str) else item for item in items if str(item).strip()}
    return {value}


def _problems(conn: Connection, rf: ResolvedField, keys: set[Any]) -> list[str]:
    lookup = rf.lookup
    assert lookup is not None
    allowed = case((lookup_condition(lookup), literal(1)), else_=literal(0))
    found = {str(key): (display, ok) for key, display, ok in conn.execute(
        select(lookup.key, lookup.display, allowed).where(lookup.key.in_(sorted(keys, key=str)))
    )}  # fmt: skip
    problems = []
    for key in sorted(keys, key=str):
        if str(key) not in found:
            if rf.spec.lookup_strict:
                problems.append(f"{key} does not exist.")
        elif not found[str(key)][1]:
            problems.append(f"'{found[str(key)][0]}' cannot be chosen (it is invalid or excluded).")
    return problems

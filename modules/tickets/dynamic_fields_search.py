"""Searching tickets by dynamic field values, as OTRS's TicketSearch does with ``DynamicField_<Name>``.

A filter is a field, an operator and values: OTRS's operators ``Equals`` (any of the values), ``Like`` (``*`` is
the wildcard, ignoring case), ``GreaterThan``, ``GreaterThanEquals``, ``SmallerThan``, ``SmallerThanEquals`` and
``Empty`` (true: no value; false: some value).  :func:`gather` reads them from search parameters in these forms::

    {"DynamicField_Category": {"Equals": ["hw", "sw"]}}        # OTRS's (JSON)
    {"DynamicField_Category": "hw"}                            # Equals; a value with * means Like
    {"DynamicField_Due.GreaterThanEquals": "2024-03-01"}       # a query string's form of one operator

Each filter becomes ``ticket.id IN (SELECT object_id FROM dynamic_field_value WHERE field_id = :f AND <column>
<op> :v)``, which OTRS's indexes on (field_id, value_text | value_date | value_int) serve; an article field goes
through ``article.ticket_id``.  Filters on several fields (or several operators) all apply.

Example::

    filters = gather({"DynamicField_Category": "hw"})          # (DynamicFieldFilter(name='Category', ...),)
    select(ticket.c.id).where(*conditions(conn, filters))
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, Connection, and_, not_, select

from modules.db.schema import metadata
from modules.tickets.dynamic_fields import PREFIX, TEXT_SIZE, VALUE, FieldDef, clean, definitions, parse_moment
from modules.tickets.errors import TicketInvalid

T = metadata.tables
Op = Literal["Equals", "Like", "GreaterThan", "GreaterThanEquals", "SmallerThan", "SmallerThanEquals", "Empty"]
OPS: tuple[str, ...] = Op.__args__  # type: ignore[attr-defined]
MAX_VALUES = 1000
_NAME = re.compile(r"[A-Za-z0-9]+")
_COMPARE = {
    "GreaterThan": lambda c, v: c > v,
    "GreaterThanEquals": lambda c, v: c >= v,
    "SmallerThan": lambda c, v: c < v,
    "SmallerThanEquals": lambda c, v: c <= v,
}


class DynamicFieldFilter(BaseModel):
    """One condition on a dynamic field: ``values`` are text as given (``Equals``: any of them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    op: Op
    values: tuple[str, ...]


def _invalid(key: str, message: str) -> PydanticCustomError:
    return PydanticCustomError("search_invalid", f"{key}: {message}")


def gather(data: Mapping[str, Any]) -> tuple[DynamicFieldFilter, ...]:
    """The filters among the ``DynamicField_*`` keys of ``data``, sorted (a query compares equal however its keys
    came); empty values are no filter.  Raises ``PydanticCustomError`` ("<key>: <sentence>")."""
    found: list[DynamicFieldFilter] = []
    for key, raw in data.items():
        name, _dot, op = key.removeprefix(PREFIX).partition(".")
        if not _NAME.fullmatch(name):
            raise _invalid(key, "a dynamic field name has letters and digits only.")
        pairs = list(raw.items()) if isinstance(raw, Mapping) and not op else [(op or None, raw)]
        for given_op, value in pairs:
            found.extend(_filter(key, name, given_op, value))
    return tuple(sorted(found, key=lambda f: (f.name, f.op, f.values)))


def _filter(key: str, name: str, op: str | None, raw: Any) -> list[DynamicFieldFilter]:
    items = list(raw) if isinstance(raw, list | tuple) else [raw]
    if len(items) > MAX_VALUES:
        raise _invalid(key, f"give at most {MAX_VALUES} values.")
    values: list[str] = []
    for item in items:
        if item is None or item == "":
            continue
        text = str(int(item)) if isinstance(item, bool) else item
        if not isinstance(text, str | int | float) or len(str(text)) > TEXT_SIZE:
            raise _invalid(key, "give each value as text.")
        values.append(str(text).strip())
    if not values:
        return []
    if op is None:
        op = "Like" if len(values) == 1 and "*" in values[0] else "Equals"
    if op not in OPS:
        raise _invalid(key, f"unknown operator {op[:30]!r}; use one of {', '.join(OPS)}.")
    if op != "Equals" and len(values) > 1:
        raise _invalid(key, f"{op} takes one value.")
    return [DynamicFieldFilter(name=name, op=op, values=tuple(values))]  # type: ignore[arg-type]


def conditions(conn: Connection, filters: Sequence[DynamicFieldFilter]) -> list[ColumnElement[bool]]:
    """The filters as conditions on ``ticket`` (one read of the field definitions).  Raises ``SearchInvalid``."""
    from modules.tickets.search_query import SearchInvalid  # search_query imports this module

    if not filters:
        return []
    fields = definitions(conn)
    found: list[ColumnElement[bool]] = []
    for flt in filters:
        field = fields.get(flt.name)
        key = PREFIX + flt.name
        if field is None:
            raise SearchInvalid(key, f"there is no valid ticket or article dynamic field '{flt.name}'.")
        try:
            found.append(field_condition(field, flt))
        except TicketInvalid as bad:
            raise SearchInvalid(key, str(bad)) from None
    return found


def field_condition(field: FieldDef, flt: DynamicFieldFilter) -> ColumnElement[bool]:
    """One filter on ``field`` as a condition on ``ticket``; TicketInvalid for a value the field cannot hold."""
    column = VALUE.c[field.column]
    if flt.op == "Empty":
        truth = flt.values[0].lower() not in ("0", "false", "no", "")
        filled = and_(column.is_not(None), column != "") if field.column == "value_text" else column.is_not(None)
        return not_(_holding(field, filled)) if truth else _holding(field, filled)
    if flt.op == "Like":
        if field.column != "value_text":
            raise TicketInvalid(field.key, f"Like works on text values; {field.label} is a {field.field_type} field.")
        pattern = flt.values[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
        return _holding(field, column.ilike(pattern, escape="\\"))
    values = [_value(field, flt.op, text) for text in flt.values]
    if flt.op == "Equals":
        return _holding(field, column.in_(values) if len(values) > 1 else column == values[0])
    return _holding(field, _COMPARE[flt.op](column, values[0]))


def between(field: FieldDef, earliest: datetime | None, latest: datetime | None) -> ColumnElement[bool]:
    """Tickets whose Date or DateTime ``field`` holds a moment from ``earliest`` to ``latest`` (both included; None
    is open), as OTRS's TimePoint and TimeSlot searches; TicketInvalid for a field of another type."""
    if field.column != "value_date":
        raise TicketInvalid(
            field.key, f"A time condition needs a Date or DateTime field; {field.label} is a {field.field_type} field."
        )
    column = VALUE.c.value_date
    return _holding(field, and_(column.is_not(None), *within(column, earliest, latest)))


def within(column: Any, low: Any, high: Any) -> list[ColumnElement[bool]]:
    """``column >= low`` and ``column <= high``, each only when given (the ticket search's ranges use it too)."""
    return ([column >= low] if low is not None else []) + ([column <= high] if high is not None else [])


def _value(field: FieldDef, op: str, text: str) -> Any:
    """A search value in the field's column type (a date for a DateTime's upper bound means that whole day)."""
    if field.field_type == "Checkbox":
        return clean(field, text)
    if field.field_type in ("Date", "DateTime"):
        parsed = parse_moment(field, text, field.field_type == "Date")
        moment = parsed if isinstance(parsed, datetime) else datetime.combine(parsed, time())
        if field.field_type == "DateTime" and len(text) == 10 and op in ("SmallerThanEquals", "GreaterThan"):
            moment += timedelta(days=1, seconds=-1)
        return moment
    return text


def _holding(field: FieldDef, match: ColumnElement[bool]) -> ColumnElement[bool]:
    """Tickets with a value of ``field`` that matches (through their articles for an article field)."""
    ticket = T["ticket"]
    objects = select(VALUE.c.object_id).where(VALUE.c.field_id == field.id, match)
    if field.object_type == "Article":
        article = T["article"]
        return ticket.c.id.in_(select(article.c.ticket_id).where(article.c.id.in_(objects)))
    return ticket.c.id.in_(objects)

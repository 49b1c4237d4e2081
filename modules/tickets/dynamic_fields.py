"""Dynamic fields of tickets and articles: their definitions, typed values, validation, batched reads and writes.

Values live in ``dynamic_field_value`` exactly as OTRS stores them: ``object_id`` is the ticket id or the article
id (by the field's ``object_type``); Text, TextArea, Dropdown and Multiselect in ``value_text`` (a Multiselect one
row per chosen key), Checkbox in ``value_int`` (0 or 1), Date and DateTime in ``value_date`` (a Date at
00:00:00).  An empty value is no row at all (rows OTRS left with an empty text or NULL read as empty).

In Python a value is ``str`` (Text, TextArea, Dropdown), ``list[str]`` (Multiselect), ``int`` (Checkbox),
``date`` (Date), ``datetime`` (DateTime, naive UTC) or ``None`` (empty).  :func:`clean` turns what a form or API
client sent into that, checking the field's configuration as OTRS's ``ValueValidate`` and screens do: the
possible values, ``RegExList``, ``DateRestriction`` and ``YearsPeriod``.

Writing (:func:`apply_values`, used by ``TicketService.set_dynamic_fields``) compares with the stored values and
changes only what differs: one DELETE and one batched INSERT per action; for ticket fields a
``TicketDynamicFieldUpdate`` history row ``%%FieldName%%<name>%%Value%%<new>%%OldValue%%<old>`` (OTRS 6's
format and cutting rules, values as ``ReadableValueRender`` shows them) and the event
``TicketDynamicFieldUpdate_<name>``; for article fields the event ``ArticleDynamicFieldUpdate`` (OTRS 6 writes no
history for them).  A write that changes nothing writes nothing.

Example::

    fields = definitions(conn)                      # valid Ticket and Article fields, by name
    clean(fields["Category"], "hw")                 # 'hw' (or TicketInvalid naming DynamicField_Category)
    read_values(conn, [fields["Category"]], [7, 8]) # {7: {'Category': 'hw'}}: one statement for the page
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, and_, bindparam, delete, insert, or_, select

from modules.admin.dynamic_fields import from_yaml
from modules.db.schema import metadata
from modules.tickets.errors import TicketInvalid
from modules.tickets.events import bus

if TYPE_CHECKING:
    from modules.tickets.changes import Change
    from modules.tickets.reads import Ticket
    from modules.tickets.service import TicketService

T = metadata.tables
FIELD, VALUE = T["dynamic_field"], T["dynamic_field_value"]
TYPES = ("Text", "TextArea", "Checkbox", "Dropdown", "Multiselect", "Date", "DateTime")
OBJECTS = ("Ticket", "Article")
PREFIX = "DynamicField_"
TEXT_SIZE = 3800  # dynamic_field_value.value_text is VARCHAR(3800)
CHUNK = 1000
VALID = 1
Value = str | list[str] | int | date | datetime | None
_COLUMN = {"Checkbox": "value_int", "Date": "value_date", "DateTime": "value_date"}
_CONFIGS: dict[bytes, Mapping[str, Any]] = {}


@dataclass(frozen=True, eq=False)
class FieldDef:
    """A dynamic field as the ticket screens use it; ``config`` is its parsed OTRS configuration.  Two are equal
    when they are the same field (same id)."""

    id: int
    name: str
    label: str
    order: int
    field_type: str
    object_type: str
    config: Mapping[str, Any]
    valid: bool = True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldDef) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("dynamic_field", self.id))

    @property
    def key(self) -> str:
        """Its name in forms, the API and searches: ``DynamicField_<name>`` (OTRS's)."""
        return PREFIX + self.name

    @property
    def column(self) -> str:
        return _COLUMN.get(self.field_type, "value_text")

    @property
    def multiple(self) -> bool:
        return self.field_type == "Multiselect"

    @property
    def choices(self) -> dict[str, str]:
        values = self.config.get("PossibleValues")
        return {str(k): str(v) for k, v in values.items()} if isinstance(values, Mapping) else {}

    def readable(self, value: Value) -> str:
        """OTRS's ``ReadableValueRender`` (history): keys joined by ", ", a Date as its day, a DateTime in full."""
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(v for v in value if v)
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    def display(self, value: Value) -> str:
        """The value as a person reads it: labels of possible values, Yes/No, dates without seconds."""
        if value is None:
            return ""
        labels = self.choices
        if isinstance(value, list):
            return ", ".join(labels.get(v, v) for v in value)
        if self.field_type == "Checkbox":
            return "Yes" if value else "No"
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        return labels.get(str(value), str(value)) if labels else str(value)


def _config(raw: Any) -> Mapping[str, Any]:
    """The parsed configuration, reused while the stored YAML is the same (lists read it on every page)."""
    data = bytes(raw) if isinstance(raw, memoryview | bytearray | bytes) else str(raw or "").encode()
    found = _CONFIGS.get(data)
    if found is None:
        if len(_CONFIGS) > 1024:
            _CONFIGS.clear()
        found = _CONFIGS[data] = MappingProxyType(from_yaml(data))
    return found


def _definitions_query(*, valid_only: bool) -> Select[Any]:
    query = select(
        FIELD.c.id, FIELD.c.name, FIELD.c.label, FIELD.c.field_order, FIELD.c.field_type, FIELD.c.object_type
    ).add_columns(FIELD.c.config, FIELD.c.valid_id)
    query = query.where(FIELD.c.object_type.in_(OBJECTS), FIELD.c.field_type.in_(TYPES))
    if valid_only:
        query = query.where(FIELD.c.valid_id == VALID)
    return query.order_by(FIELD.c.field_order, FIELD.c.name)


_DEFINITIONS = {valid_only: _definitions_query(valid_only=valid_only) for valid_only in (True, False)}
"""Built once (the lists and the API read the definitions on every request)."""


def definitions(conn: Connection, *, valid_only: bool = True) -> dict[str, FieldDef]:
    """The Ticket and Article fields of the seven types, by name, in ``field_order``: one statement."""
    found = {row[1]: _definition(row) for row in conn.execute(_DEFINITIONS[valid_only])}
    bus.declare(*(f"TicketDynamicFieldUpdate_{name}" for name in found))
    return found


def _definition(row: Any) -> FieldDef:
    """A :class:`FieldDef` from the first eight columns of :func:`_definitions_query`'s select."""
    return FieldDef(
        int(row[0]), str(row[1]), str(row[2] or row[1]), int(row[3] or 0), str(row[4]), str(row[5]),
        _config(row[6]), row[7] == VALID,
    )  # fmt: skip


def empty(value: Value) -> bool:
    return value is None or value in ("", [])


# --- cleaning ----------------------------------------------------------------------------------------------------


def clean(field: FieldDef, raw: Any, *, now: datetime | None = None) -> Value:
    """``raw`` (form text, JSON, or a Python value) as the field's typed value; TicketInvalid names the field."""
    if raw is None or raw in ("", []):
        return None
    if field.field_type in ("Text", "TextArea"):
        return _text(field, raw)
    if field.field_type == "Checkbox":
        return _checkbox(field, raw)
    if field.field_type in ("Dropdown", "Multiselect"):
        return _choice(field, raw)
    return _moment(field, raw, now or datetime.now(UTC).replace(tzinfo=None))


def _invalid(field: FieldDef, message: str) -> TicketInvalid:
    return TicketInvalid(field.key, message)


def _scalar(field: FieldDef, raw: Any) -> str:
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _invalid(field, f"{field.label} takes one value, as text.")
    return str(raw)


def _text(field: FieldDef, raw: Any) -> str | None:
    text = _scalar(field, raw)
    if field.field_type == "Text":
        text = text.strip()
    if len(text) > TEXT_SIZE:
        raise _invalid(field, f"{field.label} is longer than {TEXT_SIZE} characters.")
    for rule in field.config.get("RegExList") or []:
        pattern = str(rule.get("Value") or "") if isinstance(rule, Mapping) else ""
        if pattern and re.search(pattern, text) is None:
            message = str(rule.get("ErrorMessage") or "") or f"{field.label} does not have the expected form."
            raise _invalid(field, message)
    return text or None


def _checkbox(field: FieldDef, raw: Any) -> int:
    text = str(int(raw)) if isinstance(raw, bool) else str(raw).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return 1
    if text in ("0", "false", "off", "no"):
        return 0
    raise _invalid(field, f"{field.label} is a checkbox: give 1 (checked) or 0.")


def _choice(field: FieldDef, raw: Any) -> str | list[str] | None:
    items = raw if isinstance(raw, list | tuple) else [raw]
    if not field.multiple and len(items) > 1:
        raise _invalid(field, f"{field.label} takes one value.")
    keys = list(dict.fromkeys(_scalar(field, item) for item in items if item not in (None, "")))
    choices = field.choices
    for key in keys:
        if key not in choices:
            listed = ", ".join(list(choices)[:20])
            raise _invalid(field, f"'{key[:50]}' is not a possible value of {field.label} (choose from: {listed}).")
    if field.multiple:
        return keys or None
    return keys[0] if keys else None


def _moment(field: FieldDef, raw: Any, now: datetime) -> date | datetime:
    day_only = field.field_type == "Date"
    value = parse_moment(field, raw, day_only)
    limit = str(field.config.get("DateRestriction") or "")
    current: date | datetime = now.date() if day_only else now
    if limit == "DisablePastDates" and value < current:
        raise _invalid(field, f"{field.label} cannot be in the past.")
    if limit == "DisableFutureDates" and value > current:
        raise _invalid(field, f"{field.label} cannot be in the future.")
    if str(field.config.get("YearsPeriod") or "0") == "1":
        low = now.year - _years(field.config.get("YearsInPast"))
        high = now.year + _years(field.config.get("YearsInFuture"))
        if not low <= value.year <= high:
            raise _invalid(field, f"{field.label} must be a date from {low} to {high}.")
    return value


def _years(raw: Any) -> int:
    text = str(raw or "0")
    return int(text) if text.isdigit() else 0


def parse_moment(field: FieldDef, raw: Any, day_only: bool) -> date | datetime:
    """A date (``day_only``) or a naive UTC datetime from text or a Python value; TicketInvalid names the field."""
    if isinstance(raw, datetime):
        moment = raw.astimezone(UTC).replace(tzinfo=None) if raw.tzinfo else raw
        return moment.date() if day_only else moment.replace(microsecond=0)
    if isinstance(raw, date):
        return raw if day_only else datetime.combine(raw, time())
    text = _scalar(field, raw).strip().replace(" ", "T", 1)
    try:
        if day_only:
            return date.fromisoformat(text[:10]) if len(text) == 10 or text[10:] in ("T00:00:00", "T00:00") else _bad()
        parsed = datetime.fromisoformat(text)
    except ValueError:
        example = "2024-03-15" if day_only else "2024-03-15 09:30"
        raise _invalid(
            field, f"'{text[:40]}' is not a {'date' if day_only else 'date and time'} (use {example})."
        ) from None
    return (
        parsed.astimezone(UTC).replace(tzinfo=None, microsecond=0) if parsed.tzinfo else parsed.replace(microsecond=0)
    )


def _bad() -> date:
    raise ValueError("not a date alone")


def default_value(field: FieldDef, now: datetime) -> Value:
    """The configuration's ``DefaultValue`` as a value (a date's default is seconds from now; "0": none)."""
    raw = field.config.get("DefaultValue")
    if field.field_type in ("Date", "DateTime"):
        text = str(raw or "0")
        if not re.fullmatch(r"-?[0-9]+", text) or int(text) == 0:
            return None
        moment = now + timedelta(seconds=int(text))
        return moment.date() if field.field_type == "Date" else moment.replace(second=0, microsecond=0)
    if field.field_type == "Checkbox":
        return 1 if str(raw) == "1" else 0
    try:
        return clean(field, raw, now=now)
    except TicketInvalid:
        return None


# --- reading -----------------------------------------------------------------------------------------------------


_VALUES = (
    select(VALUE.c.field_id, VALUE.c.object_id, VALUE.c.value_text, VALUE.c.value_date, VALUE.c.value_int)
    .where(VALUE.c.object_id.in_(bindparam("objects", expanding=True)))
    .where(VALUE.c.field_id.in_(bindparam("fields", expanding=True)))
    .order_by(VALUE.c.id)
)


def read_values(conn: Connection, fields: Iterable[FieldDef], object_ids: Iterable[int]) -> dict[int, dict[str, Value]]:
    """The values of ``fields`` for these objects (tickets or articles, by the fields' object type), by object id
    then field name; objects without values are missing.  One statement per :data:`CHUNK` objects."""
    by_id = {field.id: field for field in fields}
    wanted = sorted(set(object_ids))
    found: dict[int, dict[str, Value]] = {}
    if not by_id or not wanted:
        return found
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for row in conn.execute(_VALUES, {"objects": chunk, "fields": sorted(by_id)}):
            field = by_id[row[0]]
            value = _stored(field, row[2], row[3], row[4])
            if value is None:
                continue
            values = found.setdefault(int(row[1]), {})
            if field.multiple:
                values.setdefault(field.name, []).append(value)  # type: ignore[union-attr]
            else:
                values[field.name] = value
    return found


def _stored(field: FieldDef, text: str | None, moment: datetime | None, number: int | None) -> Any:
    if field.field_type == "Checkbox":
        return None if number is None else int(number)
    if field.field_type == "Date":
        return None if moment is None else moment.date()
    if field.field_type == "DateTime":
        return moment
    return text or None


def as_json(value: Value) -> Any:
    """A value for JSON: dates as ``2024-03-15``, date-times as ``2024-03-15T09:30:00``."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- writing -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    """One field's new value on one object, with the value it replaces."""

    field: FieldDef
    object_id: int
    value: Value
    old: Value


def changed_values(conn: Connection, object_id: int, values: Mapping[FieldDef, Value]) -> list[Update]:
    """The updates among ``values`` (all on one object) that change the stored value: one read."""
    stored = read_values(conn, values, [object_id]).get(object_id, {})
    updates = []
    for field, value in values.items():
        old = stored.get(field.name)
        if _same(value, old):
            continue
        updates.append(Update(field, object_id, value, old))
    return updates


def _same(new: Value, old: Value) -> bool:
    if empty(new) and empty(old):
        return True
    return new == old


_WRITTEN = "gotrs.dynamic_fields.written"
"""``Connection.info`` key: the transaction (weakly) and the (object type, object id) pairs it stored values of."""


def store(conn: Connection, updates: Sequence[Update]) -> None:
    """Write the updates: one DELETE per object, one batched INSERT of every new row."""
    by_object: dict[int, list[int]] = {}
    for update in updates:
        by_object.setdefault(update.object_id, []).append(update.field.id)
    if by_object:
        pairs = [and_(VALUE.c.object_id == oid, VALUE.c.field_id.in_(ids)) for oid, ids in by_object.items()]
        conn.execute(delete(VALUE).where(or_(*pairs)))
    rows = [row for update in updates for row in _rows(update)]
    if rows:
        conn.execute(insert(VALUE), rows)
    _written_in_transaction(conn).update((update.field.object_type, update.object_id) for update in updates)


def stored_in_transaction(conn: Connection, object_type: str, object_id: int) -> bool:
    """Whether this transaction stored values of ``object_id`` (every write goes through :func:`store`): a ticket
    created in it has no values otherwise, and its answer needs no read of them."""
    return (object_type, object_id) in _written_in_transaction(conn)


def _written_in_transaction(conn: Connection) -> set[tuple[str, int]]:
    transaction = conn.get_transaction()
    if transaction is None:  # nothing begun, nothing stored
        return set()
    held = conn.info.get(_WRITTEN)
    if held is None or held[0]() is not transaction:  # a finished transaction's pairs are not this one's
        held = (weakref.ref(transaction), set())
        conn.info[_WRITTEN] = held
    written: set[tuple[str, int]] = held[1]
    return written


def _rows(update: Update) -> list[dict[str, Any]]:
    base = {"field_id": update.field.id, "object_id": update.object_id}
    blank = {"value_text": None, "value_date": None, "value_int": None}
    value = update.value
    if empty(value):
        return []
    if isinstance(value, list):
        return [base | blank | {"value_text": item} for item in value]
    if isinstance(value, datetime):
        return [base | blank | {"value_date": value}]
    if isinstance(value, date):
        return [base | blank | {"value_date": datetime.combine(value, time())}]
    if isinstance(value, int):
        return [base | blank | {"value_int": value}]
    return [base | blank | {"value_text": value}]


def record(change: Change, updates: Sequence[Update]) -> None:
    """History and events of written updates on ``change``'s ticket (see the module docstring)."""
    for update in updates:
        field = update.field
        event_data = {"field": field.name, "value": as_json(update.value), "old_value": as_json(update.old)}
        if field.object_type == "Article":
            change.emit("ArticleDynamicFieldUpdate", update.object_id, **event_data)
            continue
        change.log("TicketDynamicFieldUpdate", history_name(field.name, field.readable(update.value),
                                                            field.readable(update.old)))  # fmt: skip
        event = f"TicketDynamicFieldUpdate_{field.name}"
        bus.declare(event)
        change.emit(event, **event_data)
        change.touch = True  # OTRS updates the ticket's change_time


def history_name(name: str, value: str, old: str) -> str:
    """``%%FieldName%%<name>%%Value%%<value>%%OldValue%%<old>`` within 200 characters, cut as OTRS 6 cuts it:
    the old value first (to 50 + "[...]"), then the name and the value share what is left of 166."""
    room = 166
    if len(name) + len(value) + len(old) > room:
        if len(old) > 55:
            old = old[:50] + "[...]"
        share = (room - len(old)) // 2
        if len(name) > share:
            if len(value) > share:
                name, value = name[: share - 5] + "[...]", value[: share - 5] + "[...]"
            else:
                name = name[: room - len(old) - len(value) - 5] + "[...]"
        else:
            limit = room - len(old) - len(name) - 5
            if len(value) > limit:
                value = value[:limit] + "[...]"
    return f"%%FieldName%%{name}%%Value%%{value}%%OldValue%%{old}"


def resolve(fields: Mapping[str, FieldDef], values: Mapping[str, Any], *, now: datetime) -> dict[FieldDef, Value]:
    """Named raw values (``Name`` or ``DynamicField_Name``) as cleaned values by field; TicketInvalid on a name
    that is no valid ticket or article field, or a bad value."""
    cleaned: dict[FieldDef, Value] = {}
    for raw_name, raw in values.items():
        name = raw_name.removeprefix(PREFIX)
        field = fields.get(name)
        if field is None:
            raise TicketInvalid(PREFIX + name, f"There is no valid ticket or article dynamic field '{name[:100]}'.")
        cleaned[field] = clean(field, raw, now=now)
    return cleaned


def apply_values(
    service: TicketService, ticket: Ticket, values: Mapping[FieldDef, Value], article_id: int | None
) -> bool:
    """Write cleaned ``values``: ticket fields on the ticket, article fields on ``article_id`` (which must be an
    article of the ticket).  Returns False when nothing changed (and then writes nothing)."""
    conn = service.conn
    on_ticket = {field: value for field, value in values.items() if field.object_type == "Ticket"}
    on_article = {field: value for field, value in values.items() if field.object_type == "Article"}
    if on_article:
        first = next(iter(on_article))
        if article_id is None:
            raise TicketInvalid(first.key, f"{first.label} is a field of articles: it is set with an article.")
        article = T["article"]
        owner = conn.execute(select(article.c.ticket_id).where(article.c.id == article_id)).scalar()
        if owner != ticket.id:
            raise TicketInvalid(first.key, f"Article {article_id} is not an article of ticket {ticket.tn}.")
    updates = changed_values(conn, ticket.id, on_ticket)
    if on_article and article_id is not None:
        updates += changed_values(conn, article_id, on_article)
    if not updates:
        return False
    store(conn, updates)
    change = service.change(ticket)
    record(change, updates)
    return service.commit_changes(change)


# --- the JSON API ------------------------------------------------------------------------------------------------


def named_values(raw: Any) -> dict[str, Any]:
    """An API client's dynamic fields as ``{name: value}``: a list of ``{"name", "value"}`` objects (OTRS's
    GenericInterface ``{"Name", "Value"}`` too) or an object ``{name: value}``; ValueError says what is wrong."""
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return {str(name): value for name, value in raw.items()}
    if not isinstance(raw, list):
        raise ValueError("Give a list of {name, value} objects, or an object of name: value.")
    found: dict[str, Any] = {}
    for item in raw:
        name = item.get("name", item.get("Name")) if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not name:
            raise ValueError('Each dynamic field needs a name and a value: {"name": "Category", "value": "hw"}.')
        found[name] = item.get("value", item.get("Value"))
    return found


_FIELDS_WITH_VALUES = (
    _definitions_query(valid_only=True)
    .add_columns(VALUE.c.object_id, VALUE.c.value_text, VALUE.c.value_date, VALUE.c.value_int)
    .outerjoin(
        VALUE,
        and_(VALUE.c.field_id == FIELD.c.id, VALUE.c.object_id.in_(bindparam("objects", expanding=True))),
    )
    .where(FIELD.c.object_type == bindparam("object_type"))
    .order_by(VALUE.c.id)
)
"""The valid fields of one object type, each with its values for some objects (a row without values when none)."""


def api_values(conn: Connection, object_type: str, object_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The set values of the valid fields of ``object_type`` for these objects, as the API shows them
    (``[{"name", "value"}]`` in field order): one statement for the definitions and the values (two past
    :data:`CHUNK` objects)."""
    wanted = sorted(set(object_ids))
    if len(wanted) > CHUNK:
        fields = [field for field in definitions(conn).values() if field.object_type == object_type]
        found = read_values(conn, fields, wanted)
    else:
        by_id: dict[int, FieldDef] = {}
        found = {}
        for row in conn.execute(_FIELDS_WITH_VALUES, {"objects": wanted, "object_type": object_type}):
            field = by_id.get(row[0]) or by_id.setdefault(row[0], _definition(row))
            value = None if row[8] is None else _stored(field, row[9], row[10], row[11])
            if value is not None:
                values = found.setdefault(int(row[8]), {})
                if field.multiple:
                    values.setdefault(field.name, []).append(value)  # type: ignore[union-attr]
                else:
                    values[field.name] = value
        fields = list(by_id.values())  # in field order, as the statement sorts them
        bus.declare(*(f"TicketDynamicFieldUpdate_{field.name}" for field in fields))
    return {
        object_id: [{"name": f.name, "value": as_json(values[f.name])} for f in fields if f.name in values]
        for object_id, values in found.items()
    }

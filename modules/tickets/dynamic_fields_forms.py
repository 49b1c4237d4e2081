"""Dynamic fields on the agent forms: which fields a screen shows, their inputs, and the posted values checked.

A screen (``dynamic_fields_screens.SCREENS``) shows the valid fields whose configuration says 1 (shown) or 2
(required) for it, in ``field_order``.  Each input is named ``DynamicField_<Name>`` (OTRS's name), so an error
from the service (``TicketInvalid`` naming that field) lands beside it.  The partial
``tickets/_dynamic_fields.html`` renders a list of :class:`FormField`.

Posted values are read by type: a Multiselect's every chosen option, a Checkbox absent means unchecked (0), a
Date ``2024-03-15``, a DateTime ``2024-03-15T09:30`` (the browser's ``datetime-local``, UTC).  A required field
left empty (a required Checkbox left unchecked) is an error: "Category is required."

Example::

    shown = screen_fields(conn, "AgentTicketPhone")
    values, errors, typed = posted(shown, request.form, now)   # values {name: Value}; errors {key: sentence}
    items = form_items(shown, typed)                           # for the template
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from modules.tickets.dynamic_fields import FieldDef, Value, clean, default_value, definitions, empty, read_values
from modules.tickets.dynamic_fields_screens import BY_NAME, REQUIRED, mode
from modules.tickets.errors import TicketInvalid

Shown = tuple[FieldDef, int]
Typed = dict[str, Any]  # DynamicField_<Name>: the text (or texts) as the form holds them


@dataclass(frozen=True)
class FormField:
    """One dynamic field input: what the template needs."""

    field: FieldDef
    mode: int
    value: str | list[str]

    @property
    def key(self) -> str:
        return self.field.key

    @property
    def label(self) -> str:
        return self.field.label

    @property
    def type(self) -> str:
        return self.field.field_type

    @property
    def required(self) -> bool:
        return self.mode == REQUIRED

    @property
    def options(self) -> list[tuple[str, str]]:
        return list(self.field.choices.items())

    @property
    def blank(self) -> bool:
        """A dropdown offers "—" (no value) when its configuration allows none or nothing is chosen yet."""
        return str(self.field.config.get("PossibleNone") or "0") == "1" or not self.value

    @property
    def rows(self) -> int:
        text = str(self.field.config.get("Rows") or "")
        return int(text) if text.isdigit() and 0 < int(text) <= 40 else 4

    @property
    def checked(self) -> bool:
        return self.value == "1"


def screen_fields(conn: Connection, screen: str, objects: Sequence[str] = ("Ticket", "Article")) -> list[Shown]:
    """The valid fields ``screen`` shows (of these object types), with their mode, in field order."""
    shown = []
    for field in definitions(conn).values():
        how = mode(field.config, screen)
        if how and field.object_type in objects:
            shown.append((field, how))
    return shown


def as_text(field: FieldDef, value: Value) -> str | list[str]:
    """A value as the form's input holds it."""
    if value is None:
        return [] if field.multiple else ""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def typed_from(shown: Sequence[Shown], data: Any) -> Typed:
    """What the form posted for these fields (``data`` is a request's form or args: it has ``getlist``)."""
    typed: Typed = {}
    for field, _how in shown:
        if field.multiple:
            typed[field.key] = [v for v in data.getlist(field.key) if v]
        elif field.field_type == "Checkbox":
            typed[field.key] = "1" if data.get(field.key) in ("1", "on") else "0"
        else:
            typed[field.key] = str(data.get(field.key) or "")
    return typed


def check(shown: Sequence[Shown], typed: Mapping[str, Any], now: datetime) -> tuple[dict[str, Value], dict[str, str]]:
    """The values by field name, and the errors by input name (each field's first problem)."""
    values: dict[str, Value] = {}
    errors: dict[str, str] = {}
    for field, how in shown:
        try:
            value = clean(field, typed.get(field.key), now=now)
        except TicketInvalid as bad:
            errors[field.key] = str(bad)
            continue
        if how == REQUIRED and (empty(value) or (field.field_type == "Checkbox" and value == 0)):
            errors[field.key] = f"{field.label} is required."
            continue
        values[field.name] = value
    return values, errors


def posted(shown: Sequence[Shown], data: Any, now: datetime) -> tuple[dict[str, Value], dict[str, str], Typed]:
    """:func:`typed_from` then :func:`check`: values, errors and the typed texts (to show the form again)."""
    typed = typed_from(shown, data)
    values, errors = check(shown, typed, now)
    return values, errors, typed


def defaults(shown: Sequence[Shown], now: datetime) -> Typed:
    """A new form's texts: each field's configured default value."""
    return {field.key: as_text(field, default_value(field, now)) for field, _how in shown}


def current(conn: Connection, shown: Sequence[Shown], ticket_id: int) -> Typed:
    """The ticket's stored values of these (ticket) fields as form texts: one statement."""
    stored = read_values(conn, [field for field, _how in shown], [ticket_id]).get(ticket_id, {})
    return {field.key: as_text(field, stored.get(field.name)) for field, _how in shown}


def form_items(shown: Sequence[Shown], typed: Mapping[str, Any]) -> list[FormField]:
    blank: dict[bool, str | list[str]] = {True: [], False: ""}
    return [FormField(field, how, typed.get(field.key, blank[field.multiple])) for field, how in shown]


@dataclass(frozen=True)
class ShownValue:
    """A stored value as the zoom shows it."""

    key: str
    label: str
    text: str


def zoom_values(
    conn: Connection, ticket_id: int, article_ids: Sequence[int]
) -> tuple[list[ShownValue], dict[int, list[ShownValue]]]:
    """The values the zoom shows (``AgentTicketZoom``: set fields only, as OTRS): the ticket's, and each article's
    by article id.  At most two statements (one per object type), none when no field is shown."""
    shown = [field for field, _how in screen_fields(conn, "AgentTicketZoom")]
    on_ticket = [field for field in shown if field.object_type == "Ticket"]
    on_articles = [field for field in shown if field.object_type == "Article"]
    ticket_values = read_values(conn, on_ticket, [ticket_id]).get(ticket_id, {})
    article_values = read_values(conn, on_articles, article_ids) if article_ids else {}

    def listed(fields: Sequence[FieldDef], values: Mapping[str, Value]) -> list[ShownValue]:
        return [ShownValue(f.key, f.label, f.display(values[f.name])) for f in fields if f.name in values]

    return listed(on_ticket, ticket_values), {aid: listed(on_articles, v) for aid, v in article_values.items()}


def screen_values(conn: Connection, screen: str, data: Any, now: datetime) -> dict[str, Value]:
    """The posted values of the fields ``screen`` shows (its object types), checked; the first problem is raised
    as TicketInvalid naming its input, before the screen's action writes anything."""
    shown = screen_fields(conn, screen, BY_NAME[screen].objects)
    if not shown:
        return {}
    values, errors, _typed = posted(shown, data, now)
    if errors:
        key = next(iter(errors))
        raise TicketInvalid(key, errors[key])
    return values

"""A job's dynamic fields: which fields the form offers, and the check that a job's fields are there and its
values fit them.

Conditions may name any valid ticket or article field (OTRS stores them as ``Search_DynamicField_<Name>``); actions
set ticket fields (``DynamicField_<Name>``), as OTRS's GenericAgent does.  A Date or DateTime field's condition is
a time point or slot (``Search_DynamicField_<Name>TimePoint`` / ``...TimeSlot``), not a value.  The check runs when
a job is saved (each problem beside its field) and again before it runs (a field may have been removed or invalidated
since): a job whose fields do not fit does not run at all, as a condition it ignored would widen it.

Example::

    problems(conn, job)      # {"conditions.dynamic_fields.Category": "'x' is not a possible value of ..."}
"""

from __future__ import annotations

from sqlalchemy import Connection

from modules.automation.matching import field_clause
from modules.automation.model import Job
from modules.tickets import dynamic_fields as dynamic
from modules.tickets.dynamic_fields import FieldDef
from modules.tickets.dynamic_fields_search import between
from modules.tickets.errors import TicketInvalid

SEARCHED_TYPES = ("Text", "TextArea", "Checkbox", "Dropdown", "Multiselect")
"""Field types the form offers as conditions (stored OTRS jobs may name others, checked all the same)."""


def offered(conn: Connection) -> list[FieldDef]:
    """The valid ticket fields the job form shows, in field order."""
    fields = dynamic.definitions(conn).values()
    return sorted((field for field in fields if field.object_type == "Ticket"), key=lambda f: (f.order, f.name))


def action_value(values: list[str]) -> str | list[str]:
    """The value an action sets: a Multiselect's list, one value for every other type."""
    return values if len(values) > 1 else values[0]


def problems(conn: Connection, job: Job) -> dict[str, str]:
    """What does not fit, by form field (``conditions.dynamic_fields.<Name>``); empty when all is well."""
    found: dict[str, str] = {}
    conditions = job.conditions
    if not conditions.dynamic_fields and not conditions.dynamic_times and not job.actions.dynamic_fields:
        return found
    fields = dynamic.definitions(conn)
    for name, values in conditions.dynamic_fields.items():
        key, field = f"conditions.dynamic_fields.{name}", fields.get(name)
        if field is None:
            found[key] = f"There is no valid dynamic field '{name}'."
            continue
        try:
            field_clause(field, values)  # a checkbox's 1 or 0, a date as written
            if field.choices:  # a key the field does not offer would match nothing, silently
                for value in values:
                    dynamic.clean(field, value)
        except TicketInvalid as bad:
            found[key] = str(bad)
    for name in conditions.dynamic_times:
        key, field = f"conditions.dynamic_times.{name}", fields.get(name)
        if field is None:
            found[key] = f"There is no valid dynamic field '{name}'."
            continue
        try:
            between(field, None, None)  # a Date or DateTime field
        except TicketInvalid as bad:
            found[key] = str(bad)
    for name, values in job.actions.dynamic_fields.items():
        key, field = f"actions.dynamic_fields.{name}", fields.get(name)
        if field is None or field.object_type != "Ticket":
            found[key] = f"There is no valid ticket dynamic field '{name}'."
            continue
        try:
            dynamic.clean(field, action_value(values))
        except TicketInvalid as bad:
            found[key] = str(bad)
    return found

"""A job's conditions as ONE indexed, permission-free query over tickets, read in keyset batches of ids.

Every attribute condition becomes a WHERE clause on ``ticket`` (``queue_id IN (...)``, ``create_time <= ...``),
the state types a join-free subquery on ``ticket_state``, the article texts (From, Subject, Body) an ``EXISTS`` on
``article_data_mime``, the dynamic fields ``IN`` subqueries on ``dynamic_field_value`` (the ticket search's
``DynamicField_<Name>`` filters; a date field's time point or slot a range of its values).  Texts match as OTRS's
search does: ``outage`` matches anywhere, ignoring case, and ``*`` is a wildcard; ticket number and customer fields
match exactly unless they hold a ``*``.  Batches follow the primary key (``id > last ORDER BY id LIMIT n``), so a
run never loads all tickets and never misses or repeats one while it changes them.  Permissions do not apply:
OTRS's GenericAgent acts as the system.

Example::

    for ids in batches(conn, job.conditions, now, batch=200):
        ...                                   # [12, 15, 31, ...], then the next 200 after 31
    candidate_ids(conn, conditions, now, only_ticket_id=42)    # [42] or []
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, true

from modules.automation.model import Conditions, TimeCondition
from modules.db.schema import metadata
from modules.tickets.changes import to_epoch
from modules.tickets.dynamic_fields import PREFIX, FieldDef, definitions
from modules.tickets.dynamic_fields_search import DynamicFieldFilter, between, field_condition, within
from modules.tickets.errors import TicketInvalid

T = metadata.tables
BATCH = 200


def _pattern(value: str, *, contains: bool) -> str:
    escaped = value.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
    return f"%{escaped}%" if contains and not escaped.startswith("%") and not escaped.endswith("%") else escaped


def _text(column: ColumnElement[str], value: str, *, contains: bool) -> ColumnElement[bool]:
    if not contains and "*" not in value:
        return func.lower(column) == value.strip().lower()
    return func.lower(column).like(_pattern(value, contains=contains), escape="\\")


def _time(column: ColumnElement[datetime], point: TimeCondition, now: datetime) -> ColumnElement[bool]:
    return and_(*within(column, *point.bounds(now)))


def _epoch(column: ColumnElement[int], point: TimeCondition, now: datetime) -> ColumnElement[bool]:
    """An epoch column (0: no time, never a match) within the bounds."""
    earliest, latest = point.bounds(now)
    low, high = (to_epoch(moment) if moment is not None else None for moment in (earliest, latest))
    return and_(column > 0, *within(column, low, high))


def where(conn: Connection, conditions: Conditions, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE clauses of ``conditions`` on ``ticket`` at ``now`` (TicketInvalid: a dynamic field condition
    names a field that is not there or a value it cannot hold; ``fields.problems`` says so before a run)."""
    ticket, state = T["ticket"], T["ticket_state"]
    c = ticket.c
    clauses: list[ColumnElement[bool]] = []
    lists = (
        (c.queue_id, conditions.queue_ids),
        (c.ticket_state_id, conditions.state_ids),
        (c.ticket_priority_id, conditions.priority_ids),
        (c.type_id, conditions.type_ids),
        (c.service_id, conditions.service_ids),
        (c.sla_id, conditions.sla_ids),
        (c.user_id, conditions.owner_ids),
        (c.responsible_user_id, conditions.responsible_ids),
        (c.ticket_lock_id, conditions.lock_ids),
    )
    clauses += [column.in_(values) for column, values in lists if values]
    if conditions.state_type_ids:
        clauses.append(c.ticket_state_id.in_(select(state.c.id).where(state.c.type_id.in_(conditions.state_type_ids))))
    if conditions.ticket_number:
        clauses.append(_text(c.tn, conditions.ticket_number, contains=False))
    if conditions.title:
        clauses.append(_text(c.title, conditions.title, contains=True))
    if conditions.customer_id:
        clauses.append(_text(c.customer_id, conditions.customer_id, contains=False))
    if conditions.customer_user:
        clauses.append(_text(c.customer_user_id, conditions.customer_user, contains=False))
    if conditions.created:
        clauses.append(_time(c.create_time, conditions.created, now))
    if conditions.changed:
        clauses.append(_time(c.change_time, conditions.changed, now))
    epochs = (
        (c.escalation_time, conditions.escalation),
        (c.until_time, conditions.pending),
        (c.escalation_response_time, conditions.escalation_response),
        (c.escalation_update_time, conditions.escalation_update),
        (c.escalation_solution_time, conditions.escalation_solution),
    )
    clauses += [_epoch(column, point, now) for column, point in epochs if point is not None]
    article = _article_clause(conditions)
    if article is not None:
        clauses.append(article)
    return clauses + field_clauses(conn, conditions, now)


def field_clauses(conn: Connection, conditions: Conditions, now: datetime) -> list[ColumnElement[bool]]:
    """The dynamic field conditions (one read of the definitions): a text field's values match as the ticket's
    texts do (ignoring case, ``*`` a wildcard: OTRS's ``Like``), the others' stored values exactly (``Equals``);
    any of a field's values matches.  A date field's time condition holds its value between the bounds at ``now``."""
    if not conditions.dynamic_fields and not conditions.dynamic_times:
        return []
    fields = definitions(conn)
    clauses = [field_clause(_field(fields, name), values) for name, values in conditions.dynamic_fields.items()]
    for name, when in conditions.dynamic_times.items():
        clauses.append(between(_field(fields, name), *when.bounds(now)))
    return clauses


def _field(fields: Mapping[str, FieldDef], name: str) -> FieldDef:
    field = fields.get(name)
    if field is None:
        raise TicketInvalid(PREFIX + name, f"There is no valid dynamic field '{name}'.")
    return field


def field_clause(field: FieldDef, values: list[str]) -> ColumnElement[bool]:
    """One field's condition (see :func:`field_clauses`); TicketInvalid for a value the field cannot hold."""
    if field.field_type in ("Text", "TextArea"):
        likes = (DynamicFieldFilter(name=field.name, op="Like", values=(value,)) for value in values)
        return or_(*(field_condition(field, like) for like in likes))
    return field_condition(field, DynamicFieldFilter(name=field.name, op="Equals", values=tuple(values)))


def _article_clause(conditions: Conditions) -> ColumnElement[bool] | None:
    article, mime = T["article"], T["article_data_mime"]
    texts = [
        (mime.c.a_from, conditions.from_),
        (mime.c.a_subject, conditions.subject),
        (mime.c.a_body, conditions.body),
    ]
    wanted = [_text(column, value, contains=True) for column, value in texts if value]
    if not wanted:
        return None
    return exists(
        select(article.c.id)
        .select_from(article.join(mime, mime.c.article_id == article.c.id))
        .where(article.c.ticket_id == T["ticket"].c.id, *wanted)
    )


def candidate_ids(
    conn: Connection,
    conditions: Conditions,
    now: datetime,
    *,
    after_id: int = 0,
    limit: int = BATCH,
    only_ticket_id: int | None = None,
) -> list[int]:
    """The ids of matching tickets after ``after_id``, ascending, at most ``limit``."""
    ticket = T["ticket"]
    query = select(ticket.c.id).where(ticket.c.id > after_id, *where(conn, conditions, now))
    if only_ticket_id is not None:
        query = query.where(ticket.c.id == only_ticket_id)
    return [int(i) for i in conn.execute(query.order_by(ticket.c.id).limit(limit)).scalars()]


def batches(
    conn: Connection, conditions: Conditions, now: datetime, *, batch: int = BATCH, only_ticket_id: int | None = None
) -> Iterator[list[int]]:
    """Keyset batches of matching ticket ids, until none is left."""
    after = 0
    while True:
        ids = candidate_ids(conn, conditions, now, after_id=after, limit=batch, only_ticket_id=only_ticket_id)
        if not ids:
            return
        yield ids
        if len(ids) < batch:
            return
        after = ids[-1]


def count(conn: Connection, conditions: Conditions, now: datetime) -> int:
    """How many tickets match now (the admin preview)."""
    ticket = T["ticket"]
    counted = select(func.count()).select_from(ticket).where(true(), *where(conn, conditions, now))
    return int(conn.execute(counted).scalar() or 0)

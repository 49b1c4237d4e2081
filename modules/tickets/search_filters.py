"""The filters of a ticket search as SQL conditions on ``ticket``, each one backed by an index.

========================  =======================================  ============================================
filter                    condition                                index
========================  =======================================  ============================================
tn                        ``=``, or ``LIKE`` with ``*``            ticket_tn (unique)
title                     case-insensitive ``=`` / ``LIKE``        ticket_title (a leading ``*`` scans)
queue_ids ... sla_ids     ``IN``                                   ticket_queue_id, ... gotrs_ticket_sla_id
state_type                ``ticket_state_id IN`` (resolved here)   ticket_ticket_state_id
owner_ids                 ``user_id IN``                           ticket_user_id
responsible_ids           ``responsible_user_id IN``               ticket_responsible_user_id
customer_id / _user_id    ``=``, or case-insensitive ``LIKE``      ticket_customer_id, ticket_customer_user_id
created / changed         ``BETWEEN`` (either end optional)        ticket_create_time, gotrs_ticket_change_time
pending                   ``until_time > 0`` and the range         ticket_until_time
archived                  ``archive_flag = 1 / 0``                 ticket_archive_flag
watched_by                ``id IN (ticket_watcher of the agent)``  ticket_watcher_user_id
dynamic_fields            ``id IN (values of the field matching)`` dynamic_field_value_search_text/_date/_int
========================  =======================================  ============================================

Example::

    conditions = filter_conditions(conn, TicketQuery(state_type=("open",), title="*printer*"))
    select(ticket.c.id).where(*conditions)
"""

from __future__ import annotations

import calendar
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, select

from modules.db.schema import metadata
from modules.tickets.dynamic_fields_search import conditions as dynamic_field_conditions
from modules.tickets.dynamic_fields_search import within
from modules.tickets.search_query import SearchInvalid, TicketQuery

T = metadata.tables
_TICKET = T["ticket"]
_ID_COLUMNS = {
    "queue_ids": "queue_id",
    "state_ids": "ticket_state_id",
    "lock_ids": "ticket_lock_id",
    "priority_ids": "ticket_priority_id",
    "type_ids": "type_id",
    "service_ids": "service_id",
    "sla_ids": "sla_id",
    "owner_ids": "user_id",
    "responsible_ids": "responsible_user_id",
}
_TIME_COLUMNS = {"created": "create_time", "changed": "change_time"}


def filter_conditions(conn: Connection, query: TicketQuery) -> list[ColumnElement[bool]]:
    """The query's filters as conditions (one lookup of state ids when ``state_type`` is given)."""
    conditions: list[ColumnElement[bool]] = []
    for field, column in _ID_COLUMNS.items():
        values = getattr(query, field)
        if values:
            conditions.append(_TICKET.c[column].in_(values))
    if query.state_type:
        conditions.append(_TICKET.c.ticket_state_id.in_(state_ids_of_types(conn, query.state_type)))
    if query.tn:
        conditions.append(_text_match(_TICKET.c.tn, query.tn, ignore_case=False))
    if query.title:
        conditions.append(_text_match(_TICKET.c.title, query.title, ignore_case=True))
    if query.customer_id:
        conditions.append(_text_match(_TICKET.c.customer_id, query.customer_id, ignore_case=None))
    if query.customer_user_id:
        conditions.append(_text_match(_TICKET.c.customer_user_id, query.customer_user_id, ignore_case=None))
    for prefix, column in _TIME_COLUMNS.items():
        conditions.extend(within(_TICKET.c[column], getattr(query, f"{prefix}_from"), getattr(query, f"{prefix}_to")))
    if query.pending_from or query.pending_to:
        conditions.append(_TICKET.c.until_time > 0)
        conditions.extend(within(_TICKET.c.until_time, _epoch(query.pending_from), _epoch(query.pending_to)))
    if query.archived is not None:
        conditions.append(_TICKET.c.archive_flag == (1 if query.archived else 0))
    if query.watched_by:
        watcher = T["ticket_watcher"]
        conditions.append(_TICKET.c.id.in_(select(watcher.c.ticket_id).where(watcher.c.user_id == query.watched_by)))
    if query.dynamic_fields:
        conditions.extend(dynamic_field_conditions(conn, query.dynamic_fields))
    return conditions


def state_ids_of_types(conn: Connection, type_names: tuple[str, ...]) -> list[int]:
    """The ids of the states of these OTRS state types (``new``, ``open``, ``pending reminder``...).

    Raises :class:`SearchInvalid` naming the unknown types and the known ones.
    """
    state, state_type = T["ticket_state"], T["ticket_state_type"]
    known = dict(conn.execute(select(state_type.c.name, state_type.c.id)).all())
    unknown = [name for name in type_names if name not in known]
    if unknown:
        listed = ", ".join(sorted(known))
        raise SearchInvalid("state_type", f"unknown state type {unknown[0]!r}; the state types are {listed}.")
    type_ids = [known[name] for name in type_names]
    return list(conn.execute(select(state.c.id).where(state.c.type_id.in_(type_ids))).scalars())


def like_pattern(value: str) -> str:
    """An SQL ``LIKE`` pattern (escape ``\\``) for an OTRS-style value where ``*`` is the only wildcard.

    >>> like_pattern("50%_off*")
    '50\\\\%\\\\_off%'
    """
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _text_match(column: Any, value: str, *, ignore_case: bool | None) -> ColumnElement[bool]:
    """``*`` wildcards: LIKE (ignoring case unless ``ignore_case`` is False); none: ``=`` (ignoring case if True)."""
    result: ColumnElement[bool]
    if "*" in value:
        pattern = like_pattern(value)
        result = column.like(pattern, escape="\\") if ignore_case is False else column.ilike(pattern, escape="\\")
    elif ignore_case:
        result = column.ilike(like_pattern(value), escape="\\")
    else:
        result = column == value
    return result


def _epoch(moment: datetime | None) -> int | None:
    """OTRS's ``until_time``: seconds since 1970 of a naive (UTC) datetime."""
    return None if moment is None else calendar.timegm(moment.timetuple())

"""Deleting a ticket with every row that belongs to it, as OTRS's TicketDelete does.

OTRS's TicketDelete (used by the GenericAgent's ``NewDelete``) removes the ticket and all its data for good: its
articles with their mime data, attachments, plain messages, flags and search entries, its history, accounted time,
watchers, flags, index rows, links (``link_relation`` rows naming it) and dynamic field values of the ticket and
its articles.  GOTRS finds the dependent tables from the schema's foreign keys (so a table added later is covered),
deletes children before parents in a handful of statements, drops the full-text documents first, and announces
``TicketDelete`` (declared here: the event bus did not know it).  No history remains, as in OTRS.

Example::

    TicketService(conn, Actor.system()).delete(ticket_id)    # True; the ticket and its rows are gone
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ColumnElement, Connection, Select, Table, and_, cast, delete, or_, select

from modules.db.schema import metadata
from modules.tickets.events import TicketEvent, bus, emit

if TYPE_CHECKING:
    from modules.tickets.service import TicketService

T = metadata.tables
bus.declare("TicketDelete")


@cache
def _children(parent: str) -> tuple[tuple[Table, Column[int]], ...]:
    """(table, column) pairs holding a foreign key to ``parent.id``, dependents first."""
    found = []
    for table in reversed(metadata.sorted_tables):
        for key in table.foreign_keys:
            if key.column.table.name == parent and key.column.name == "id" and table.name not in ("ticket", "article"):
                found.append((table, key.parent))
    return tuple(found)


def delete_ticket(service: TicketService, ticket_id: int) -> bool:
    """Delete the ticket (``rw``); raises TicketNotFound when it does not exist."""
    conn = service.conn
    ticket = service.ticket(ticket_id, "rw")
    delete_rows(conn, T["ticket"].c.id == ticket.id)
    emit(conn, TicketEvent("TicketDelete", ticket.id, None, service.actor.user_id))
    return True


def delete_rows(conn: Connection, tickets: ColumnElement[bool]) -> None:
    """Delete the tickets meeting ``tickets`` (a condition on ``ticket``) and every row that belongs to them, in the
    same statements for one ticket or many: no permission check and no event (:func:`delete_ticket` makes them;
    the benchmarks remove the tickets their runs created)."""
    from modules.tickets.search_index import drop_tickets

    ticket, article = T["ticket"], T["article"]
    ticket_ids = select(ticket.c.id).where(tickets)
    article_ids = select(article.c.id).where(article.c.ticket_id.in_(ticket_ids))
    drop_tickets(conn, ticket_ids)
    _delete_values(conn, ticket_ids, article_ids)
    _delete_links(conn, ticket_ids)
    for table, column in _children("article"):
        if table.name != "ticket_history":  # history goes with the ticket below
            conn.execute(delete(table).where(column.in_(article_ids)))
    for table, column in _children("ticket"):
        if table.name != "article":
            conn.execute(delete(table).where(column.in_(ticket_ids)))
    conn.execute(delete(article).where(article.c.ticket_id.in_(ticket_ids)))
    conn.execute(delete(ticket).where(tickets))


def _delete_values(conn: Connection, ticket_ids: Select[Any], article_ids: Select[Any]) -> None:
    values, fields = T["dynamic_field_value"], T["dynamic_field"]
    of = {kind: select(fields.c.id).where(fields.c.object_type == kind) for kind in ("Ticket", "Article")}
    conn.execute(
        delete(values).where(
            or_(
                and_(values.c.field_id.in_(of["Ticket"]), values.c.object_id.in_(ticket_ids)),
                and_(values.c.field_id.in_(of["Article"]), values.c.object_id.in_(article_ids)),
            )
        )
    )


def _delete_links(conn: Connection, ticket_ids: Select[Any]) -> None:
    relation, objects = T["link_relation"], T["link_object"]
    ticket_object = select(objects.c.id).where(objects.c.name == "Ticket").scalar_subquery()
    keys = ticket_ids.with_only_columns(cast(T["ticket"].c.id, relation.c.source_key.type))
    conn.execute(
        delete(relation).where(
            or_(
                and_(relation.c.source_object_id == ticket_object, relation.c.source_key.in_(keys)),
                and_(relation.c.target_object_id == ticket_object, relation.c.target_key.in_(keys)),
            )
        )
    )

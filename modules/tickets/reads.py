"""Reading tickets for an action: every column an action needs plus the permission facts, in ONE statement.

An action reads its ticket by primary key (``read``) or all its tickets at once (``read_many``, chunks of
:data:`CHUNK` ids), joined with the queue's group and whether the actor watches it, so the permission check and
the change need no further query.  On PostgreSQL (and MySQL) the rows are locked ``FOR UPDATE OF ticket`` until
the transaction ends, so two agents changing the same ticket write history with the right old values; SQLite has a
single writer anyway.

Example::

    ticket = read(conn, 42, watcher_id=actor.user_id, lock=True)
    ticket.ticket_state_id, ticket.group_id, ticket.watching
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, exists, false, select

from modules.db.schema import metadata
from modules.permissions.queries import TicketFacts

T = metadata.tables
CHUNK = 1000
VALID = 1
MAX_BIGINT = 2**63 - 1
COLUMNS = (
    "id",
    "tn",
    "title",
    "queue_id",
    "ticket_lock_id",
    "type_id",
    "service_id",
    "sla_id",
    "user_id",
    "responsible_user_id",
    "ticket_priority_id",
    "ticket_state_id",
    "customer_id",
    "customer_user_id",
    "timeout",
    "until_time",
    "archive_flag",
    "create_time",
)


@dataclass(frozen=True)
class Ticket:
    """A ticket as an action sees it; attribute names are the ``ticket`` columns (``user_id`` is the owner)."""

    id: int
    tn: str
    title: str
    queue_id: int
    ticket_lock_id: int
    type_id: int | None
    service_id: int | None
    sla_id: int | None
    user_id: int
    responsible_user_id: int
    ticket_priority_id: int
    ticket_state_id: int
    customer_id: str | None
    customer_user_id: str | None
    timeout: int
    until_time: int
    archive_flag: int
    create_time: datetime
    group_id: int
    group_valid: bool
    watching: bool  # the reading actor watches it

    def facts(self, queue_name: str) -> TicketFacts:
        """The permission facts ``modules.permissions.grants_ticket`` takes."""
        return TicketFacts(
            id=self.id,
            queue_id=self.queue_id,
            queue_name=queue_name,
            group_id=self.group_id,
            group_valid=self.group_valid,
            owner_id=self.user_id,
            responsible_id=self.responsible_user_id,
            customer_id=self.customer_id,
            customer_user_id=self.customer_user_id,
            watching=self.watching,
        )


def _select(watcher_id: int | None, *, lock: bool) -> Select[Any]:
    ticket, queue, groups, watcher = T["ticket"], T["queue"], T["permission_groups"], T["ticket_watcher"]
    watching = (
        exists().where(watcher.c.ticket_id == ticket.c.id, watcher.c.user_id == watcher_id)
        if watcher_id is not None
        else false()
    )
    query = select(
        *(ticket.c[name] for name in COLUMNS), queue.c.group_id, groups.c.valid_id, watching.label("watching")
    ).select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id).join(groups, groups.c.id == queue.c.group_id))
    return query.with_for_update(of=ticket) if lock else query


def _ticket(row: Any) -> Ticket:
    values = dict(zip(COLUMNS, row[: len(COLUMNS)], strict=True))
    values["title"] = values["title"] or ""
    extra = row[len(COLUMNS) :]
    return Ticket(**values, group_id=extra[0], group_valid=extra[1] == VALID, watching=bool(extra[2]))


def read(conn: Connection, ticket_id: int, *, watcher_id: int | None = None, lock: bool = False) -> Ticket | None:
    """One ticket by primary key, or None."""
    if not 0 < ticket_id <= MAX_BIGINT:
        return None
    row = conn.execute(_select(watcher_id, lock=lock).where(T["ticket"].c.id == ticket_id)).first()
    return _ticket(row) if row else None


def read_many(
    conn: Connection, ticket_ids: Iterable[int], *, watcher_id: int | None = None, lock: bool = False
) -> dict[int, Ticket]:
    """The tickets among ``ticket_ids`` that exist, by id: one statement per :data:`CHUNK` ids."""
    wanted = sorted({i for i in ticket_ids if 0 < i <= MAX_BIGINT})
    found: dict[int, Ticket] = {}
    ticket = T["ticket"]
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = _select(watcher_id, lock=lock).where(ticket.c.id.in_(chunk)).order_by(ticket.c.id)
        found.update((row[0], _ticket(row)) for row in conn.execute(query))
    return found


def ticket_id_by_tn(conn: Connection, tn: str) -> int | None:
    """The id of the ticket numbered ``tn`` (exact match on the unique index), without following merges."""
    ticket = T["ticket"]
    return conn.execute(select(ticket.c.id).where(ticket.c.tn == tn)).scalar()

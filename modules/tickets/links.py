"""Links between tickets (OTRS's ``link_relation``) and following merged tickets to the ticket they went into.

A link is a ``link_relation`` row between two ``link_object`` 'Ticket' keys (ticket ids as text), of type Normal
(no direction) or ParentChild (source is the parent), in state Valid.  The 'Ticket' link object is created on
first use, as OTRS does.  These functions only touch the rows; ``TicketService.link`` checks permissions and writes
the TicketLinkAdd/Delete history.

:func:`resolve_tn` is OTRS's ``TicketCheckNumber``: the ticket with that number, or, when it was merged, the ticket
named by its newest Merged history row, and so on.  OTRS reads at most 10 tickets on the way: a chain of 9 merges
resolves, a longer one resolves to nothing (and mail for it then opens a new ticket).

Example::

    add(conn, refs, parent_id, child_id, "ParentChild", actor_id=7, now=now)   # True (False: already linked)
    linked(conn, refs, ticket_id)       # [Link(ticket_id=..., type='ParentChild', role='child'), ...]
    resolve_tn(conn, refs, "2024010110000012")   # the id of the ticket it was merged into, or its own
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from modules.db.schema import metadata
from modules.tickets import refs as refs_module
from modules.tickets.errors import TicketInvalid
from modules.tickets.refs import Refs

T = metadata.tables
LINK_TYPES = ("Normal", "ParentChild")
MERGE_LIMIT = 10  # tickets read at most while following merges (OTRS's TicketCheckNumber)
_MAIN_ID = re.compile(r"%%\d+?%%(\d+?)$")


@dataclass(frozen=True)
class Link:
    ticket_id: int  # the other ticket
    type: str  # Normal or ParentChild
    role: str  # "normal", "parent" (the other ticket is the parent) or "child"


def ticket_object_id(conn: Connection, refs: Refs) -> int:
    """The ``link_object`` id of 'Ticket', created on first use."""
    found = refs.find("link_object", "Ticket")
    if found is not None:
        return found.id
    table = T["link_object"]
    named = select(table.c.id).where(table.c.name == "Ticket")
    existing = conn.execute(named).scalar()  # the refs snapshot may predate a row made in this transaction
    if existing is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(table).values(name="Ticket"))
        except IntegrityError:  # another transaction created it meanwhile
            pass
        refs_module.forget(conn.engine)
        existing = conn.execute(named).scalar_one()
    return int(existing)


def _type_id(refs: Refs, link_type: str) -> int:
    if link_type not in LINK_TYPES:
        raise TicketInvalid("type", f"There is no link type '{link_type}'; use Normal or ParentChild.")
    return refs.id("link_type", link_type)


def _between(object_id: int, first: int, second: int, type_id: int) -> object:
    table = T["link_relation"]
    one_way = and_(table.c.source_key == str(first), table.c.target_key == str(second))
    other_way = and_(table.c.source_key == str(second), table.c.target_key == str(first))
    return and_(
        table.c.source_object_id == object_id,
        table.c.target_object_id == object_id,
        table.c.type_id == type_id,
        or_(one_way, other_way),
    )


def add(
    conn: Connection, refs: Refs, source_id: int, target_id: int, link_type: str, *, actor_id: int, now: datetime
) -> bool:
    """Link two tickets; False when they are already linked so.  A reversed ParentChild link is refused."""
    type_id = _type_id(refs, link_type)
    object_id = ticket_object_id(conn, refs)
    table = T["link_relation"]
    existing = conn.execute(
        select(table.c.source_key).where(_between(object_id, source_id, target_id, type_id))  # type: ignore[arg-type]
    ).first()
    if existing is not None:
        if link_type == "ParentChild" and existing[0] != str(source_id):
            raise TicketInvalid("type", "The tickets are already linked the other way round (parent and child).")
        return False
    conn.execute(
        insert(table).values(
            source_object_id=object_id,
            source_key=str(source_id),
            target_object_id=object_id,
            target_key=str(target_id),
            type_id=type_id,
            state_id=refs.id("link_state", "Valid"),
            create_time=now,
            create_by=actor_id,
        )
    )
    return True


def remove(conn: Connection, refs: Refs, first_id: int, second_id: int, link_type: str) -> bool:
    """Delete the link of ``link_type`` between two tickets (either direction); False when there was none."""
    type_id = _type_id(refs, link_type)
    object_id = ticket_object_id(conn, refs)
    table = T["link_relation"]
    result = conn.execute(delete(table).where(_between(object_id, first_id, second_id, type_id)))  # type: ignore[arg-type]
    return bool(result.rowcount)


def linked(conn: Connection, refs: Refs, ticket_id: int) -> list[Link]:
    """Every ticket linked to ``ticket_id``: one statement (both directions, via the list indexes)."""
    object_id = refs.find("link_object", "Ticket")
    if object_id is None:
        return []
    table = T["link_relation"]
    key = str(ticket_id)
    rows = conn.execute(
        select(table.c.source_key, table.c.target_key, table.c.type_id).where(
            table.c.source_object_id == object_id.id,
            table.c.target_object_id == object_id.id,
            or_(table.c.source_key == key, table.c.target_key == key),
        )
    )
    links = []
    for source, target, type_id in rows:
        type_name = refs.name("link_type", type_id)
        other = target if source == key else source
        role = "normal" if type_name == "Normal" else ("child" if source == key else "parent")
        links.append(Link(int(other), type_name, role))
    return sorted(links, key=lambda link: (link.type, link.ticket_id))


def move_links(conn: Connection, refs: Refs, from_id: int, to_id: int) -> None:
    """OTRS's TicketMergeLinkedObjects: the merged ticket's links now point at the main ticket."""
    object_id = refs.find("link_object", "Ticket")
    if object_id is None:
        return
    table = T["link_relation"]
    old, new, oid = str(from_id), str(to_id), object_id.id
    main_targets = select(table.c.target_key).where(table.c.source_object_id == oid, table.c.source_key == new)
    conn.execute(
        delete(table).where(
            table.c.source_object_id == oid, table.c.source_key == old, table.c.target_key.in_(main_targets)
        )
    )
    conn.execute(update(table).where(table.c.source_object_id == oid, table.c.source_key == old).values(source_key=new))
    conn.execute(update(table).where(table.c.target_object_id == oid, table.c.target_key == old).values(target_key=new))
    conn.execute(
        delete(table).where(
            table.c.source_object_id == oid,
            table.c.target_object_id == oid,
            table.c.source_key == table.c.target_key,
        )
    )


def resolve_tn(conn: Connection, refs: Refs, tn: str) -> int | None:
    """The ticket a number stands for, following merges as OTRS's TicketCheckNumber does (or None)."""
    ticket, history = T["ticket"], T["ticket_history"]
    found = conn.execute(select(ticket.c.id).where(ticket.c.tn == tn)).scalar()
    if found is None:
        return None
    ticket_id = int(found)
    merged_states = refs.state_ids(["merged"])
    merged_type = refs.history_type_id("Merged")
    newest_merge = (
        select(history.c.name)
        .where(history.c.ticket_id == ticket.c.id, history.c.history_type_id == merged_type)
        .order_by(history.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    for hop in range(1, MERGE_LIMIT + 1):
        row = conn.execute(
            select(ticket.c.ticket_state_id.in_(merged_states), newest_merge).where(ticket.c.id == ticket_id)
        ).first()
        if row is None or not row[0]:
            return ticket_id
        match = _MAIN_ID.search(row[1] or "")
        if match is None:
            return ticket_id
        if hop + 1 > MERGE_LIMIT:
            return None
        ticket_id = int(match.group(1))
    return None

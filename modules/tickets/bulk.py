"""Bulk changes (OTRS's AgentTicketBulk): the same changes applied to many tickets in few statements.

All tickets are read with ONE statement (per thousand), the new values are looked up once, and each ticket gets
its own permission check and its own history.  The writes are batched: tickets whose new column values are the
same share one ``UPDATE``, all history rows go in one ``INSERT``, a note is one article ``INSERT`` for all tickets.
A ticket the actor may not change, or that a rule refuses, is skipped with the reason; the others are changed.

Order per ticket, as in OTRS's bulk screen: queue, owner, responsible, priority, type, state (and pending time),
lock or unlock, then the note.

Example::

    result = service.bulk([1, 2, 3], BulkChanges(priority="4 high", queue="Misc", note=ArticleDraft(body="...")))
    result.changed, result.unchanged, result.skipped   # [1, 2], [3], {} ; skipped: {id: "You need ..."}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select

from modules.db.schema import metadata
from modules.permissions.agent import PermissionMap, agent_permissions
from modules.tickets import changes as rules
from modules.tickets import reads
from modules.tickets.articles import write_articles
from modules.tickets.changes import Change
from modules.tickets.creating import history_comment
from modules.tickets.drafts import ArticleDraft
from modules.tickets.errors import TicketError, TicketInvalid, not_assignable
from modules.tickets.refs import QueueInfo, Ref, StateRef

if TYPE_CHECKING:
    from modules.tickets.service import TicketService

T = metadata.tables


@dataclass(frozen=True)
class BulkChanges:
    queue: int | str | None = None
    owner: int | None = None
    responsible: int | None = None
    priority: int | str | None = None
    type: int | str | None = None
    state: int | str | None = None
    pending_until: datetime | None = None
    lock: Literal["lock", "unlock"] | None = None
    note: ArticleDraft | None = None


@dataclass
class BulkResult:
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Person:
    user_id: int
    login: str
    perms: PermissionMap  # read once for all tickets


@dataclass(frozen=True)
class _Plan:
    """The changes with every name looked up once."""

    queue: QueueInfo | None
    owner: _Person | None
    responsible: _Person | None
    priority: Ref | None
    ticket_type: Ref | None
    state: StateRef | None
    changes: BulkChanges


def _person(service: TicketService, user_id: int, role: str) -> _Person:
    users = T["users"]
    login = service.conn.execute(select(users.c.login).where(users.c.id == user_id)).scalar()
    perms = agent_permissions(service.conn, user_id)
    if login is None or not perms.valid:
        raise TicketInvalid(role, f"There is no valid agent with id {user_id}.")
    return _Person(user_id, str(login), perms)


def _plan(service: TicketService, changes: BulkChanges) -> _Plan:
    refs = service.refs
    state = refs.state(changes.state) if changes.state is not None else None
    if state is not None:
        if state.type_name == "merged":
            raise TicketInvalid("state", f"The state '{state.name}' is set by merging, not directly.")
        if state.is_pending and changes.pending_until is None:
            raise TicketInvalid("pending_until", f"The state '{state.name}' needs a pending time.")
    queue = refs.queue(changes.queue) if changes.queue is not None else None
    if queue is not None:
        service.require_queue(queue, "move_into")
    if changes.note is not None and changes.note.sends:
        raise TicketInvalid("note", "A bulk note cannot be sent as an email.")
    return _Plan(
        queue=queue,
        owner=_person(service, changes.owner, "owner") if changes.owner is not None else None,
        responsible=_person(service, changes.responsible, "responsible") if changes.responsible is not None else None,
        priority=refs.require("priority", changes.priority, "priority") if changes.priority is not None else None,
        ticket_type=refs.require("type", changes.type, "type") if changes.type is not None else None,
        state=state,
        changes=changes,
    )


def _change(service: TicketService, plan: _Plan, ticket: reads.Ticket) -> Change:
    """One ticket's change; raises TicketError when the actor may not make it."""
    refs, change = service.refs, service.change(ticket)
    if plan.queue is not None and plan.queue.id != ticket.queue_id:
        service.require(ticket, "move_into")
        rules.move(change, refs, plan.queue)
    group_id = plan.queue.group_id if plan.queue is not None else ticket.group_id
    for role, key, person in (("owner", "owner", plan.owner), ("responsible", "rw", plan.responsible)):
        if person is None:
            continue
        service.require(ticket, key)
        if not person.perms.has(group_id, key):
            raise not_assignable(role, person.login, refs.name("queue", change.after.queue_id), key)
        setter = rules.set_owner if role == "owner" else rules.set_responsible
        setter(change, person.user_id, person.login)
    if plan.priority is not None:
        service.require(ticket, "priority")
        rules.set_priority(change, refs, plan.priority.id)
    if plan.ticket_type is not None:
        service.require(ticket, "rw")
        old = refs.name("type", ticket.type_id) or None
        rules.set_attribute(change, rules.TYPE, plan.ticket_type.id, plan.ticket_type.name, old)
    if plan.state is not None:
        service.require(ticket, "rw")
        rules.set_state(change, refs, plan.state, plan.changes.pending_until)
    if plan.changes.lock is not None:
        service.require(ticket, "rw")
        if plan.changes.lock == "lock":
            rules.lock(change, refs, service.now)
        else:
            rules.unlock(change, refs)
    if plan.changes.note is not None:
        service.require(ticket, "note" if plan.changes.note.channel == "Internal" else "rw")
    return change


def run_bulk(service: TicketService, ticket_ids: list[int], changes: BulkChanges) -> BulkResult:
    plan = _plan(service, changes)
    tickets = reads.read_many(service.conn, ticket_ids, watcher_id=service.actor.user_id, lock=True)
    result = BulkResult()
    planned: list[Change] = []
    for ticket_id in dict.fromkeys(ticket_ids):
        ticket = tickets.get(ticket_id)
        if ticket is None:
            result.skipped[ticket_id] = f"Ticket {ticket_id} does not exist."
            continue
        try:
            planned.append(_change(service, plan, ticket))
        except TicketError as error:
            result.skipped[ticket_id] = str(error)
    note = changes.note
    if note is not None and planned:
        if note.from_ is None and note.sender_type == "agent":
            note = note.model_copy(update={"from_": service.actor.address})
        items = [(change.before.id, note, None) for change in planned]
        ids = write_articles(service.conn, service.refs, items, actor_id=service.actor.user_id, now=service.now)
        for change, article_id in zip(planned, ids, strict=True):
            change.log(note.history_type, history_comment(note, change.before.tn), article_id)
            change.emit("ArticleCreate", article_id)
    for change in planned:
        (result.changed if change.changed else result.unchanged).append(change.before.id)
    service.commit_changes(*planned)
    return result

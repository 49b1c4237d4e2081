"""Periodic ticket work (OTRS's daemon tasks ``Maint::Ticket::PendingCheck`` and ``UnlockTimeout``).

``run(conn, now)`` does, as the system (user 1), in the caller's transaction:

1. **Pending auto close**: tickets in a ``pending auto`` state whose pending time has come move to the state of
   ``Ticket::StateAfterPending`` (``pending auto close+`` -> ``closed successful``, ``pending auto close-`` ->
   ``closed unsuccessful``): history StateUpdate, SetPendingTime reset, and Unlock when they were locked.
2. **Unlock timeout**: locked tickets in a state of type new or open (``Ticket::UnlockStateType``) whose queue has
   an ``unlock_timeout`` (minutes) and whose ``timeout`` (the last lock or agent answer) is that long ago are
   unlocked (history Unlock).  The minutes are working time of the queue's calendar, as OTRS counts them (a
   ticket locked on Friday evening stays locked over the weekend); the tickets that long ago in wall-clock time
   are read with one statement, the calendars with one more when there are any.
3. Counter rows of days long gone are deleted (``counter.delete_old_scopes``).
4. **Escalation check**: notify-before and start events for tickets near or past their escalation destinations
   (``modules/tickets/escalation_check.py``).

Each step reads its due tickets with one indexed statement and writes them in batches (``changes.apply``), so a
run costs the same few statements for one ticket or a thousand.  It returns what it did.

Example::

    with engine.begin() as conn:
        report = run(conn, utc_now())
    report.closed, report.unlocked      # ticket ids
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from modules.db.schema import metadata
from modules.tickets import changes as rules
from modules.tickets import counter, escalation_check, reads
from modules.tickets.actor import Actor
from modules.tickets.calendars import load_calendars
from modules.tickets.changes import from_epoch, to_epoch
from modules.tickets.options import TicketOptions
from modules.tickets.service import TicketService

T = metadata.tables
#: Ticket::StateAfterPending (OTRS default)
STATE_AFTER_PENDING = {"pending auto close+": "closed successful", "pending auto close-": "closed unsuccessful"}


@dataclass
class Report:
    closed: list[int] = field(default_factory=list)
    unlocked: list[int] = field(default_factory=list)
    counters_deleted: int = 0
    automation: list[Any] = field(default_factory=list)  # RunResult of each GenericAgent job that was due
    escalations: list[tuple[int, str]] = field(default_factory=list)  # (ticket id, event) raised by escalation_check


def run(conn: Connection, now: datetime, *, options: TicketOptions | None = None) -> Report:
    """One maintenance pass at ``now`` (naive UTC); returns the tickets it closed and unlocked."""
    service = TicketService(conn, Actor.system(), options=options, now=now)
    report = Report()
    report.closed = close_pending(service)
    report.unlocked = unlock_timed_out(service)
    report.counters_deleted = counter.delete_old_scopes(conn, now=now)
    report.escalations = escalation_check.check(conn, now)  # notify-before and start events (OTRS EscalationCheck)
    from modules.automation.scheduled import run_due  # scheduled GenericAgent jobs (modules/automation)

    report.automation = run_due(conn, now)
    return report


def close_pending(service: TicketService) -> list[int]:
    refs, ticket = service.refs, T["ticket"]
    targets: dict[int, int] = {}
    for state_id in refs.state_ids(["pending auto"]):
        name = refs.state(state_id, valid=False).name
        target = refs.find("state", STATE_AFTER_PENDING.get(name, ""))
        if target is not None:
            targets[state_id] = target.id
    if not targets:
        return []
    due = service.conn.execute(
        select(ticket.c.id)
        .where(
            ticket.c.ticket_state_id.in_(sorted(targets)),
            ticket.c.until_time > 0,
            ticket.c.until_time <= to_epoch(service.now),
        )
        .order_by(ticket.c.id)
    ).scalars()
    tickets = reads.read_many(service.conn, list(due), lock=True)
    planned = []
    for found in tickets.values():
        change = service.change(found)
        rules.set_state(change, refs, refs.state(targets[found.ticket_state_id], valid=False), None)
        planned.append(change)
    service.commit_changes(*planned)
    return [change.before.id for change in planned]


def unlock_timed_out(service: TicketService) -> list[int]:
    refs, ticket, queue = service.refs, T["ticket"], T["queue"]
    states = refs.state_ids(service.options.unlock_state_types)
    if not states:
        return []
    candidates = service.conn.execute(  # working time is never more than wall-clock time
        select(ticket.c.id, ticket.c.timeout, queue.c.unlock_timeout, queue.c.calendar_name)
        .select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id))
        .where(
            ticket.c.ticket_lock_id == refs.lock_id("lock"),
            ticket.c.ticket_state_id.in_(states),
            queue.c.unlock_timeout > 0,
            ticket.c.timeout + queue.c.unlock_timeout * 60 <= to_epoch(service.now),
        )
        .order_by(ticket.c.id)
    ).all()
    due: list[int] = []
    if candidates:
        calendars = load_calendars(service.conn)
        for row in candidates:
            worked = calendars.get(row.calendar_name).between(from_epoch(row.timeout), service.now)
            if worked >= row.unlock_timeout * 60:
                due.append(row.id)
    tickets = reads.read_many(service.conn, due, lock=True)
    planned = []
    for found in tickets.values():
        change = service.change(found)
        rules.unlock(change, refs)
        planned.append(change)
    service.commit_changes(*planned)
    return [change.before.id for change in planned]

"""The periodic escalation check (OTRS's ``Maint::Ticket::EscalationCheck``): notify-before and start events.

For every ticket whose earliest destination (``escalation_time``, indexed) is at most five days away, each of its
response, update and solution destinations is looked at:

* passed (``destination <= now``): ``Escalation<Kind>TimeStart``;
* not yet, but at least ``notify``% of the goal's working time used (OTRS: ``100 - left / (goal / 100) >=
  notify``): ``Escalation<Kind>TimeNotifyBefore``.

Each event is raised with history ``%%<Event>%%triggered`` (the OTRS types 42-47), by the system user, and only
once per threshold of a destination: it is skipped when the ticket's last row of that type is not older than the
moment the threshold was crossed (the destination itself, or the moment notify% was used).  As in OTRS, nothing is
raised while the ticket's calendar is outside working hours (no working time in the last ten minutes): the events
wait for the next check in business hours.

Tickets are read a thousand at a time in ``escalation_time`` order (keyset on (escalation_time, id)); goals,
calendars and the last event times are read once per batch; history is one executemany per batch.

Example::

    raised = check(conn, utc_now())     # [(ticket_id, "EscalationResponseTimeStart"), ...]
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, select, tuple_

from goatkit.worktime import WorkingCalendar
from modules.db.schema import metadata
from modules.tickets import history
from modules.tickets.calendars import load_calendars
from modules.tickets.changes import from_epoch, to_epoch
from modules.tickets.escalation import (
    CHUNK,
    EVENT_KIND,
    KINDS,
    SYSTEM_USER_ID,
    TicketGoals,
    history_entry,
    read_goals,
)
from modules.tickets.events import TicketEvent, emit
from modules.tickets.refs import Refs

T = metadata.tables
LOOK_AHEAD = timedelta(days=5)
BUSINESS_WINDOW = timedelta(minutes=10)


def check(conn: Connection, now: datetime) -> list[tuple[int, str]]:
    """Raise the due notify-before and start events at ``now`` (naive UTC); returns (ticket id, event) pairs."""
    ticket = T["ticket"]
    refs = Refs(conn)
    horizon = to_epoch(now + LOOK_AHEAD)
    raised: list[tuple[int, str]] = []
    after: tuple[int, int] | None = None
    while True:
        query = select(ticket.c.id, ticket.c.escalation_time).where(
            and_(ticket.c.escalation_time > 0, ticket.c.escalation_time <= horizon)
        )
        if after is not None:
            query = query.where(tuple_(ticket.c.escalation_time, ticket.c.id) > tuple_(*after))
        rows = list(conn.execute(query.order_by(ticket.c.escalation_time, ticket.c.id).limit(CHUNK)))
        if not rows:
            return raised
        raised.extend(_check_batch(conn, refs, [row.id for row in rows], now))
        after = (rows[-1].escalation_time, rows[-1].id)


def _check_batch(conn: Connection, refs: Refs, ticket_ids: list[int], now: datetime) -> list[tuple[int, str]]:
    tickets = read_goals(conn, refs, ticket_ids)
    calendars = load_calendars(conn)
    last = _last_raised(conn, refs, ticket_ids)
    entries: list[history.Entry] = []
    events: list[TicketEvent] = []
    for t in tickets:
        calendar = calendars.get(t.goals.calendar)
        if not calendar.between(now - BUSINESS_WINDOW, now):
            continue
        for kind, name, since in _due(t, calendar, now):
            previous = last.get((t.id, refs.history_type_id(name)))
            if previous is not None and previous >= since:
                continue  # raised already for this destination
            entries.append(history_entry(t, name))
            events.append(TicketEvent(name, t.id, None, SYSTEM_USER_ID, {"kind": kind}, t.queue_id, (t.owner_id,)))
    history.write(conn, refs, entries, actor_id=SYSTEM_USER_ID, now=now)
    for ticket_event in events:
        emit(conn, ticket_event)
    return [(e.ticket_id, e.name) for e in events]


def _due(ticket: TicketGoals, calendar: WorkingCalendar, now: datetime) -> list[tuple[str, str, datetime]]:
    """(kind, event, moment the threshold was crossed) for each destination that warrants an event now."""
    due = []
    for kind in KINDS:
        epoch = ticket.current.of(kind)
        if not epoch:
            continue
        destination = from_epoch(epoch)
        label = EVENT_KIND[kind]
        if destination <= now:
            due.append((kind, f"Escalation{label}TimeStart", destination))
            continue
        notify, goal = ticket.goals.notify(kind), ticket.goals.minutes(kind) * 60
        if not notify or not goal:
            continue
        left = calendar.between(now, destination)
        if 100 - left / (goal / 100) >= notify:
            crossed = calendar.subtract(destination, goal * (100 - notify) // 100)
            due.append((kind, f"Escalation{label}TimeNotifyBefore", crossed))
    return due


def _last_raised(conn: Connection, refs: Refs, ticket_ids: list[int]) -> dict[tuple[int, int], datetime]:
    """The newest history row per (ticket, escalation event type) of the tickets: one grouped statement."""
    table = T["ticket_history"]
    names = [f"Escalation{EVENT_KIND[kind]}Time{what}" for kind in KINDS for what in ("Start", "NotifyBefore")]
    type_ids = [refs.history_type_id(name) for name in names]
    query = (
        select(table.c.ticket_id, table.c.history_type_id, func.max(table.c.create_time).label("last"))
        .where(table.c.ticket_id.in_(ticket_ids), table.c.history_type_id.in_(type_ids))
        .group_by(table.c.ticket_id, table.c.history_type_id)
    )
    return {(row.ticket_id, row.history_type_id): row.last for row in conn.execute(query)}

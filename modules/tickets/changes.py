"""A ticket change as data, the OTRS lifecycle rules that build it, and the batched write that applies it.

A :class:`Change` starts from a ticket as read (:class:`~modules.tickets.reads.Ticket`) and collects column
values, history entries and events; each history entry carries the ticket's ids as they are AFTER that step, as
OTRS's ``HistoryAdd`` reads them.  The rule functions below are OTRS's core ``Ticket*Set`` functions plus the
default event modules that react to them:

- leaving a pending state resets the pending time (3300-TicketPendingTimeReset);
- a queue change unlocks (3600-ForceUnlockOnMove); closing unlocks (the agent screens' rule);
- locking resets the unlock timeout (``TicketUnlockTimeoutUpdate``: Misc "Reset of unlock time.").

:func:`apply` writes any number of changes with few statements: one ``UPDATE`` per distinct set of values (bulk
changes of many tickets share one), one batched history ``INSERT``, then the events in order.

Example::

    change = Change(ticket, actor_id=7, default_type_id=1)
    set_state(change, refs, refs.state("closed successful"), None)   # StateUpdate, then Unlock if locked
    apply(conn, refs, [change], actor_id=7, now=now)
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, CursorResult, update

from modules.db.schema import metadata
from modules.tickets import history
from modules.tickets.events import TicketEvent, emit_batch
from modules.tickets.history import Names
from modules.tickets.reads import Ticket
from modules.tickets.refs import QueueInfo, Refs, StateRef

T = metadata.tables


def utc_now() -> datetime:
    """Now as GOTRS stores times: naive UTC (OTRS's default OTRSTimeZone)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def to_epoch(moment: datetime) -> int:
    """Seconds since 1970 of ``moment`` (naive means UTC), as OTRS's ``until_time`` and ``timeout`` store it."""
    if moment.tzinfo is not None:
        return int(moment.timestamp())
    return calendar.timegm(moment.timetuple())


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row a single-row INSERT created."""
    key = result.inserted_primary_key
    if key is None or key[0] is None:  # pragma: no cover - every GOTRS table has an autoincrement key
        raise RuntimeError("the database returned no id for the new row")
    return int(key[0])


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


@dataclass
class Change:
    """Values, history and events of one ticket's change, built step by step."""

    before: Ticket
    actor_id: int
    default_type_id: int
    after: Ticket = field(init=False)
    values: dict[str, Any] = field(default_factory=dict)
    entries: list[history.Entry] = field(default_factory=list)
    events: list[TicketEvent] = field(default_factory=list)
    touch: bool = False  # update change_time/change_by even without a column change

    def __post_init__(self) -> None:
        self.after = self.before

    def set(self, **columns: Any) -> None:
        self.after = replace(self.after, **columns)
        self.values.update(columns)

    def log(self, history_type: str, name: str, article_id: int | None = None) -> None:
        ticket = self.after
        self.entries.append(
            history.Entry(
                ticket_id=ticket.id,
                history_type=history_type,
                name=name,
                queue_id=ticket.queue_id,
                type_id=ticket.type_id or self.default_type_id,
                owner_id=ticket.user_id,
                priority_id=ticket.ticket_priority_id,
                state_id=ticket.ticket_state_id,
                article_id=article_id,
            )
        )

    def emit(self, name: str, article_id: int | None = None, **data: Any) -> None:
        before, after = self.before, self.after
        self.events.append(
            TicketEvent(
                name,
                before.id,
                article_id,
                self.actor_id,
                MappingProxyType(data),
                after.queue_id,
                owners=tuple(dict.fromkeys((after.user_id, before.user_id))),
                responsibles=tuple(dict.fromkeys((after.responsible_user_id, before.responsible_user_id))),
            )
        )

    @property
    def changed(self) -> bool:
        return bool(self.values or self.entries or self.events or self.touch)


def apply(conn: Connection, refs: Refs, changes: Sequence[Change], *, actor_id: int, now: datetime) -> None:
    """Write the changes: grouped UPDATEs, one history INSERT, then every event in order."""
    ticket = T["ticket"]
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for change in changes:
        if change.values or change.touch:
            key = tuple(sorted(change.values.items(), key=lambda item: item[0]))
            groups.setdefault(key, []).append(change.before.id)
    for key, ids in groups.items():
        where = ticket.c.id == ids[0] if len(ids) == 1 else ticket.c.id.in_(ids)
        conn.execute(update(ticket).where(where).values(**dict(key), change_time=now, change_by=actor_id))
    history.write(conn, refs, [entry for change in changes for entry in change.entries], actor_id=actor_id, now=now)
    emit_batch(conn, [ticket_event for change in changes for ticket_event in change.events])


# --- the rules ------------------------------------------------------------------------------------------------


def set_state(change: Change, refs: Refs, state: StateRef, pending_until: datetime | None) -> None:
    """TicketStateSet, then the pending time (set, or reset when the new state is not pending), then unlock."""
    old = refs.state(change.after.ticket_state_id, valid=False)
    if state.id != old.id:
        change.set(ticket_state_id=state.id)
        change.log("StateUpdate", Names.state_update(old.name, state.name))
        change.emit("TicketStateUpdate", old_state_id=old.id)
    if state.is_pending:
        if pending_until is not None:
            set_pending_time(change, pending_until)
    elif change.after.until_time:
        set_pending_time(change, None)
    if state.is_closed:
        unlock(change, refs)


def set_pending_time(change: Change, until: datetime | None) -> None:
    """TicketPendingTimeSet: ``until`` None resets (``%%00-00-00 00:00``, until_time 0)."""
    seconds = 0 if until is None else to_epoch(until)
    if seconds == change.after.until_time:
        return
    change.set(until_time=seconds)
    change.log("SetPendingTime", Names.pending(until))
    change.emit("TicketPendingTimeUpdate")


def unlock(change: Change, refs: Refs) -> None:
    unlocked = refs.lock_id("unlock")
    if change.after.ticket_lock_id != unlocked:
        change.set(ticket_lock_id=unlocked)
        change.log("Unlock", "%%unlock")
        change.emit("TicketLockUpdate")


def lock(change: Change, refs: Refs, now: datetime) -> None:
    """TicketLockSet lock, which resets the unlock timeout to now."""
    locked = refs.lock_id("lock")
    if change.after.ticket_lock_id != locked:
        change.set(ticket_lock_id=locked)
        change.log("Lock", "%%lock")
        change.emit("TicketLockUpdate")
        reset_unlock_timeout(change, now)


def reset_unlock_timeout(change: Change, now: datetime) -> None:
    """TicketUnlockTimeoutUpdate: ``timeout`` = now, history Misc "Reset of unlock time." when it changed."""
    seconds = to_epoch(now)
    if change.after.timeout != seconds:
        change.set(timeout=seconds)
        change.log("Misc", Names.UNLOCK_TIME_RESET)
        change.emit("TicketUnlockTimeoutUpdate")


def move(change: Change, refs: Refs, queue: QueueInfo) -> None:
    """TicketQueueSet, then ForceUnlockOnMove."""
    old_id = change.after.queue_id
    if queue.id == old_id:
        return
    change.set(queue_id=queue.id)
    change.log("Move", Names.move(queue.name, queue.id, refs.name("queue", old_id), old_id))
    change.emit("TicketQueueUpdate", old_queue_id=old_id)
    unlock(change, refs)


def set_priority(change: Change, refs: Refs, priority_id: int) -> None:
    old_id = change.after.ticket_priority_id
    if priority_id == old_id:
        return
    change.set(ticket_priority_id=priority_id)
    old, new = refs.name("priority", old_id), refs.name("priority", priority_id)
    change.log("PriorityUpdate", Names.priority_update(old, old_id, new, priority_id))
    change.emit("TicketPriorityUpdate", old_priority_id=old_id)


def set_owner(change: Change, user_id: int, login: str) -> None:
    if user_id == change.after.user_id:
        return
    old_id = change.after.user_id
    change.set(user_id=user_id)
    change.log("OwnerUpdate", Names.user(login, user_id))
    change.emit("TicketOwnerUpdate", old_owner_id=old_id)


def set_responsible(change: Change, user_id: int, login: str) -> None:
    if user_id == change.after.responsible_user_id:
        return
    old_id = change.after.responsible_user_id
    change.set(responsible_user_id=user_id)
    change.log("ResponsibleUpdate", Names.user(login, user_id))
    change.emit("TicketResponsibleUpdate", old_responsible_id=old_id)


def set_title(change: Change, title: str) -> None:
    if title == change.after.title:
        return
    old = change.after.title
    change.set(title=title)
    change.log("TitleUpdate", Names.title_update(old, title))
    change.emit("TicketTitleUpdate")


def set_customer(change: Change, customer_id: str | None, customer_user: str | None) -> None:
    """TicketCustomerSet with both values (None is stored as NULL and written empty in the history)."""
    if (customer_id, customer_user) == (change.after.customer_id, change.after.customer_user_id):
        return
    change.set(customer_id=customer_id, customer_user_id=customer_user)
    change.log("CustomerUpdate", Names.customer_update(customer_id or "", customer_user or ""))
    change.emit("TicketCustomerUpdate")


@dataclass(frozen=True)
class Attribute:
    """How type, service and SLA differ: the column, the history type and the event."""

    column: str
    history_type: str
    event: str


TYPE = Attribute("type_id", "TypeUpdate", "TicketTypeUpdate")
SERVICE = Attribute("service_id", "ServiceUpdate", "TicketServiceUpdate")
SLA = Attribute("sla_id", "SLAUpdate", "TicketSLAUpdate")


def set_attribute(
    change: Change, attribute: Attribute, new_id: int | None, new_name: str | None, old_name: str | None
) -> None:
    """TicketTypeSet / TicketServiceSet / TicketSLASet: ``%%New%%NewID%%Old%%OldID``."""
    old_id = getattr(change.after, attribute.column)
    if new_id == old_id:
        return
    change.set(**{attribute.column: new_id})
    change.log(attribute.history_type, Names.attribute_update(new_name, new_id, old_name, old_id))
    change.emit(attribute.event)

"""Ticket history the OTRS way: the rows ``HistoryAdd`` writes, and the English sentences the history tab shows.

A row's ``name`` is OTRS's machine format: fields after ``%%`` separators (``%%Old%%New%%`` for StateUpdate),
cut to 200 characters; ``queue_id``, ``type_id``, ``owner_id``, ``priority_id`` and ``state_id`` are the ticket's
AFTER the change.  Rows are written in one batched ``INSERT`` per action (executemany), never one per row.
:func:`describe` renders a name with ``Ticket::Frontend::HistoryTypes`` (:data:`WORDING`, OTRS's own English)
as OTRS's AgentTicketHistory does: split on ``%%``, TypeUpdate and TicketDynamicFieldUpdate values reordered,
each ``%s`` filled in turn and the unused ones dropped; a name without ``%%`` is shown as it is.

Example::

    describe("NewTicket", "%%2024010110000012%%Raw%%3 normal%%new%%7")
    # 'Created ticket [2024010110000012] in "Raw" with priority "3 normal" and state "new".'
    Names.state_update("new", "open")     # '%%new%%open%%'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, select

from modules.db.schema import metadata
from modules.tickets.refs import Refs

T = metadata.tables
NAME_SIZE = 200

#: ``Ticket::Frontend::HistoryTypes``: OTRS's English wording of each history type (Bulk has none).
WORDING: dict[str, str] = {
    "AddNote": "Added note (%s).",
    "ArchiveFlagUpdate": 'Changed archive state to "%s".',
    "Bounce": 'Bounced to "%s".',
    "CustomerUpdate": 'Changed customer to "%s".',
    "EmailAgent": "Sent email to customer.",
    "EmailCustomer": "Added email. %s",
    "EmailResend": 'Resent email to "%s".',
    "EscalationResponseTimeNotifyBefore": "Notified about response time escalation.",
    "EscalationResponseTimeStart": "Started response time escalation.",
    "EscalationResponseTimeStop": "Stopped response time escalation.",
    "EscalationSolutionTimeNotifyBefore": "Notified about solution time escalation.",
    "EscalationSolutionTimeStart": "Started solution time escalation.",
    "EscalationSolutionTimeStop": "Stopped solution time escalation.",
    "EscalationUpdateTimeNotifyBefore": "Notified about update time escalation.",
    "EscalationUpdateTimeStart": "Started update time escalation.",
    "EscalationUpdateTimeStop": "Stopped update time escalation.",
    "FollowUp": "Added follow-up to ticket [%s]. %s",
    "Forward": 'Forwarded to "%s".',
    "Lock": "Locked ticket.",
    "LoopProtection": 'Loop protection: no auto-response sent to "%s".',
    "Merged": "Merged Ticket (%s/%s) to (%s/%s).",
    "Misc": "%s",
    "Move": 'Changed queue to "%s" (%s) from "%s" (%s).',
    "NewTicket": 'Created ticket [%s] in "%s" with priority "%s" and state "%s".',
    "OwnerUpdate": 'Changed owner to "%s" (%s).',
    "PhoneCallAgent": "Added phone call to customer.",
    "PhoneCallCustomer": "Added phone call from customer.",
    "PriorityUpdate": 'Changed priority from "%s" (%s) to "%s" (%s).',
    "Remove": "%s",
    "ResponsibleUpdate": 'Changed responsible to "%s" (%s).',
    "SLAUpdate": 'Changed SLA to "%s" (%s).',
    "SendAgentNotification": 'Sent "%s" notification to "%s" via "%s".',
    "SendAnswer": 'Sent email to "%s".',
    "SendAutoFollowUp": 'Sent auto follow-up to "%s".',
    "SendAutoReject": 'Sent auto reject to "%s".',
    "SendAutoReply": 'Sent auto reply to "%s".',
    "SendCustomerNotification": 'Sent notification to "%s".',
    "ServiceUpdate": 'Changed service to "%s" (%s).',
    "SetPendingTime": 'Changed pending time to "%s".',
    "StateUpdate": 'Changed state from "%s" to "%s".',
    "Subscribe": 'Added subscription for user "%s".',
    "SystemRequest": "Added system request (%s).",
    "TicketDynamicFieldUpdate": 'Changed dynamic field %s from "%s" to "%s".',
    "TicketLinkAdd": 'Added link to ticket "%s".',
    "TicketLinkDelete": 'Deleted link to ticket "%s".',
    "TimeAccounting": "Added %s time unit(s), for a total of %s time unit(s).",
    "TitleUpdate": 'Changed title from "%s" to "%s".',
    "TypeUpdate": 'Changed type from "%s" (%s) to "%s" (%s).',
    "Unlock": "Unlocked ticket.",
    "Unsubscribe": 'Removed subscription for user "%s".',
    "WebRequestCustomer": "Added web request from customer.",
}

_PLACEHOLDER = re.compile(r"%s")


def describe(history_type: str, name: str) -> str:
    """The sentence the history tab shows for a row (OTRS's AgentTicketHistory rendering, in English)."""
    if not name.startswith("%%"):
        return name
    values = split_name(name)
    if history_type == "TicketDynamicFieldUpdate":
        values = [_at(values, 1), _at(values, 5), _at(values, 3)]
    elif history_type == "TypeUpdate":
        values = [_at(values, 2), _at(values, 3), _at(values, 0), _at(values, 1)]
    wording = WORDING.get(history_type)
    if wording is None:
        return " ".join(values)
    filled = iter(values)
    return _PLACEHOLDER.sub(lambda _match: next(filled, ""), wording)


def split_name(name: str) -> list[str]:
    """The fields of a ``%%`` name, as Perl's ``split`` gives them: trailing empty fields dropped."""
    values = name.removeprefix("%%").split("%%")
    while values and values[-1] == "":
        values.pop()
    return values


def _at(values: Sequence[str], index: int) -> str:
    return values[index] if index < len(values) else ""


@dataclass(frozen=True)
class Entry:
    """One history row to write; the ids are the ticket's after the change."""

    ticket_id: int
    history_type: str
    name: str
    queue_id: int
    type_id: int
    owner_id: int
    priority_id: int
    state_id: int
    article_id: int | None = None


def write(conn: Connection, refs: Refs, entries: Sequence[Entry], *, actor_id: int, now: datetime) -> None:
    """Insert ``entries`` with one (executemany) statement."""
    if not entries:
        return
    rows = [
        {
            "name": entry.name[:NAME_SIZE],
            "history_type_id": refs.history_type_id(entry.history_type),
            "ticket_id": entry.ticket_id,
            "article_id": entry.article_id,
            "type_id": entry.type_id,
            "queue_id": entry.queue_id,
            "owner_id": entry.owner_id,
            "priority_id": entry.priority_id,
            "state_id": entry.state_id,
            "create_time": now,
            "create_by": actor_id,
            "change_time": now,
            "change_by": actor_id,
        }
        for entry in entries
    ]
    conn.execute(insert(T["ticket_history"]), rows)


@dataclass(frozen=True)
class Line:
    """A history row as the history tab and the API show it."""

    id: int
    history_type: str
    name: str
    text: str
    article_id: int | None
    create_time: datetime
    create_by: int
    create_login: str


def lines(conn: Connection, ticket_id: int) -> list[Line]:
    """A ticket's history, oldest first, described: one statement (type and user joined)."""
    history, types, users = T["ticket_history"], T["ticket_history_type"], T["users"]
    query = (
        select(history.c.id, types.c.name, history.c.name, history.c.article_id, history.c.create_time)
        .add_columns(history.c.create_by, users.c.login)
        .select_from(
            history.join(types, types.c.id == history.c.history_type_id).outerjoin(
                users, users.c.id == history.c.create_by
            )
        )
        .where(history.c.ticket_id == ticket_id)
        .order_by(history.c.create_time, history.c.id)
    )
    return [
        Line(row[0], row[1], row[2], describe(row[1], row[2]), row[3] or None, row[4], row[5], row[6] or "")
        for row in conn.execute(query)
    ]


def perl_number(value: Decimal) -> str:
    """A number as Perl prints it: ``Decimal("4.50")`` -> ``"4.5"``, ``Decimal("2.00")`` -> ``"2"``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


class Names:
    """OTRS's history name formats, one function per history type (``Kernel::System::Ticket``)."""

    UNLOCK_TIME_RESET = "Reset of unlock time."

    @staticmethod
    def join(*fields: object) -> str:
        return "".join(f"%%{field}" for field in fields)

    @staticmethod
    def new_ticket(tn: str, queue: str, priority: str, state: str, ticket_id: int) -> str:
        return Names.join(tn, queue, priority, state, ticket_id)

    @staticmethod
    def state_update(old: str, new: str) -> str:
        return f"%%{old}%%{new}%%"

    @staticmethod
    def move(new: str, new_id: int, old: str, old_id: int) -> str:
        return Names.join(new, new_id, old, old_id)

    @staticmethod
    def priority_update(old: str, old_id: int, new: str, new_id: int) -> str:
        return Names.join(old, old_id, new, new_id)

    @staticmethod
    def user(login: str, user_id: int) -> str:
        """OwnerUpdate and ResponsibleUpdate."""
        return Names.join(login, user_id)

    @staticmethod
    def pending(until: datetime | None) -> str:
        """SetPendingTime: ``%%2024-03-15 12:00``, or ``%%00-00-00 00:00`` for a reset."""
        return "%%00-00-00 00:00" if until is None else f"%%{until:%Y-%m-%d %H:%M}"

    @staticmethod
    def title_update(old: str, new: str) -> str:
        """TitleUpdate: the new title cut to 50 characters, with "..." when it reached 50 (OTRS's own rule)."""
        cut = new[:50]
        return Names.join(old, cut + "..." if len(cut) == 50 else cut)

    @staticmethod
    def customer_update(customer_id: str | None, customer_user: str | None) -> str:
        parts = "" if customer_id is None else f"CustomerID={customer_id};"
        parts += "" if customer_user is None else f"CustomerUser={customer_user};"
        return f"%%{parts}"

    @staticmethod
    def attribute_update(new: str | None, new_id: int | None, old: str | None, old_id: int | None) -> str:
        """TypeUpdate, ServiceUpdate and SLAUpdate: an empty value is written NULL, an empty id ''."""
        return Names.join(new or "NULL", new_id or "", old or "NULL", old_id or "")

    @staticmethod
    def time_accounting(units: Decimal, total: Decimal) -> str:
        return Names.join(perl_number(units), perl_number(total))

    @staticmethod
    def merged(merge_tn: str, merge_id: int, main_tn: str, main_id: int) -> str:
        return Names.join(merge_tn, merge_id, main_tn, main_id)

    @staticmethod
    def link(other_tn: str, other_id: int, ticket_id: int) -> str:
        """TicketLinkAdd and TicketLinkDelete, written on each ticket about the other one."""
        return Names.join(other_tn, other_id, ticket_id)

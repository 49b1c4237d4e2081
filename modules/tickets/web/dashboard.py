"""The agent dashboard (``GET /agent``): four short lists of the tickets that want the agent now.

* **Locked**: tickets the agent has locked (a lock always belongs to the owner);
* **Owned**: tickets the agent owns that still need work (OTRS's viewable state types);
* **New in my queues**: tickets in state type ``new`` in the queues where the agent has ``ro``;
* **Reminders reached**: the agent's tickets in a ``pending reminder`` state whose time has come;
* **Escalated tickets**: tickets the agent may read (in their ``ro`` queues, or their own) that escalated or will
  within the hour, soonest first (``escalation_time``, indexed; kept current by ``modules/tickets/escalation.py``),
  each with the time left or overdue (wall-clock, :func:`escalation.time_left`).

Each widget is one statement (ten rows and a count capped at 1000, :func:`queries.ticket_rows`), each already
limited to what the agent may read; the owners' names of all lists come in one more query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from flask import Response
from sqlalchemy import ColumnElement, Connection, false, or_

from goatkit.routing import handler
from modules.db.schema import metadata
from modules.permissions.agent import agent_permissions
from modules.tickets.changes import to_epoch, utc_now
from modules.tickets.escalation import TimeLeft, time_left
from modules.tickets.refs import Refs
from modules.tickets.web import queries
from modules.tickets.web.common import agent_id, guarded, page, reading

ROWS = 10
SOON = timedelta(hours=1)  # the escalated widget also lists tickets escalating within this time
_TICKET = metadata.tables["ticket"]


@dataclass(frozen=True)
class Widget:
    """One list of the dashboard: its rows, how many tickets there are in all, and where to see them."""

    key: str
    title: str
    empty: str
    rows: list[queries.TicketRow]
    total: int
    capped: bool
    more: str
    escalations: dict[int, TimeLeft] = field(default_factory=dict)  # ticket id -> time left (escalated widget)


def _more(**filters: object) -> str:
    return "/agent/queues?" + urlencode(filters, doseq=True)


def widgets(conn: Connection, user_id: int) -> list[Widget]:
    """The five widgets of ``user_id``: five statements, plus one for every owner's name."""
    refs = Refs(conn)
    now = utc_now()
    ticket = _TICKET.c
    viewable = refs.state_ids(queries.VIEWABLE)
    new_states = refs.state_ids(["new"])
    reminder_states = refs.state_ids(["pending reminder"])
    readable = [queue.id for queue in agent_permissions(conn, user_id).queues_with(conn, "ro")]
    locked = refs.id("lock", "lock")
    in_my_queues: ColumnElement[bool] = ticket.queue_id.in_(readable) if readable else false()
    specs: list[tuple[str, str, str, list[ColumnElement[bool]], object, str]] = [
        (
            "locked",
            "My locked tickets",
            "You have no locked tickets.",
            [ticket.user_id == user_id, ticket.ticket_lock_id == locked],
            ticket.change_time.desc(),
            _more(filter_user_id=user_id, filter_ticket_lock_id=locked),
        ),
        (
            "owned",
            "My owned tickets",
            "You own no open tickets.",
            [ticket.user_id == user_id, ticket.ticket_state_id.in_(viewable)],
            ticket.change_time.desc(),
            _more(filter_user_id=user_id, filter_ticket_state_id=viewable),
        ),
        (
            "new",
            "New tickets in my queues",
            "No new tickets in your queues.",
            [in_my_queues, ticket.ticket_state_id.in_(new_states)],
            ticket.create_time.desc(),
            _more(filter_ticket_state_id=new_states),
        ),
        (
            "reminders",
            "Reminders reached",
            "No pending reminder has been reached.",
            [
                ticket.user_id == user_id,
                ticket.ticket_state_id.in_(reminder_states),
                ticket.until_time <= to_epoch(now),
            ],
            ticket.until_time.asc(),
            _more(filter_user_id=user_id, filter_ticket_state_id=reminder_states),
        ),
        (
            "escalated",
            "Escalated tickets",
            "No ticket has escalated or will within the hour.",
            [
                or_(in_my_queues, ticket.user_id == user_id),
                ticket.escalation_time > 0,
                ticket.escalation_time <= to_epoch(now + SOON),
            ],
            ticket.escalation_time.asc(),
            _more(filter_ticket_state_id=viewable, sort="escalation_time"),
        ),
    ]
    found = [(spec, *queries.ticket_rows(conn, spec[3], order=spec[4], limit=ROWS)) for spec in specs]
    shown = iter(queries.labelled(conn, [row for _spec, rows, _total, _capped in found for row in rows]))
    return [
        Widget(
            spec[0],
            spec[1],
            spec[2],
            [next(shown) for _row in rows],
            total,
            capped,
            spec[5],
            {row.id: left for row in rows if (left := time_left(row.escalation_time, now)) is not None},
        )
        for spec, rows, total, capped in found
    ]


@handler("tickets.dashboard")
@guarded
def dashboard() -> Response:
    with reading() as conn:
        found = widgets(conn, agent_id())
    return page("tickets/dashboard.html", active="dashboard", widgets=found)

"""Escalations on screen: the dashboard's "Escalated tickets", the queue view's column, the zoom's destinations."""

from __future__ import annotations

import time

from sqlalchemy import update

from modules.db.schema import metadata
from tests.modules.tickets.web.conftest import Setup
from tests.modules.tickets.web.desk import Tickets, section

T = metadata.tables
MIN = 60


def _escalate(tickets: Tickets, ticket_id: int, **columns: int) -> None:
    """Set the escalation columns as escalation.py would (the views only read them)."""
    values = {"escalation_response_time": 0, "escalation_update_time": 0, "escalation_solution_time": 0, **columns}
    values["escalation_time"] = min((v for v in values.values() if v), default=0)
    with tickets.desk.engine.begin() as conn:
        conn.execute(update(T["ticket"]).where(T["ticket"].c.id == ticket_id).values(**values))


def test_the_dashboard_lists_escalated_and_soon_escalating_tickets(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro", "owner")})
    now = int(time.time())
    overdue = tickets.ticket(setup.sales, title="Overdue one")
    soon = tickets.ticket(setup.sales, title="Soon one")
    later = tickets.ticket(setup.sales, title="Later one")
    hidden = tickets.ticket(setup.secret, title="Secret overdue")
    _escalate(tickets, overdue, escalation_response_time=now - 35 * MIN - 20)
    _escalate(tickets, soon, escalation_solution_time=now + 20 * MIN + 20)
    _escalate(tickets, later, escalation_update_time=now + 2 * 3600 + 10 * MIN + 20)
    _escalate(tickets, hidden, escalation_response_time=now - 3600)

    widget = section(sam.html("/agent"), 'data-widget="escalated"')
    assert widget.index(f'data-ticket="{overdue}"') < widget.index(f'data-ticket="{soon}"')  # soonest first
    assert f'data-ticket="{later}"' not in widget and "Secret overdue" not in widget
    assert 'data-escalation="red">overdue 35m</span>' in widget
    assert 'data-escalation="amber">20m left</span>' in widget

    zoom = section(sam.html(f"/agent/tickets/{later}"), 'data-testid="escalation"')
    assert 'data-destination="Update"' in zoom and 'data-escalation="green">2h 10m left</span>' in zoom
    assert "First response" not in zoom  # not set: not shown


def test_the_queue_view_shows_time_left_and_sorts_by_escalation(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    now = int(time.time())
    overdue = tickets.ticket(setup.phones, title="Overdue phone")
    fine = tickets.ticket(setup.phones, title="Fine phone")
    tickets.ticket(setup.phones, title="Calm phone")
    _escalate(tickets, overdue, escalation_response_time=now - 3 * 3600 - 5 * MIN - 20)
    _escalate(tickets, fine, escalation_solution_time=now + 26 * 3600 + 20)

    page = sam.html(f"/agent/queues/{setup.phones}?sort=-escalation_time")
    assert "overdue 3h 5m" in page and "1d 2h left" in page
    assert page.index("Fine phone") < page.index("Overdue phone")  # sorted by escalation_time, latest first

"""The periodic escalation check: notify-before at notify% of the working time, start once the destination passed,
each once per destination, and nothing outside business hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from modules.tickets import escalation, maintenance
from modules.tickets.escalation_check import check
from modules.tickets.events import TicketEvent, bus
from tests.modules.tickets import ticket_world
from tests.modules.tickets.test_escalation import ANSWER, FRI, calendar
from tests.modules.tickets.ticket_world import Desk

database_url, engine, _desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures


@pytest.fixture
def desk(_desk: Desk) -> Iterator[Desk]:
    bus.after_batch(escalation._rebuild_after_write)
    yield _desk


def _check(desk: Desk, now: datetime, ticket_id: int) -> list[str]:
    with desk.engine.begin() as conn:
        return [name for tid, name in check(conn, now) if tid == ticket_id]


def test_notify_before_then_start_each_once(desk: Desk) -> None:
    agent = desk.agent()
    queue = desk.queue(calendar_name=calendar(desk), first_response_time=120, first_response_notify=50)
    desk.now = FRI  # Friday 12:00; response due at 14:00 (09:00-17:00 calendar)
    ticket = desk.create(agent, queue=queue).ticket_id
    seen: list[TicketEvent] = []
    bus.listen(*escalation.ESCALATION_EVENTS)(lambda _conn, event: seen.append(event))

    assert _check(desk, FRI + timedelta(minutes=50), ticket) == []  # 50 of 120 minutes: 41.7%
    assert _check(desk, FRI + timedelta(hours=1), ticket) == ["EscalationResponseTimeNotifyBefore"]  # 50% used
    assert _check(desk, FRI + timedelta(hours=1, minutes=30), ticket) == []  # already raised
    assert _check(desk, FRI + timedelta(hours=2, minutes=5), ticket) == ["EscalationResponseTimeStart"]
    assert _check(desk, FRI + timedelta(hours=3), ticket) == []
    owner = desk.ticket(ticket)["user_id"]  # the owner's live stream hears of it in any queue
    assert [(e.name, e.ticket_id, e.actor_id, e.owners) for e in seen if e.ticket_id == ticket] == [
        ("EscalationResponseTimeNotifyBefore", ticket, 1, (owner,)),
        ("EscalationResponseTimeStart", ticket, 1, (owner,)),
    ]
    assert desk.history(ticket)[-2:] == [
        ("EscalationResponseTimeNotifyBefore", "%%EscalationResponseTimeNotifyBefore%%triggered"),
        ("EscalationResponseTimeStart", "%%EscalationResponseTimeStart%%triggered"),
    ]
    assert {row["create_by"] for row in desk.history_rows(ticket)[-2:]} == {1}


def test_a_new_destination_raises_again_and_business_hours_gate(desk: Desk) -> None:
    agent = desk.agent()
    queue = desk.queue(calendar_name=calendar(desk), update_time=60)
    desk.now = FRI
    ticket = desk.create(agent, queue=queue).ticket_id  # update due at 13:00
    assert _check(desk, datetime(2024, 3, 15, 13, 30), ticket) == ["EscalationUpdateTimeStart"]
    desk.now = datetime(2024, 3, 15, 14, 0)
    desk.do(agent, "add_article", ticket, ANSWER)  # a new reference: update due at 15:00
    assert desk.history(ticket)[-1] == ("EscalationUpdateTimeStop", "%%EscalationUpdateTimeStop%%triggered")
    assert _check(desk, datetime(2024, 3, 15, 14, 30), ticket) == []
    # Friday 22:00 and Saturday: outside the calendar's hours, nothing is raised; Monday morning it is
    assert _check(desk, datetime(2024, 3, 15, 22, 0), ticket) == []
    assert _check(desk, datetime(2024, 3, 16, 12, 0), ticket) == []
    assert _check(desk, datetime(2024, 3, 18, 9, 5), ticket) == ["EscalationUpdateTimeStart"]


def test_maintenance_runs_the_check(desk: Desk) -> None:
    agent = desk.agent()
    queue = desk.queue(calendar_name=calendar(desk), solution_time=30)
    desk.now = FRI
    ticket = desk.create(agent, queue=queue).ticket_id
    with desk.engine.begin() as conn:
        report = maintenance.run(conn, FRI + timedelta(hours=1))
    assert (ticket, "EscalationSolutionTimeStart") in report.escalations

"""Maintenance: pending auto close (+ and -) when the time has come, and the queue unlock timeout."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert

from modules.db.schema.gotrs_calendar import gotrs_calendar
from modules.tickets import maintenance
from modules.tickets.changes import to_epoch
from modules.tickets.events import TicketEvent, bus
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import NOW, Desk, counting

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures

LATER = datetime(2024, 3, 16, 9, 0)


def _run(desk: Desk, now: datetime) -> maintenance.Report:
    with desk.engine.begin() as conn:
        return maintenance.run(conn, now)


def test_pending_auto_close_closes_when_the_time_has_come(desk: Desk) -> None:
    agent = desk.agent()
    plus, minus, later = desk.create(agent), desk.create(agent), desk.create(agent)
    desk.do(agent, "set_state", plus.ticket_id, "pending auto close+", pending_until=LATER)
    desk.do(agent, "lock", plus.ticket_id)
    desk.do(agent, "set_state", minus.ticket_id, "pending auto close-", pending_until=LATER - timedelta(hours=1))
    desk.do(agent, "set_state", later.ticket_id, "pending auto close+", pending_until=LATER + timedelta(minutes=1))
    seen: list[TicketEvent] = []
    bus.listen("TicketStateUpdate")(lambda conn, event: seen.append(event))

    report = _run(desk, LATER)
    assert set(report.closed) >= {plus.ticket_id, minus.ticket_id} and later.ticket_id not in report.closed
    assert (desk.ticket(plus.ticket_id)["ticket_state_id"], desk.ticket(plus.ticket_id)["ticket_lock_id"]) == (2, 1)
    assert desk.ticket(minus.ticket_id)["ticket_state_id"] == 3
    assert desk.ticket(plus.ticket_id)["until_time"] == 0
    assert desk.history(plus.ticket_id)[-3:] == [
        ("StateUpdate", "%%pending auto close+%%closed successful%%"),
        ("SetPendingTime", "%%00-00-00 00:00"),
        ("Unlock", "%%unlock"),
    ]
    assert desk.history(minus.ticket_id)[-2:] == [
        ("StateUpdate", "%%pending auto close-%%closed unsuccessful%%"),
        ("SetPendingTime", "%%00-00-00 00:00"),
    ]
    assert {row["create_by"] for row in desk.history_rows(minus.ticket_id)[-2:]} == {1}
    assert {event.actor_id for event in seen} == {1}
    assert plus.ticket_id not in _run(desk, LATER).closed  # done once


def test_pending_reminders_stay(desk: Desk) -> None:
    created = desk.create()
    desk.do(None, "set_state", created.ticket_id, "pending reminder", pending_until=LATER)
    assert created.ticket_id not in _run(desk, LATER + timedelta(days=1)).closed
    assert desk.ticket(created.ticket_id)["ticket_state_id"] == 6


def test_unlock_timeout(desk: Desk) -> None:
    agent = desk.agent()
    queue = desk.queue(unlock_timeout=30)
    waiting, fresh, pending, no_timeout = (
        desk.create(agent, queue=queue),
        desk.create(agent, queue=queue),
        desk.create(agent, queue=queue),
        desk.create(agent),
    )
    for created in (waiting, pending, no_timeout):
        desk.do(agent, "lock", created.ticket_id)  # timeout = NOW
    desk.do(agent, "set_state", pending.ticket_id, "pending reminder", pending_until=LATER)
    desk.now = NOW + timedelta(minutes=20)
    desk.do(agent, "lock", fresh.ticket_id)
    report = _run(desk, NOW + timedelta(minutes=31))
    assert waiting.ticket_id in report.unlocked
    assert {fresh.ticket_id, pending.ticket_id, no_timeout.ticket_id}.isdisjoint(report.unlocked)
    assert desk.ticket(waiting.ticket_id)["ticket_lock_id"] == 1
    assert desk.history(waiting.ticket_id)[-1] == ("Unlock", "%%unlock")
    assert desk.ticket(fresh.ticket_id)["timeout"] == to_epoch(NOW + timedelta(minutes=20))
    assert fresh.ticket_id in _run(desk, NOW + timedelta(minutes=51)).unlocked


def _calendar(desk: Desk, hours: str, days: tuple[str, ...]) -> str:
    name = desk.unique("cal")
    audit = {"create_time": NOW, "create_by": 1, "change_time": NOW, "change_by": 1}
    week = {f"hours_{day}": hours if day in days else "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    with desk.engine.begin() as conn:
        conn.execute(insert(gotrs_calendar).values(name=name, time_zone="UTC", **week, **audit))
    return name


def test_the_unlock_timeout_counts_working_time_of_the_queues_calendar(desk: Desk) -> None:
    """OTRS counts the unlock timeout in the queue calendar's working time: locked late on Friday, a ticket stays
    locked over the weekend (2024-03-15 is a Friday)."""
    agent = desk.agent()
    office = desk.queue(
        unlock_timeout=30, calendar_name=_calendar(desk, "09:00-17:00", ("mon", "tue", "wed", "thu", "fri"))
    )
    always = desk.queue(unlock_timeout=30, calendar_name=_calendar(desk, "00:00-24:00", ("sat", "sun", "mon", "fri")))
    friday = datetime(2024, 3, 15, 16, 50)
    desk.now = friday
    weekday, every_day = desk.create(agent, queue=office), desk.create(agent, queue=always)
    for created in (weekday, every_day):
        desk.do(agent, "lock", created.ticket_id)  # timeout = Friday 16:50: 10 working minutes left that day
    saturday = _run(desk, datetime(2024, 3, 16, 12, 0)).unlocked  # 19 hours later
    assert every_day.ticket_id in saturday and weekday.ticket_id not in saturday
    assert weekday.ticket_id not in _run(desk, datetime(2024, 3, 18, 9, 19)).unlocked  # 10 + 19 minutes
    assert weekday.ticket_id in _run(desk, datetime(2024, 3, 18, 9, 20)).unlocked  # 10 + 20 minutes
    assert desk.ticket(weekday.ticket_id)["ticket_lock_id"] == 1


def test_a_run_costs_the_same_statements_for_one_ticket_or_many(desk: Desk) -> None:
    agent = desk.agent()
    day = datetime(2025, 1, 1, 8)
    for _ in range(10):
        created = desk.create(agent)
        desk.do(agent, "set_state", created.ticket_id, "pending auto close+", pending_until=day)
    _run(desk, day - timedelta(days=400))  # nothing due: lookups warm
    with counting(desk.engine) as statements:
        report = _run(desk, day)
    assert len(report.closed) >= 10
    # due ids, read, UPDATE, history; unlock: due ids; counter cleanup
    assert len(statements) <= 8, statements

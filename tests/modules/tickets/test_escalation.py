"""Escalation times kept current by the ticket events, against hand-computed destinations.

Every ticket here lives in a queue whose calendar works Monday to Friday 09:00-17:00 UTC with 25 December off.
The desk's clock starts on Friday 15 March 2024, 12:00 (UTC); the goals are response 2h, update 4h, solution 10h.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, literal, select

from modules.db.schema.gotrs_calendar import gotrs_calendar
from modules.tickets import escalation
from modules.tickets.changes import to_epoch
from modules.tickets.drafts import ArticleDraft
from modules.tickets.escalation import ArticleFact, Goals, destinations, update_reference
from modules.tickets.events import TicketEvent, bus
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import NOW, Desk, counting

database_url, engine, _desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures

FRI = NOW  # Friday 2024-03-15 12:00
GOALS = {"first_response_time": 120, "update_time": 240, "solution_time": 600}
AUDIT = {"create_time": NOW, "create_by": 1, "change_time": NOW, "change_by": 1}
ANSWER = ArticleDraft(body="On it.", channel="Email", sender_type="agent", visible_for_customer=True)
NOTE = ArticleDraft(body="internal", channel="Internal", sender_type="agent", history_type="AddNote")
FOLLOW_UP = ArticleDraft(
    body="Still burning.", channel="Email", sender_type="customer", visible_for_customer=True, history_type="FollowUp"
)


def at(*args: int) -> int:
    return to_epoch(datetime(*args))  # type: ignore[arg-type]


def calendar(desk: Desk, **rules: str) -> str:
    name = desk.unique("cal")
    week = {f"hours_{day}": "09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}
    row: dict[str, Any] = {"name": name, "time_zone": "UTC", "hours_sat": "", "hours_sun": "", **week}
    with desk.engine.begin() as conn:
        conn.execute(insert(gotrs_calendar).values({"holidays": "12-25 Christmas", **row, **AUDIT, **rules}))
    return name


@pytest.fixture
def desk(_desk: Desk) -> Iterator[Desk]:
    bus.after_batch(escalation._rebuild_after_write)  # the desk isolates the bus; escalation is what we test
    yield _desk


def times(desk: Desk, ticket_id: int) -> tuple[int, int, int, int]:
    row = desk.ticket(ticket_id)
    return (
        row["escalation_response_time"],
        row["escalation_update_time"],
        row["escalation_solution_time"],
        row["escalation_time"],
    )


def setup(desk: Desk, **goals: int) -> tuple[int, int]:
    agent = desk.agent()
    queue = desk.queue(calendar_name=calendar(desk), **{**GOALS, **goals})
    return agent, queue


def test_create_answer_follow_ups_and_notes(desk: Desk) -> None:
    agent, queue = setup(desk)
    desk.now = FRI
    ticket = desk.create(agent, queue=queue).ticket_id  # the customer's phone call at 12:00
    # response 12:00 + 2h; update from the customer's article + 4h; solution 5h on Friday + 5h on Monday
    assert times(desk, ticket) == (at(2024, 3, 15, 14), at(2024, 3, 15, 16), at(2024, 3, 18, 14), at(2024, 3, 15, 14))

    desk.now = FRI + timedelta(hours=1)
    desk.do(agent, "add_article", ticket, ANSWER)  # first response: response time ends, update counts from 13:00
    assert times(desk, ticket) == (0, at(2024, 3, 15, 17), at(2024, 3, 18, 14), at(2024, 3, 15, 17))

    for hour, minute in ((16, 0), (16, 30)):  # two customer follow-ups: the oldest of the run is the reference
        desk.now = datetime(2024, 3, 15, hour, minute)
        desk.do(agent, "add_article", ticket, FOLLOW_UP)
    assert times(desk, ticket)[1] == at(2024, 3, 18, 12)  # 1h on Friday from 16:00, 3h on Monday

    desk.now = datetime(2024, 3, 15, 16, 45)
    desk.do(agent, "add_article", ticket, NOTE)  # internal: does not count
    assert times(desk, ticket)[1] == at(2024, 3, 18, 12)
    assert times(desk, ticket)[3] == at(2024, 3, 18, 12)


def test_pending_suspends_update_time_and_closing_ends_everything(desk: Desk) -> None:
    agent, queue = setup(desk)
    desk.now = FRI
    ticket = desk.create(agent, queue=queue).ticket_id
    desk.do(agent, "set_state", ticket, "pending reminder", pending_until=FRI + timedelta(days=3))
    assert times(desk, ticket) == (at(2024, 3, 15, 14), 0, at(2024, 3, 18, 14), at(2024, 3, 15, 14))
    desk.do(agent, "set_state", ticket, "open")
    assert times(desk, ticket)[1] == at(2024, 3, 15, 16)

    desk.do(agent, "set_state", ticket, "closed successful")
    assert times(desk, ticket) == (0, 0, 0, 0)
    desk.do(agent, "set_state", ticket, "open")  # reopened: the solution time stays done (first close)
    assert times(desk, ticket) == (at(2024, 3, 15, 14), at(2024, 3, 15, 16), 0, at(2024, 3, 15, 14))


def test_queue_move_and_sla_change_take_the_new_goals(desk: Desk) -> None:
    agent, queue = setup(desk)
    plain = desk.queue()  # no goals at all
    desk.now = FRI
    ticket = desk.create(agent, queue=queue).ticket_id
    desk.do(agent, "move", ticket, plain)
    assert times(desk, ticket) == (0, 0, 0, 0)
    desk.do(agent, "move", ticket, queue)
    assert times(desk, ticket)[0] == at(2024, 3, 15, 14)

    # an SLA's goals win over the queue's, in the SLA's calendar (here a 24/7 one)
    always = calendar(desk, **{f"hours_{d}": "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    service = desk.insert("service", name=desk.unique("Mail"), valid_id=1, **AUDIT)
    sla = desk.insert(
        "sla",
        name=desk.unique("Gold"),
        first_response_time=30,
        update_time=0,
        solution_time=60 * 24,
        calendar_name=always,
        valid_id=1,
        **AUDIT,
    )
    desk.insert("service_sla", service_id=service, sla_id=sla)
    desk.insert(
        "service_customer_user", customer_user_login="<DEFAULT>", service_id=service, create_time=NOW, create_by=1
    )
    desk.do(agent, "set_service", ticket, service)
    desk.do(agent, "set_sla", ticket, sla)
    assert times(desk, ticket) == (at(2024, 3, 15, 12, 30), 0, at(2024, 3, 16, 12), at(2024, 3, 15, 12, 30))
    desk.do(agent, "set_sla", ticket, None)
    assert times(desk, ticket)[:3] == (at(2024, 3, 15, 14), at(2024, 3, 15, 16), at(2024, 3, 18, 14))


def test_has_goals_takes_the_slas_goals_else_the_queues(desk: Desk) -> None:
    """What a creation's insert asks (PostgreSQL): the rebuild after it is skipped for a ticket without goals."""
    _agent, goals = setup(desk)
    plain = desk.queue()
    zero = {"first_response_time": 0, "update_time": 0, "solution_time": 0, "valid_id": 1, **AUDIT}
    gold = desk.insert("sla", name=desk.unique("Gold"), **{**zero, "update_time": 60})
    bare = desk.insert("sla", name=desk.unique("Bare"), **zero)
    with desk.engine.connect() as conn:
        found = {
            (queue, sla): conn.execute(select(escalation.has_goals(literal(queue), sla))).scalar_one()
            for queue, sla in ((goals, None), (plain, None), (plain, gold), (goals, bare))
        }
    assert found == {(goals, None): True, (plain, None): False, (plain, gold): True, (goals, bare): False}


def test_a_creation_without_goals_skips_the_rebuild_and_one_with_goals_does_not(desk: Desk) -> None:
    agent, queue = setup(desk)
    desk.now, without = FRI, desk.queue()
    with counting(desk.engine) as statements:
        plain = desk.create(agent, queue=without).ticket_id
    goals_read = [s for s in statements if "AS s_id" in s]  # the rebuild's read of the goals
    postgresql = desk.engine.dialect.name == "postgresql"
    assert (len(goals_read), times(desk, plain)) == ((0 if postgresql else 1), (0, 0, 0, 0)), statements
    with counting(desk.engine) as statements:
        timed = desk.create(agent, queue=queue).ticket_id
    assert len([s for s in statements if "AS s_id" in s]) == 1
    assert times(desk, timed)[0] == at(2024, 3, 15, 14)


def test_holidays_and_the_default_calendar(desk: Desk) -> None:
    agent, queue = setup(desk)
    desk.now = datetime(2024, 12, 24, 16, 0)  # Tuesday; the 25th is a holiday
    ticket = desk.create(agent, queue=queue).ticket_id
    assert times(desk, ticket)[0] == at(2024, 12, 26, 10)

    default = desk.queue(first_response_time=60)  # no calendar: the default one, Mon-Fri 08:00-21:00 UTC
    desk.now = datetime(2024, 3, 15, 20, 30)
    ticket = desk.create(agent, queue=default).ticket_id
    assert times(desk, ticket) == (at(2024, 3, 18, 8, 30), 0, 0, at(2024, 3, 18, 8, 30))


def test_merge_zeroes_the_merged_ticket_and_stop_events(desk: Desk) -> None:
    agent, queue = setup(desk)
    desk.now = FRI
    merged, main = desk.create(agent, queue=queue).ticket_id, desk.create(agent, queue=queue).ticket_id
    desk.do(agent, "merge", merged, main)
    assert times(desk, merged) == (0, 0, 0, 0)
    assert times(desk, main)[0] == at(2024, 3, 15, 14)

    seen: list[TicketEvent] = []
    bus.listen("EscalationResponseTimeStop")(lambda _conn, event: seen.append(event))
    desk.now = datetime(2024, 3, 15, 15, 0)  # an hour past the response destination
    desk.do(agent, "add_article", main, ANSWER)
    owner = desk.ticket(main)["user_id"]  # the owner's live stream hears of it in any queue
    assert [(e.name, e.ticket_id, e.owners) for e in seen] == [("EscalationResponseTimeStop", main, (owner,))]
    assert ("EscalationResponseTimeStop", "%%EscalationResponseTimeStop%%triggered") in desk.history(main)


def test_a_rebuild_reads_only_tickets_with_goals_or_stored_times_and_resets_stale_ones(desk: Desk) -> None:
    agent, queue = setup(desk)
    plain = desk.queue()
    with_goals = desk.create(agent, queue=queue).ticket_id
    without = desk.create(agent, queue=plain).ticket_id
    stale = desk.create(agent, queue=plain).ticket_id
    zero_goals = {"first_response_time": 0, "update_time": 0, "solution_time": 0}
    no_goal_sla = desk.insert("sla", name=desk.unique("Zero"), valid_id=1, **zero_goals, **AUDIT)  # beats the queue
    under_sla = desk.create(agent, queue=queue).ticket_id
    with desk.engine.begin() as conn:
        ticket = escalation.T["ticket"]
        conn.execute(ticket.update().where(ticket.c.id == stale).values(escalation_time=5, escalation_update_time=5))
        zeros = dict.fromkeys(["escalation_time", *escalation.COLUMNS.values()], 0)
        conn.execute(ticket.update().where(ticket.c.id == under_sla).values(sla_id=no_goal_sla, **zeros))
        ids = [with_goals, without, stale, under_sla]
        read = escalation.read_goals(conn, escalation.Refs(conn), ids, escalating_only=True)
        assert {t.id for t in read} == {with_goals, stale}
        assert len(escalation.read_goals(conn, escalation.Refs(conn), ids)) == 4
        fresh = escalation.rebuild(conn, ids)
    assert set(fresh) == {with_goals, stale}
    assert times(desk, stale) == (0, 0, 0, 0) and times(desk, with_goals)[0] == at(2024, 3, 15, 14)


def test_one_rebuild_per_ticket_and_write(desk: Desk) -> None:
    agent, queue = setup(desk)
    calls: list[set[int]] = []
    original = escalation.rebuild

    def counting(conn: Any, ticket_ids: Any, **kwargs: Any) -> Any:
        calls.append(set(ticket_ids))
        return original(conn, ticket_ids, **kwargs)

    escalation.rebuild = counting  # type: ignore[assignment]
    try:
        ticket = desk.create(agent, queue=queue, customer_user="carl", customer_id="ACME").ticket_id
    finally:
        escalation.rebuild = original  # type: ignore[assignment]
    assert calls == [{ticket}]  # TicketCreate, TicketCustomerUpdate and ArticleCreate: one rebuild


# --- the pure rules --------------------------------------------------------------------------------------------


def _article(sender: str, hour: int, visible: bool = True) -> ArticleFact:
    return ArticleFact(sender, visible, datetime(2024, 3, 15, hour))


def test_update_reference_walks_backwards() -> None:
    assert update_reference([]) is None
    agent_then_customers = [_article("customer", 9), _article("agent", 10), _article("customer", 11)]
    assert update_reference([*agent_then_customers, _article("customer", 12)]) == datetime(2024, 3, 15, 11)
    assert update_reference([_article("customer", 9), _article("agent", 10)]) == datetime(2024, 3, 15, 10)
    # newest first: an internal agent note and a system article are skipped, the visible agent article wins
    assert update_reference(
        [_article("agent", 9), _article("system", 10), _article("agent", 11, visible=False)]
    ) == datetime(2024, 3, 15, 9)
    # only articles that do not count: the newest article is the starting value
    assert update_reference([_article("system", 9), _article("agent", 10, visible=False)]) == datetime(2024, 3, 15, 10)


def test_destinations_zero_for_closed_merged_removed_and_without_goals() -> None:
    from modules.tickets.calendars import OTRS_DEFAULT

    goals = Goals(first_response_time=60)
    for state_type in ("closed", "merged", "removed"):
        assert destinations(NOW, state_type, goals, OTRS_DEFAULT, [], ever_closed=False).escalation == 0
    assert destinations(NOW, "open", Goals(), OTRS_DEFAULT, [], ever_closed=False).escalation == 0
    assert destinations(NOW, "open", goals, OTRS_DEFAULT, [], ever_closed=False).response == at(2024, 3, 15, 13)

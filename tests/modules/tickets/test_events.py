"""The event bus: in-transaction listeners in order (an exception undoes the action), after-commit listeners only
after a commit (never after a rollback, nor for a rolled-back savepoint)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, select

from modules.tickets.events import EventBus, TicketEvent, bus
from modules.tickets.refs import Refs
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import Desk, T

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures


def test_listeners_run_in_registration_order_inside_the_transaction(desk: Desk) -> None:
    seen: list[tuple[str, str, int, bool]] = []

    @bus.listen("TicketCreate", "ArticleCreate")
    def first(conn: Connection, event: TicketEvent) -> None:
        exists = conn.execute(select(T["ticket"].c.id).where(T["ticket"].c.id == event.ticket_id)).first()
        seen.append(("first", event.name, event.ticket_id, exists is not None))

    @bus.listen("*")
    def second(conn: Connection, event: TicketEvent) -> None:
        seen.append(("second", event.name, event.ticket_id, True))

    created = desk.create(customer_user="carl")
    names = [(who, name) for who, name, _ticket, _exists in seen]
    assert names == [
        ("first", "TicketCreate"),
        ("second", "TicketCreate"),
        ("second", "TicketCustomerUpdate"),
        ("first", "ArticleCreate"),
        ("second", "ArticleCreate"),
    ]
    assert all(ticket == created.ticket_id and exists for _who, _name, ticket, exists in seen)


def test_a_failing_listener_undoes_the_whole_action(desk: Desk) -> None:
    created = desk.create()

    @bus.listen("TicketPriorityUpdate")
    def refuse(_conn: Connection, _event: TicketEvent) -> None:
        raise RuntimeError("automation said no")

    with pytest.raises(RuntimeError, match="automation said no"):
        desk.do(None, "set_priority", created.ticket_id, "5 very high")
    assert desk.ticket(created.ticket_id)["ticket_priority_id"] == 3
    assert [kind for kind, _name in desk.history(created.ticket_id)] == ["NewTicket", "PhoneCallCustomer"]


def test_after_commit_listeners_run_after_the_commit_only(desk: Desk) -> None:
    created = desk.create()
    seen: list[tuple[str, int]] = []

    @bus.after_commit("TicketPriorityUpdate", "TicketStateUpdate")
    def later(event: TicketEvent) -> None:
        with desk.engine.connect() as other:  # another connection sees the committed change
            priority = other.execute(
                select(T["ticket"].c.ticket_priority_id).where(T["ticket"].c.id == event.ticket_id)
            ).scalar_one()
        seen.append((event.name, priority))

    with desk.engine.begin() as conn:
        desk.service(conn).set_priority(created.ticket_id, "4 high")
        assert seen == []  # not before the commit
    assert seen == [("TicketPriorityUpdate", 4)]

    with desk.engine.connect() as conn:
        desk.service(conn).set_priority(created.ticket_id, "1 very low")
        conn.rollback()
    assert seen == [("TicketPriorityUpdate", 4)]  # a rollback runs none

    with pytest.raises(ZeroDivisionError), desk.engine.begin() as conn:
        desk.service(conn).set_state(created.ticket_id, "open")
        _ = 1 / 0
    assert seen == [("TicketPriorityUpdate", 4)]
    assert desk.ticket(created.ticket_id)["ticket_state_id"] == 1


def change_with_a_rolled_back_savepoint(desk: Desk, ticket_id: int, before_commit: Callable[[], None]) -> None:
    """One transaction: a priority, a state in a savepoint rolled back, a title in a savepoint kept;
    ``before_commit()`` runs just before it commits."""
    with desk.engine.begin() as conn:
        service = desk.service(conn)
        service.set_priority(ticket_id, "2 low")
        savepoint = conn.begin_nested()
        service.set_state(ticket_id, "open")
        savepoint.rollback()
        kept = conn.begin_nested()
        service.set_title(ticket_id, "Kept title")
        kept.commit()
        before_commit()


def test_work_queued_in_a_rolled_back_savepoint_is_dropped(desk: Desk) -> None:
    created = desk.create()
    seen: list[str] = []
    bus.after_commit("*")(lambda event: seen.append(event.name))
    change_with_a_rolled_back_savepoint(desk, created.ticket_id, lambda: None)
    assert seen == ["TicketPriorityUpdate", "TicketTitleUpdate"]


def test_after_commit_all_listeners_get_a_transactions_events_at_once(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    created = desk.create()
    batches: list[list[str]] = []
    bus.after_commit_all("*")(lambda events: batches.append([event.name for event in events]))

    @bus.after_commit_all("TicketTitleUpdate")
    def broken(_events: list[TicketEvent]) -> None:
        raise RuntimeError("push server down")

    def nothing_yet() -> None:
        assert batches == []  # not before the commit

    change_with_a_rolled_back_savepoint(desk, created.ticket_id, nothing_yet)
    assert batches == [["TicketPriorityUpdate", "TicketTitleUpdate"]]  # once, in order, without the rolled back
    assert "after-commit listener broken failed on 1 events" in caplog.text
    with desk.engine.connect() as conn:
        desk.service(conn).set_priority(created.ticket_id, "1 very low")
        conn.rollback()
    assert len(batches) == 1  # a rollback calls none


def test_an_after_commit_failure_is_logged_and_the_others_still_run(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    created = desk.create()
    seen: list[str] = []

    @bus.after_commit("TicketTitleUpdate")
    def broken(_event: TicketEvent) -> None:
        raise RuntimeError("push server down")

    bus.after_commit("TicketTitleUpdate")(lambda event: seen.append(event.name))
    desk.do(None, "set_title", created.ticket_id, "New title")
    assert seen == ["TicketTitleUpdate"]
    assert "after-commit listener broken failed" in caplog.text
    assert desk.ticket(created.ticket_id)["title"] == "New title"


def test_event_names_are_checked() -> None:
    own = EventBus()
    with pytest.raises(ValueError, match="Unknown ticket event 'TicketCreated'"):
        own.listen("TicketCreated")
    with pytest.raises(ValueError, match="Name at least one ticket event"):
        own.listen()
    own.declare("EscalationResponseTimeStart")
    own.listen("EscalationResponseTimeStart")(lambda conn, event: None)


def test_emit_refuses_unknown_events(desk: Desk) -> None:
    with desk.engine.connect() as conn, pytest.raises(ValueError, match="Unknown ticket event 'Nope'"):
        bus.emit(conn, TicketEvent("Nope", 1))


def test_events_carry_actor_and_data(desk: Desk) -> None:
    agent = desk.agent()
    created = desk.create(agent)
    seen: list[Any] = []
    bus.listen("TicketQueueUpdate")(lambda conn, event: seen.append(event))
    desk.do(agent, "move", created.ticket_id, "Misc")
    assert seen[0].actor_id == agent and seen[0].data == {"old_queue_id": 2}
    with desk.engine.connect() as conn:
        assert Refs(conn).name("queue", 4) == "Misc"

"""Bulk changes: each ticket's own history, skipped tickets with reasons, and statements that do not grow per ticket."""

from __future__ import annotations

from datetime import datetime

import pytest

from modules.tickets.bulk import BulkChanges
from modules.tickets.drafts import ArticleDraft
from modules.tickets.errors import TicketInvalid
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import Desk, counting, exactly

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures


def test_bulk_applies_every_change_with_each_tickets_history(desk: Desk) -> None:
    agent = desk.agent()
    helper = desk.agent()
    tickets = [desk.create(agent) for _ in range(3)]
    desk.do(agent, "lock", tickets[0].ticket_id)
    desk.do(agent, "set_priority", tickets[2].ticket_id, "4 high")
    changes = BulkChanges(
        queue="Misc",
        owner=helper,
        priority="4 high",
        state="pending reminder",
        pending_until=datetime(2024, 3, 22, 10, 0),
        note=ArticleDraft(body="Moved in bulk."),
    )
    result = desk.do(agent, "bulk", [t.ticket_id for t in tickets], changes)
    assert result.changed == [t.ticket_id for t in tickets] and result.skipped == {}
    for created in tickets:
        row = desk.ticket(created.ticket_id)
        assert (row["queue_id"], row["user_id"], row["ticket_priority_id"], row["ticket_state_id"]) == (4, helper, 4, 6)
        assert row["ticket_lock_id"] == 1
    assert [kind for kind, _name in desk.history(tickets[0].ticket_id)][-7:] == [
        "Move",
        "Unlock",
        "OwnerUpdate",
        "PriorityUpdate",
        "StateUpdate",
        "SetPendingTime",
        "AddNote",
    ]
    assert [kind for kind, _name in desk.history(tickets[2].ticket_id)][-5:] == [
        "Move",
        "OwnerUpdate",
        "StateUpdate",
        "SetPendingTime",
        "AddNote",
    ]
    notes = [desk.rows("article", ticket_id=t.ticket_id)[-1]["id"] for t in tickets]
    assert desk.history_rows(tickets[1].ticket_id)[-1]["article_id"] == notes[1]


def test_bulk_skips_what_it_may_not_do_and_reports_why(desk: Desk) -> None:
    group = desk.group()
    mine, theirs = desk.create(None), desk.create(None, queue=desk.queue(group))
    agent = desk.agent(grants={1: ("ro", "priority")})
    result = desk.do(agent, "bulk", [mine.ticket_id, theirs.ticket_id, 99999999], BulkChanges(priority="5 very high"))
    assert result.changed == [mine.ticket_id]
    assert result.skipped == {
        theirs.ticket_id: f"You need the 'priority' permission on ticket {theirs.tn}.",
        99999999: "Ticket 99999999 does not exist.",
    }
    result = desk.do(agent, "bulk", [mine.ticket_id], BulkChanges(priority="5 very high"))
    assert (result.changed, result.unchanged) == ([], [mine.ticket_id])


def test_bulk_checks_its_input_once(desk: Desk) -> None:
    ticket = desk.create().ticket_id
    with pytest.raises(TicketInvalid, match=exactly("The state 'pending reminder' needs a pending time.")):
        desk.do(None, "bulk", [ticket], BulkChanges(state="pending reminder"))
    with pytest.raises(TicketInvalid, match=exactly("A bulk note cannot be sent as an email.")):
        note = ArticleDraft(body="x", channel="Email", history_type="SendAnswer", to="a@example.com")
        desk.do(None, "bulk", [ticket], BulkChanges(note=note))
    reader = desk.agent(grants={1: ("ro",)})
    result = desk.do(None, "bulk", [ticket], BulkChanges(owner=reader))
    assert result.skipped == {
        ticket: f"The agent '{desk.login(reader)}' may not own tickets in queue 'Raw': "
        "they need the 'owner' permission."
    }


@pytest.mark.parametrize("count", [2, 20])
def test_bulk_statements_do_not_grow_with_the_number_of_tickets(desk: Desk, count: int) -> None:
    agent = desk.agent()
    tickets = [desk.create(agent).ticket_id for _ in range(count)]
    with desk.engine.begin() as conn:
        service = desk.service(conn, agent)
        service.refs.queue("Misc")  # warm the lookups
        with counting(desk.engine) as statements:
            result = service.bulk(tickets, BulkChanges(queue="Misc", priority="2 low", note=ArticleDraft(body="n")))
    assert len(result.changed) == count
    # read, note: article + mime + search documents, one UPDATE for all tickets, one history INSERT
    assert len(statements) == 6, [s[:70] for s in statements]

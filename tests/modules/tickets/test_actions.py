"""Every single-ticket action: its effect, its exact history rows, no-ops that write nothing, and the lifecycle
rules (closing and moving unlock, leaving pending resets the pending time, pending needs a time)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from modules.tickets.changes import to_epoch
from modules.tickets.errors import TicketInvalid, TicketNotFound
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import NOW, Desk, counting, exactly

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures

UNTIL = datetime(2024, 3, 20, 9, 30)


def _new(desk: Desk) -> tuple[int, int]:
    """(agent with rw on users, ticket owned by nobody special) after the create history."""
    agent = desk.agent(first_name="Jane", last_name="Doe")
    return agent, desk.create(agent).ticket_id


def _since_create(desk: Desk, ticket_id: int) -> list[tuple[str, str]]:
    return desk.history(ticket_id)[3:]  # NewTicket, PhoneCallCustomer, OwnerUpdate


def test_state_changes_and_pending_rules(desk: Desk) -> None:
    agent, ticket = _new(desk)
    assert desk.do(agent, "set_state", ticket, "open") is True
    assert desk.do(agent, "set_state", ticket, "open") is False
    assert desk.do(agent, "set_state", ticket, "pending reminder", pending_until=UNTIL) is True
    row = desk.ticket(ticket)
    assert (row["ticket_state_id"], row["until_time"]) == (6, to_epoch(UNTIL))
    assert desk.do(agent, "set_pending_time", ticket, datetime(2024, 3, 21, 8, 5)) is True
    assert desk.do(agent, "set_pending_time", ticket, datetime(2024, 3, 21, 8, 5)) is False
    assert desk.do(agent, "set_state", ticket, "open") is True
    assert desk.ticket(ticket)["until_time"] == 0
    assert _since_create(desk, ticket) == [
        ("StateUpdate", "%%new%%open%%"),
        ("StateUpdate", "%%open%%pending reminder%%"),
        ("SetPendingTime", "%%2024-03-20 09:30"),
        ("SetPendingTime", "%%2024-03-21 08:05"),
        ("StateUpdate", "%%pending reminder%%open%%"),
        ("SetPendingTime", "%%00-00-00 00:00"),
    ]
    rows = desk.history_rows(ticket)
    assert [r["state_id"] for r in rows[3:]] == [4, 6, 6, 6, 4, 4]  # the state AFTER each step


def test_pending_states_require_a_time_and_others_refuse_one(desk: Desk) -> None:
    agent, ticket = _new(desk)
    with pytest.raises(TicketInvalid, match=exactly("The state 'pending auto close+' needs a pending time.")) as error:
        desk.do(agent, "set_state", ticket, "pending auto close+")
    assert error.value.field == "pending_until"
    with pytest.raises(TicketInvalid, match=exactly("The state 'open' takes no pending time.")):
        desk.do(agent, "set_state", ticket, "open", pending_until=UNTIL)
    with pytest.raises(TicketInvalid, match=exactly("The ticket is in state 'new', which is not pending.")):
        desk.do(agent, "set_pending_time", ticket, UNTIL)
    with pytest.raises(TicketInvalid, match=exactly("There is no state 'gone'.")):
        desk.do(agent, "set_state", ticket, "gone")
    with pytest.raises(TicketInvalid, match=exactly("The state 'merged' is set by merging, not directly.")):
        desk.do(agent, "set_state", ticket, "merged")
    assert _since_create(desk, ticket) == []


def test_closing_unlocks(desk: Desk) -> None:
    agent, ticket = _new(desk)
    assert desk.do(agent, "lock", ticket) is True
    assert desk.do(agent, "set_state", ticket, "closed successful") is True
    row = desk.ticket(ticket)
    assert (row["ticket_state_id"], row["ticket_lock_id"], row["timeout"]) == (2, 1, to_epoch(NOW))
    assert _since_create(desk, ticket) == [
        ("Lock", "%%lock"),
        ("Misc", "Reset of unlock time."),
        ("StateUpdate", "%%new%%closed successful%%"),
        ("Unlock", "%%unlock"),
    ]


def test_moving_needs_a_valid_queue_and_unlocks(desk: Desk) -> None:
    agent, ticket = _new(desk)
    desk.do(agent, "lock", ticket)
    assert desk.do(agent, "move", ticket, "Raw") is False
    assert desk.do(agent, "move", ticket, "Misc") is True
    row = desk.ticket(ticket)
    assert (row["queue_id"], row["ticket_lock_id"]) == (4, 1)
    assert _since_create(desk, ticket)[2:] == [("Move", "%%Misc%%4%%Raw%%2"), ("Unlock", "%%unlock")]
    assert desk.history_rows(ticket)[-2]["queue_id"] == 4
    closed = desk.queue()
    with desk.engine.begin() as conn:
        from modules.db.schema import metadata

        conn.execute(
            metadata.tables["queue"].update().where(metadata.tables["queue"].c.id == closed).values(valid_id=2)
        )
    closed_name = desk.rows("queue", id=closed)[0]["name"]
    with pytest.raises(TicketInvalid, match=exactly(f"The queue '{closed_name}' is invalid.")) as error:
        desk.do(agent, "move", ticket, closed)
    assert error.value.field == "queue"


def test_lock_takes_ownership_resets_the_unlock_time_and_refuses_someone_elses_lock(desk: Desk) -> None:
    agent, ticket = _new(desk)
    other = desk.agent(first_name="Otto", last_name="Other")
    assert desk.do(other, "lock", ticket) is True
    row = desk.ticket(ticket)
    assert (row["ticket_lock_id"], row["user_id"], row["timeout"]) == (2, other, to_epoch(NOW))
    assert _since_create(desk, ticket) == [
        ("Lock", "%%lock"),
        ("Misc", "Reset of unlock time."),
        ("OwnerUpdate", f"%%{desk.login(other)}%%{other}"),
    ]
    assert desk.do(other, "lock", ticket) is False
    with pytest.raises(TicketInvalid, match=exactly(f"The ticket is locked by '{desk.login(other)}'.")):
        desk.do(agent, "lock", ticket)
    assert desk.do(other, "unlock", ticket) is True
    assert desk.do(other, "unlock", ticket) is False
    assert desk.ticket(ticket)["user_id"] == other  # unlocking never changes the owner


def test_priority_owner_responsible_title_customer_type(desk: Desk) -> None:
    agent, ticket = _new(desk)
    helper = desk.agent()
    assert desk.do(agent, "set_priority", ticket, "4 high") is True
    assert desk.do(agent, "set_priority", ticket, 4) is False
    assert desk.do(agent, "set_owner", ticket, helper) is True
    assert desk.do(helper, "set_owner", ticket, helper) is False
    assert desk.do(agent, "set_responsible", ticket, agent) is True
    assert desk.do(agent, "set_title", ticket, "A" * 60) is True
    assert desk.do(agent, "set_title", ticket, "A" * 60) is False
    assert desk.do(agent, "set_customer", ticket, "ACME", "carl") is True
    assert desk.do(agent, "set_customer", ticket, "ACME", "carl") is False
    assert desk.do(agent, "set_type", ticket, "Unclassified") is False
    row = desk.ticket(ticket)
    assert (row["ticket_priority_id"], row["user_id"], row["responsible_user_id"]) == (4, helper, agent)
    assert (row["title"], row["customer_id"], row["customer_user_id"]) == ("A" * 60, "ACME", "carl")
    assert row["change_by"] == agent
    assert _since_create(desk, ticket) == [
        ("PriorityUpdate", "%%3 normal%%3%%4 high%%4"),
        ("OwnerUpdate", f"%%{desk.login(helper)}%%{helper}"),
        ("ResponsibleUpdate", f"%%{desk.login(agent)}%%{agent}"),
        ("TitleUpdate", "%%Printer on fire%%" + "A" * 50 + "..."),
        ("CustomerUpdate", "%%CustomerID=ACME;CustomerUser=carl;"),
    ]
    assert desk.history_rows(ticket)[4]["owner_id"] == helper  # the owner AFTER the change


def test_title_is_checked(desk: Desk) -> None:
    agent, ticket = _new(desk)
    with pytest.raises(TicketInvalid, match=exactly("The title is longer than 255 characters.")):
        desk.do(agent, "set_title", ticket, "x" * 256)
    with pytest.raises(TicketInvalid, match=exactly("The title is empty.")):
        desk.do(agent, "set_title", ticket, " ")


def test_responsible_needs_rw_and_owner_must_be_valid(desk: Desk) -> None:
    agent, ticket = _new(desk)
    owner_only = desk.agent(grants={1: ("owner",)})
    with pytest.raises(TicketInvalid) as error:
        desk.do(agent, "set_responsible", ticket, owner_only)
    assert str(error.value) == (
        f"The agent '{desk.login(owner_only)}' may not be responsible for tickets in queue 'Raw': "
        "they need the 'rw' permission."
    )
    assert desk.do(agent, "set_owner", ticket, owner_only) is True
    gone = desk.world.agent(desk.unique("gone"), valid=False)
    with pytest.raises(TicketInvalid, match=exactly(f"There is no valid agent with id {gone}.")):
        desk.do(agent, "set_owner", ticket, gone)


def test_service_and_sla(desk: Desk) -> None:
    agent, ticket = _new(desk)
    audit = {"create_time": NOW, "create_by": 1, "change_time": NOW, "change_by": 1}
    mail = desk.insert("service", name=desk.unique("Mail"), valid_id=1, **audit)
    other = desk.insert("service", name=desk.unique("Other"), valid_id=1, **audit)
    gold = desk.insert(
        "sla", name=desk.unique("Gold"), first_response_time=0, update_time=0, solution_time=0, valid_id=1, **audit
    )
    desk.insert("service_sla", service_id=mail, sla_id=gold)
    desk.insert("service_customer_user", customer_user_login="<DEFAULT>", service_id=mail, create_time=NOW, create_by=1)
    names = {row["id"]: row["name"] for row in desk.rows("service")}
    gold_name = desk.rows("sla", id=gold)[0]["name"]
    with pytest.raises(TicketInvalid, match=exactly("An SLA needs a service: set the service first.")):
        desk.do(agent, "set_sla", ticket, gold)
    assert desk.do(agent, "set_service", ticket, mail) is True
    assert desk.do(agent, "set_sla", ticket, gold) is True
    assert desk.do(agent, "set_sla", ticket, gold) is False
    desk.do(agent, "set_customer", ticket, "ACME", "carl")
    with pytest.raises(
        TicketInvalid, match=exactly(f"The service '{names[other]}' is not available to customer 'carl'.")
    ):
        desk.do(agent, "set_service", ticket, other)
    assert desk.do(agent, "set_service", ticket, None) is True
    assert [entry for entry in _since_create(desk, ticket) if entry[0] != "CustomerUpdate"] == [
        ("ServiceUpdate", f"%%{names[mail]}%%{mail}%%NULL%%"),
        ("SLAUpdate", f"%%{gold_name}%%{gold}%%NULL%%"),
        ("ServiceUpdate", f"%%NULL%%%%{names[mail]}%%{mail}"),
    ]


def test_time_accounting_totals(desk: Desk) -> None:
    agent, ticket = _new(desk)
    article = desk.rows("article", ticket_id=ticket)[0]["id"]
    assert desk.do(agent, "account_time", ticket, "1,5", article_id=article) == Decimal("1.50")
    assert desk.do(agent, "account_time", ticket, Decimal("2.25")) == Decimal("3.75")
    assert _since_create(desk, ticket) == [("TimeAccounting", "%%1.5%%1.5"), ("TimeAccounting", "%%2.25%%3.75")]
    assert desk.history_rows(ticket)[-2]["article_id"] == article
    assert sorted(row["time_unit"] for row in desk.rows("time_accounting", ticket_id=ticket)) == [
        Decimal("1.50"),
        Decimal("2.25"),
    ]
    with pytest.raises(TicketInvalid, match=exactly("Time units must be a non-zero number below 100000000.")):
        desk.do(agent, "account_time", ticket, "0")
    with pytest.raises(TicketInvalid, match=exactly("'lots' is not a number of time units.")):
        desk.do(agent, "account_time", ticket, "lots")


def test_watchers(desk: Desk) -> None:
    agent, ticket = _new(desk)
    assert desk.do(agent, "watch", ticket) is True
    assert desk.do(agent, "watch", ticket) is False
    assert [row["user_id"] for row in desk.rows("ticket_watcher", ticket_id=ticket)] == [agent]
    assert desk.do(agent, "unwatch", ticket) is True
    assert desk.do(agent, "unwatch", ticket) is False
    assert desk.rows("ticket_watcher", ticket_id=ticket) == []
    assert _since_create(desk, ticket) == [("Subscribe", "%%Jane Doe"), ("Unsubscribe", "%%Jane Doe")]


def test_no_op_changes_write_nothing(desk: Desk) -> None:
    agent, ticket = _new(desk)
    with desk.engine.begin() as conn:
        service = desk.service(conn, agent)
        with counting(desk.engine) as statements:
            results = [
                service.set_state(ticket, "new"),
                service.set_priority(ticket, "3 normal"),
                service.move(ticket, "Raw"),
                service.unlock(ticket),
                service.set_title(ticket, "Printer on fire"),
                service.set_customer(ticket, None, None),
                service.set_type(ticket, 1),
                service.set_service(ticket, None),
                service.set_sla(ticket, None),
                service.set_owner(ticket, agent),
                service.set_responsible(ticket, 1),
            ]
    assert results == [False] * 11
    assert all(statement.lstrip().upper().startswith("SELECT") for statement in statements), statements


def test_unknown_tickets(desk: Desk) -> None:
    with pytest.raises(TicketNotFound, match=exactly("Ticket 987654321 does not exist.")):
        desk.do(None, "set_priority", 987654321, "4 high")

"""Creating tickets: the row, the history OTRS writes, events, validation, permissions and the statement count."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from modules.tickets.changes import to_epoch
from modules.tickets.drafts import ArticleDraft, TicketDraft, field_errors, parse
from modules.tickets.errors import TicketDenied, TicketInvalid
from modules.tickets.events import TicketEvent, bus
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import NOW, PHONE_CALL, RAW, Desk, T, counting, exactly

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures


def test_create_writes_the_ticket_and_otrs_history(desk: Desk) -> None:
    agent = desk.agent(first_name="Jane", last_name="Agent")
    login = desk.login(agent)
    created = desk.create(agent, customer_user="carl@example.com", customer_id="ACME")
    row = desk.ticket(created.ticket_id)
    assert (row["tn"], row["title"], row["queue_id"], row["ticket_state_id"], row["ticket_priority_id"]) == (
        created.tn,
        "Printer on fire",
        RAW,
        1,
        3,
    )
    assert (row["user_id"], row["responsible_user_id"], row["ticket_lock_id"], row["type_id"]) == (agent, 1, 1, 1)
    assert (row["customer_id"], row["customer_user_id"], row["timeout"], row["until_time"]) == (
        "ACME",
        "carl@example.com",
        0,
        0,
    )
    assert row["escalation_time"] == 0 and row["create_by"] == agent and row["create_time"] == NOW
    assert created.tn.startswith("2024031510") and len(created.tn) == 16
    assert desk.history(created.ticket_id) == [
        ("NewTicket", f"%%{created.tn}%%Raw%%3 normal%%new%%{created.ticket_id}"),
        ("CustomerUpdate", "%%CustomerID=ACME;CustomerUser=carl@example.com;"),
        ("PhoneCallCustomer", "%%"),
        ("OwnerUpdate", f"%%{login}%%{agent}"),
    ]
    rows = desk.history_rows(created.ticket_id)
    assert {(r["queue_id"], r["owner_id"], r["priority_id"], r["state_id"], r["type_id"]) for r in rows} == {
        (RAW, agent, 3, 1, 1)
    }
    assert rows[2]["article_id"] == created.article_id and rows[0]["article_id"] is None
    assert {r["create_by"] for r in rows} == {agent}


def test_the_system_creates_without_owner_update(desk: Desk) -> None:
    created = desk.create()
    assert [kind for kind, _name in desk.history(created.ticket_id)] == ["NewTicket", "PhoneCallCustomer"]


def test_create_with_type_service_sla_owner_lock_and_pending_time(desk: Desk) -> None:
    owner = desk.agent()
    service_id = desk.insert("service", name=desk.unique("Mail"), valid_id=1, **_audit())
    sla_id = desk.insert(
        "sla", name=desk.unique("Gold"), first_response_time=0, update_time=0, solution_time=0, valid_id=1, **_audit()
    )
    desk.insert("service_sla", service_id=service_id, sla_id=sla_id)
    desk.insert("service_customer_user", customer_user_login="<DEFAULT>", service_id=service_id, **_created())
    until = datetime(2024, 3, 20, 9, 30)
    created = desk.create(
        None,
        type="Unclassified",
        service=service_id,
        sla=sla_id,
        owner=owner,
        lock="lock",
        state="pending reminder",
        pending_until=until,
        customer_user="someone@example.com",
    )
    row = desk.ticket(created.ticket_id)
    assert (row["service_id"], row["sla_id"], row["ticket_lock_id"], row["ticket_state_id"]) == (
        service_id,
        sla_id,
        2,
        6,
    )
    assert (row["until_time"], row["timeout"], row["user_id"]) == (to_epoch(until), to_epoch(NOW), owner)
    service_name = desk.rows("service", id=service_id)[0]["name"]
    sla_name = desk.rows("sla", id=sla_id)[0]["name"]
    assert desk.history(created.ticket_id) == [
        ("NewTicket", f"%%{created.tn}%%Raw%%3 normal%%pending reminder%%{created.ticket_id}"),
        ("CustomerUpdate", "%%CustomerID=;CustomerUser=someone@example.com;"),
        ("TypeUpdate", "%%Unclassified%%1"),
        ("ServiceUpdate", f"%%{service_name}%%{service_id}%%NULL%%"),
        ("SLAUpdate", f"%%{sla_name}%%{sla_id}%%NULL%%"),
        ("PhoneCallCustomer", "%%"),
        ("OwnerUpdate", f"%%{desk.login(owner)}%%{owner}"),
        ("SetPendingTime", "%%2024-03-20 09:30"),
    ]


def test_an_agents_visible_first_article_resets_the_unlock_time(desk: Desk) -> None:
    agent = desk.agent()
    article = ArticleDraft(
        body="Calling about the printer.", channel="Phone", history_type="PhoneCallAgent", visible_for_customer=True
    )
    created = desk.create(agent, article=article)
    assert desk.ticket(created.ticket_id)["timeout"] == to_epoch(NOW)
    assert [kind for kind, _name in desk.history(created.ticket_id)] == [
        "NewTicket",
        "PhoneCallAgent",
        "Misc",
        "OwnerUpdate",
    ]
    assert desk.history(created.ticket_id)[2] == ("Misc", "Reset of unlock time.")
    stored = desk.rows("article_data_mime", article_id=created.article_id)[0]
    assert stored["a_from"] == f"{desk.login(agent)} Agent"  # the agent's name (no UserEmail preference)


def test_create_emits_events_in_order(desk: Desk) -> None:
    agent = desk.agent()
    seen: list[TicketEvent] = []
    bus.listen("*")(lambda conn, event: seen.append(event))
    created = desk.create(agent, customer_user="carl", state="pending auto close+", pending_until=datetime(2024, 4, 1))
    assert [event.name for event in seen] == [
        "TicketCreate",
        "TicketCustomerUpdate",
        "ArticleCreate",
        "TicketOwnerUpdate",
        "TicketPendingTimeUpdate",
    ]
    assert seen[2].article_id == created.article_id and {event.actor_id for event in seen} == {agent}


def test_create_is_a_handful_of_statements(desk: Desk) -> None:
    agent = desk.agent()
    desk.create(agent)  # the day's counter row and the lookups exist now
    with desk.engine.begin() as conn:
        service = desk.service(conn, agent)
        draft = TicketDraft(title="Counted", queue=RAW, customer_user="carl", customer_id="ACME")
        with counting(desk.engine) as statements:
            service.create(draft, PHONE_CALL)
    # counter, ticket (a taken number is skipped by the insert itself), its search document, article, mime data, its
    # search document, history (PostgreSQL: the ticket with its document, the article with its mime data and document)
    assert len(statements) == (4 if desk.engine.dialect.name == "postgresql" else 7), statements


def test_drafts_validate_field_by_field() -> None:
    with pytest.raises(ValidationError) as error:
        TicketDraft(title="x" * 256, queue="Raw", customer_id="y" * 151)
    assert field_errors(error.value) == {
        "title": "The title is longer than 255 characters.",
        "customer_id": "The customer ID is longer than 150 characters.",
    }
    with pytest.raises(TicketInvalid, match=exactly("The title is empty.")) as invalid:
        parse(TicketDraft, {"title": "  ", "queue": "Raw"})
    assert invalid.value.field == "title"
    with pytest.raises(ValidationError) as error:
        ArticleDraft(body=" ", to="not an address", history_type="SendAnswer", channel="Email")
    assert field_errors(error.value) == {
        "body": "The body is empty.",
        "to": "'not an address' is not an email address.",
    }
    with pytest.raises(ValidationError) as error:
        ArticleDraft(body="Hi", history_type="SendAnswer", channel="Email")
    assert field_errors(error.value) == {"": "An email needs at least one recipient."}


@pytest.mark.parametrize(
    ("draft", "field", "message"),
    [
        ({"queue": "Nowhere"}, "queue", "There is no queue 'Nowhere'."),
        ({"queue": "Raw", "state": "resolved"}, "state", "There is no state 'resolved'."),
        ({"queue": "Raw", "state": "merged"}, "state", "The state 'merged' is set by merging, not directly."),
        ({"queue": "Raw", "priority": 9}, "priority", "There is no priority with id 9."),
        ({"queue": "Raw", "type": "Incident"}, "type", "There is no type 'Incident'."),
        (
            {"queue": "Raw", "pending_until": datetime(2024, 4, 1)},
            "pending_until",
            "The state 'new' takes no pending time.",
        ),
        ({"queue": "Raw", "owner": 999999}, "owner", "There is no valid agent with id 999999."),
        ({"queue": "Raw", "service": "Nope"}, "service", "There is no valid service 'Nope'."),
        ({"queue": "Raw", "sla": "Nope"}, "sla", "There is no valid SLA 'Nope'."),
    ],
)
def test_bad_input_names_the_field(desk: Desk, draft: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(TicketInvalid) as error:
        desk.create(None, **draft)
    assert (error.value.field, str(error.value)) == (field, message)


def test_an_invalid_queue_refuses_tickets(desk: Desk) -> None:
    queue = desk.queue()
    with desk.engine.begin() as conn:
        conn.execute(T["queue"].update().where(T["queue"].c.id == queue).values(valid_id=2))
    with pytest.raises(TicketInvalid) as error:
        desk.create(None, queue=queue)
    assert error.value.field == "queue" and str(error.value).endswith("is invalid.")


def test_owner_must_hold_owner_on_the_queue(desk: Desk) -> None:
    reader = desk.agent("reader", {1: ("ro",)})
    with pytest.raises(TicketInvalid) as error:
        desk.create(None, owner=reader)
    assert str(error.value) == (
        f"The agent '{desk.login(reader)}' may not own tickets in queue 'Raw': they need the 'owner' permission."
    )


def test_creating_needs_create_on_the_queue(desk: Desk) -> None:
    group = desk.group()
    queue = desk.queue(group, prefix="Secret")
    agent = desk.agent(grants={group: ("ro", "move_into", "note")})
    name = desk.rows("queue", id=queue)[0]["name"]
    with pytest.raises(TicketDenied, match=exactly(f"You need the 'create' permission on queue '{name}'.")):
        desk.create(agent, queue=queue)
    desk.world.grant(agent, group, "create")
    assert desk.create(agent, queue=queue).tn


def test_service_must_be_one_of_the_customers(desk: Desk) -> None:
    service_id = desk.insert("service", name=desk.unique("VIP"), valid_id=1, **_audit())
    desk.insert("service_customer_user", customer_user_login="vip@example.com", service_id=service_id, **_created())
    name = desk.rows("service", id=service_id)[0]["name"]
    with pytest.raises(TicketInvalid, match=exactly(f"The service '{name}' is not available to customer 'carl'.")):
        desk.create(None, service=service_id, customer_user="carl")
    assert desk.create(None, service=name, customer_user="vip@example.com").ticket_id


def _audit() -> dict[str, object]:
    return {"create_time": NOW, "create_by": 1, "change_time": NOW, "change_by": 1}


def _created() -> dict[str, object]:
    return {"create_time": NOW, "create_by": 1}

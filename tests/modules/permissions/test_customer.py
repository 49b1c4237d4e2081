"""Customers' ticket access, the OTRS way: own tickets, their companies' tickets, and customer groups."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import Engine

from modules.permissions import PERMISSION_KEYS, PermissionOptions, customer_permissions, customer_ticket_access
from tests.modules.permissions.world import RAW_QUEUE, StatementCounter, World

DEFAULTS = PermissionOptions()
NO_COMPANY = PermissionOptions(customer_disable_company_ticket_access=True)
GROUPS = PermissionOptions(customer_group_support=True)


@dataclass
class Tickets:
    own: int
    colleague: int
    extra_company: int
    other_company: int


@pytest.fixture
def tickets(world: World) -> Tickets:
    """jdoe works for ACME and also for Initech (customer_user_customer); bob works for Globex."""
    for company in ("acme", "globex", "initech"):
        world.company(company)
    world.customer("jdoe", "acme")
    world.customer("jane", "acme")
    world.customer("bob", "globex")
    world.extra_company("jdoe", "initech")
    return Tickets(
        own=world.ticket(RAW_QUEUE, customer_user_id="JDoe", customer_id="globex"),  # login matches, any case
        colleague=world.ticket(RAW_QUEUE, customer_user_id="jane", customer_id="ACME"),
        extra_company=world.ticket(RAW_QUEUE, customer_user_id="carl", customer_id="Initech"),
        other_company=world.ticket(RAW_QUEUE, customer_user_id="bob", customer_id="globex"),
    )


def visible(engine: Engine, login: str, tickets: Tickets, options: PermissionOptions, key: str = "ro") -> set[str]:
    with engine.connect() as conn:
        return {
            name
            for name, ticket_id in vars(tickets).items()
            if customer_ticket_access(conn, login, ticket_id, key, options=options)
        }


def test_own_and_company_tickets(engine: Engine, tickets: Tickets) -> None:
    assert visible(engine, "jdoe", tickets, DEFAULTS) == {"own", "colleague", "extra_company"}
    assert visible(engine, "jane", tickets, DEFAULTS) == {"colleague"}
    assert visible(engine, "bob", tickets, DEFAULTS) == {"own", "other_company"}  # "own" belongs to Globex
    assert visible(engine, "stranger", tickets, DEFAULTS) == set()


def test_without_group_support_every_key_passes(engine: Engine, tickets: Tickets) -> None:
    for key in PERMISSION_KEYS:
        assert visible(engine, "jdoe", tickets, DEFAULTS, key) == {"own", "colleague", "extra_company"}


def test_company_access_can_be_disabled(engine: Engine, tickets: Tickets) -> None:
    assert visible(engine, "jdoe", tickets, NO_COMPANY) == {"own"}
    assert visible(engine, "jane", tickets, NO_COMPANY) == {"colleague"}


def test_a_queue_of_an_invalid_group_is_closed_to_customers(engine: Engine, world: World, tickets: Tickets) -> None:
    closed = world.queue("Closed", world.group("closed", valid=False))
    ticket = world.ticket(closed, customer_user_id="jdoe", customer_id="acme")
    with engine.connect() as conn:  # OTRS: without group support a customer is in every *valid* group
        assert not customer_ticket_access(conn, "jdoe", ticket, "ro", options=DEFAULTS)
        assert not customer_ticket_access(conn, "jdoe", 987654, "ro", options=DEFAULTS)


def test_group_support_requires_the_queue_group(engine: Engine, world: World, tickets: Tickets) -> None:
    sales, secret = world.group("sales"), world.group("secret")
    sales_ticket = world.ticket(world.queue("Sales", sales), customer_user_id="jdoe", customer_id="acme")
    secret_ticket = world.ticket(world.queue("Secret", secret), customer_user_id="jdoe", customer_id="acme")
    world.customer_group("jdoe", sales, "ro")
    world.customer_group("jdoe", sales, "note", value=0)
    with engine.connect() as conn:
        sales_keys = {
            k for k in PERMISSION_KEYS if customer_ticket_access(conn, "jdoe", sales_ticket, k, options=GROUPS)
        }
        assert sales_keys == {"ro"}
        assert not customer_ticket_access(conn, "jdoe", secret_ticket, "ro", options=GROUPS)
        assert not customer_ticket_access(conn, "jdoe", tickets.own, "ro", options=GROUPS)  # Raw is in "users"
        assert customer_ticket_access(conn, "jdoe", secret_ticket, "ro", options=DEFAULTS)


def test_group_support_counts_company_groups_and_rw(engine: Engine, world: World, tickets: Tickets) -> None:
    secret = world.group("secret")
    queue = world.queue("Secret", secret)
    jane_ticket = world.ticket(queue, customer_user_id="jane", customer_id="acme")
    world.company_group("acme", secret, "rw")  # context Ticket::CustomerID::Same
    world.company_group("acme", secret, "ro", context="Ticket::CustomerID::Other", value=0)
    with engine.connect() as conn:
        assert all(customer_ticket_access(conn, "jane", jane_ticket, k, options=GROUPS) for k in PERMISSION_KEYS)
        assert customer_ticket_access(conn, "jdoe", jane_ticket, "note", options=GROUPS)  # same company
        assert not customer_ticket_access(conn, "bob", jane_ticket, "ro", options=GROUPS)


def test_other_company_context_opens_other_companies_tickets(engine: Engine, world: World, tickets: Tickets) -> None:
    shared = world.group("shared")
    queue = world.queue("Shared", shared)
    globex_ticket = world.ticket(queue, customer_user_id="bob", customer_id="globex")
    world.customer_group("jdoe", shared, "ro")  # GroupCheck (required) passes
    with engine.connect() as conn:
        assert not customer_ticket_access(conn, "jdoe", globex_ticket, "ro", options=GROUPS)
    world.company_group("acme", shared, "ro", context="Ticket::CustomerID::Other")
    with engine.connect() as conn:
        assert customer_ticket_access(conn, "jdoe", globex_ticket, "ro", options=GROUPS)
        assert not customer_ticket_access(conn, "jdoe", globex_ticket, "note", options=GROUPS)
        no_company = PermissionOptions(customer_group_support=True, customer_disable_company_ticket_access=True)
        assert not customer_ticket_access(conn, "jdoe", globex_ticket, "ro", options=no_company)
        assert not customer_ticket_access(conn, "jane", globex_ticket, "ro", options=GROUPS)  # not in "shared"


def test_always_groups_are_every_customers(engine: Engine, world: World, tickets: Tickets) -> None:
    options = PermissionOptions(customer_group_support=True, customer_group_always_groups=("users",))
    assert visible(engine, "jdoe", tickets, options, "rw") == {"own", "colleague", "extra_company"}
    assert visible(engine, "jdoe", tickets, GROUPS) == set()


def test_one_query_per_request_for_the_customer(engine: Engine, tickets: Tickets) -> None:
    counter = StatementCounter(engine)
    with Flask(__name__).test_request_context(), engine.connect() as conn:
        for _ in range(10):
            perms = customer_permissions(conn, "jdoe", options=GROUPS)
        assert len(counter) == 1
        assert perms.customer_ids == {"acme", "initech"}
        for _ in range(3):
            customer_ticket_access(conn, "jdoe", tickets.colleague, "ro", options=GROUPS)
        assert len(counter) == 4  # one primary-key lookup per ticket check

"""Tests of the server-rendered pages, and the helpdesk the page tests (and the browser test) read.

The helpdesk is built as ``gotrs db init`` builds one (migrations, OTRS initial data with its welcome ticket), plus
the queues, people and tickets below, inserted with SQLAlchemy Core on the real schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from goatkit.passwords import hash_password
from modules.db import MIGRATIONS
from modules.db.schema import metadata
from modules.db.seed import insert_initial_data

ADMIN, ADMIN_PW, ADMIN_NAME = "root@localhost", "start-page-Pw-1", "Admin OTRS"  # OTRS names user 1 "Admin OTRS"
CUSTOMER, CUSTOMER_PW, CUSTOMER_NAME = "carla@example.com", "carla-Pw-1", "Carla Customer"

#: OTRS's initial data has four queues (Postmaster, Raw, Junk, Misc); these are added.
NEW_QUEUES = ["Sales", "Billing", "Hardware"]

#: Tickets added per (queue, state): 6 queues have active tickets, so the top-5 cut-off is exercised.
TICKETS = {
    ("Postmaster", "new"): 7,
    ("Postmaster", "open"): 5,
    ("Postmaster", "closed successful"): 40,
    ("Raw", "open"): 9,
    ("Raw", "pending reminder"): 2,
    ("Misc", "pending auto close+"): 3,
    ("Misc", "merged"): 1,
    ("Misc", "removed"): 1,
    ("Sales", "new"): 2,
    ("Sales", "closed unsuccessful"): 6,
    ("Billing", "open"): 1,
    ("Hardware", "new"): 1,
    ("Junk", "closed successful"): 12,
}
#: The figures, counting OTRS's welcome ticket (queue Raw, state new) as well as the tickets above.
EXPECTED_BY_STATE = {"new": 11, "open": 15, "pending": 5, "closed": 60}
#: Postmaster and Raw tie at 12 and Billing and Hardware at 1: ties sort by name, so Hardware is cut off.
EXPECTED_TOP_QUEUES = [("Postmaster", 12), ("Raw", 12), ("Misc", 3), ("Sales", 2), ("Billing", 1)]
#: Valid agents (root@localhost and three more) and customers; invalid ones are added too and must not count.
AGENTS, INVALID_AGENTS, CUSTOMERS, INVALID_CUSTOMERS = 4, 2, 25, 3

_TICKET, _QUEUE, _STATE = metadata.tables["ticket"], metadata.tables["queue"], metadata.tables["ticket_state"]
_USERS, _CUSTOMER_USER = metadata.tables["users"], metadata.tables["customer_user"]
WELCOME_TICKET_ID = 1
CLOSED_SUCCESSFUL = "closed successful"


def init_database(engine: Engine) -> None:
    """What ``gotrs db init`` does: the schema and OTRS's initial data, root@localhost with ``ADMIN_PW``."""
    MIGRATIONS.upgrade(engine)
    with engine.begin() as conn:
        insert_initial_data(conn, admin_password=ADMIN_PW)


def create_helpdesk(engine: Engine) -> None:
    """``gotrs db init``, then the queues, people and tickets above."""
    init_database(engine)
    now = datetime.now().replace(microsecond=0)
    audit = {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
    with engine.begin() as conn:
        _add_people(conn, audit)
        template = conn.execute(select(_QUEUE).where(_QUEUE.c.name == "Misc")).mappings().one()
        conn.execute(
            insert(_QUEUE),
            [{**_queue_settings(template), "name": name, "comments": f"{name} queue.", **audit} for name in NEW_QUEUES],
        )
        _add_tickets(conn, audit)


def close_welcome_ticket(engine: Engine) -> None:
    """Close OTRS's welcome ticket, the only ticket ``gotrs db init`` creates."""
    with engine.begin() as conn:
        closed = conn.execute(select(_STATE.c.id).where(_STATE.c.name == CLOSED_SUCCESSFUL)).scalar_one()
        conn.execute(update(_TICKET).where(_TICKET.c.id == WELCOME_TICKET_ID).values(ticket_state_id=closed))


def _add_people(conn: Connection, audit: dict[str, Any]) -> None:
    agents = [
        {"login": f"agent{n}", "pw": "", "first_name": "Agent", "last_name": str(n), "valid_id": 1 if valid else 2}
        for n, valid in enumerate([True] * (AGENTS - 1) + [False] * INVALID_AGENTS, start=2)
    ]
    conn.execute(insert(_USERS), [{**row, **audit} for row in agents])
    first, last = CUSTOMER_NAME.split()
    customers = [{"login": CUSTOMER, "pw": hash_password(CUSTOMER_PW), "first_name": first, "last_name": last}]
    customers += [
        {"login": f"customer{n}@example.com", "pw": None, "first_name": "Customer", "last_name": str(n)}
        for n in range(2, CUSTOMERS + INVALID_CUSTOMERS + 1)
    ]
    rows = [
        {**row, "email": row["login"], "customer_id": "ACME", "valid_id": 1 if n < CUSTOMERS else 2, **audit}
        for n, row in enumerate(customers)
    ]
    conn.execute(insert(_CUSTOMER_USER), rows)


def _queue_settings(template: Any) -> dict[str, Any]:
    keep = ("group_id", "system_address_id", "salutation_id", "signature_id", "follow_up_id", "follow_up_lock")
    return {key: template[key] for key in keep} | {"unlock_timeout": 0, "valid_id": 1}


def _add_tickets(conn: Connection, audit: dict[str, Any]) -> None:
    queue_ids = {name: id_ for name, id_ in conn.execute(select(_QUEUE.c.name, _QUEUE.c.id))}
    state_ids = {name: id_ for name, id_ in conn.execute(select(_STATE.c.name, _STATE.c.id))}
    pairs = [(queue, state) for (queue, state), count in TICKETS.items() for _ in range(count)]
    fixed = {"ticket_lock_id": 1, "user_id": 1, "responsible_user_id": 1, "ticket_priority_id": 3, "timeout": 0}
    fixed |= dict.fromkeys(("until_time", "escalation_time", "escalation_update_time"), 0)
    fixed |= dict.fromkeys(("escalation_response_time", "escalation_solution_time"), 0)
    rows = [
        {
            "tn": f"20240101{number:08d}",
            "title": f"Ticket {number}",
            "queue_id": queue_ids[queue],
            "ticket_state_id": state_ids[state],
            **fixed,
            **audit,
        }
        for number, (queue, state) in enumerate(pairs, start=1)
    ]
    conn.execute(insert(_TICKET), rows)

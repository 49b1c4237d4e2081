"""Tests of the server-rendered pages, and a small helpdesk the page tests (and the browser test) read.

TODO: once ``gotrs db init`` (modules.db.schema + seed) is complete, build the helpdesk on the real schema instead
of the few OTRS columns described here.
"""

from __future__ import annotations

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert

# The OTRS columns the start page reads, with OTRS's initial ids (otrs-initial_insert.xml).
_meta = MetaData()
_state_type = Table("ticket_state_type", _meta, Column("id", Integer, primary_key=True), Column("name", String(200)))
_state = Table(
    "ticket_state",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("name", String(200)),
    Column("type_id", Integer),
)
_queue = Table("queue", _meta, Column("id", Integer, primary_key=True), Column("name", String(200)))
_ticket = Table(
    "ticket",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("queue_id", Integer),
    Column("ticket_state_id", Integer),
)
_users = Table("users", _meta, Column("id", Integer, primary_key=True), Column("valid_id", Integer))
_customer_user = Table("customer_user", _meta, Column("id", Integer, primary_key=True), Column("valid_id", Integer))

STATE_TYPES = {1: "new", 2: "open", 3: "closed", 4: "pending reminder", 5: "pending auto", 6: "removed", 7: "merged"}
STATES = {
    "new": (1, 1),
    "closed successful": (2, 3),
    "closed unsuccessful": (3, 3),
    "open": (4, 2),
    "removed": (5, 6),
    "pending reminder": (6, 4),
    "pending auto close+": (7, 5),
    "merged": (9, 7),
}
QUEUES = ["Postmaster", "Raw", "Junk", "Misc", "Sales", "Billing", "Hardware"]

#: Tickets per (queue, state): 6 queues have active tickets, so the top-5 cut-off is exercised.
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
EXPECTED_BY_STATE = {"new": 10, "open": 15, "pending": 5, "closed": 60}
EXPECTED_TOP_QUEUES = [("Postmaster", 12), ("Raw", 11), ("Misc", 3), ("Sales", 2), ("Billing", 1)]
AGENTS, INVALID_AGENTS, CUSTOMERS, INVALID_CUSTOMERS = 4, 2, 25, 3


def create_helpdesk(engine: Engine, *, tickets: bool = True) -> None:
    """Create the start page's tables and fill them with the data above (without tickets if ``tickets=False``)."""
    _meta.create_all(engine)
    queue_ids = {name: index for index, name in enumerate(QUEUES, start=1)}
    with engine.begin() as conn:
        conn.execute(insert(_state_type), [{"id": i, "name": n} for i, n in STATE_TYPES.items()])
        conn.execute(insert(_state), [{"id": i, "name": n, "type_id": t} for n, (i, t) in STATES.items()])
        conn.execute(insert(_queue), [{"id": i, "name": n} for n, i in queue_ids.items()])
        conn.execute(insert(_users), [{"valid_id": 1}] * AGENTS + [{"valid_id": 2}] * INVALID_AGENTS)
        conn.execute(insert(_customer_user), [{"valid_id": 1}] * CUSTOMERS + [{"valid_id": 2}] * INVALID_CUSTOMERS)
        if tickets:
            rows = [
                {"queue_id": queue_ids[queue], "ticket_state_id": STATES[state][0]}
                for (queue, state), count in TICKETS.items()
                for _ in range(count)
            ]
            conn.execute(insert(_ticket), rows)

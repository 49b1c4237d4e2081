"""Lookups by name and id: one statement per snapshot, cached per engine, a new row found at once."""

from __future__ import annotations

import pytest

from modules.tickets import refs as refs_module
from modules.tickets.errors import TicketInvalid
from modules.tickets.refs import QueueInfo, Refs, StateRef
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import NOW, Desk, counting, exactly

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures


def test_one_statement_then_cached_per_engine(desk: Desk) -> None:
    refs_module.forget(desk.engine)
    with desk.engine.connect() as conn, counting(desk.engine) as statements:
        refs = Refs(conn)
        assert refs.state("pending reminder") == StateRef(6, "pending reminder", True, "pending reminder")
        assert refs.state(7).type_name == "pending auto"
        assert refs.queue("Raw") == QueueInfo(2, "Raw", True, 1)
        assert (refs.lock_id("lock"), refs.history_type_id("NewTicket"), refs.id("sender_type", "customer")) == (
            2,
            1,
            3,
        )
        assert (refs.id("channel", "Internal"), refs.name("priority", 3), refs.name("type", 1)) == (
            3,
            "3 normal",
            "Unclassified",
        )
        assert refs.state_ids(["closed"]) == [2, 3]
        assert refs.id("link_type", "ParentChild") > 0 and refs.id("link_state", "Valid") > 0
        Refs(conn).state("new")
    assert len(statements) == 1


def test_unknown_and_invalid_names_name_the_field(desk: Desk) -> None:
    with desk.engine.connect() as conn:
        refs = Refs(conn)
        with pytest.raises(TicketInvalid, match=exactly("There is no state 'resolved'.")) as error:
            refs.state("resolved")
        assert error.value.field == "state"
        with pytest.raises(TicketInvalid, match=exactly("There is no priority with id 42.")):
            refs.require("priority", 42, "priority")
        with pytest.raises(KeyError):
            refs.id("lock", "welded")
    queue = desk.queue()
    with desk.engine.begin() as conn:
        from modules.db.schema import metadata

        table = metadata.tables["queue"]
        conn.execute(table.update().where(table.c.id == queue).values(valid_id=2))
    refs_module.forget(desk.engine)
    with desk.engine.connect() as conn:
        name = Refs(conn).queue(queue, valid=False).name
        with pytest.raises(TicketInvalid, match=exactly(f"The queue '{name}' is invalid.")):
            Refs(conn).queue(queue)
        assert Refs(conn).queue(queue, valid=False).id == queue


def test_a_row_added_by_an_admin_is_found_at_once(desk: Desk) -> None:
    with desk.engine.connect() as conn:
        Refs(conn).state("new")  # a fresh snapshot
    state = desk.insert(
        "ticket_state",
        name=desk.unique("waiting"),
        type_id=2,
        valid_id=1,
        create_time=NOW,
        create_by=1,
        change_time=NOW,
        change_by=1,
    )
    with desk.engine.connect() as conn, counting(desk.engine) as statements:
        found = Refs(conn).state(state)
    assert (found.id, found.type_name) == (state, "open") and len(statements) == 1

"""History names and their English rendering (OTRS's HistoryTypes wording), and the batched write."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from modules.tickets import history
from modules.tickets.history import WORDING, Names, describe, split_name
from modules.tickets.refs import Refs
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import Desk, counting

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures


@pytest.mark.parametrize(
    ("history_type", "name", "text"),
    [
        (
            "NewTicket",
            "%%TN%%Raw%%3 normal%%new%%7",
            'Created ticket [TN] in "Raw" with priority "3 normal" and state "new".',
        ),
        ("StateUpdate", "%%new%%open%%", 'Changed state from "new" to "open".'),
        ("Move", "%%Misc%%4%%Raw%%2", 'Changed queue to "Misc" (4) from "Raw" (2).'),
        ("PriorityUpdate", "%%3 normal%%3%%4 high%%4", 'Changed priority from "3 normal" (3) to "4 high" (4).'),
        ("OwnerUpdate", "%%jane%%2", 'Changed owner to "jane" (2).'),
        ("Lock", "%%lock", "Locked ticket."),
        ("Misc", "Reset of unlock time.", "Reset of unlock time."),
        ("SetPendingTime", "%%00-00-00 00:00", 'Changed pending time to "00-00-00 00:00".'),
        ("TypeUpdate", "%%Incident%%2%%Unclassified%%1", 'Changed type from "Unclassified" (1) to "Incident" (2).'),
        ("TypeUpdate", "%%Unclassified%%1", 'Changed type from "" () to "Unclassified" (1).'),
        ("ServiceUpdate", "%%NULL%%%%Mail%%3", 'Changed service to "NULL" ().'),
        ("TimeAccounting", "%%1.5%%4", "Added 1.5 time unit(s), for a total of 4 time unit(s)."),
        ("Merged", "%%111%%5%%222%%6", "Merged Ticket (111/5) to (222/6)."),
        ("TicketLinkAdd", "%%2024010110000012%%5%%6", 'Added link to ticket "2024010110000012".'),
        ("AddNote", "%%Note", "Added note (Note)."),
        ("EmailAgent", "%%", "Sent email to customer."),
        ("FollowUp", "%%2024010110000012%%", "Added follow-up to ticket [2024010110000012]. "),
        (
            "TicketDynamicFieldUpdate",
            "%%FieldName%%Colour%%Value%%red%%OldValue%%blue",
            'Changed dynamic field Colour from "blue" to "red".',
        ),
        ("Bulk", "%%a%%b", "a b"),
        ("NewTicket", "New Ticket [2021031415926535] created.", "New Ticket [2021031415926535] created."),
    ],
)
def test_describe_renders_like_otrs_history_tab(history_type: str, name: str, text: str) -> None:
    assert describe(history_type, name) == text


def test_split_drops_trailing_empty_fields_as_perl_does() -> None:
    assert split_name("%%old%%new%%") == ["old", "new"]
    assert split_name("%%a%%%%b") == ["a", "", "b"]


def test_wording_covers_every_otrs_history_type_in_otrs_words() -> None:
    # OTRS's Ticket::Frontend::HistoryTypes###000-Framework: every type of the initial data but Bulk (shown as is).
    assert len(WORDING) == 51 and "Bulk" not in WORDING
    assert WORDING["Move"] == 'Changed queue to "%s" (%s) from "%s" (%s).'
    assert WORDING["TimeAccounting"] == "Added %s time unit(s), for a total of %s time unit(s)."
    assert WORDING["Merged"] == "Merged Ticket (%s/%s) to (%s/%s)."
    assert WORDING["SLAUpdate"] == 'Changed SLA to "%s" (%s).'


def test_name_formats() -> None:
    assert Names.new_ticket("TN", "Raw", "3 normal", "new", 7) == "%%TN%%Raw%%3 normal%%new%%7"
    assert Names.state_update("new", "open") == "%%new%%open%%"
    assert Names.pending(datetime(2024, 3, 5, 7, 4)) == "%%2024-03-05 07:04"
    assert Names.pending(None) == "%%00-00-00 00:00"
    assert Names.title_update("Old", "x" * 60) == "%%Old%%" + "x" * 50 + "..."
    assert Names.title_update("Old", "y" * 50) == "%%Old%%" + "y" * 50 + "..."  # OTRS's quirk at exactly 50
    assert Names.title_update("Old", "New") == "%%Old%%New"
    assert Names.customer_update("ACME", "carl") == "%%CustomerID=ACME;CustomerUser=carl;"
    assert Names.attribute_update(None, None, "Incident", 2) == "%%NULL%%%%Incident%%2"
    assert Names.time_accounting(Decimal("4.50"), Decimal("6.00")) == "%%4.5%%6"
    assert Names.link("2024010110000012", 5, 6) == "%%2024010110000012%%5%%6"


def test_write_is_one_statement_cuts_names_to_200_and_lines_describe(desk: Desk) -> None:
    created = desk.create()
    ticket = desk.ticket(created.ticket_id)
    entries = [
        history.Entry(created.ticket_id, "Misc", "x" * 300, 2, 1, 1, 3, 1),
        history.Entry(created.ticket_id, "Lock", "%%lock", 2, 1, 1, 3, 1),
    ]
    with desk.engine.begin() as conn:
        refs = Refs(conn)
        with counting(desk.engine) as statements:
            history.write(conn, refs, entries, actor_id=1, now=datetime(2024, 3, 15, 13))
        assert len(statements) == 1
        lines = history.lines(conn, created.ticket_id)
    assert lines[-2].name == "x" * 200
    assert (lines[-1].history_type, lines[-1].text, lines[-1].create_login) == (
        "Lock",
        "Locked ticket.",
        "root@localhost",
    )
    assert ticket["tn"] == created.tn

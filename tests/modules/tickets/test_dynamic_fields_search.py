"""Searching tickets by dynamic fields (OTRS's ``DynamicField_<Name>`` with Equals, Like, ranges and Empty)."""

from __future__ import annotations

import pytest

from modules.tickets.search import search_tickets
from modules.tickets.search_query import SearchInvalid, TicketQuery
from tests.modules.tickets import ticket_world
from tests.modules.tickets.dynamic_field_world import make_field
from tests.modules.tickets.ticket_world import Desk, exactly

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk
CHOICES = {"hw": "Hardware", "sw": "Software", "net": "Network"}


def found(desk: Desk, agent: int, **filters: object) -> list[int]:
    with desk.engine.connect() as conn:
        page = search_tickets(conn, TicketQuery.parse(filters), agent_id=agent, page_size=100)
    return sorted(hit.id for hit in page.rows)


def test_filters_match_values_of_every_type_and_article_fields(desk: Desk) -> None:
    menu = make_field(desk.engine, "Dropdown", PossibleValues=CHOICES)
    many = make_field(desk.engine, "Multiselect", PossibleValues=CHOICES)
    serial = make_field(desk.engine, "Text")
    flag = make_field(desk.engine, "Checkbox")
    due = make_field(desk.engine, "Date")
    seen = make_field(desk.engine, "DateTime")
    minutes = make_field(desk.engine, "Text", object_type="Article")
    agent = desk.agent()
    queue = desk.queue()
    a, b, c = (desk.create(queue=queue) for _ in range(3))
    desk.do(None, "set_dynamic_fields", a.ticket_id, {menu: "hw", many: ["sw", "net"], serial: "SN-100_A",
            flag: 1, due: "2024-03-01", seen: "2024-03-01T10:00"})  # fmt: skip
    desk.do(None, "set_dynamic_fields", b.ticket_id, {menu: "sw", many: ["hw"], serial: "sn-200", flag: 0,
            due: "2024-04-01", seen: "2024-03-02T10:00"})  # fmt: skip
    desk.do(None, "set_dynamic_fields", c.ticket_id, {minutes: "15"}, article_id=c.article_id)
    ids = {"a": a.ticket_id, "b": b.ticket_id, "c": c.ticket_id}
    cases: list[tuple[dict[str, object], list[str]]] = [
        ({f"DynamicField_{menu}": "hw"}, ["a"]),
        ({f"DynamicField_{menu}": ["hw", "sw"]}, ["a", "b"]),
        ({f"DynamicField_{many}": "net"}, ["a"]),
        ({f"DynamicField_{many}": {"Equals": ["hw", "net"]}}, ["a", "b"]),
        ({f"DynamicField_{serial}": "sn-*"}, ["a", "b"]),  # Like, ignoring case
        ({f"DynamicField_{serial}": "*100_*"}, ["a"]),  # _ is no wildcard
        ({f"DynamicField_{flag}": "1"}, ["a"]),
        ({f"DynamicField_{flag}": "0"}, ["b"]),
        ({f"DynamicField_{due}.GreaterThan": "2024-03-01"}, ["b"]),
        ({f"DynamicField_{due}": {"GreaterThanEquals": "2024-03-01", "SmallerThan": "2024-04-01"}}, ["a"]),
        ({f"DynamicField_{seen}.SmallerThanEquals": "2024-03-01"}, ["a"]),  # a date: that whole day
        ({f"DynamicField_{menu}.Empty": "1"}, ["c"]),
        ({f"DynamicField_{menu}.Empty": "0"}, ["a", "b"]),
        ({f"DynamicField_{minutes}": "15"}, ["c"]),  # through the ticket's articles
        ({f"DynamicField_{menu}": "hw", f"DynamicField_{flag}": "0"}, []),  # all apply
        ({f"DynamicField_{menu}": ""}, ["a", "b", "c"]),  # empty: no filter
    ]
    for filters, expected in cases:
        assert found(desk, agent, queue_ids=[queue], **filters) == [ids[k] for k in expected], filters


def test_bad_filters_are_refused_naming_the_field(desk: Desk) -> None:
    menu = make_field(desk.engine, "Dropdown", PossibleValues=CHOICES)
    due = make_field(desk.engine, "Date")
    agent = desk.agent()
    cases = {
        f"DynamicField_{menu}.Near": (
            "x",
            f"DynamicField_{menu}.Near",
            "unknown operator 'Near'; use one of "
            "Equals, Like, GreaterThan, GreaterThanEquals, SmallerThan, SmallerThanEquals, "
            "Empty.",
        ),
        "DynamicField_Missing": (
            "x",
            "DynamicField_Missing",
            "there is no valid ticket or article dynamic field 'Missing'.",
        ),
        f"DynamicField_{due}.GreaterThan": ("soon", f"DynamicField_{due}", "'soon' is not a date (use 2024-03-15)."),
        f"DynamicField_{due}.Like": (
            "2024*",
            f"DynamicField_{due}",
            "Like works on text values; F label is a Date field.",
        ),
        "DynamicField_no-way": ("x", "DynamicField_no-way", "a dynamic field name has letters and digits only."),
    }
    for key, (value, field, message) in cases.items():
        with pytest.raises(SearchInvalid, match=exactly(f"{field}: {message}")) as raised:
            found(desk, agent, **{key: value})
        assert raised.value.field == field


def test_a_saved_search_keeps_its_dynamic_field_filters(desk: Desk) -> None:
    from modules.tickets.search_profiles import load_profile, profile_rows, save_profile

    query = TicketQuery.parse({"DynamicField_Category": ["hw", "sw"], "DynamicField_Due.GreaterThan": "2024-03-01"})
    assert [row for row in profile_rows(query) if row[1].startswith("DynamicField_")] == [
        ("ARRAY", "DynamicField_Category.Equals", "hw"),
        ("ARRAY", "DynamicField_Category.Equals", "sw"),
        ("ARRAY", "DynamicField_Due.GreaterThan", "2024-03-01"),
    ]
    with desk.engine.begin() as conn:
        save_profile(conn, "df-saver", "With fields", query)
        assert load_profile(conn, "df-saver", "With fields") == query

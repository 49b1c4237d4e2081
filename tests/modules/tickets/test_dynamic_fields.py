"""Dynamic field values of tickets and articles: storage as OTRS stores it, validation, history, events, batches."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from modules.tickets import dynamic_fields as dynamic
from modules.tickets.errors import TicketDenied, TicketInvalid
from modules.tickets.events import TicketEvent, bus
from tests.modules.tickets import ticket_world
from tests.modules.tickets.dynamic_field_world import make_field
from tests.modules.tickets.ticket_world import Desk, counting, exactly

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk
CHOICES = {"hw": "Hardware", "sw": "Software", "net": "Network"}


def stored(desk: Desk, name: str, object_id: int) -> list[tuple[str | None, datetime | None, int | None]]:
    field_id = desk.rows("dynamic_field", name=name)[0]["id"]
    rows = desk.rows("dynamic_field_value", field_id=field_id, object_id=object_id)
    return [(row["value_text"], row["value_date"], row["value_int"]) for row in sorted(rows, key=lambda r: r["id"])]


def test_each_type_is_stored_in_its_otrs_column_and_a_multiselect_one_row_per_value(desk: Desk) -> None:
    text = make_field(desk.engine, "Text")
    area = make_field(desk.engine, "TextArea")
    flag = make_field(desk.engine, "Checkbox")
    menu = make_field(desk.engine, "Dropdown", PossibleValues=CHOICES)
    many = make_field(desk.engine, "Multiselect", PossibleValues=CHOICES)
    day = make_field(desk.engine, "Date")
    moment = make_field(desk.engine, "DateTime")
    ticket = desk.create().ticket_id
    values = {text: " Serial 42 ", area: "line 1\nline 2", flag: True, menu: "hw", many: ["sw", "net"],
              f"DynamicField_{day}": "2024-04-01", moment: "2024-04-01T09:30:00+02:00"}  # fmt: skip

    assert desk.do(None, "set_dynamic_fields", ticket, values) is True

    assert stored(desk, text, ticket) == [("Serial 42", None, None)]
    assert stored(desk, area, ticket) == [("line 1\nline 2", None, None)]
    assert stored(desk, flag, ticket) == [(None, None, 1)]
    assert stored(desk, menu, ticket) == [("hw", None, None)]
    assert stored(desk, many, ticket) == [("sw", None, None), ("net", None, None)]
    assert stored(desk, day, ticket) == [(None, datetime(2024, 4, 1, 0, 0), None)]
    assert stored(desk, moment, ticket) == [(None, datetime(2024, 4, 1, 7, 30), None)]  # UTC, as OTRS stores it
    with desk.engine.connect() as conn:
        fields = dynamic.definitions(conn)
        read = dynamic.read_values(
            conn, [fields[n] for n in values if not n.startswith("Dyn")] + [fields[day]], [ticket]
        )
    assert read[ticket] == {text: "Serial 42", area: "line 1\nline 2", flag: 1, menu: "hw", many: ["sw", "net"],
                            day: date(2024, 4, 1), moment: datetime(2024, 4, 1, 7, 30)}  # fmt: skip

    desk.do(None, "set_dynamic_fields", ticket, {many: ["hw"], text: "", flag: False})
    assert stored(desk, many, ticket) == [("hw", None, None)]
    assert stored(desk, text, ticket) == []  # emptied: no row
    assert stored(desk, flag, ticket) == [(None, None, 0)]  # unchecked is a value (0), as in OTRS


def test_a_change_writes_otrs_history_and_the_event_and_a_no_op_writes_nothing(desk: Desk) -> None:
    menu = make_field(desk.engine, "Dropdown", PossibleValues=CHOICES)
    many = make_field(desk.engine, "Multiselect", PossibleValues=CHOICES)
    agent = desk.agent()
    ticket = desk.create(agent).ticket_id
    before = desk.ticket(ticket)["change_time"]
    seen: list[TicketEvent] = []
    with desk.engine.connect() as conn:
        dynamic.definitions(conn)  # declares TicketDynamicFieldUpdate_<name>
    bus.listen(f"TicketDynamicFieldUpdate_{menu}", "ArticleDynamicFieldUpdate")(lambda _conn, e: seen.append(e))
    desk.now = datetime(2024, 3, 16, 8, 0)

    desk.do(agent, "set_dynamic_field", ticket, menu, "hw")
    desk.do(agent, "set_dynamic_fields", ticket, {menu: "sw", many: ["hw", "net"]})

    rows = [row for row in desk.history(ticket) if row[0] == "TicketDynamicFieldUpdate"]
    assert rows == [
        ("TicketDynamicFieldUpdate", f"%%FieldName%%{menu}%%Value%%hw%%OldValue%%"),
        ("TicketDynamicFieldUpdate", f"%%FieldName%%{menu}%%Value%%sw%%OldValue%%hw"),
        ("TicketDynamicFieldUpdate", f"%%FieldName%%{many}%%Value%%hw, net%%OldValue%%"),
    ]
    assert [(e.name, dict(e.data)) for e in seen] == [
        (f"TicketDynamicFieldUpdate_{menu}", {"field": menu, "value": "hw", "old_value": None}),
        (f"TicketDynamicFieldUpdate_{menu}", {"field": menu, "value": "sw", "old_value": "hw"}),
    ]
    assert desk.ticket(ticket)["change_time"] == datetime(2024, 3, 16, 8, 0) != before
    count = len(desk.history(ticket))
    with counting(desk.engine) as statements:
        assert desk.do(agent, "set_dynamic_fields", ticket, {menu: "sw", many: ["hw", "net"]}) is False
    assert len(desk.history(ticket)) == count and len(seen) == 2
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_article_fields_go_on_an_article_of_the_ticket_with_the_article_event(desk: Desk) -> None:
    note = make_field(desk.engine, "Text", object_type="Article")
    created = desk.create()
    other = desk.create()
    seen: list[TicketEvent] = []
    bus.listen("ArticleDynamicFieldUpdate")(lambda _conn, e: seen.append(e))

    desk.do(None, "set_dynamic_fields", created.ticket_id, {note: "from the call"}, article_id=created.article_id)

    assert stored(desk, note, created.article_id or 0) == [("from the call", None, None)]
    assert [(e.article_id, e.data["value"]) for e in seen] == [(created.article_id, "from the call")]
    assert not [row for row in desk.history(created.ticket_id) if row[0] == "TicketDynamicFieldUpdate"]
    with pytest.raises(TicketInvalid, match=exactly("F label is a field of articles: it is set with an article.")):
        desk.do(None, "set_dynamic_field", created.ticket_id, note, "x")
    message = f"Article {other.article_id} is not an article of ticket {desk.ticket(created.ticket_id)['tn']}."
    with pytest.raises(TicketInvalid, match=exactly(message)):
        desk.do(None, "set_dynamic_field", created.ticket_id, note, "x", article_id=other.article_id)


def test_values_are_checked_against_the_field_configuration(desk: Desk) -> None:
    menu = make_field(desk.engine, "Dropdown", PossibleValues=CHOICES)
    serial = make_field(desk.engine, "Text", RegExList=[{"Value": "^[0-9]+$", "ErrorMessage": "Digits only."}])
    due = make_field(desk.engine, "Date", DateRestriction="DisablePastDates")
    born = make_field(desk.engine, "Date", YearsPeriod="1", YearsInPast="2", YearsInFuture="0")
    flag = make_field(desk.engine, "Checkbox")
    hidden = make_field(desk.engine, "Text", valid=False)
    ticket = desk.create().ticket_id
    desk.now = datetime(2024, 3, 15, 12, 0)
    cases = {
        menu: ("printer", "'printer' is not a possible value of F label (choose from: hw, net, sw)."),
        serial: ("12a", "Digits only."),
        due: ("2024-03-14", "F label cannot be in the past."),
        born: ("2021-12-31", "F label must be a date from 2022 to 2024."),
        flag: ("maybe", "F label is a checkbox: give 1 (checked) or 0."),
        hidden: ("x", f"There is no valid ticket or article dynamic field '{hidden}'."),
        "Nope": ("x", "There is no valid ticket or article dynamic field 'Nope'."),
    }
    for name, (value, message) in cases.items():
        with pytest.raises(TicketInvalid, match=exactly(message)) as raised:
            desk.do(None, "set_dynamic_field", ticket, name, value)
        assert raised.value.field == f"DynamicField_{name}"
    with pytest.raises(TicketInvalid, match=exactly("'2024-13-01' is not a date (use 2024-03-15).")):
        desk.do(None, "set_dynamic_field", ticket, due, "2024-13-01")
    assert desk.do(None, "set_dynamic_field", ticket, due, "2024-03-15") is True  # today is not in the past


def test_changing_fields_needs_rw_on_the_ticket(desk: Desk) -> None:
    menu = make_field(desk.engine, "Dropdown", PossibleValues=CHOICES)
    reader = desk.agent(grants={ticket_world.USERS_GROUP: ("ro", "note")})
    ticket = desk.create().ticket_id
    with pytest.raises(TicketDenied):
        desk.do(reader, "set_dynamic_field", ticket, menu, "hw")
    with desk.engine.begin() as conn:
        assert desk.service(conn, reader).set_dynamic_fields(ticket, {menu: "hw"}, key="note") is True


def test_a_new_ticket_gets_its_fields_in_the_same_transaction(desk: Desk) -> None:
    menu = make_field(desk.engine, "Dropdown", PossibleValues=CHOICES)
    note = make_field(desk.engine, "Text", object_type="Article")
    with desk.engine.begin() as conn:
        created = desk.service(conn).create(
            ticket_world.TicketDraft(title="With fields", queue=ticket_world.RAW),
            ticket_world.PHONE_CALL,
            {menu: "net", note: "called at 9"},
        )
        on_ticket = dynamic.stored_in_transaction(conn, "Ticket", created.ticket_id)
        on_article = dynamic.stored_in_transaction(conn, "Article", created.article_id or 0)
        plain = desk.service(conn).create(ticket_world.TicketDraft(title="Without", queue=ticket_world.RAW))
        assert (on_ticket, on_article, dynamic.stored_in_transaction(conn, "Ticket", plain.ticket_id)) == (
            True, True, False
        )  # fmt: skip
    with desk.engine.begin() as conn:  # the next transaction stored nothing yet
        assert not dynamic.stored_in_transaction(conn, "Ticket", created.ticket_id)
    assert stored(desk, menu, created.ticket_id) == [("net", None, None)]
    assert stored(desk, note, created.article_id or 0) == [("called at 9", None, None)]
    assert desk.history(created.ticket_id)[-1] == ("TicketDynamicFieldUpdate",
                                                   f"%%FieldName%%{menu}%%Value%%net%%OldValue%%")  # fmt: skip
    before = len(desk.rows("ticket"))
    with pytest.raises(TicketInvalid), desk.engine.begin() as conn:
        desk.service(conn).create(ticket_world.TicketDraft(title="Bad", queue=ticket_world.RAW), None, {menu: "x"})
    assert len(desk.rows("ticket")) == before  # checked before anything is written


def test_values_of_many_tickets_are_read_in_one_statement(desk: Desk) -> None:
    menu = make_field(desk.engine, "Dropdown", PossibleValues=CHOICES)
    many = make_field(desk.engine, "Multiselect", PossibleValues=CHOICES)
    tickets = [desk.create().ticket_id for _ in range(3)]
    for index, ticket in enumerate(tickets[:2]):
        desk.do(None, "set_dynamic_fields", ticket, {menu: "hw" if index else "sw", many: ["net", "hw"][: index + 1]})
    with desk.engine.connect() as conn:
        fields = dynamic.definitions(conn)
        with counting(desk.engine) as statements:
            found = dynamic.read_values(conn, [fields[menu], fields[many]], tickets)
    assert len(statements) == 1
    assert found == {tickets[0]: {menu: "sw", many: ["net"]}, tickets[1]: {menu: "hw", many: ["net", "hw"]}}


def test_history_names_are_cut_to_200_characters_as_otrs_cuts_them() -> None:
    name = "TestTextArea1TestTextArea2TestTextArea3TestTextArea4TestTextArea5TestTextArea6TestTextArea7" * 2
    value = "TestTextArea1TestTextArea2TestTextArea3TestTextArea4TestTextArea5TestTextArea6TestTextArea7" * 3
    old = "TestTextArea1TestTextArea2TestTextArea3TestTextArea4TestTextArea5TestTextArea6_FirstValue_Long"
    cut = dynamic.history_name(name, value, old)
    assert cut == (
        "%%FieldName%%TestTextArea1TestTextArea2TestTextArea3TestTextAre[...]"
        "%%Value%%TestTextArea1TestTextArea2TestTextArea3TestTextAre[...]"
        "%%OldValue%%TestTextArea1TestTextArea2TestTextArea3TestTextAre[...]"
    )
    assert len(cut) <= 200
    assert dynamic.history_name("Short", "v", "") == "%%FieldName%%Short%%Value%%v%%OldValue%%"

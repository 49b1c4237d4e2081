"""Dynamic fields on the agent screens: shown, required and hidden per screen; the create form, the zoom, the free
fields action, notes (article fields) and closing; errors beside the field."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tests.modules.permissions.world import T
from tests.modules.tickets.dynamic_field_world import make_field
from tests.modules.tickets.web.conftest import Setup
from tests.modules.tickets.web.desk import HTMX, Tickets, id_of

CHOICES = {"hw": "Hardware", "sw": "Software", "net": "Network"}


def values_of(tickets: Tickets, name: str, object_id: int) -> list[object]:
    field_id = tickets.scalar(select(T["dynamic_field"].c.id).where(T["dynamic_field"].c.name == name))
    value = T["dynamic_field_value"]
    query = select(value.c.value_text, value.c.value_int, value.c.value_date).where(
        value.c.field_id == field_id, value.c.object_id == object_id
    )
    with tickets.desk.engine.connect() as conn:
        return [next(v for v in row if v is not None) for row in conn.execute(query.order_by(value.c.id))]


def test_the_phone_form_shows_its_fields_requires_the_required_one_and_stores_them(
    tickets: Tickets, setup: Setup
) -> None:
    engine = tickets.desk.engine
    category = make_field(engine, "Dropdown", PossibleValues=CHOICES, screens={"AgentTicketPhone": 2})
    parts = make_field(engine, "Multiselect", PossibleValues=CHOICES, screens={"AgentTicketPhone": 1})
    due = make_field(engine, "Date", screens={"AgentTicketPhone": 1})
    email_only = make_field(engine, "Text", screens={"AgentTicketEmail": 1})
    hidden = make_field(engine, "Text")
    called = make_field(engine, "Text", object_type="Article", screens={"AgentTicketPhone": 1}, DefaultValue="9am")
    sam = tickets.agent("sam", {setup.sales_group: ("create", "rw")})

    form = sam.html("/agent/tickets/new?channel=phone")
    assert f'name="DynamicField_{category}"' in form and f'name="DynamicField_{parts}"' in form
    assert f'name="DynamicField_{due}"' in form and 'type="date"' in form and 'value="9am"' in form
    assert f'name="DynamicField_{email_only}"' not in form and f'name="DynamicField_{hidden}"' not in form
    data = {"queue": str(setup.sales), "title": "Printer", "body": "It jams.", f"DynamicField_{parts}": ["hw", "net"],
            f"DynamicField_{due}": "2030-01-31", f"DynamicField_{called}": "at 9"}  # fmt: skip

    refused = sam.post("/agent/tickets/new?channel=phone", data)

    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f'data-error="DynamicField_{category}">F label is required.</p>' in page
    assert '<option value="net" selected>' in page and 'value="2030-01-31"' in page  # kept as typed
    answer = sam.post("/agent/tickets/new?channel=phone", {**data, f"DynamicField_{category}": "sw"})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    ticket_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    article_id = tickets.scalar(select(T["article"].c.id).where(T["article"].c.ticket_id == ticket_id))
    assert values_of(tickets, category, ticket_id) == ["sw"]
    assert values_of(tickets, parts, ticket_id) == ["hw", "net"]
    assert values_of(tickets, due, ticket_id) == [datetime(2030, 1, 31)]
    assert values_of(tickets, called, article_id) == ["at 9"]
    bad = sam.post("/agent/tickets/new?channel=phone", {**data, f"DynamicField_{category}": "printer"})
    assert "is not a possible value of F label" in bad.get_data(as_text=True) and bad.status_code == 422


def test_the_zoom_shows_the_set_fields_of_its_screen_and_the_free_fields_action_changes_them(
    tickets: Tickets, setup: Setup
) -> None:
    engine = tickets.desk.engine
    category = make_field(engine, "Dropdown", PossibleValues=CHOICES,
                          screens={"AgentTicketZoom": 1, "AgentTicketFreeText": 2})  # fmt: skip
    urgent = make_field(engine, "Checkbox", screens={"AgentTicketZoom": 1, "AgentTicketFreeText": 1})
    unset = make_field(engine, "Text", screens={"AgentTicketZoom": 1})
    sam = tickets.agent("sam", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales)
    url = f"/agent/tickets/{ticket_id}"
    assert 'data-testid="dynamic-fields"' not in sam.html(url)  # nothing set yet: no block

    panel = sam.html(f"{url}?form=fields", **{"HX-Target": "t-panel", **HTMX})
    assert f'name="DynamicField_{category}"' in panel and f'name="DynamicField_{urgent}"' in panel
    missing = sam.post(f"{url}/fields", {f"DynamicField_{urgent}": "1"}, **HTMX)
    assert missing.status_code == 422 and "F label is required." in missing.get_data(as_text=True)
    assert missing.headers["HX-Retarget"] == "#t-panel"
    saved = sam.post(f"{url}/fields", {f"DynamicField_{category}": "net", f"DynamicField_{urgent}": "1"}, **HTMX)
    assert saved.status_code == 200 and "Fields saved." in saved.get_data(as_text=True)

    page = sam.html(url)
    block = page.split('data-testid="dynamic-fields"', 1)[1].split("</section>", 1)[0]
    assert f'data-field="DynamicField_{category}">Network</dd>' in block
    assert f'data-field="DynamicField_{urgent}">Yes</dd>' in block and unset not in block
    again = sam.post(f"{url}/fields", {f"DynamicField_{category}": "net", f"DynamicField_{urgent}": "1"}, **HTMX)
    assert "Nothing changed" in again.get_data(as_text=True)
    assert tickets.history(ticket_id).count("TicketDynamicFieldUpdate") == 2
    reader = tickets.agent("rita", {setup.sales_group: ("ro",)})
    assert reader.post(f"{url}/fields", {f"DynamicField_{category}": "hw"}).status_code == 403


def test_notes_carry_their_article_fields_and_closing_honours_a_required_field(tickets: Tickets, setup: Setup) -> None:
    engine = tickets.desk.engine
    minutes = make_field(engine, "Text", object_type="Article",
                         screens={"AgentTicketNote": 1, "AgentTicketZoom": 1}, RegExList=[{"Value": "^[0-9]+$",
                         "ErrorMessage": "Minutes, as a number."}])  # fmt: skip
    cause = make_field(engine, "Dropdown", PossibleValues=CHOICES, screens={"AgentTicketClose": 2})
    sam = tickets.agent("sam", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales)
    url = f"/agent/tickets/{ticket_id}"

    bad = sam.post(f"{url}/note", {"subject": "Call", "body": "Called.", f"DynamicField_{minutes}": "ten"}, **HTMX)
    assert bad.status_code == 422 and f'data-error="DynamicField_{minutes}">Minutes, as a number.' in bad.get_data(
        as_text=True
    )
    assert (
        sam.post(f"{url}/note", {"subject": "Call", "body": "Called.", f"DynamicField_{minutes}": "10"}).status_code
        == 303
    )
    note_id = tickets.scalar(select(T["article"].c.id).where(T["article"].c.ticket_id == ticket_id).order_by(
        T["article"].c.id.desc()).limit(1))  # fmt: skip
    assert values_of(tickets, minutes, note_id) == ["10"]
    page = sam.html(url)
    assert f'data-field="DynamicField_{minutes}">10</dd>' in page.split(f'id="article-{note_id}"', 1)[1]

    closed = id_of(tickets, "ticket_state", "closed successful")
    refused = sam.post(f"{url}/close", {"state": str(closed)}, **HTMX)
    assert refused.status_code == 422 and "F label is required." in refused.get_data(as_text=True)
    assert tickets.row(ticket_id).ticket_state_id != closed
    assert sam.post(f"{url}/close", {"state": str(closed), f"DynamicField_{cause}": "hw"}).status_code == 303
    assert tickets.row(ticket_id).ticket_state_id == closed and values_of(tickets, cause, ticket_id) == ["hw"]
    assert tickets.history(ticket_id)[-3:] == ["TicketDynamicFieldUpdate", "StateUpdate", "Unlock"] or tickets.history(
        ticket_id
    )[-2:] == ["TicketDynamicFieldUpdate", "StateUpdate"]


def set_fields(tickets: Tickets, ticket_id: int, values: dict[str, object]) -> None:
    from modules.tickets.actor import Actor
    from modules.tickets.service import TicketService

    with tickets.desk.app.app_context(), tickets.desk.engine.begin() as conn:
        TicketService(conn, Actor.system()).set_dynamic_fields(ticket_id, values)


def test_the_queue_view_shows_the_fields_of_its_screen_as_columns_loaded_once(tickets: Tickets, setup: Setup) -> None:
    engine = tickets.desk.engine
    category = make_field(engine, "Dropdown", prefix="Cat", PossibleValues=CHOICES, screens={"OverviewSmall": 1})
    parts = make_field(engine, "Multiselect", prefix="Parts", PossibleValues=CHOICES, screens={"OverviewSmall": 1})
    secret = make_field(engine, "Text", prefix="Secret")
    sam = tickets.agent("sam", {setup.sales_group: ("rw",)})
    first, second = tickets.ticket(setup.sales), tickets.ticket(setup.sales)
    set_fields(tickets, first, {category: "hw", parts: ["sw", "net"], secret: "nope"})

    from tests.modules.tickets.ticket_world import counting

    with counting(engine) as statements:
        page = sam.html(f"/agent/queues/{setup.sales}")

    header = page.split("<thead", 1)[1].split("</thead>", 1)[0]
    assert "Cat label" in header and "Parts label" in header and "Secret label" not in header
    row = page.split(f'data-id="{first}"', 1)[1].split("</tr>", 1)[0]
    assert ">Hardware</td>" in row and ">Software, Network</td>" in row and "nope" not in page
    assert "—" in page.split(f'data-id="{second}"', 1)[1].split("</tr>", 1)[0]
    assert sum("dynamic_field_value" in s for s in statements) == 1  # one read for the page's rows
    table = sam.html(f"/agent/queues/{setup.sales}", **{"HX-Target": "gk-table", **HTMX})
    assert "Cat label" in table and ">Hardware</td>" in table


def test_the_search_form_offers_the_fields_of_its_screen_and_filters_by_them(tickets: Tickets, setup: Setup) -> None:
    engine = tickets.desk.engine
    category = make_field(engine, "Dropdown", PossibleValues=CHOICES, screens={"AgentTicketSearch": 1})
    due = make_field(engine, "Date", screens={"AgentTicketSearch": 1})
    other = make_field(engine, "Text")
    sam = tickets.agent("sam", {setup.sales_group: ("rw",)})
    first, second = tickets.ticket(setup.sales, title="First"), tickets.ticket(setup.sales, title="Second")
    set_fields(tickets, first, {category: "hw", due: "2024-03-01"})
    set_fields(tickets, second, {category: "sw", due: "2024-05-01"})

    form = sam.html("/agent/search")
    assert f'name="DynamicField_{category}"' in form and f'name="DynamicField_{due}.GreaterThanEquals"' in form
    assert f"DynamicField_{other}" not in form
    hits = sam.html(f"/agent/search?DynamicField_{category}=hw&DynamicField_{category}=sw"
                    f"&DynamicField_{due}.GreaterThanEquals=2024-04-01")  # fmt: skip
    assert f"/agent/tickets/{second}" in hits and f"/agent/tickets/{first}" not in hits
    bad = sam.get(f"/agent/search?DynamicField_{due}.GreaterThanEquals=soon")
    assert bad.status_code == 400 and "is not a date" in bad.get_data(as_text=True)
    query = f"DynamicField_{category}=sw&DynamicField_{due}.GreaterThanEquals=2024-04-01"
    assert sam.post("/agent/search/saved", {"name": "Software", "query": query}).status_code == 303
    opened = sam.get("/agent/search/saved?name=Software")
    location = opened.headers["Location"]
    assert location.startswith("/agent/search?")
    assert set(location.split("?", 1)[1].split("&")) == set(query.split("&"))
    reopened = sam.html(location)
    assert '<option value="sw" selected>' in reopened and f"/agent/tickets/{second}" in reopened

"""The automation admin screens: admins only, create with validation errors beside the fields, preview, run, delete."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from goatkit.passwords import hash_password
from modules.automation.model import Actions, Conditions, Job
from tests.modules.auth import ADMIN, ADMIN_PW
from tests.modules.automation.world import Auto, T
from tests.modules.tickets.dynamic_field_world import make_field

PASSWORD = "Agent-Pw-123"
HTMX = {"HX-Request": "true"}


def signed_in(auto: Auto, login: str, password: str) -> tuple[FlaskClient, str]:
    client = auto.desk.client()
    assert auto.desk.browser_login(client, login, password).status_code in (302, 303)
    return client, auto.desk.page_csrf(client)


def admin(auto: Auto) -> tuple[FlaskClient, str]:
    return signed_in(auto, ADMIN, ADMIN_PW)


def plain_agent(auto: Auto) -> tuple[FlaskClient, str]:
    user_id = auto.agent()
    with auto.engine.begin() as conn:
        conn.execute(T["users"].update().where(T["users"].c.id == user_id).values(pw=hash_password(PASSWORD)))
        login = conn.execute(T["users"].select().where(T["users"].c.id == user_id)).mappings().one()["login"]
    return signed_in(auto, login, PASSWORD)


def error_beside(page: str, field: str) -> str:
    found = re.search(rf'data-error="{re.escape(field)}">([^<]*)<', page)
    assert found, f"no error beside {field}: " + re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))[-600:]
    return found.group(1).replace("&#39;", "'")


def form(csrf: str, **values: Any) -> dict[str, Any]:
    return {"csrf_token": csrf, "valid": "1", **values}


def test_only_admins_reach_the_screens(auto: Auto) -> None:
    client, csrf = plain_agent(auto)
    assert client.get("/admin/automation").status_code == 403
    refused = client.post("/admin/automation/save", data=form(csrf, name="Sneaky", **{"actions.priority_id": "5"}))
    assert refused.status_code == 403
    with auto.engine.connect() as conn:
        assert conn.execute(T["generic_agent_jobs"].select()).first() is None
    assert auto.desk.client().get("/admin/automation").status_code in (302, 303, 401)  # not signed in


def test_the_admin_index_links_the_screen_for_admins_only(auto: Auto) -> None:
    def tools(client: FlaskClient) -> list[tuple[str, str]]:
        sections = client.get("/admin", headers={"Accept": "application/json"}).get_json()["sections"]
        return [(m["name"], m["url"]) for s in sections if s["title"] == "Automation" for m in s["modules"]]

    assert ("automation", "/admin/automation") in tools(admin(auto)[0])
    assert tools(plain_agent(auto)[0]) == []


def test_create_edit_and_list(auto: Auto) -> None:
    queue = auto.queue()
    client, csrf = admin(auto)
    page = client.get("/admin/automation/new").get_data(as_text=True)
    assert 'name="conditions.lambda_code"' in page and 'name="actions.lambda_code"' in page
    values = form(
        csrf,
        name="VIP outage",
        events=["TicketCreate"],
        **{
            "conditions.queue_ids": [str(queue)],
            "conditions.subject": "outage",
            "conditions.lambda_code": "return item.priority !== '5 very high';",
            "actions.priority_id": "5",
            "actions.note_body": "Raised by automation.",
        },
    )
    saved = client.post("/admin/automation/save", data=values)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/admin/automation")
    job = auto.load("VIP outage")
    assert job.events == ["TicketCreate"] and job.conditions.queue_ids == [queue] and job.actions.priority_id == 5
    listing = client.get("/admin/automation").get_data(as_text=True)
    assert 'data-job="VIP outage"' in listing and "On TicketCreate" in listing and "never" in listing
    edit = client.get("/admin/automation/edit?name=VIP+outage").get_data(as_text=True)
    assert 'value="outage"' in edit and 'name="original_name" value="VIP outage"' in edit
    renamed = client.post(
        "/admin/automation/save", data={**values, "name": "VIP outages", "original_name": "VIP outage"}
    )
    assert renamed.status_code == 303
    assert auto.load("VIP outages").conditions.subject == "outage"
    with auto.engine.connect() as conn:
        names = {
            r[0]
            for r in conn.execute(
                T["generic_agent_jobs"].select().with_only_columns(T["generic_agent_jobs"].c.job_name)
            )
        }
    assert names == {"VIP outages"}


def test_validation_errors_beside_the_fields(auto: Auto) -> None:
    auto.save(Job(name="Taken", events=["TicketCreate"], actions=Actions(priority_id=2)))
    client, csrf = admin(auto)
    values = form(
        csrf,
        name="Taken",
        **{
            "conditions.queue_ids": ["999999"],
            "conditions.lambda_code": "return item.queue ===;",
            "conditions.created.amount": "0",
            "conditions.escalation_solution.amount": "x",
            "actions.state_id": str(auto.id_of("ticket_state", "pending reminder")),
            "actions.sla_id": "999999",
        },
    )
    answer = client.post("/admin/automation/save", data=values)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert error_beside(page, "name") == "A job named 'Taken' already exists."
    assert error_beside(page, "conditions.queue_ids") == "Choose from the list."
    assert error_beside(page, "conditions.lambda_code") == "Syntax error at line 1, column 22: Unexpected token."
    assert error_beside(page, "conditions.created.point.amount") == "Give at least 1."
    assert error_beside(page, "conditions.escalation_solution.point.amount") == "Give a whole number."
    assert error_beside(page, "actions.sla_id") == "Choose from the list."
    assert 'name="actions.service_id"' in page
    half = form(csrf, name="Half", schedule_days=["1"], **{"conditions.title": "x", "actions.priority_id": "2"})
    schedule = client.post("/admin/automation/save", data=half).get_data(as_text=True)
    assert error_beside(schedule, "schedule") == "A schedule needs days, hours and minutes (or none of them)."
    empty = client.post("/admin/automation/save", data=form(csrf, name="Nothing"))
    assert error_beside(empty.get_data(as_text=True), "actions") == "Choose at least one action."
    pending = client.post(
        "/admin/automation/save",
        data=form(csrf, name="Pending", events=["TicketCreate"], **{"actions.state_id": values["actions.state_id"]}),
    )
    assert (
        error_beside(pending.get_data(as_text=True), "actions.pending_amount")
        == "A pending state needs a pending time."
    )
    assert auto.load("Taken").actions.priority_id == 2  # unchanged


def test_preview_counts_matches_without_changing_anything(auto: Auto) -> None:
    queue = auto.queue()
    first, second = auto.ticket(queue, "Mail outage"), auto.ticket(queue, "Printer")
    client, csrf = admin(auto)
    data = form(csrf, **{"conditions.queue_ids": [str(queue)], "conditions.title": "outage"})
    answer = client.post("/admin/automation/preview", data=data, headers=HTMX)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "1 ticket matches now." in page
    tn = auto.row(first)["tn"]  # type: ignore[index]
    assert tn in page and auto.row(second)["tn"] not in page  # type: ignore[index]
    none = client.post("/admin/automation/preview", data=form(csrf), headers=HTMX).get_data(as_text=True)
    assert "Choose at least one condition to see which tickets match." in none
    broken = form(csrf, **{"conditions.queue_ids": [str(queue)], "conditions.lambda_code": "throw new Error('x');"})
    failed = client.post("/admin/automation/preview", data=broken, headers=HTMX).get_data(as_text=True)
    assert "0 tickets match now." in failed and "The lambda failed" in failed
    assert auto.history(first)[-1][0] == "PhoneCallCustomer"  # nothing changed


def test_run_now_and_delete(auto: Auto) -> None:
    queue = auto.queue()
    ticket = auto.ticket(queue)
    auto.save(Job(name="Now", conditions=Conditions(queue_ids=[queue]), actions=Actions(priority_id=4)))
    client, csrf = admin(auto)
    ran = client.post("/admin/automation/run", data={"csrf_token": csrf, "name": "Now"})
    assert ran.status_code == 303
    assert auto.row(ticket)["ticket_priority_id"] == 4  # type: ignore[index]
    listing = client.get("/admin/automation").get_data(as_text=True)
    assert "Job &#39;Now&#39; ran: 1 matched, 1 changed, 0 failed." in listing
    assert "1 matched, 1 changed, 0 failed" in listing
    assert client.post("/admin/automation/delete", data={"csrf_token": csrf, "name": "Now"}).status_code == 303
    with auto.engine.connect() as conn:
        assert conn.execute(T["generic_agent_jobs"].select()).first() is None
    missing = client.post(
        "/admin/automation/run", data={"csrf_token": csrf, "name": "Now"}, headers={"Accept": "application/json"}
    )
    assert missing.status_code == 404


def test_dynamic_fields_in_the_form(auto: Auto) -> None:
    queue = auto.queue()
    menu = make_field(auto.engine, "Dropdown", prefix="Kind", PossibleValues={"hw": "Hardware", "sw": "Software"})
    due = make_field(auto.engine, "Date", prefix="Due")
    client, csrf = admin(auto)
    page = client.get("/admin/automation/new").get_data(as_text=True)
    assert f'name="conditions.dynamic_fields.{menu}"' in page and f'name="actions.dynamic_fields.{menu}"' in page
    assert f'name="actions.dynamic_fields.{due}" type="date"' in page
    assert f'name="conditions.dynamic_fields.{due}"' not in page  # dates are searched by time slots in OTRS
    bad = form(
        csrf,
        name="Kinds",
        events=["TicketCreate"],
        **{
            "conditions.queue_ids": [str(queue)],
            f"conditions.dynamic_fields.{menu}": ["hw", "xx"],
            f"actions.dynamic_fields.{due}": "someday",
        },
    )
    answer = client.post("/admin/automation/save", data=bad)
    assert answer.status_code == 422
    shown = answer.get_data(as_text=True)
    assert "'xx' is not a possible value of Kind label" in error_beside(shown, f"conditions.dynamic_fields.{menu}")
    assert error_beside(shown, f"actions.dynamic_fields.{due}") != ""
    assert '<option value="hw" selected>Hardware' in shown  # the posted values stay
    good = {**bad, f"conditions.dynamic_fields.{menu}": ["hw", "sw"], f"actions.dynamic_fields.{due}": "2031-05-06"}
    assert client.post("/admin/automation/save", data=good).status_code == 303
    job = auto.load("Kinds")
    assert job.conditions.dynamic_fields == {menu: ["hw", "sw"]} and job.actions.dynamic_fields == {due: ["2031-05-06"]}
    edit = client.get("/admin/automation/edit?name=Kinds").get_data(as_text=True)
    assert '<option value="sw" selected>Software' in edit and 'value="2031-05-06"' in edit


def test_date_field_times_in_the_form(auto: Auto) -> None:
    queue = auto.queue()
    due = make_field(auto.engine, "Date", prefix="Due")
    seen = make_field(auto.engine, "DateTime", prefix="Seen")
    client, csrf = admin(auto)
    page = client.get("/admin/automation/new").get_data(as_text=True)
    assert f'name="conditions.dynamic_times.{due}.since" type="date"' in page
    assert f'name="conditions.dynamic_times.{seen}.until" type="datetime-local"' in page
    due_at, seen_at = f"conditions.dynamic_times.{due}", f"conditions.dynamic_times.{seen}"
    values = {
        "conditions.queue_ids": [str(queue)],
        "actions.priority_id": "5",
        f"{due_at}.start": "Next",
        f"{due_at}.amount": "3",
        f"{due_at}.unit": "day",
        f"{seen_at}.since": "2024-03-02T08:00",
        f"{seen_at}.until": "2024-03-01T08:00",
    }
    bad = form(csrf, name="Dates", events=["TicketCreate"], **values)
    answer = client.post("/admin/automation/save", data=bad)
    assert answer.status_code == 422
    shown = answer.get_data(as_text=True)
    assert "The time slot ends before it starts." in error_beside(shown, seen_at)
    assert 'value="2024-03-02T08:00"' in shown and '<option value="Next" selected>' in shown  # the posted values stay
    both = {**bad, f"{seen_at}.until": "2024-03-09T17:30", f"{due_at}.since": "2024-03-01"}
    assert "not both" in error_beside(client.post("/admin/automation/save", data=both).get_data(as_text=True), due_at)
    good = {**bad, f"{seen_at}.until": "2024-03-09T17:30"}
    assert client.post("/admin/automation/save", data=good).status_code == 303
    times = auto.load("Dates").conditions.dynamic_times
    assert times[due].point is not None and (times[due].point.start, times[due].point.amount) == ("Next", 3)
    assert (times[seen].since, times[seen].until) == (datetime(2024, 3, 2, 8, 0), datetime(2024, 3, 9, 17, 30))
    edit = client.get("/admin/automation/edit?name=Dates").get_data(as_text=True)
    assert 'value="2024-03-09T17:30"' in edit
    assert f'name="{due_at}.amount" aria-label="Due label: how many" value="3"' in edit
    whole_days = {**good, f"{seen_at}.since": "", f"{seen_at}.until": "", f"{due_at}.amount": ""}
    whole_days |= {f"{due_at}.since": "2024-03-01", f"{due_at}.until": "2024-03-04", "original_name": "Dates"}
    assert client.post("/admin/automation/save", data=whole_days).status_code == 303
    slot = auto.load("Dates").conditions.dynamic_times[due]
    assert (slot.since, slot.until) == (datetime(2024, 3, 1), datetime(2024, 3, 4, 23, 59, 59))  # whole days
    text = make_field(auto.engine, "Text", prefix="Note")
    misfit = {**good, f"conditions.dynamic_times.{text}.amount": "1", "name": "Text time"}
    refused = client.post("/admin/automation/save", data=misfit).get_data(as_text=True)
    shown = error_beside(refused, f"conditions.dynamic_times.{text}")  # a field the form does not show as a date
    assert "A time condition needs a Date or DateTime field" in shown


def test_preview_with_a_date_field_time(auto: Auto) -> None:
    queue = auto.queue()
    due = make_field(auto.engine, "Date", prefix="Due")
    soon, late = auto.ticket(queue, "Soon"), auto.ticket(queue, "Late")
    today = datetime.now(UTC).date()
    auto.act("set_dynamic_fields", soon, {due: (today + timedelta(days=2)).isoformat()})
    auto.act("set_dynamic_fields", late, {due: (today + timedelta(days=40)).isoformat()})
    client, csrf = admin(auto)
    at = f"conditions.dynamic_times.{due}"
    data = form(csrf, **{"conditions.queue_ids": [str(queue)], f"{at}.start": "Next", f"{at}.amount": "5"})
    page = client.post("/admin/automation/preview", data=data, headers=HTMX).get_data(as_text=True)
    assert "1 ticket matches now." in page and str(auto.row(soon)["tn"]) in page  # type: ignore[index]
    slot = form(csrf, **{"conditions.queue_ids": [str(queue)], f"{at}.since": today.isoformat()})
    refused = client.post("/admin/automation/preview", data=slot, headers=HTMX).get_data(as_text=True)
    assert "Give a time point, or both ends of a time slot." in refused


def test_ticket_time_slots_in_the_form(auto: Auto) -> None:
    queue = auto.queue()
    client, csrf = admin(auto)
    page = client.get("/admin/automation/new").get_data(as_text=True)
    assert 'name="conditions.changed.since" type="date"' in page and 'name="conditions.pending.until"' in page
    values = {"conditions.queue_ids": [str(queue)], "actions.priority_id": "5"}
    backwards = {**values, "conditions.changed.since": "2024-03-09", "conditions.changed.until": "2024-03-01"}
    bad = client.post("/admin/automation/save", data=form(csrf, name="Slot", events=["TicketCreate"], **backwards))
    assert bad.status_code == 422
    assert error_beside(bad.get_data(as_text=True), "conditions.changed") == "The time slot ends before it starts."
    good = {**backwards, "conditions.changed.until": "2024-03-31"}
    assert (
        client.post("/admin/automation/save", data=form(csrf, name="Slot", events=["TicketCreate"], **good)).status_code
        == 303
    )
    changed = auto.load("Slot").conditions.changed
    assert changed is not None and (changed.since, changed.until) == (
        datetime(2024, 3, 9),
        datetime(2024, 3, 31, 23, 59, 59),
    )
    edit = client.get("/admin/automation/edit?name=Slot").get_data(as_text=True)
    assert (
        'name="conditions.changed.since" type="date" aria-label="Changed: or between" class="gk-input w-auto"' in edit
    )
    assert 'value="2024-03-09"' in edit and 'value="2024-03-31"' in edit

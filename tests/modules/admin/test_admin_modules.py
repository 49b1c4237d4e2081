"""Every shipped admin module loads cleanly and does its create → get → update → list → soft delete round trip."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from goatkit.engine.extension import modules
from modules.db.schema import metadata
from tests.modules.admin import AdminApi
from tests.modules.auth import Helpdesk

#: The simple OTRS admin entities of this issue; every other helper's modules must load cleanly as well.
ADMIN_MODULES = {
    "agent": "/admin/agents",
    "group": "/admin/groups",
    "role": "/admin/roles",
    "customer_user": "/admin/customer-users",
    "customer_company": "/admin/customer-companies",
    "queue": "/admin/queues",
    "priority": "/admin/priorities",
    "state": "/admin/states",
    "ticket_type": "/admin/types",
    "service": "/admin/services",
    "sla": "/admin/slas",
    "salutation": "/admin/salutations",
    "signature": "/admin/signatures",
    "system_address": "/admin/system-addresses",
    "standard_template": "/admin/templates",
    "auto_response": "/admin/auto-responses",
    "link_type": "/admin/link-types",
    "communication_channel": "/admin/communication-channels",
    "valid": "/admin/valid",
}
READ_ONLY = {"communication_channel", "valid"}


@dataclass(frozen=True)
class Case:
    """A realistic record of one module: what to create, what to change, a search term and a filter it matches."""

    module: str
    create: dict[str, Any]
    update: dict[str, Any]
    search: str
    filter: tuple[str, Any] = ("valid_id", 1)
    secret: set[str] = field(default_factory=set)  # written but never sent back (passwords)


CASES = [
    Case(
        "agent",
        {"login": "m.muster", "first_name": "Max", "last_name": "Muster", "title": "Dr.", "pw": "Muster-Pw-2026"},
        {"last_name": "Mustermann"},
        "mustermann",
        secret={"pw"},
    ),
    Case("group", {"name": "support-l2", "comments": "Second level"}, {"comments": "2nd level support"}, "l2"),
    Case("role", {"name": "Dispatcher", "comments": "Sorts new tickets"}, {"name": "Dispatchers"}, "dispatch"),
    Case(
        "customer_user",
        {
            "login": "j.doe",
            "first_name": "John",
            "last_name": "Doe",
            "email": "john.doe@example.com",
            "customer_id": "ACME",
            "phone": "+49 30 1234-567",
            "city": "Berlin",
            "pw": "Doe-Portal-Pw-1",
        },
        {"mobile": "+49 170 1234567", "email": "jd@example.com"},
        "jd@example",
        ("customer_id", "ACME"),
        secret={"pw"},
    ),
    Case(
        "customer_company",
        {
            "customer_id": "WAYNE",
            "name": "Wayne Enterprises",
            "city": "Gotham",
            "country": "USA",
            "url": "https://wayne.example.com",
        },
        {"street": "1007 Mountain Drive", "comments": "Key account"},
        "wayne",
        ("country", "USA"),
    ),
    Case(
        "queue",
        {
            "name": "Support",
            "group_id": 1,
            "system_address_id": 1,
            "salutation_id": 1,
            "signature_id": 1,
            "first_response_time": 60,
            "first_response_notify": 80,
            "comments": "First level",
        },
        {"solution_time": 480, "unlock_timeout": 30},
        "support",
        ("group_id", 1),
    ),
    Case("priority", {"name": "6 critical", "color": "#ff0000"}, {"color": "#aa0000"}, "critical"),
    Case(
        "state",
        {"name": "waiting for customer", "type_id": 4, "comments": "Pending a customer answer"},
        {"type_id": 5},
        "waiting",
        ("type_id", 5),
    ),
    Case("ticket_type", {"name": "Incident"}, {"name": "Incidents"}, "incident"),
    Case("service", {"name": "Email", "comments": "Mailboxes"}, {"comments": "Mailboxes and lists"}, "mailbox"),
    Case(
        "sla",
        {"name": "Gold", "calendar_name": "1", "first_response_time": 30, "update_time": 120, "solution_time": 480},
        {"solution_notify": 90},
        "gold",
    ),
    Case(
        "salutation",
        {"name": "formal (de)", "text": "Sehr geehrte Damen und Herren,", "content_type": "text/plain"},
        {"content_type": "text/html"},
        "formal",
        ("content_type", "text/html"),
    ),
    Case(
        "signature",
        {"name": "team (en)", "text": "Your support team\n<OTRS_Agent_UserFirstname>"},
        {"comments": "For all queues"},
        "support team",
    ),
    Case(
        "system_address",
        {"value0": "support@example.com", "value1": "Example Support", "queue_id": 1},
        {"value1": "Example Helpdesk"},
        "helpdesk",
        ("queue_id", 1),
    ),
    Case(
        "standard_template",
        {"name": "thanks", "template_type": "Note", "text": "Thank you for your patience."},
        {"template_type": "Snippet"},
        "patience",
        ("template_type", "Snippet"),
    ),
    Case(
        "auto_response",
        {
            "name": "out of hours",
            "type_id": 1,
            "system_address_id": 1,
            "text1": "RE: <OTRS_CUSTOMER_SUBJECT[24]>",
            "text0": "We answer on the next working day.",
            "content_type": "text/plain",
        },
        {"text0": "We answer tomorrow morning."},
        "tomorrow",
        ("type_id", 1),
    ),
    Case("link_type", {"name": "DependsOn"}, {"name": "Blocks"}, "blocks"),
]


def test_every_shipped_module_loads_without_problems(desk: Helpdesk) -> None:
    snapshot = modules(desk.app).snapshot()
    assert [str(problem) for problem in snapshot.problems] == []
    assert set(ADMIN_MODULES) <= set(snapshot)
    for name, prefix in ADMIN_MODULES.items():
        spec = snapshot[name].spec
        assert spec.module.route_prefix == prefix
        assert spec.module.menu is not None and spec.module.menu.icon, name
        if "valid_id" in snapshot[name].table.c and name not in READ_ONLY:
            assert snapshot[name].soft_delete, f"{name}: OTRS never deletes rows with valid_id"
            assert {k for k, on in spec.features.items() if on} >= {"status_toggle", "export_csv", "import_csv"}


def test_every_crud_module_has_a_round_trip_case() -> None:
    assert {case.module for case in CASES} == set(ADMIN_MODULES) - READ_ONLY


@pytest.mark.parametrize("case", CASES, ids=[case.module for case in CASES])
def test_create_get_update_list_and_soft_delete(api: AdminApi, case: Case) -> None:
    module = modules(api.desk.app).snapshot()[case.module]
    key = module.primary_key.name

    created = api.post(f"/{case.module}", json=case.create)
    assert created.status_code == 201, created.get_json()
    row = created.get_json()
    shown = {name: value for name, value in case.create.items() if name not in case.secret}
    assert {name: row[name] for name in shown} == shown
    assert row["valid_id"] == 1 and not case.secret & row.keys()
    pk = row[key]
    assert api.get(f"/{case.module}/{pk}").get_json() == row

    updated = api.patch(f"/{case.module}/{pk}", json=case.update)
    assert updated.status_code == 200, updated.get_json()
    assert {name: updated.get_json()[name] for name in case.update} == case.update

    field, value = case.filter
    listed = api.get(f"/{case.module}", query_string={"search": case.search, f"filter_{field}": value})
    assert listed.status_code == 200, listed.get_json()
    assert [r[key] for r in listed.get_json()["data"]] == [pk]

    deleted = api.delete(f"/{case.module}/{pk}")
    assert deleted.status_code == 204, deleted.get_json()
    assert api.get(f"/{case.module}/{pk}").get_json()["valid_id"] == 2  # soft delete: the row stays, invalid
    table = metadata.tables[module.table.name]
    with api.desk.engine.connect() as conn:
        assert conn.execute(select(table.c.valid_id).where(table.c[key] == pk)).scalar_one() == 2
    still_valid = api.get(f"/{case.module}", query_string={"search": case.search, "filter_valid_id": 1})
    assert still_valid.get_json()["data"] == []

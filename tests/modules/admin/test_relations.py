"""The shipped relation modules (modules/*_groups.yaml, ...): OTRS's relation screens, through JSON and HTML forms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from modules.db.schema import metadata
from modules.permissions.agent import agent_permissions
from tests.modules.auth import ADMIN, ADMIN_PW, AGENT, AGENT_PW, CUSTOMER, Helpdesk
from tests.modules.permissions.world import World

API, PAGES = "/api/v1/relations", "/admin/relations"
T = metadata.tables
_FIELD_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Case:
    """One relation module, a left and a right item made for the test, and the keys granted."""

    module: str
    keys: list[str]
    left: Any = None
    right: Any = None
    right_label: str = ""


def make_case(world: World, desk: Helpdesk, module: str) -> Case:
    """Fresh items on both sides of ``module`` (names unique to the test, so a search finds exactly them)."""
    jane = _agent_id(desk, AGENT)
    if module == "agent_groups":
        return Case(module, ["ro", "note"], jane, world.group("tg-agents"), "tg-agents")
    if module == "role_agents":
        return Case(module, ["assigned"], world.role("tr-agents"), jane, AGENT)
    if module == "role_groups":
        return Case(module, ["move_into", "priority"], world.role("tr-groups"), world.group("tg-roles"), "tg-roles")
    if module == "customer_user_groups":
        return Case(module, ["ro"], CUSTOMER, world.group("tg-customers"), "tg-customers")
    if module == "customer_company_groups":
        return Case(module, ["rw"], world.company("TESTCO"), world.group("tg-companies"), "tg-companies")
    if module == "customer_user_services":
        service = world._insert("service", name="ts-service", valid_id=1)
        return Case(module, ["assigned"], CUSTOMER, service, "ts-service")
    if module == "queue_templates":
        template = world._insert("standard_template", name="tt-template", template_type="Answer", valid_id=1)
        return Case(module, ["assigned"], world.queue("tq-templates", 1), template, "tt-template")
    assert module == "queue_auto_responses"
    return Case(module, ["assigned"], world.queue("tq-responses", 1), 1, "default reply")


RELATIONS = [
    "agent_groups",
    "role_agents",
    "role_groups",
    "customer_user_groups",
    "customer_company_groups",
    "customer_user_services",
    "queue_templates",
    "queue_auto_responses",
]


class Client:
    """An administrator's API client (bearer) and browser client (cookies, CSRF) of the relation routes."""

    def __init__(self, desk: Helpdesk, login: str = ADMIN, password: str = ADMIN_PW) -> None:
        self.api: FlaskClient = desk.client()
        self.headers = {"Authorization": "Bearer " + desk.token(login, password)["access_token"]}
        self.browser: FlaskClient = desk.client()
        desk.browser_login(self.browser, login, password)

    def get(self, path: str) -> Any:
        return self.api.get(API + path, headers=self.headers)

    def patch(self, path: str, body: Any) -> Any:
        return self.api.patch(API + path, headers=self.headers, json=body)

    def put(self, path: str, body: Any) -> Any:
        return self.api.put(API + path, headers=self.headers, json=body)

    def page(self, path: str) -> str:
        response = self.browser.get(PAGES + path)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return str(response.get_data(as_text=True))

    def submit(self, path: str, shown: list[Any], grants: dict[str, list[Any]]) -> Any:
        """Post the matrix form of ``path`` as a browser would: the shown ids and the ticked boxes."""
        token = _FIELD_CSRF.search(self.page(path))
        assert token, "the matrix page has no csrf_token field"
        data = {"csrf_token": token.group(1), "shown": [str(s) for s in shown]}
        data |= {f"grant:{key}": [str(i) for i in ids] for key, ids in grants.items()}
        return self.browser.post(PAGES + path, data=data)


def _agent_id(desk: Helpdesk, login: str) -> int:
    with desk.engine.connect() as conn:
        return int(conn.execute(select(T["users"].c.id).where(T["users"].c.login == login)).scalar_one())


def message(response: Any) -> str:
    return str(response.get_json()["error"]["message"])


@pytest.fixture
def world(desk: Helpdesk) -> World:
    return World(desk.engine)


@pytest.fixture
def admin(desk: Helpdesk) -> Client:
    return Client(desk)


@pytest.mark.parametrize("module", RELATIONS)
def test_grant_read_back_and_revoke_through_json(desk: Helpdesk, world: World, admin: Client, module: str) -> None:
    case = make_case(world, desk, module)
    left, right = f"/{module}/left/{case.left}", f"/{module}/right/{case.right}"
    granted = admin.patch(left, {str(case.right): case.keys})
    assert granted.status_code == 200, granted.get_json()
    assert granted.get_json()[str(case.right)] == case.keys
    assert admin.get(right).get_json()[str(case.left)] == case.keys  # the reverse side sees it
    revoked = admin.patch(right, {str(case.left): []})
    assert revoked.status_code == 200, revoked.get_json()
    assert str(case.left) not in revoked.get_json()
    assert str(case.right) not in admin.get(left).get_json()


@pytest.mark.parametrize("module", RELATIONS)
def test_grant_read_back_and_revoke_through_the_html_form(
    desk: Helpdesk, world: World, admin: Client, module: str
) -> None:
    case = make_case(world, desk, module)
    path = f"/{module}/left/{case.left}?search={case.right_label}"
    saved = admin.submit(path, [case.right], {key: [case.right] for key in case.keys})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:500]
    assert saved.headers["Location"] == f"{PAGES}/{module}/left/{case.left}"
    assert admin.get(f"/{module}/left/{case.left}").get_json()[str(case.right)] == case.keys
    html = admin.page(path)
    assert f"{len(case.keys)} granted, 0 revoked." in html  # the flash of the save
    for key in case.keys:
        assert f'name="grant:{key}" value="{case.right}" data-key="{key}"' in html
        assert re.search(rf'name="grant:{key}" value="{case.right}"[^>]*checked', html)
    assert f">{case.right_label}" in admin.page(f"/{module}?side=right&search={case.right_label}")

    reverse = admin.page(f"/{module}/right/{case.right}")  # the same grant, seen from the right item
    assert re.search(rf'name="grant:{case.keys[0]}" value="{case.left}"[^>]*checked', reverse)

    cleared = admin.submit(path, [case.right], {})
    assert cleared.status_code == 303
    assert str(case.right) not in admin.get(f"/{module}/left/{case.left}").get_json()


def test_agent_permissions_follow_grants_made_on_the_screens(desk: Helpdesk, world: World, admin: Client) -> None:
    jane, group, role = _agent_id(desk, AGENT), world.group("tg-perms"), world.role("tr-perms")
    assert (
        admin.submit(f"/agent_groups/left/{jane}?search=tg-perms", [group], {"move_into": [group]}).status_code == 303
    )
    assert admin.patch(f"/role_groups/left/{role}", {str(group): ["note"]}).status_code == 200
    assert admin.patch(f"/role_agents/right/{jane}", {str(role): ["assigned"]}).status_code == 200
    with desk.app.test_request_context(), desk.engine.connect() as conn:
        assert agent_permissions(conn, jane).effective_keys(group) == {"move_into", "note"}
    assert admin.patch(f"/agent_groups/right/{group}", {str(jane): ["ro", "rw"]}).get_json() == {str(jane): ["rw"]}
    with desk.app.test_request_context(), desk.engine.connect() as conn:
        perms = agent_permissions(conn, jane)
        assert perms.effective_keys(group) == {"ro", "move_into", "create", "note", "owner", "priority", "rw"}
        rows = conn.execute(select(T["group_user"].c.permission_key).where(T["group_user"].c.user_id == jane)).all()
    assert [r[0] for r in rows] == ["rw"]  # OTRS stores rw alone


def test_default_services_are_rows_of_the_default_login(desk: Helpdesk, world: World, admin: Client) -> None:
    service = world._insert("service", name="ts-default", valid_id=1)
    items = admin.get("/customer_user_services/left").get_json()
    assert items["data"][0] == {"id": "<DEFAULT>", "label": "Default services (every customer user)"}
    saved = admin.put("/customer_user_services/left/%3CDEFAULT%3E", {str(service): ["assigned"]})
    assert saved.get_json() == {str(service): ["assigned"]}
    table = T["service_customer_user"]
    with desk.engine.connect() as conn:
        rows = conn.execute(select(table.c.customer_user_login, table.c.service_id, table.c.create_by)).all()
    assert [tuple(r) for r in rows] == [("<DEFAULT>", service, 1)]


def test_customer_company_groups_are_stored_in_the_same_company_context(
    desk: Helpdesk, world: World, admin: Client
) -> None:
    company, group = world.company("CTXCO"), world.group("tg-context")
    assert admin.patch(f"/customer_company_groups/left/{company}", {str(group): ["ro"]}).status_code == 200
    table = T["group_customer"]
    with desk.engine.connect() as conn:
        row = conn.execute(select(table.c.permission_key, table.c.permission_value, table.c.permission_context)).one()
    assert tuple(row) == ("ro", 1, "Ticket::CustomerID::Same")


def test_a_queue_gets_one_auto_response_per_type(desk: Helpdesk, world: World, admin: Client) -> None:
    queue = world.queue("tq-one-per-type", 1)
    world._insert("auto_response", id=20, name="other reply", type_id=1, system_address_id=1, text0="", valid_id=1)
    refused = admin.patch(f"/queue_auto_responses/left/{queue}", {"1": ["assigned"], "20": ["assigned"]})
    assert refused.status_code == 409
    assert message(refused) == (
        "Queue 'tq-one-per-type' can have only one auto response of each type: "
        "'default reply (after new ticket has been created)', 'other reply' have the same type."
    )
    assert admin.get(f"/queue_auto_responses/left/{queue}").get_json() == {}


def test_bad_requests_get_one_sentence_naming_what_was_wrong(admin: Client) -> None:
    cases = [
        (admin.get("/agent_groups/left/abc"), 400, "The agent id must be a whole number, not 'abc'."),
        (admin.get("/agent_groups/left/999"), 404, "Agent 999 does not exist."),
        (admin.get("/agent_groups/middle/1"), 404, "A relation has the sides 'left' and 'right', not 'middle'."),
        (admin.get("/agent_group/left/1"), 404, "No relation named 'agent_group'. Did you mean 'agent_groups'?"),
        (admin.patch("/agent_groups/left/1", {"98": ["ro"], "99": []}), 404, "No group with the id(s) 98, 99."),
        (admin.patch("/agent_groups/left/1", {"x": ["ro"]}), 400, "The group id must be a whole number, not 'x'."),
        (
            admin.patch("/agent_groups/left/1", {"1": ["rw", "admin", "all"]}),
            422,
            "Unknown key(s) 'admin', 'all'; expected some of: ro, move_into, create, note, owner, priority, rw.",
        ),
        (admin.patch("/agent_groups/left/1", {"1": "rw"}), 422, "The keys of group 1 must be a list of strings."),
        (admin.patch("/agent_groups/left/1", ["rw"]), 400, "Send a JSON object mapping group ids to lists of keys."),
        (
            admin.patch("/customer_user_groups/left/cust@example.com", {"1": ["note"]}),
            422,
            "Unknown key(s) 'note'; expected some of: ro, rw.",
        ),
    ]
    crud = admin.api.get("/api/v1/modules/agent_groups", headers=admin.headers)
    cases.append((crud, 404, "Module 'agent_groups' is a relation: use /api/v1/relations/agent_groups/left/<id>."))
    assert [(r.status_code, message(r)) for r, _s, _m in cases] == [(s, m) for _r, s, m in cases]
    assert admin.browser.get("/admin/modules/agent_groups").headers["Location"] == "/admin/relations/agent_groups"
    assert admin.browser.get("/admin/agent-groups").headers["Location"] == "/admin/relations/agent_groups"
    assert admin.get("/agent_groups/left/1").get_json() == {"1": ["rw"], "2": ["rw"], "3": ["rw"]}  # unchanged


def test_an_agent_without_admin_rights_may_neither_read_nor_save(desk: Helpdesk) -> None:
    jane = Client(desk, AGENT, AGENT_PW)
    denied = jane.get("/agent_groups/left/1")
    assert (denied.status_code, message(denied)) == (
        403,
        "You need the 'rw' permission on group 'admin' to view agent_groups records.",
    )
    saved = jane.patch("/agent_groups/left/2", {"2": ["rw"]})
    assert (saved.status_code, message(saved)) == (
        403,
        "You need the 'rw' permission on group 'admin' to update agent_groups records.",
    )
    assert jane.browser.get(PAGES + "/agent_groups/left/1").status_code == 403

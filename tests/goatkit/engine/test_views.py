"""The admin screens of every module (goatkit/engine/views.py): one view, three answers (page, htmx, JSON)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, insert, select

from goatkit.engine import hooks
from goatkit.engine.extension import modules
from goatkit.engine.screens.listing import render_list_page
from goatkit.engine.screens.respond import optional_url
from goatkit.passwords import verify_password
from modules.db.schema import metadata
from tests.modules.auth import ADMIN, ADMIN_PW, AGENT, AGENT_PW, Helpdesk, make_helpdesk

PRIORITY = """\
module: {name: priority, singular: Priority, plural: Priorities, table: ticket_priority,
         route_prefix: /admin/priorities, menu: {section: Tickets, order: 20}}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false, show_in_list: true, list_position: 1}
  - {name: name, type: string, required: true, searchable: true, sortable: true, show_in_list: true,
     list_position: 2, validation: "^[a-zA-Z0-9 ]+$"}
  - {name: color, type: color, show_in_list: true, list_position: 3}
  - {name: valid_id, type: int, default: 1, show_in_list: true, list_position: 4, show_in_form: false,
     lookup_table: valid, lookup_key: id, lookup_display: name}
  - {name: create_time, type: datetime, show_in_form: false, filterable: true}
filters:
  - {field: valid_id, type: select, label: Validity}
  - {field: name, type: text, label: Name contains}
  - {field: create_time, type: date_range, label: Created}
  - {field: id, type: multi_select, label: Ids, options: [{value: 1, label: One}, {value: 2, label: Two}]}
features: {soft_delete: true, status_toggle: true, export_csv: true}
permissions: [view, create, update, delete]
validation: {unique_fields: [name]}
"""

#: Agents with their password hash: the reset action, and "empty keeps the stored password" on edit.
AGENT_MODULE = """\
module: {name: agent, singular: Agent, table: users, menu: {section: Users, order: 10}}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false, show_in_list: true}
  - {name: login, type: string, required: true, show_in_list: true}
  - {name: first_name, type: string, required: true}
  - {name: last_name, type: string, required: true}
  - {name: pw, type: password}
  - {name: valid_id, type: int, default: 1, show_in_form: false}
features: {password_reset: true}
"""

#: View only, for agents with ro on group users.
SALUTATION = """\
module: {name: salutation, singular: Salutation, table: salutation, menu: {section: Tickets, order: 5}}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false, show_in_list: true}
  - {name: name, type: string, required: true, show_in_list: true}
  - {name: text, type: textarea}
  - {name: valid_id, type: int, default: 1, show_in_form: false}
permissions: {view: "users:ro"}
"""

PRIORITIES, GROUP_USER, USERS = (metadata.tables[n] for n in ("ticket_priority", "group_user", "users"))
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
HX = {"HX-Request": "true"}
JSON = {"Accept": "application/json"}


class Browser:
    """A signed-in browser (cookies and the page's CSRF token) of a helpdesk with ``modules_dir``."""

    def __init__(self, desk: Helpdesk, modules_dir: Path, login: str = ADMIN, password: str = ADMIN_PW) -> None:
        self.desk, self.modules_dir = desk, modules_dir
        self.client: FlaskClient = desk.client()
        assert desk.browser_login(self.client, login, password).status_code in (302, 303)
        match = _META_CSRF.search(self.client.get("/admin").get_data(as_text=True))
        assert match, "the admin page has no csrf-token meta tag"
        self.csrf = match.group(1)

    def get(self, path: str, **headers: str) -> Any:
        return self.client.get(path, headers=headers)

    def send(self, method: str, path: str, data: Any = None, **headers: str) -> Any:
        call = getattr(self.client, method)
        if isinstance(data, dict) and headers.get("Content-Type") == "application/json":
            return call(path, json=data, headers={"X-CSRF-Token": self.csrf, **headers})
        return call(path, data={"csrf_token": self.csrf, **(data or {})}, headers=headers)

    def html(self, path: str, **headers: str) -> str:
        response = self.get(path, **headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return str(response.get_data(as_text=True))


@pytest.fixture
def modules_dir(tmp_path: Path) -> Path:
    path = tmp_path / "modules"
    path.mkdir()
    (path / "priority.yaml").write_text(PRIORITY)
    (path / "agent.yaml").write_text(AGENT_MODULE)
    (path / "salutation.yaml").write_text(SALUTATION)
    return path


@pytest.fixture
def desk(db_url: str, tmp_path: Path, modules_dir: Path) -> Iterator[Helpdesk]:
    made = make_helpdesk(db_url, tmp_path / "var", modules_path=str(modules_dir), modules_builtin=False)
    yield made
    modules(made.app).stop()
    made.close()


@pytest.fixture
def admin(desk: Helpdesk, modules_dir: Path) -> Browser:
    return Browser(desk, modules_dir)


def users_group(conn: Any) -> int:
    groups = metadata.tables["permission_groups"]
    return int(conn.execute(select(groups.c.id).where(groups.c.name == "users")).scalar_one())


def error_of(response: Any) -> str:
    return str(response.get_json()["error"]["message"])


def test_one_view_answers_a_page_a_fragment_or_json(admin: Browser) -> None:
    page = admin.html("/admin/modules/priority")
    assert "<html" in page and 'id="gk-table"' in page and "Priorities" in page
    fragment = admin.html("/admin/modules/priority", **HX)
    assert "<html" not in fragment and 'id="gk-table"' in fragment and 'id="gk-list-controls"' in fragment
    table = admin.html("/admin/modules/priority", **HX, **{"HX-Target": "gk-table"})
    assert "<html" not in table and "<table" in table and 'id="gk-list-controls"' not in table
    restore = admin.html("/admin/modules/priority", **HX, **{"HX-History-Restore-Request": "true"})
    assert "<html" in restore  # htmx restoring history needs the whole page

    body = admin.get("/admin/modules/priority?sort=-id&page_size=2", **JSON).get_json()
    token = admin.desk.token()["access_token"]
    api = admin.client.get(
        "/api/v1/modules/priority?sort=-id&page_size=2", headers={"Authorization": f"Bearer {token}"}
    )
    assert body == api.get_json()
    assert [r["name"] for r in body["data"]] == ["5 very high", "4 high"]
    detail = admin.get("/admin/modules/priority/3", **JSON).get_json()
    assert (detail["name"], detail["valid_id_display"]) == ("3 normal", "valid")


def test_list_shows_columns_lookups_sort_links_filters_and_pages(admin: Browser) -> None:
    page = admin.html("/admin/modules/priority?page_size=2&sort=-name")
    headers = re.findall(r'<th scope="col" aria-sort="(\w+)"', page)
    assert headers == ["none", "descending", "none", "none"]  # id, name (sorted), color, valid_id
    assert 'href="/admin/modules/priority?page_size=2&amp;sort=id"' in page  # id: sortable
    assert 'href="/admin/modules/priority?page_size=2&amp;sort=name"' in page  # name: flips the direction
    assert "sort=color" not in page and "sort=valid_id" not in page  # not sortable: no links
    assert page.count('fill="#') >= 2  # colour swatches (an SVG fill: the CSP refuses inline styles)
    assert ">valid</span>" in page  # the lookup's display value as a chip, not the id
    assert "5 records" in page and 'rel="next"' in page and 'rel="prev"' not in page
    for label in ("Validity", "Name contains", "Created", "Ids"):
        assert f">{label}</label>" in page
    assert 'name="filter_create_time_from"' in page and 'name="filter_id" multiple' in page

    following = re.search(r'<a href="([^"]+)" rel="next"', page)
    assert following
    second = admin.html(following.group(1).replace("&amp;", "&"), **HX, **{"HX-Target": "gk-table"})
    assert "4 high" not in second and "3 normal" in second and 'rel="prev"' in second

    searched = admin.html("/admin/modules/priority?search=norm", **HX, **{"HX-Target": "gk-table"})
    assert "3 normal" in searched and "4 high" not in searched and "1 record" in searched
    filtered = admin.html("/admin/modules/priority?filter_id=1&filter_id=2&filter_valid_id=1")
    assert "1 very low" in filtered and "2 low" in filtered and "3 normal" not in filtered
    empty = admin.html("/admin/modules/priority?filter_valid_id=2")
    assert "Nothing matches this search or filter." in empty


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=colour", "Cannot sort by 'colour'; sortable fields: id, name."),
        ("page_size=0", "Page size must be a whole number from 1 to 500."),
        ("search=" + "x" * 201, "Search text is too long: at most 200 characters."),
        (
            "filter_create_time_from=yesterday",
            "'yesterday' is not a valid value for filter 'create_time' (expected a date, YYYY-MM-DD).",
        ),
        ("cursor=forged", "This page link is invalid or out of date; start again from the first page."),
    ],
)
def test_bad_list_parameters_are_a_400_naming_them(admin: Browser, query: str, message: str) -> None:
    as_json = admin.get(f"/admin/modules/priority?{query}", **JSON)
    assert (as_json.status_code, error_of(as_json)) == (400, message)
    as_page = admin.get(f"/admin/modules/priority?{query}")
    assert as_page.status_code == 400 and message.replace("'", "&#39;") in as_page.get_data(as_text=True)
    as_htmx = admin.get(f"/admin/modules/priority?{query}", **HX)
    assert as_htmx.status_code == 400 and as_htmx.headers["HX-Retarget"] == "#gk-alert"


def test_a_50_row_page_with_lookups_costs_the_same_statements_as_a_5_row_page(admin: Browser) -> None:
    now = datetime.now().replace(microsecond=0)
    audit = {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
    with admin.desk.engine.begin() as conn:
        rows = [{"name": f"bulk {i:03}", "valid_id": 1 + i % 3, **audit} for i in range(60)]
        conn.execute(insert(PRIORITIES), rows)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(admin.desk.engine, "before_cursor_execute", count)
    try:
        per_size = {}
        for size in (5, 50):
            statements.clear()
            page = admin.html(f"/admin/modules/priority?page_size={size}&sort=name", **HX, **{"HX-Target": "gk-table"})
            assert page.count("<tr data-id=") == size
            per_size[size] = list(statements)
    finally:
        event.remove(admin.desk.engine, "before_cursor_execute", count)
    assert len(per_size[50]) == len(per_size[5])  # nothing runs per row
    listing = [s for s in per_size[50] if "ORDER BY" in s]
    assert len(listing) == 1 and re.search(r"LEFT OUTER JOIN valid AS", listing[0])  # display values: joined
    assert not [s for s in per_size[50] if re.search(r"FROM valid\b", s)]  # no query of its own
    assert "invalid-temporarily" in page or "invalid" in page


def test_create_with_an_invalid_value_keeps_the_values_and_shows_the_error_beside_the_field(admin: Browser) -> None:
    form = admin.html("/admin/modules/priority/new")
    assert 'name="name"' in form and "required" in form and 'type="color"' in form and 'name="valid_id"' not in form

    refused = admin.send("post", "/admin/modules/priority", {"name": "bad!name", "color": "#112233"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert '<p id="f-name-error" class="mt-1 text-sm text-red-700 dark:text-red-400" data-error="name">' in html
    assert 'data-error="name">Must match ^[a-zA-Z0-9 ]+$.</p>' in html
    assert 'value="bad!name"' in html and 'value="#112233"' in html  # the user's values are kept

    created = admin.send("post", "/admin/modules/priority", {"name": "6 urgent", "color": "#112233"})
    assert created.status_code == 303
    with admin.desk.engine.connect() as conn:
        pk = conn.execute(select(PRIORITIES.c.id).where(PRIORITIES.c.name == "6 urgent")).scalar_one()
    assert created.headers["Location"] == f"/admin/modules/priority/{pk}"
    detail = admin.html(created.headers["Location"])
    assert "Priority 6 urgent created." in detail and 'data-field="color"' in detail

    by_htmx = admin.send("post", "/admin/modules/priority", {"name": "7 now"}, **HX)
    assert by_htmx.status_code == 200 and by_htmx.headers["HX-Redirect"].startswith("/admin/modules/priority/")
    invalid_htmx = admin.send("post", "/admin/modules/priority", {"name": ""}, **HX)
    assert invalid_htmx.status_code == 422 and "<html" not in invalid_htmx.get_data(as_text=True)

    as_json = admin.send(
        "post", "/admin/modules/priority", {"name": "8 json"}, **JSON, **{"Content-Type": "application/json"}
    )
    assert as_json.status_code == 201 and as_json.get_json()["name"] == "8 json"
    assert as_json.headers["Location"] == f"/api/v1/modules/priority/{as_json.get_json()['id']}"
    taken = admin.send(
        "post", "/admin/modules/priority", {"name": "8 json"}, **JSON, **{"Content-Type": "application/json"}
    )
    assert (taken.status_code, taken.get_json()["errors"]) == (422, {"name": ["Already used by another Priority."]})


def test_edit_update_toggle_delete_and_bulk(admin: Browser) -> None:
    edit = admin.html("/admin/modules/priority/3/edit")
    assert 'value="3 normal"' in edit and 'action="/admin/modules/priority/3"' in edit
    saved = admin.send("post", "/admin/modules/priority/3", {"name": "3 medium", "color": "#00ff00"})
    assert (saved.status_code, saved.headers["Location"]) == (303, "/admin/modules/priority/3")
    assert "Priority 3 medium saved." in admin.html("/admin/modules/priority/3")
    put = admin.send(
        "put", "/admin/modules/priority/3", {"name": "3 normal"}, **JSON, **{"Content-Type": "application/json"}
    )
    assert put.get_json()["name"] == "3 normal"

    toggled = admin.send("post", "/admin/modules/priority/3/toggle", **HX)
    assert toggled.status_code == 200 and toggled.get_data(as_text=True).lstrip().startswith('<tr data-id="3"')
    assert ">invalid</span>" in toggled.get_data(as_text=True) and "Make valid" in toggled.get_data(as_text=True)
    back = admin.send("post", "/admin/modules/priority/3/toggle")
    assert (back.status_code, back.headers["Location"]) == (303, "/admin/modules/priority/3")
    assert admin.get("/admin/modules/priority/3", **JSON).get_json()["valid_id"] == 1

    updates: list[str] = []
    event.listen(admin.desk.engine, "before_cursor_execute", lambda *a: updates.append(a[2]))
    bulk = admin.client.post(
        "/admin/modules/priority/bulk", data={"csrf_token": admin.csrf, "action": "deactivate", "ids": ["1", "2", "4"]}
    )
    assert (bulk.status_code, bulk.headers["Location"]) == (303, "/admin/modules/priority")
    assert len([s for s in updates if s.startswith("UPDATE ticket_priority")]) == 1  # one statement for all
    with admin.desk.engine.connect() as conn:
        invalid = conn.execute(select(PRIORITIES.c.id).where(PRIORITIES.c.valid_id == 2).order_by(PRIORITIES.c.id))
        assert list(invalid.scalars()) == [1, 2, 4]
    assert "3 priorities made invalid." in admin.html("/admin/modules/priority")

    nothing = admin.send("post", "/admin/modules/priority/bulk", {"action": "delete"}, **JSON)
    assert (nothing.status_code, error_of(nothing)) == (400, "Select at least one record.")
    unknown = admin.send("post", "/admin/modules/priority/bulk", {"action": "purge", "ids": "1"}, **JSON)
    assert error_of(unknown) == "The bulk action must be delete, activate or deactivate, not 'purge'."
    bad_id = admin.send("post", "/admin/modules/priority/bulk", {"action": "delete", "ids": "x"}, **JSON)
    assert (bad_id.status_code, error_of(bad_id)) == (400, "The record id must be a whole number, not 'x'.")

    deleted = admin.send("delete", "/admin/modules/priority/5", **HX)
    assert (deleted.status_code, deleted.headers["HX-Redirect"]) == (200, "/admin/modules/priority")
    assert admin.get("/admin/modules/priority/5", **JSON).get_json()["valid_id"] == 2  # soft delete
    missing = admin.send("delete", "/admin/modules/priority/99", **JSON)
    assert (missing.status_code, error_of(missing)) == (404, "Priority 99 does not exist.")


def test_passwords_are_never_shown_kept_when_empty_and_reset_once(admin: Browser) -> None:
    detail = admin.html("/admin/modules/agent/2")
    stored = admin.desk.password_hash(AGENT)
    assert stored not in detail and "Pw" not in detail and "Reset password" in detail
    edit = admin.html("/admin/modules/agent/2/edit")
    assert 'type="password" id="f-pw" name="pw" value=""' in edit and stored not in edit
    saved = admin.send(
        "post", "/admin/modules/agent/2", {"login": AGENT, "first_name": "Janet", "last_name": "A", "pw": ""}
    )
    assert saved.status_code == 303
    assert admin.desk.password_hash(AGENT) == stored  # empty keeps the stored password

    reset = admin.send("post", "/admin/modules/agent/2/reset-password")
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    shown = re.search(r'data-testid="new-password"[^>]*>([^<]+)</code>', reset.get_data(as_text=True))
    assert shown and len(shown.group(1)) == 20
    assert verify_password(shown.group(1), admin.desk.password_hash(AGENT))
    assert shown.group(1) not in admin.html("/admin/modules/agent/2")
    as_json = admin.send("post", "/admin/modules/agent/2/reset-password", **JSON).get_json()
    assert verify_password(as_json["password"], admin.desk.password_hash(AGENT))
    no_reset = admin.send("post", "/admin/modules/priority/1/reset-password", **JSON)
    assert (no_reset.status_code, error_of(no_reset)) == (404, "Priorities have no password reset.")


def test_route_prefix_alias_serves_the_same_screens_and_explicit_routes_win(admin: Browser) -> None:
    listed = admin.html("/admin/priorities")
    assert "<html" in listed and 'href="/admin/priorities/1"' in listed  # links stay on the alias
    assert "1 very low" in admin.html("/admin/priorities/1")
    assert 'value="1 very low"' in admin.html("/admin/priorities/1/edit")
    saved = admin.send("post", "/admin/priorities/1", {"name": "1 lowest"})
    assert (saved.status_code, saved.headers["Location"]) == (303, "/admin/priorities/1")
    assert admin.get("/admin/priorities?sort=-id", **JSON).get_json()["data"][0]["name"] == "5 very high"

    assert "Sessions" in admin.html("/admin/sessions")  # an explicit route wins over the alias
    nowhere = admin.get("/admin/nothing-here", **JSON)
    assert (nowhere.status_code, error_of(nowhere)) == (404, "There is no page at /admin/nothing-here.")
    typo = admin.get("/admin/modules/priorty", **JSON)
    assert (typo.status_code, error_of(typo)) == (404, "No module named 'priorty'. Did you mean 'priority'?")
    assert admin.get("/admin/priorities/1/edit/more", **JSON).status_code == 404
    assert admin.send("delete", "/admin/priorities/1/edit", **JSON).status_code == 405

    (admin.modules_dir / "state.yaml").write_text(
        "module: {name: state, table: ticket_state, route_prefix: /admin/states}\n"
        "fields:\n  - {name: id, type: int, show_in_list: true, sortable: true}\n"
        "  - {name: name, type: string, show_in_list: true}\n"
        "  - {name: type_id, type: int, default: 1}\n  - {name: valid_id, type: int, default: 1}\n"
    )
    modules(admin.desk.app).registry.load()  # what the watcher does on a new file
    assert "closed successful" in admin.html("/admin/states")  # no restart needed


def test_index_lists_the_modules_an_agent_may_view_by_section(admin: Browser, desk: Helpdesk) -> None:
    index = admin.get("/admin", **JSON).get_json()["sections"]
    tools = [s for s in index if s["title"] == "Automation"]  # hand-written screens registered as admin tools
    assert [(m["name"], m["url"]) for m in tools[0]["modules"]][-1] == ("lambdas", "/admin/lambdas")
    index = [s for s in index if s not in tools]
    assert [(s["title"], [m["name"] for m in s["modules"]]) for s in index] == [
        ("Tickets", ["salutation", "priority"]),
        ("Users", ["agent"]),
    ]
    assert index[0]["modules"][1]["url"] == "/admin/priorities"

    now = datetime.now().replace(microsecond=0)
    with desk.engine.begin() as conn:
        jane = conn.execute(select(USERS.c.id).where(USERS.c.login == AGENT)).scalar_one()
        audit = {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
        conn.execute(insert(GROUP_USER).values(user_id=jane, group_id=users_group(conn), permission_key="ro", **audit))
    agent = Browser(desk, admin.modules_dir, AGENT, AGENT_PW)
    sections = agent.get("/admin", **JSON).get_json()["sections"]
    assert [[m["name"] for m in s["modules"]] for s in sections] == [["salutation"]]
    page = agent.html("/admin/modules/salutation")
    assert "New salutation" not in page and 'name="ids"' not in page and "Edit</a>" not in page
    refused = agent.get("/admin/modules/priority", **JSON)
    assert (refused.status_code, error_of(refused)) == (
        403,
        "You need the 'rw' permission on group 'admin' to view priority records.",
    )
    assert agent.get("/admin/modules/salutation/new", **JSON).status_code == 403


def test_registry_problems_are_shown_to_admins_only(admin: Browser, desk: Helpdesk) -> None:
    (admin.modules_dir / "broken.yaml").write_text(
        "module: {name: broken, table: no_such_table}\nfields: [{name: id}]\n"
    )
    modules(desk.app).registry.load()
    page = admin.html("/admin/modules/priority")
    assert 'data-testid="registry-problems"' in page and "broken.yaml:1: module.table:" in page
    (admin.modules_dir / "priority.yaml").write_text(PRIORITY.replace("fields:", "fields: oops\nfieldz:"))
    modules(desk.app).registry.load()
    assert 'Module <code class="font-mono text-xs">priority</code> is serving its last good version.' in admin.html(
        "/admin"
    )
    assert 'data-testid="registry-problems"' not in admin.html("/admin/modules/priority", **HX)  # full pages only
    with desk.engine.begin() as conn:
        now = datetime.now().replace(microsecond=0)
        jane = conn.execute(select(USERS.c.id).where(USERS.c.login == AGENT)).scalar_one()
        conn.execute(
            insert(GROUP_USER).values(
                user_id=jane,
                group_id=users_group(conn),
                permission_key="ro",
                create_time=now,
                create_by=1,
                change_time=now,
                change_by=1,
            )
        )
    agent = Browser(desk, admin.modules_dir, AGENT, AGENT_PW)
    assert "registry-problems" not in agent.html("/admin/modules/salutation")


def test_history_and_csv_links_appear_when_a_route_serves_them_and_the_module_offers_them(
    admin: Browser, desk: Helpdesk
) -> None:
    page, detail = admin.html("/admin/modules/priority"), admin.html("/admin/modules/priority/1")
    assert 'href="/admin/modules/priority/export.csv"' in page  # feature export_csv
    assert "Import CSV" not in page  # import_csv is off
    assert 'hx-get="/admin/modules/priority/1/history" hx-trigger="revealed"' in detail
    assert "Export CSV" not in admin.html("/admin/modules/agent")  # not offered by the agent module
    with desk.app.test_request_context():
        assert optional_url("engine.csv.export", module="priority") == "/admin/modules/priority/export.csv"
        assert optional_url("engine.nobody.serves_this", module="priority") is None  # hidden, not a 500


def test_hook_html_appears_in_forms_and_details_and_refusals_are_409(admin: Browser, desk: Helpdesk) -> None:
    from markupsafe import Markup

    class Notes(hooks.ModuleHook):
        def form_html(self, conn: Any, module: Any, record: Any, errors: Any) -> Markup:
            return Markup('<input name="children" data-hook="form">')

        def detail_html(self, conn: Any, module: Any, record: Any) -> Markup:
            return Markup('<p data-hook="detail">{}</p>').format(record["name"])

        def before_delete(self, conn: Any, module: Any, pks: Any, user_id: int) -> None:
            raise hooks.Refused("Priority 3 is still used by 12 tickets.")

    hooks.register("views_test_notes", Notes())
    (admin.modules_dir / "priority.yaml").write_text(PRIORITY + "hooks: [views_test_notes]\n")
    modules(desk.app).registry.load()
    assert 'data-hook="form"' in admin.html("/admin/modules/priority/new")
    assert '<p data-hook="detail">3 normal</p>' in admin.html("/admin/modules/priority/3")
    refused = admin.send("delete", "/admin/modules/priority/3", **HX)
    assert refused.status_code == 409 and "Priority 3 is still used by 12 tickets." in refused.get_data(as_text=True)


def test_render_list_page_serves_benchmarks_without_a_request(desk: Helpdesk) -> None:
    with desk.app.app_context():
        html = render_list_page("priority", {"sort": "-id", "page_size": "3"})
    assert "<html" not in html and html.count("<tr data-id=") == 3 and "5 very high" in html
    with desk.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(PRIORITIES)).scalar_one() == 5

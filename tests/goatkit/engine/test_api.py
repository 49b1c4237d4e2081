"""The JSON API of every module, through the GOTRS app: a YAML file dropped into a modules directory is enough."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from goatkit.engine.api import serialise
from goatkit.engine.extension import modules
from modules.db.schema import metadata
from tests.modules.auth import AGENT, AGENT_PW, Helpdesk, make_helpdesk
from tests.waiting import RELOAD_SECONDS, within

PRIORITY = """\
module: {name: priority, singular: Priority, plural: Priorities, table: ticket_priority}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false}
  - {name: name, type: string, required: true, searchable: true, sortable: true}
  - {name: color, type: color}
  - {name: valid_id, type: int, default: 1, filterable: true, lookup_table: valid, lookup_key: id, lookup_display: name}
  - {name: create_time, type: datetime, show_in_form: false}
features: {soft_delete: true}
permissions: [view, create, update, delete]
validation: {unique_fields: [name]}
"""

#: Offers only ``view``; no ``permissions`` key would offer all four actions.
SALUTATION = """\
module: {name: salutation, singular: Salutation, table: salutation}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false}
  - {name: name, type: string, required: true, sortable: true}
  - {name: text, type: textarea}
  - {name: valid_id, type: int, default: 1}
permissions: [view]
"""

#: Agents, with the password hash as a ``password`` field: it must never be sent back.
AGENT_MODULE = """\
module: {name: agent, singular: Agent, table: users}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false}
  - {name: login, type: string, required: true}
  - {name: first_name, type: string, required: true}
  - {name: last_name, type: string, required: true}
  - {name: pw, type: password}
  - {name: valid_id, type: int, default: 1}
"""

API = "/api/v1/modules"
CONFLICT = "The database refused this change: a value is missing, already used, or still referenced elsewhere."
GROUP_USER = metadata.tables["group_user"]
USERS, PRIORITIES = metadata.tables["users"], metadata.tables["ticket_priority"]


class Api:
    """A signed-in API client of a helpdesk whose modules directory is ``modules_dir``."""

    def __init__(self, desk: Helpdesk, modules_dir: Path) -> None:
        self.desk, self.modules_dir = desk, modules_dir
        self.client: FlaskClient = desk.client()
        self.headers = {"Authorization": "Bearer " + desk.token()["access_token"]}

    def __getattr__(self, method: str) -> Callable[..., Any]:  # api.get(path), api.post(path, json=...) ...
        call = getattr(self.client, method)
        return lambda path, **kw: call(API + path, headers=kw.pop("headers", self.headers), **kw)


@pytest.fixture
def modules_dir(tmp_path: Path) -> Path:
    path = tmp_path / "modules"
    path.mkdir()
    (path / "priority.yaml").write_text(PRIORITY)
    (path / "salutation.yaml").write_text(SALUTATION)
    (path / "agent.yaml").write_text(AGENT_MODULE)
    return path


@pytest.fixture
def make_api(db_url: str, tmp_path: Path, modules_dir: Path) -> Iterator[Callable[..., Api]]:
    made: list[Helpdesk] = []

    def build(**config: Any) -> Api:
        desk = make_helpdesk(db_url, tmp_path / "var", modules_path=str(modules_dir), modules_builtin=False, **config)
        made.append(desk)
        return Api(desk, modules_dir)

    yield build
    for desk in made:
        modules(desk.app).stop()
        desk.close()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


def error(response: Any) -> str:
    return str(response.get_json()["error"]["message"])


def test_list_create_get_update_and_soft_delete_a_module_with_no_code(api: Api) -> None:
    listed = api.get("/priority?sort=-id&page_size=2")
    assert listed.status_code == 200, listed.get_json()
    body = listed.get_json()
    assert [row["name"] for row in body["data"]] == ["5 very high", "4 high"]
    assert body["page"] == {"size": 2, "next_cursor": body["page"]["next_cursor"], "prev_cursor": None}
    assert (body["total"], body["total_is_estimate"]) == (5, False)
    assert body["data"][0]["valid_id_display"] == "valid"
    assert datetime.fromisoformat(body["data"][0]["create_time"])  # ISO 8601, not an HTTP date

    following = api.get(f"/priority?sort=-id&page_size=2&cursor={body['page']['next_cursor']}").get_json()
    assert [row["name"] for row in following["data"]] == ["3 normal", "2 low"]

    created = api.post("/priority", json={"name": "6 urgent", "color": "#ff0000"})
    assert created.status_code == 201, created.get_json()
    row = created.get_json()
    assert (row["name"], row["color"], row["valid_id"]) == ("6 urgent", "#ff0000", 1)
    assert created.headers["Location"] == f"{API}/priority/{row['id']}"
    with api.desk.engine.connect() as conn:
        stored = conn.execute(select(PRIORITIES).where(PRIORITIES.c.id == row["id"])).mappings().one()
    assert (stored["create_by"], stored["change_by"]) == (1, 1)  # the signed-in agent, root@localhost

    assert api.get(f"/priority/{row['id']}").get_json() == row
    patched = api.patch(f"/priority/{row['id']}", json={"color": "#00ff00"})
    assert patched.status_code == 200, patched.get_json()
    assert (patched.get_json()["name"], patched.get_json()["color"]) == ("6 urgent", "#00ff00")
    put = api.put(f"/priority/{row['id']}", json={"name": "6 critical"})  # partial as well
    assert (put.get_json()["name"], put.get_json()["color"]) == ("6 critical", "#00ff00")
    assert [r["name"] for r in api.get("/priority?search=critical").get_json()["data"]] == ["6 critical"]

    deleted = api.delete(f"/priority/{row['id']}")
    assert (deleted.status_code, deleted.get_data()) == (204, b"")
    assert api.get(f"/priority/{row['id']}").get_json()["valid_id"] == 2  # soft delete: the row stays, invalid


def test_password_and_binary_values_are_never_sent(api: Api) -> None:
    root = api.get("/agent/1")
    assert root.status_code == 200, root.get_json()
    assert root.get_json()["login"] == "root@localhost"
    assert "pw" not in root.get_json()
    assert all("pw" not in row for row in api.get("/agent").get_json()["data"])

    module = modules(api.desk.app).snapshot()["agent"]
    row = {"pw": "hash", "blob": b"\0", "view": memoryview(b"x"), "at": datetime(2026, 1, 2, 3, 4, 5), "n": 3}
    row |= {"day": date(2026, 1, 2), "cost": Decimal("1.10"), "none": None}
    assert serialise(module, row) == {
        "at": "2026-01-02T03:04:05",
        "n": 3,
        "day": "2026-01-02",
        "cost": "1.10",
        "none": None,
    }


def test_invalid_values_answer_422_naming_the_field(api: Api) -> None:
    missing = api.post("/priority", json={"color": "#ff0000"})
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == {"name": ["Name is required."]}
    assert missing.get_json()["error"]["message"] == "Some values are not valid: name."

    too_long = api.post("/priority", json={"name": "x" * 201})
    assert (too_long.status_code, too_long.get_json()["errors"]) == (422, {"name": ["Must be at most 200 characters."]})

    taken = api.post("/priority", json={"name": "3 normal"})
    assert (taken.status_code, taken.get_json()["errors"]) == (422, {"name": ["Already used by another Priority."]})
    renamed = api.patch("/priority/2", json={"name": "3 normal"})
    assert (renamed.status_code, renamed.get_json()["errors"]) == (422, {"name": ["Already used by another Priority."]})
    assert api.patch("/priority/3", json={"name": "3 normal"}).status_code == 200  # its own name is not a clash

    unknown = api.post("/priority", json={"name": "7", "colour": "#000000"})
    assert unknown.get_json()["errors"] == {"colour": ["Unknown field; did you mean 'color'?"]}
    emptied = api.patch("/priority/3", json={"name": None})
    assert (emptied.status_code, list(emptied.get_json()["errors"])) == (422, ["name"])

    for body in ({"data": "not json", "content_type": "text/plain"}, {"json": ["a", "list"]}):
        refused = api.post("/priority", **body)
        assert (refused.status_code, error(refused)) == (400, "Send a JSON object.")


def test_bad_list_parameters_answer_400_naming_the_parameter(api: Api) -> None:
    unknown_sort = api.get("/priority?sort=colour")
    assert unknown_sort.status_code == 400
    assert error(unknown_sort) == "Cannot sort by 'colour'; sortable fields: id, name."

    cursor = api.get("/priority?page_size=2").get_json()["page"]["next_cursor"]
    body, mac = cursor.split(".")
    forged = body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]  # the first signature character always counts
    tampered = api.get(f"/priority?page_size=2&cursor={forged}")
    assert (tampered.status_code, error(tampered)) == (
        400,
        "This page link is invalid or out of date; start again from the first page.",
    )
    twice = api.get("/priority?filter_valid_id=1&filter_valid_id=2")
    assert (twice.status_code, error(twice)) == (400, "Filter 'valid_id' takes one value.")
    assert api.get("/priority?filter_valid_id=2").get_json()["total"] == 0
    size = api.get("/priority?page_size=0")
    assert (size.status_code, error(size)) == (400, "Page size must be a whole number from 1 to 500.")


def test_unknown_modules_records_and_actions(api: Api) -> None:
    assert (api.get("/priorty").status_code, error(api.get("/priorty"))) == (
        404,
        "No module named 'priorty'. Did you mean 'priority'?",
    )
    assert (api.get("/priority/42").status_code, error(api.get("/priority/42"))) == (
        404,
        "Priority 42 does not exist.",
    )
    assert api.delete("/priority/42").status_code == 404
    assert api.patch("/priority/42", json={"name": "x"}).status_code == 404
    bad_id = api.get("/priority/abc")
    assert (bad_id.status_code, error(bad_id)) == (
        400,
        "The record id must be a whole number, not 'abc'.",
    )

    assert api.get("/salutation").status_code == 200
    for response, action in (
        (api.post("/salutation", json={"name": "x", "text": "y"}), "create"),
        (api.patch("/salutation/1", json={"name": "x"}), "update"),
        (api.put("/salutation/1", json={"name": "x"}), "update"),
        (api.delete("/salutation/1"), "delete"),
    ):
        assert (response.status_code, error(response)) == (403, f"Module 'salutation' does not offer {action}.")


def test_without_a_permissions_key_all_four_actions_are_offered_and_conflicts_answer_409(api: Api) -> None:
    greeting = SALUTATION.replace("name: salutation", "name: greeting").replace("permissions: [view]\n", "")
    (api.modules_dir / "greeting.yaml").write_text(greeting)
    modules(api.desk.app).registry.load()  # the test app does not watch
    created = api.post("/greeting", json={"name": "Hi", "text": "Hello"})
    assert created.status_code == 201, created.get_json()
    assert api.delete(f"/greeting/{created.get_json()['id']}").status_code == 204  # no soft_delete: gone
    assert api.get(f"/greeting/{created.get_json()['id']}").status_code == 404
    in_use = api.delete("/greeting/1")  # queue "Raw" still uses salutation 1
    assert (in_use.status_code, error(in_use)) == (409, CONFLICT)
    assert api.get("/greeting/1").status_code == 200


def test_only_signed_in_admins_may_call_it(api: Api) -> None:
    anonymous = api.get("/priority", headers={})
    assert (anonymous.status_code, error(anonymous)) == (401, "Sign in first.")

    now = datetime.now().replace(microsecond=0)
    with api.desk.engine.begin() as conn:
        jane = conn.execute(select(USERS.c.id).where(USERS.c.login == AGENT)).scalar_one()
        audit = {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
        conn.execute(insert(GROUP_USER).values(user_id=jane, group_id=1, permission_key="ro", **audit))
    headers = {"Authorization": "Bearer " + api.desk.token(AGENT, AGENT_PW)["access_token"]}
    for method, action in (("get", "view"), ("post", "create"), ("delete", "delete")):
        refused = getattr(api, method)("/priority/1" if method == "delete" else "/priority", headers=headers)
        needed = f"You need the 'rw' permission on group 'admin' to {action} priority records."
        assert (refused.status_code, error(refused)) == (403, needed)


def test_a_module_file_added_while_serving_answers_within_a_second(make_api: Callable[..., Api]) -> None:
    api = make_api(modules_watch=True)
    assert api.get("/signature").status_code == 404
    (api.modules_dir / "signature.yaml").write_text(SALUTATION.replace("salutation", "signature"))
    assert within(RELOAD_SECONDS, lambda: api.get("/signature").status_code == 200)
    assert [r["name"] for r in api.get("/signature").get_json()["data"]] == ["system standard signature (en)"]

    (api.modules_dir / "priority.yaml").write_text(PRIORITY.replace("{name: color,", "{name: colour,"))  # broken
    registry = modules(api.desk.app).registry
    assert within(RELOAD_SECONDS, lambda: bool(registry.problems))
    assert "column 'colour' does not exist in table 'ticket_priority'" in str(registry.problems[0])
    assert registry.snapshot().stale == frozenset({"priority"})
    still = api.get("/priority/1")  # the last good version keeps serving
    assert (still.status_code, "color" in still.get_json()) == (200, True)


def test_modules_load_on_first_use_and_a_database_down_answers_503(tmp_path: Path) -> None:
    from goatkit.engine.api import list_records
    from gotrs_app import create_app

    down = "postgresql+psycopg://nobody@127.0.0.1:9/nowhere?connect_timeout=1"
    app = create_app({"database_url": down, "var_dir": tmp_path, "log_format": "text"})
    assert app.test_client().get("/healthz").status_code == 200  # starting needed no database
    with app.test_request_context("/api/v1/modules/priority"):  # the handler alone, past the sign-in middleware
        response = list_records("priority")
    assert (response.status_code, response.get_json()["error"]["message"]) == (
        503,
        "The modules cannot be loaded right now (database unavailable); try again shortly.",
    )

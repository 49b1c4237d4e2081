"""Row scopes (``ModuleHook.scope``): a reader sees only the rows a hook allows, in every read of a module; and
``ui.row_url`` sends a row's link where the application wants it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, false, insert, select

from goatkit.auth.identity import Identity
from goatkit.engine import hooks
from goatkit.engine.extension import modules
from goatkit.engine.hooks import Scope
from goatkit.engine.model import ResolvedModule
from tests.goatkit.engine.test_views import GROUP_USER, JSON, USERS, Browser, error_of, users_group
from tests.modules.auth import ADMIN, AGENT, AGENT_PW, Helpdesk, make_helpdesk

PRIORITY = """\
module: {name: priority, singular: Priority, plural: Priorities, table: ticket_priority}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false, show_in_list: true}
  - {name: name, type: string, required: true, show_in_list: true, searchable: true}
  - {name: valid_id, type: int, default: 1}
features: {export_csv: true}
permissions: {view: "users:ro", export: "users:ro", update: "users:rw"}
hooks: [first_two]
ui: {row_url: "/somewhere/{id}/else"}
"""


class FirstTwo(hooks.ModuleHook):
    """Agents other than the admin see priorities 1 and 2; nobody signed in sees none."""

    def scope(self, conn: Connection, module: ResolvedModule, identity: Identity | None) -> Scope | None:
        if identity is None:
            return Scope(false(), "nobody")
        if identity.login == ADMIN:
            return None
        return Scope(module.table.c.id.in_([1, 2]), "first two")


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    hooks.register("first_two", FirstTwo())
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "priority.yaml").write_text(PRIORITY)
    made = make_helpdesk(db_url, tmp_path / "var", modules_path=str(folder), modules_builtin=False)
    yield made
    modules(made.app).stop()
    made.close()


@pytest.fixture
def agent(desk: Helpdesk, tmp_path: Path) -> Browser:
    now = datetime.now().replace(microsecond=0)
    with desk.engine.begin() as conn:  # rw on group users: every action, so only the scope can refuse
        jane = conn.execute(select(USERS.c.id).where(USERS.c.login == AGENT)).scalar_one()
        audit = {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
        conn.execute(insert(GROUP_USER).values(user_id=jane, group_id=users_group(conn), permission_key="rw", **audit))
    return Browser(desk, tmp_path / "modules", AGENT, AGENT_PW)


def ids(body: Any) -> list[int]:
    return [row["id"] for row in body["data"]]


def test_every_read_is_limited_to_the_scope(agent: Browser) -> None:
    listed = agent.get("/api/v1/modules/priority?sort=id", **JSON).get_json()
    assert (ids(listed), listed["total"]) == ([1, 2], 2)
    assert ids(agent.get("/admin/modules/priority?search=normal", **JSON).get_json()) == []
    assert agent.get("/api/v1/modules/priority/2", **JSON).status_code == 200
    hidden = agent.get("/api/v1/modules/priority/3", **JSON)
    assert (hidden.status_code, error_of(hidden)) == (404, "Priority 3 does not exist.")
    assert agent.get("/admin/modules/priority/3").status_code == 404
    csv = agent.get("/admin/modules/priority/export.csv").get_data(as_text=True).splitlines()
    assert [line.split(",")[0] for line in csv[1:]] == ["1", "2"]  # streamed inside the reader's request


def test_writes_cannot_reach_rows_outside_the_scope(agent: Browser) -> None:
    refused = agent.send(
        "put", "/admin/modules/priority/3", {"name": "3 mine"}, **{"Content-Type": "application/json", **JSON}
    )
    assert refused.status_code == 404


def test_without_a_scope_every_row_shows_and_rows_link_to_row_url(desk: Helpdesk, tmp_path: Path) -> None:
    admin = Browser(desk, tmp_path / "modules")
    assert ids(admin.get("/api/v1/modules/priority?sort=id", **JSON).get_json()) == [1, 2, 3, 4, 5]
    page = admin.html("/admin/modules/priority")
    assert '<a href="/somewhere/4/else" class="gk-link">4</a>' in page

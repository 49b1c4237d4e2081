"""Lookup fields in forms and writes: keys are checked on write, big lookups become a typeahead with a search route,
a held choice that is no longer offered stays in its dropdown, and ``list_class`` reaches the list cells."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from goatkit.engine.extension import modules
from modules.db.schema import metadata
from tests.goatkit.engine.test_views import HX, JSON, Browser, error_of
from tests.modules.auth import AGENT, AGENT_PW, Helpdesk, make_helpdesk

#: valid_id may only be set to 1 or 2 ("valid", "invalid"): 3 exists but is excluded by the condition.
PRIORITY = """\
module: {name: priority, singular: Priority, plural: Priorities, table: ticket_priority}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false, show_in_list: true}
  - {name: name, type: string, required: true, show_in_list: true, list_class: "font-mono"}
  - {name: valid_id, type: int, default: 1, show_in_list: true, lookup_table: valid, lookup_key: id,
     lookup_display: name, lookup_condition: "id IN (1, 2)"}
permissions: [view, create, update, delete]
"""

#: The same table with the lookup as an explicit typeahead.
TYPED = PRIORITY.replace("name: priority,", "name: typed,").replace(
    '"id IN (1, 2)"}', '"id IN (1, 2)", widget: typeahead}'
)
#: No condition and no widget: a dropdown until the lookup table grows past 200 rows.
GROWING = PRIORITY.replace("name: priority,", "name: growing,").replace(', lookup_condition: "id IN (1, 2)"', "")
VALID, PRIORITIES = metadata.tables["valid"], metadata.tables["ticket_priority"]
API = "/api/v1/modules"


@pytest.fixture
def modules_dir(tmp_path: Path) -> Path:
    path = tmp_path / "modules"
    path.mkdir()
    for name, text in (("priority", PRIORITY), ("typed", TYPED), ("growing", GROWING)):
        (path / f"{name}.yaml").write_text(text)
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


def grow_valid_table(desk: Helpdesk, rows: int) -> None:
    now = datetime(2026, 1, 1)
    with desk.engine.begin() as conn:
        conn.execute(
            insert(VALID),
            [{"name": f"state {n:03d}", "create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
             for n in range(rows)],
        )  # fmt: skip


def post_json(admin: Browser, path: str, body: dict[str, Any], method: str = "post") -> Any:
    return admin.send(method, path, body, **{"Content-Type": "application/json", **JSON})


def test_lookup_keys_are_checked_on_write_and_a_held_invalid_choice_survives_an_edit(admin: Browser) -> None:
    missing = post_json(admin, "/admin/modules/priority", {"name": "6 urgent", "valid_id": 99})
    assert (missing.status_code, missing.get_json()["errors"]) == (422, {"valid_id": ["99 does not exist."]})
    excluded = post_json(admin, "/admin/modules/priority", {"name": "6 urgent", "valid_id": 3})
    assert excluded.status_code == 422
    assert excluded.get_json()["errors"] == {
        "valid_id": ["'invalid-temporarily' cannot be chosen (it is invalid or excluded)."]
    }
    created = post_json(admin, "/admin/modules/priority", {"name": "6 urgent", "valid_id": 2})
    assert created.status_code == 201, created.get_json()

    with admin.desk.engine.begin() as conn:  # the record holds a value the condition no longer offers
        conn.execute(update(PRIORITIES).where(PRIORITIES.c.name == "6 urgent").values(valid_id=3))
        pk = conn.execute(select(PRIORITIES.c.id).where(PRIORITIES.c.name == "6 urgent")).scalar_one()
    renamed = post_json(admin, f"/admin/modules/priority/{pk}", {"name": "6 very urgent"}, method="put")
    assert renamed.status_code == 200, renamed.get_json()
    form = admin.html(f"/admin/modules/priority/{pk}/edit")
    assert '<option value="3" selected>invalid-temporarily</option>' in form  # kept, so saving the form keeps it
    assert '<option value="1" >valid</option>' in form


def test_a_typeahead_widget_searches_the_lookup_and_holds_the_key(admin: Browser) -> None:
    form = admin.html("/admin/modules/typed/1/edit")
    assert 'x-data="typeahead" data-source="/admin/modules/typed/choices/valid_id"' in form
    assert '<input type="hidden" name="valid_id" value="1" x-ref="value">' in form
    assert 'id="f-valid_id" class="gk-input" value="valid"' in form
    assert '<select id="f-valid_id"' not in form

    found = admin.html("/admin/modules/typed/choices/valid_id?q=INV", **HX)
    assert 'data-value="2" data-label="invalid"' in found
    assert "invalid-temporarily" not in found  # the lookup condition holds in searches too
    assert "No match for “zzz”." in admin.html("/admin/modules/typed/choices/valid_id?q=zzz", **HX)
    by_key = admin.get("/admin/modules/typed/choices/valid_id?q=1", **JSON).get_json()
    assert by_key == {"data": [{"value": 1, "label": "valid"}]}
    literal = admin.get("/admin/modules/typed/choices/valid_id?q=%25", **JSON).get_json()
    assert literal == {"data": []}  # % is a character to find, not a wildcard


def test_a_lookup_over_200_choices_becomes_a_typeahead_and_the_api_searches_it(admin: Browser) -> None:
    assert '<select id="f-valid_id"' in admin.html("/admin/modules/growing/new")
    grow_valid_table(admin.desk, 250)
    form = admin.html("/admin/modules/growing/new")
    assert 'data-source="/admin/modules/growing/choices/valid_id"' in form
    assert "state 249" not in form  # not one option of the 253 is in the page

    token = admin.desk.token()["access_token"]
    client = admin.desk.client()
    answer = client.get(f"{API}/growing/choices/valid_id?q=state 1", headers={"Authorization": f"Bearer {token}"})
    labels = [c["label"] for c in answer.get_json()["data"]]
    assert labels == [f"state {n:03d}" for n in range(100, 120)]  # the first 20 matches, ordered


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/admin/modules/typed/choices/name", 404, "Priorities have no lookup field 'name'."),
        ("/admin/modules/typed/choices/nope", 404, "Priorities have no lookup field 'nope'."),
        (
            "/admin/modules/typed/choices/valid_id?q=" + "x" * 101,
            400,
            "The search text must be at most 100 characters.",
        ),
        ("/admin/modules/nope/choices/valid_id", 404, "No module named 'nope'."),
    ],
)
def test_bad_choice_requests_name_what_was_wrong(admin: Browser, path: str, status: int, message: str) -> None:
    response = admin.get(path, **JSON)
    assert (response.status_code, error_of(response)) == (status, message)


def test_only_agents_who_may_fill_the_form_may_search(desk: Helpdesk, modules_dir: Path) -> None:
    agent = Browser(desk, modules_dir, AGENT, AGENT_PW)
    refused = agent.get("/admin/modules/typed/choices/valid_id?q=v", **JSON)
    assert refused.status_code == 403
    assert "rw" in error_of(refused)


def test_list_class_reaches_the_cells_of_its_column(admin: Browser) -> None:
    page = admin.html("/admin/modules/priority")
    assert page.count('class="max-w-xs truncate px-4 py-2.5 font-mono">') == 5  # one per priority

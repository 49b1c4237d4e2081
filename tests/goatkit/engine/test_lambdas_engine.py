"""Lambdas in the module engine: computed columns in lists, details and JSON, row styles, validators, custom rules
and defaults, db.query by record-and-replay in batches, and failures that never break a page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from goatkit.engine.extension import modules
from goatkit.lambdas.extension import runtime
from tests.goatkit.engine.test_views import HX, JSON, Browser
from tests.modules.auth import Helpdesk, make_helpdesk

PRIORITY = """\
module: {name: priority, singular: Priority, plural: Priorities, table: ticket_priority}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false, show_in_list: true, list_position: 1}
  - {name: name, type: string, required: true, show_in_list: true, list_position: 2,
     validator: "return value.length >= 3 || 'Use at least 3 characters.';"}
  - name: color
    type: color
    default: {lambda: "return item.name && item.name.indexOf('urgent') >= 0 ? '#ff0000' : '#00ff00';"}
  - {name: valid_id, type: int, default: 1, show_in_list: true, list_position: 3,
     lookup_table: valid, lookup_key: id, lookup_display: name}
computed_fields:
  - name: shout
    label: Shouted
    lambda: "return item.name.toUpperCase();"
    list_position: 2
  - name: badge
    lambda: |
      return {text: item.valid_id_display, tone: item.valid_id == 1 ? 'green' : 'red'};
  - name: below
    label: Priorities below
    lambda: |
      var row = db.queryRow('SELECT count(*) AS n FROM ticket_priority WHERE id < ?', item.id);
      return row.n;
  - {name: shaky, lambda: "if (item.id == 2) { throw new Error('boom on two'); } return 'fine';"}
  - {name: bold, lambda: "return '<b>' + item.name + '</b><script>alert(1)</script>';", show_in_detail: false}
validation:
  custom_rules:
    - {lambda: "return item.name != 'reserved' || 'This name is reserved.';", field: name}
    - "return item.name != 'nobody' || 'Nobody may be a priority.';"
ui:
  row_style: "return item.id == 1 ? {tone: 'red', title: 'the lowest'} : null;"
"""

#: A module in the Go GOTRS format (spec/MODULES.md): its lambda returns an HTML string.
GO_STYLE = """\
module: {name: go_priority, singular: Priority, plural: Go priorities, table: ticket_priority}
fields:
  - {name: id, type: int, show_in_list: true, show_in_form: false, sortable: true}
  - {name: name, type: string, required: true, show_in_list: true}
  - {name: valid_id, type: int, default: 1, show_in_list: false}
  - {name: create_time, type: datetime, show_in_list: false, show_in_form: false}
computed_fields:
  - name: age
    label: Created
    lambda: |
      var days = Math.floor((Date.now() - new Date(item.create_time)) / 86400000);
      return '<span class="rounded-full bg-green-100 text-green-800 px-2" onclick="steal()">' +
        (days === 0 ? 'today' : days + ' days ago') + '</span>';
"""


@pytest.fixture
def modules_dir(tmp_path: Path) -> Path:
    path = tmp_path / "modules"
    path.mkdir()
    (path / "priority.yaml").write_text(PRIORITY)
    (path / "go_priority.yaml").write_text(GO_STYLE)
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


def json_post(admin: Browser, path: str, body: dict[str, Any], method: str = "post") -> Any:
    return admin.send(method, path, body, **{"Content-Type": "application/json", **JSON})


def test_modules_with_lambdas_load_without_problems(desk: Helpdesk) -> None:
    snapshot = modules(desk.app).snapshot()
    assert [str(p) for p in snapshot.problems] == []
    lambdas = snapshot["priority"].lambdas
    assert [p.name for p in lambdas.computed] == ["shout", "badge", "below", "shaky", "bold"]
    assert list(lambdas.validators) == ["name"] and list(lambdas.defaults) == ["color"]
    assert len(lambdas.rules) == 2 and lambdas.row_style is not None


def test_the_list_shows_computed_cells_escaped_or_sanitized_with_failures_marked(admin: Browser) -> None:
    page = admin.html("/admin/modules/priority")
    header = page[page.index("<thead") : page.index("</thead>")]
    labels = ["Id", "Name", "Shouted", "Valid id", "Badge", "Priorities below", "Shaky", "Bold"]  # ties: fields first
    shown = re.findall(r"<th [^>]*>\s*(?:<a [^>]*>)?\s*([^<]+?)\s*<", header)
    assert shown == labels
    row_one = page[page.index('<tr data-id="1"') : page.index("</tr>", page.index('<tr data-id="1"'))]
    assert 'data-tone="red"' in row_one and 'title="the lowest"' in row_one
    assert ">1 VERY LOW<" in row_one
    assert ">0<" in row_one  # no priority below id 1: db.query answered
    assert "<b>1 very low</b>" in row_one and "<script>" not in page
    row_two = page[page.index('<tr data-id="2"') :]
    assert 'data-lambda-error="error"' in row_two[: row_two.index("</tr>")]
    assert 'title="Error: boom on two' in row_two
    assert "data-tone" not in row_two[: row_two.index("</tr>")]


def test_json_answers_carry_the_computed_values_and_failures(admin: Browser) -> None:
    body = admin.get("/api/v1/modules/priority?sort=id", **JSON).get_json()
    first, second = body["data"][0], body["data"][1]
    assert first["shout"] == "1 VERY LOW" and first["below"] == 0 and second["below"] == 1
    assert first["badge"] == {"text": "valid", "tone": "green"}
    assert first["bold"] == "<b>1 very low</b>"
    assert second["shaky"]["error"]["kind"] == "error"
    assert second["shaky"]["error"]["message"].startswith("Error: boom on two")
    assert "__row_style" not in first
    one = admin.get("/api/v1/modules/priority/3", **JSON).get_json()
    assert one["shout"] == "3 NORMAL" and one["below"] == 2


def test_a_page_of_lambdas_costs_two_sandbox_rounds_and_one_query_batch(admin: Browser) -> None:
    found = runtime(admin.desk.app)
    assert found is not None
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "ticket_priority WHERE id <" in statement.replace('"', ""):
            statements.append(statement)

    admin.html("/admin/modules/priority")  # warm: modules loaded, sandbox started
    before = (found.stats.rounds, found.stats.query_batches, found.stats.queries)
    event.listen(admin.desk.engine, "before_cursor_execute", count)
    try:
        admin.html("/admin/modules/priority", **HX)
    finally:
        event.remove(admin.desk.engine, "before_cursor_execute", count)
    after = (found.stats.rounds, found.stats.query_batches, found.stats.queries)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (2, 1, 5)
    if admin.desk.engine.dialect.name == "sqlite":  # PostgreSQL sends them as one psycopg pipeline, unseen here
        assert len(statements) == 5  # one per distinct query, all in the one read-only batch


def test_the_detail_page_shows_its_computed_fields(admin: Browser) -> None:
    page = admin.html("/admin/modules/priority/3")
    assert 'dark:text-zinc-100" data-field="shout">3 NORMAL</dd>' in page
    assert 'data-field="below">2<' in page
    assert 'data-field="bold"' not in page  # show_in_detail: false


def test_validators_rules_and_defaults_run_on_write(admin: Browser) -> None:
    short = json_post(admin, "/admin/modules/priority", {"name": "ab"})
    assert (short.status_code, short.get_json()["errors"]) == (422, {"name": ["Use at least 3 characters."]})
    reserved = json_post(admin, "/admin/modules/priority", {"name": "reserved"})
    assert reserved.get_json()["errors"] == {"name": ["This name is reserved."]}
    nobody = json_post(admin, "/admin/modules/priority", {"name": "nobody"})
    assert nobody.get_json()["errors"] == {"_schema": ["Nobody may be a priority."]}

    urgent = json_post(admin, "/admin/modules/priority", {"name": "6 urgent"})
    assert urgent.status_code == 201 and urgent.get_json()["color"] == "#ff0000"
    calm = json_post(admin, "/admin/modules/priority", {"name": "7 calm"})
    assert calm.get_json()["color"] == "#00ff00"
    given = json_post(admin, "/admin/modules/priority", {"name": "8 given", "color": "#0000ff"})
    assert given.get_json()["color"] == "#0000ff"
    renamed = json_post(admin, f"/admin/modules/priority/{calm.get_json()['id']}", {"name": "no"}, method="put")
    assert renamed.get_json()["errors"] == {"name": ["Use at least 3 characters."]}

    form = admin.html("/admin/modules/priority/new")
    assert 'name="color" value="#00ff00"' in form  # the lambda default, computed for the empty form


def test_a_go_gotrs_module_renders_its_html_sanitized(admin: Browser) -> None:
    page = admin.html("/admin/modules/go_priority")
    assert '<span class="rounded-full bg-green-100 text-green-800 px-2">today</span>' in page
    assert "onclick" not in page and "steal" not in page


def test_a_lambda_that_loops_forever_costs_one_marked_cell_and_the_next_request_works(
    desk: Helpdesk, modules_dir: Path, admin: Browser
) -> None:
    (modules_dir / "loop.yaml").write_text(
        GO_STYLE.replace("go_priority", "loop").replace("Go priorities", "Loops").split("computed_fields:")[0]
        + 'computed_fields:\n  - {name: spin, lambda: "while (true) {}"}\n'
    )
    modules(desk.app).registry.load()
    started = time.monotonic()
    page = admin.html("/admin/modules/loop")
    assert time.monotonic() - started < 3
    assert page.count('data-lambda-error="timeout"') == 1  # the first row timed out
    assert page.count('data-lambda-error="skipped"') == 4  # the same lambda is not run again on this page
    assert "1 VERY LOW" in admin.html("/admin/modules/priority")  # the sandbox was replaced


def test_db_query_cannot_read_secrets_or_write(desk: Helpdesk, modules_dir: Path, admin: Browser) -> None:
    body = GO_STYLE.replace("go_priority", "probe").replace("Go priorities", "Probes").split("computed_fields:")[0]
    probes = {
        "session": "return db.query('SELECT * FROM goatkit_session').length;",
        "password": "return db.queryRow('SELECT pw FROM users WHERE id = 1').pw;",
        "write": "return db.query('DELETE FROM ticket_priority');",
        "two": "return db.query('SELECT 1; DELETE FROM ticket_priority');",
    }
    lines = "".join(f'  - {{name: {name}, lambda: "{code}"}}\n' for name, code in probes.items())
    (modules_dir / "probe.yaml").write_text(body + "computed_fields:\n" + lines)
    modules(desk.app).registry.load()
    row = admin.get("/api/v1/modules/probe/1", **JSON).get_json()
    assert row["session"]["error"]["message"] == "Error: Table 'goatkit_session' may not be read by lambdas. (line 1)"
    assert row["password"]["error"]["message"] == "Error: Column 'users.pw' may not be read by lambdas. (line 1)"
    assert row["write"]["error"]["message"].startswith("Error: Only SELECT statements are allowed")
    assert row["two"]["error"]["message"] == "Error: Only one SELECT statement is allowed; found 2 statements. (line 1)"
    assert admin.get("/api/v1/modules/priority/1", **JSON).status_code == 200  # nothing was deleted


def test_the_openapi_document_lists_computed_fields_as_read_only(admin: Browser) -> None:
    document = admin.get("/api/openapi.json", **JSON).get_json()
    properties = document["components"]["schemas"]["priority"]["properties"]
    assert properties["shout"]["readOnly"] is True
    assert properties["shout"]["description"].startswith("Shouted: computed by a lambda")
    assert "shout" not in document["components"]["schemas"]["priority"].get("required", [])


#: Computed fields that declare what they read: two lookups, a list that shows neither.
READS = """\
module: {name: reads, singular: Priority, plural: Readers, table: ticket_priority}
fields:
  - {name: id, type: int, show_in_list: true, show_in_form: false, sortable: true}
  - {name: name, type: string, required: true, show_in_list: true}
  - {name: valid_id, type: int, default: 1, show_in_list: false, lookup_table: valid, lookup_display: name}
  - {name: create_by, type: int, show_in_list: false, show_in_form: false, lookup_table: users,
     lookup_display: login}
computed_fields:
  - {name: seen, lambda: "return Object.keys(item).sort().join(' ');", reads: [valid_id]}
  - {name: named, lambda: "return Object.keys(item).sort().join(' ');", reads: [name, id]}
"""


def test_a_computed_field_that_declares_reads_sees_only_those_fields(
    desk: Helpdesk, modules_dir: Path, admin: Browser
) -> None:
    (modules_dir / "reads.yaml").write_text(READS)
    modules(desk.app).registry.load()
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.replace('"', ""))

    admin.html("/admin/modules/reads")  # warm
    event.listen(admin.desk.engine, "before_cursor_execute", seen)
    try:
        page = admin.html("/admin/modules/reads?sort=id", **HX)
    finally:
        event.remove(admin.desk.engine, "before_cursor_execute", seen)
    row = page[page.index('<tr data-id="1"') : page.index("</tr>", page.index('<tr data-id="1"'))]
    assert ">valid_id valid_id_display<" in row and ">id name<" in row
    assert [s for s in statements if "FROM valid" in s] and not [s for s in statements if "WHERE users.id IN" in s]
    whole = admin.get("/api/v1/modules/reads/1", **JSON).get_json()  # a JSON answer carries every display
    assert whole["seen"] == "valid_id valid_id_display" and whole["create_by_display"] is not None
    tried = admin.send(  # the playground gives the lambda the same item
        "post", "/admin/lambdas/reads/run", {"key": "computed_fields.0.lambda",
                                             "code": "return Object.keys(item).sort().join(' ');", "ids": "1"}, **JSON
    ).get_json()  # fmt: skip
    assert [r["text"] for r in tried["rows"]] == ["valid_id valid_id_display"]


def test_reads_naming_an_unknown_field_is_a_problem_of_the_module(desk: Helpdesk, modules_dir: Path) -> None:
    (modules_dir / "reads.yaml").write_text(READS.replace("reads: [name, id]", "reads: [name, idd]"))
    snapshot = modules(desk.app).registry.load()
    problems = [str(p) for p in snapshot.problems]
    assert any("computed_fields.1.reads.1: unknown field 'idd'; did you mean 'id'?" in p for p in problems), problems
    assert "reads" not in snapshot

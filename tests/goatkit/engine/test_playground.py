"""The lambda playground and ``gotrs lambda test``: try a lambda on real rows (read-only), then save it back into
its file without touching anything else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from goatkit.engine.cli import lambda_group
from goatkit.engine.extension import modules
from tests.goatkit.engine.test_views import HX, JSON, Browser, error_of
from tests.modules.auth import AGENT, AGENT_PW, Helpdesk, make_helpdesk

PRIORITY = """\
# Priorities, with lambdas to try.
module: {name: priority, singular: Priority, plural: Priorities, table: ticket_priority}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false, show_in_list: true}
  - {name: name, type: string, required: true, show_in_list: true,
     validator: "return value.length >= 3 || 'Too short';"}
  - {name: valid_id, type: int, default: 1, lookup_table: valid, lookup_key: id, lookup_display: name}
computed_fields:
  - name: shout   # upper case
    lambda: |
      console.log('row', item.id);
      return item.name.toUpperCase();
  - {name: tag, lambda: {use: tag, args: {prefix: "P-"}}}
"""


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    modules_dir, lambdas_dir = tmp_path / "modules", tmp_path / "lambdas"
    modules_dir.mkdir()
    lambdas_dir.mkdir()
    (modules_dir / "priority.yaml").write_text(PRIORITY)
    (lambdas_dir / "tag.js").write_text("// Prefixes the id.\nreturn args.prefix + item.id;\n")
    return modules_dir, lambdas_dir


@pytest.fixture
def desk(db_url: str, tmp_path: Path, dirs: tuple[Path, Path]) -> Iterator[Helpdesk]:
    made = make_helpdesk(
        db_url, tmp_path / "var", modules_path=str(dirs[0]), modules_builtin=False, lambdas_path=str(dirs[1])
    )
    yield made
    modules(made.app).stop()
    made.close()


@pytest.fixture
def admin(desk: Helpdesk, dirs: tuple[Path, Path]) -> Browser:
    return Browser(desk, dirs[0])


def run(admin: Browser, body: dict[str, Any], **headers: str) -> Any:
    return admin.send("post", "/admin/lambdas/priority/run", body, **headers)


def test_the_playground_lists_modules_and_shows_the_editor(admin: Browser) -> None:
    index = admin.get("/admin/lambdas", **JSON).get_json()
    assert index == {"modules": [{"name": "priority", "label": "Priorities", "lambdas": 3}]}
    page = admin.html("/admin/lambdas/priority?key=computed_fields.0.lambda")
    assert "console.log(&#39;row&#39;, item.id);\nreturn item.name.toUpperCase();\n</textarea>" in page
    assert "validator: name" in page and "computed: tag" in page
    shared = admin.html("/admin/lambdas/priority?key=computed_fields.1.lambda")
    assert "shared lambda <code" in shared and 'value="{&#34;prefix&#34;: &#34;P-&#34;}"' in shared


def test_a_run_shows_each_row_as_the_screen_would_with_console_and_costs(admin: Browser) -> None:
    body = run(admin, {"key": "computed_fields.0.lambda", "code": "console.log('row', item.id);\nreturn item.name;",
                       "ids": "1, 3"}, **JSON).get_json()  # fmt: skip
    assert [(r["key"], r["text"], r["logs"]) for r in body["rows"]] == [
        (1, "1 very low", ["row 1"]),
        (3, "3 normal", ["row 3"]),
    ]
    assert body["problem"] is None and body["rounds"] == 1 and body["queries"] == 0

    fragment = run(admin, {"key": "", "code": "return {text: item.name, tone: 'red'};"}, **HX).get_data(as_text=True)
    assert fragment.count('data-testid="shown"') == 5  # the first five rows
    assert "5 rows in" in fragment and "1 sandbox round, 0 queries." in fragment

    verdicts = run(admin, {"key": "fields.1.validator", "code": "return value.length >= 9 || 'Too short';"}, **JSON)
    assert [r["text"] for r in verdicts.get_json()["rows"]] == [
        "passes",
        "Too short",
        "Too short",
        "Too short",
        "passes",
    ]
    shared = run(admin, {"key": "computed_fields.1.lambda", "code": "return args.prefix + item.id;",
                         "args": '{"prefix": "Q-"}', "ids": "2"}, **JSON).get_json()  # fmt: skip
    assert shared["rows"][0]["value"] == "Q-2"


ONE = {"key": "", "code": "return 1;"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"key": "", "code": ""}, "Write the lambda's code first."),
        ({"key": "nope.0", "code": "return 1;"}, "Module 'priority' has no lambda at 'nope.0'."),
        ({**ONE, "ids": "99"}, "There is no row 99 in module 'priority'."),
        ({**ONE, "ids": "x"}, "'x' is not a valid value for a row id (expected a whole number)."),
        ({**ONE, "args": "{nope"},
         "The arguments are not a JSON object: Expecting property name enclosed in double quotes (column 2)."),
        ({**ONE, "args": "[1]"}, 'The arguments must be a JSON object, such as {"days": 7}.'),
    ],
)  # fmt: skip
def test_bad_requests_name_what_was_wrong(admin: Browser, body: dict[str, str], message: str) -> None:
    response = run(admin, body, **JSON)
    assert (response.status_code, error_of(response)) == (400, message)


def test_a_syntax_error_is_shown_with_its_line_and_nothing_runs(admin: Browser) -> None:
    body = run(admin, {"key": "", "code": "var a = 1;\nreturn a +;"}, **JSON).get_json()
    assert body["problem"] == {"kind": "syntax", "message": "Syntax error at line 2, column 11: Unexpected token.",
                               "line": 2}  # fmt: skip
    assert body["rows"] == []


def test_saving_rewrites_only_the_lambda_and_the_module_reloads(admin: Browser, dirs: tuple[Path, Path]) -> None:
    path = dirs[0] / "priority.yaml"
    edit = {"key": "computed_fields.0.lambda", "code": "return item.name.toLowerCase() + '!';"}
    saved = admin.send("post", "/admin/lambdas/priority/save", edit)
    assert saved.status_code == 303
    assert path.read_text() == PRIORITY.replace(
        "      console.log('row', item.id);\n      return item.name.toUpperCase();\n",
        "      return item.name.toLowerCase() + '!';\n",
    )
    data = admin.get("/api/v1/modules/priority/1", **JSON).get_json()
    assert data["shout"] == "1 very low!"

    shared = admin.send("post", "/admin/lambdas/priority/save", {"key": "computed_fields.1.lambda",
                        "code": "return args.prefix + (item.id * 2);"}, **JSON)  # fmt: skip
    assert shared.get_json() == {"saved": str(dirs[1] / "tag.js"), "key": "computed_fields.1.lambda"}
    assert (dirs[1] / "tag.js").read_text() == "return args.prefix + (item.id * 2);\n"
    assert admin.get("/api/v1/modules/priority/2", **JSON).get_json()["tag"] == "P-4"


def test_broken_code_is_not_saved(admin: Browser, dirs: tuple[Path, Path]) -> None:
    path = dirs[0] / "priority.yaml"
    refused = admin.send("post", "/admin/lambdas/priority/save",
                         {"key": "computed_fields.0.lambda", "code": "return await x;"}, **JSON)  # fmt: skip
    assert refused.status_code == 422
    assert error_of(refused) == "Not saved: line 1: 'await' is not allowed: lambdas are synchronous functions."
    assert path.read_text() == PRIORITY
    new = admin.send("post", "/admin/lambdas/priority/save", {"key": "", "code": "return 1;"}, **JSON)
    assert error_of(new) == "Module 'priority' has no lambda at '' to save; add it to the module file first."


def test_only_administrators_may_use_the_playground(desk: Helpdesk, dirs: tuple[Path, Path]) -> None:
    agent = Browser(desk, dirs[0], AGENT, AGENT_PW)
    for response in (agent.get("/admin/lambdas", **JSON), run(agent, {"key": "", "code": "return 1;"}, **JSON)):
        assert (response.status_code, error_of(response)) == (403, "Only administrators may use the lambda playground.")


def test_gotrs_lambda_test_prints_each_row(desk: Helpdesk) -> None:
    runner = CliRunner()
    result = runner.invoke(lambda_group, ["test", "priority", "shout", "--id", "2"], obj=lambda: desk.app)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("2: 2 LOW  (") and lines[1] == "    console: row 2"
    assert lines[2].startswith("1 row(s) in ") and lines[2].endswith(", 1 round(s), 0 quer(ies).")
    unknown = runner.invoke(lambda_group, ["test", "priority", "nope"], obj=lambda: desk.app)
    assert unknown.exit_code == 1
    assert "module 'priority' has no lambda 'nope' (its lambdas: shout, tag, name)" in unknown.output

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

from goatkit.checks import check_database, check_tree
from goatkit.cli import build_cli
from goatkit.platform import Platform
from goatkit.settings import load_settings
from goatkit.specs.module import FIELD_TYPES

GOOD_MODULE = """\
module:
  {name: priority, singular: Priority, plural: Priorities, table: ticket_priority, route_prefix: /admin/priorities}
fields:
  - {name: id, type: int, show_in_list: true, show_in_form: false, sortable: true}
  - {name: name, type: string, required: true, searchable: true, validation: "^[a-zA-Z0-9 ]+$"}
computed_fields:
  - name: age
    lambda: return 1;
features: {soft_delete: true, search: true, export_csv: true}
permissions: [view, create, update, delete]
validation: {unique_fields: [name], required_fields: [name]}
"""

GOOD_ROUTES = """\
apiVersion: v1
kind: RouteGroup
metadata: {name: health, enabled: true}
spec:
  prefix: /
  routes:
    - {path: /healthz, method: GET, handler: healthz}
---
apiVersion: v1
kind: RouteGroup
metadata: {name: other}
spec:
  routes:
    - path: /x
      handlers: {GET: a, POST: b}
      rateLimit: {requests: 5, period: 5m, key: ip}
"""


def make_tree(tmp_path: Path, files: dict[str, str]) -> Platform:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Platform(load_settings(var_dir=tmp_path / "var"), root=tmp_path)


def test_valid_tree_has_no_problems(tmp_path: Path) -> None:
    platform = make_tree(
        tmp_path,
        {
            "modules/priority.yaml": GOOD_MODULE,
            "routes/health.yaml": GOOD_ROUTES,
            "themes/default.yaml": "name: default\ntokens: {primary: '#2563eb'}\n",
        },
    )
    problems, checked = check_tree(platform)
    assert problems == []
    assert checked == 3


def test_problems_name_file_line_and_key_with_a_suggestion(tmp_path: Path) -> None:
    bad = GOOD_MODULE.replace("searchable: true", "serchable: true").replace("type: int", "type: integr")
    platform = make_tree(tmp_path, {"modules/priority.yaml": bad})
    problems, _ = check_tree(platform)
    rendered = sorted(str(p) for p in problems)
    path = tmp_path / "modules" / "priority.yaml"
    assert rendered == sorted(
        [
            f"{path}:4: fields.0.type: Value error, unknown field type 'integr'; expected one of: "
            + ", ".join(sorted(FIELD_TYPES)),
            f"{path}:5: fields.1.serchable: unknown key; did you mean 'searchable'?",
        ]
    )


def test_yaml_syntax_error_reports_its_line(tmp_path: Path) -> None:
    platform = make_tree(tmp_path, {"themes/broken.yaml": "name: x\ntokens: {a: 1\nlabel: y\n"})
    problems, _ = check_tree(platform)
    assert len(problems) == 1
    assert problems[0].file.endswith("broken.yaml")
    assert problems[0].line == 3
    assert "invalid YAML" in problems[0].message


def test_missing_keys_and_duplicate_module_names(tmp_path: Path) -> None:
    platform = make_tree(
        tmp_path,
        {
            "modules/a.yaml": GOOD_MODULE,
            "modules/b.yaml": GOOD_MODULE,
            "routes/r.yaml": "apiVersion: v1\nkind: RouteGroup\nspec: {routes: [{path: nope}]}\n",
        },
    )
    rendered = sorted(str(p) for p in check_tree(platform)[0])
    assert (
        f"{tmp_path / 'modules' / 'b.yaml'}:1: name: 'priority' is already defined in {tmp_path / 'modules' / 'a.yaml'}"
        in rendered
    )
    assert f"{tmp_path / 'routes' / 'r.yaml'}:1: metadata: required key is missing" in rendered
    assert any(
        p.startswith(f"{tmp_path / 'routes' / 'r.yaml'}:3: spec.routes.0.path: String should match") for p in rendered
    )


def test_extra_module_dirs_are_checked(tmp_path: Path, monkeypatch) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "m.yaml").write_text("module: {name: m}\nfields: []\n")
    monkeypatch.setenv("GOTRS_MODULES_PATH", str(extra))
    platform = make_tree(tmp_path, {})
    rendered = sorted(str(p) for p in check_tree(platform)[0])
    assert rendered == [
        f"{extra / 'm.yaml'}:1: module.table: required key is missing",
        f"{extra / 'm.yaml'}:2: fields: List should have at least 1 item after validation, not 0",
    ]


# --- label files, and the modules resolved against the database ----------------------------------------------------

WIDGETS = MetaData()
Table(
    "gk_widget",
    WIDGETS,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("code", String(10), nullable=False),
    Column("valid_id", Integer, nullable=False),
    Column("state", String(10), nullable=False, server_default="new"),
    Column("create_time", DateTime, nullable=False),
    Column("create_by", Integer, nullable=False),
    Column("change_time", DateTime, nullable=False),
    Column("change_by", Integer, nullable=False),
)

#: ``code`` has no field and ``valid_id`` is hidden without a default: a create could never fill them.
WIDGET = """\
module: {name: widget, table: gk_widget}
fields:
  - {name: id, type: int, show_in_form: false}
  - {name: name, type: string}
  - {name: valid_id, type: int, show_in_form: false}
"""
NOT_NULL = "is NOT NULL without a default: add a field for it (required, or with a default)"
DOWN = "postgresql+psycopg://nobody@127.0.0.1:9/nowhere?connect_timeout=1"


def db_tree(tmp_path: Path, db_url: str, files: dict[str, str]) -> Platform:
    platform = make_tree(tmp_path, files)
    platform.settings.database_url = db_url
    WIDGETS.create_all(platform.engine)
    return platform


def test_label_files_are_checked(tmp_path: Path) -> None:
    platform = make_tree(tmp_path, {"i18n/en.yaml": "a: {b: ok}\n", "i18n/de.yaml": "a:\n  b: [x]\n"})
    problems, checked = check_tree(platform)
    assert ([str(p) for p in problems], checked) == (
        [f"{tmp_path / 'i18n' / 'de.yaml'}:2: a.b: a label is text, not list"],
        2,
    )


def test_not_null_columns_no_create_fills_are_refused_at_their_field_or_the_table(db_url: str, tmp_path: Path) -> None:
    platform = db_tree(tmp_path, db_url, {"modules/widget.yaml": WIDGET})
    problems, note = check_database(platform)
    path = tmp_path / "modules" / "widget.yaml"
    assert [str(p) for p in problems] == [
        f"{path}:1: module.table: column 'code' of table 'gk_widget' {NOT_NULL}",
        f"{path}:5: fields.2: column 'valid_id' of table 'gk_widget' {NOT_NULL}",
    ]
    assert note.startswith("0 module(s) resolved against ")


@pytest.mark.parametrize(
    "fix",
    [
        "  - {name: code, type: string}\n",  # shown in the form: required there (forms.required_names)
        "  - {name: code, type: string, show_in_form: false, required: true}\n",
        "  - {name: code, type: string, show_in_form: false, default: X}\n",
    ],
)
def test_a_field_that_fills_the_column_satisfies_the_rule(db_url: str, tmp_path: Path, fix: str) -> None:
    spec = WIDGET.replace("show_in_form: false}\n", "show_in_form: false, default: 1}\n") + fix
    platform = db_tree(tmp_path, db_url, {"modules/widget.yaml": spec})
    problems, note = check_database(platform)
    assert (problems, note) == ([], f"1 module(s) resolved against {platform.engine.url.render_as_string()}.")


@pytest.mark.parametrize("permissions", ["[view]", "[view, update]", "{view: true, create: false}"])
def test_a_module_that_never_creates_is_not_held_to_the_rule(db_url: str, tmp_path: Path, permissions: str) -> None:
    platform = db_tree(tmp_path, db_url, {"modules/widget.yaml": WIDGET + f"permissions: {permissions}\n"})
    assert check_database(platform)[0] == []


def test_database_problems_are_reported_but_not_twice_for_files_already_broken(db_url: str, tmp_path: Path) -> None:
    platform = db_tree(
        tmp_path,
        db_url,
        {
            "modules/widget.yaml": WIDGET.replace("{name: name,", "{name: nme,"),
            "modules/broken.yaml": WIDGET.replace("widget", "other").replace("type: string", "typo: string"),
        },
    )
    file_problems, _ = check_tree(platform)
    problems, _ = check_database(platform, file_problems)
    widget, broken = tmp_path / "modules" / "widget.yaml", tmp_path / "modules" / "broken.yaml"
    assert [str(p) for p in file_problems] == [f"{broken}:4: fields.1.typo: unknown key; did you mean 'type'?"]
    assert [str(p) for p in problems] == [
        f"{widget}:4: fields.1.name: column 'nme' does not exist in table 'gk_widget'; did you mean 'name'?",
        f"{widget}:1: module.table: column 'name' of table 'gk_widget' {NOT_NULL}",
        f"{widget}:1: module.table: column 'code' of table 'gk_widget' {NOT_NULL}",
        f"{widget}:5: fields.2: column 'valid_id' of table 'gk_widget' {NOT_NULL}",
    ]


def test_an_unreachable_database_is_one_note_and_no_problem(tmp_path: Path) -> None:
    platform = make_tree(tmp_path, {"modules/widget.yaml": WIDGET})
    platform.settings.database_url = DOWN
    problems, note = check_database(platform)
    assert problems == []
    assert note.startswith(f"Database {DOWN} not reachable (")
    assert note.endswith("): modules not checked against it.")


def run_check(platform: Platform) -> Any:
    def create_app() -> Flask:
        app = Flask("check-test")
        platform.init_app(app)
        return app

    return CliRunner().invoke(build_cli(create_app), ["check"])


def test_gotrs_check_fails_on_database_problems(db_url: str, tmp_path: Path) -> None:
    platform = db_tree(tmp_path, db_url, {"modules/widget.yaml": WIDGET})
    result = run_check(platform)
    assert result.exit_code == 1
    assert f"column 'code' of table 'gk_widget' {NOT_NULL}" in result.stderr
    assert result.stderr.endswith("2 problem(s) in 1 file(s).\n")


def test_gotrs_check_without_a_database_checks_the_files_and_passes(tmp_path: Path) -> None:
    platform = make_tree(tmp_path, {"modules/widget.yaml": WIDGET})
    platform.settings.database_url = DOWN
    result = run_check(platform)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Database {DOWN} not reachable (")
    assert lines[1:] == ["1 YAML file(s) OK."]

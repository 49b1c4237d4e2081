from pathlib import Path

from goatkit.checks import check_tree
from goatkit.platform import Platform
from goatkit.settings import load_settings

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
            "bool, boolean, checkbox, color, date, datetime, decimal, email, file, files, float, int, integer, "
            "multiselect, notes, number, password, phone, radio, range, select, string, tel, text, textarea, time, url",
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

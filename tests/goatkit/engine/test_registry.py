"""The module registry: specs resolved against a real database, refusals with exact messages, last good versions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Table
from sqlalchemy.exc import OperationalError

from goatkit.db import make_engine
from goatkit.engine.registry import ModuleRegistry, Snapshot
from goatkit.yamlfile import Problem
from tests.goatkit.engine.registry_support import PRIORITY, open_registry

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def modules_dir(tmp_path: Path) -> Path:
    return tmp_path / "modules"


@pytest.fixture
def registry(db_url: str, modules_dir: Path) -> Iterator[ModuleRegistry]:
    with open_registry(db_url, modules_dir) as registry:
        yield registry


def problems_of(registry: ModuleRegistry) -> list[tuple[str, int, str, str]]:
    """Problems without the temporary directory: (file name, line, key, message)."""
    return [(Path(p.file).name, p.line, p.key, p.message) for p in registry.problems]


def test_a_valid_module_loads_and_resolves(registry: ModuleRegistry, modules_dir: Path) -> None:
    (modules_dir / "priority.yaml").write_text(PRIORITY)
    snapshot = registry.load()

    assert registry.problems == []
    assert list(snapshot) == ["priority"] and snapshot is registry.snapshot()
    module = snapshot["priority"]
    assert module.table.name == "ticket_priority" and module.primary_key.name == "id"
    assert module.source == modules_dir / "priority.yaml"
    assert [(f.name, f.column.name if f.column is not None else None) for f in module.fields] == [
        ("id", "id"),
        ("name", "name"),
        ("color", "color"),
        ("valid_id", "valid_id"),
        ("note", None),
    ]
    lookup = module.field_named("valid_id").lookup
    assert lookup is not None
    assert (lookup.table.name, lookup.key.name, lookup.display.name) == ("valid", "id", "name")
    assert lookup.table is not module.table and isinstance(lookup.table, Table)
    assert [f.name for f in module.sortable] == ["id", "name"]


def test_db_column_primary_key_and_lookup_defaults(registry: ModuleRegistry, modules_dir: Path) -> None:
    (modules_dir / "company.yml").write_text(
        "module: {name: customer_company, table: customer_company, primary_key: customer_id}\n"
        "fields:\n"
        "  - {name: customer_id, type: string}\n"
        "  - {name: title, db_column: name, type: string}\n"
    )
    (modules_dir / "priority.yaml").write_text(PRIORITY.replace(", lookup_key: id, lookup_display: name", ""))
    snapshot = registry.load()

    assert registry.problems == []
    company = snapshot["customer_company"]
    assert company.primary_key.name == "customer_id"
    assert company.field_named("title").column is company.table.c.name
    lookup = snapshot["priority"].field_named("valid_id").lookup
    assert lookup is not None and (lookup.key.name, lookup.display.name) == ("id", "name")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "table: ticket_priority",
            "table: demos",
            ("p.yaml", 1, "module.table", "table 'demos' does not exist"),
        ),
        (
            "table: ticket_priority",
            "table: ticket_priorty",
            ("p.yaml", 1, "module.table", "table 'ticket_priorty' does not exist; did you mean 'ticket_priority'?"),
        ),
        (
            "{name: color,",
            "{name: colour,",
            (
                "p.yaml",
                5,
                "fields.2.name",
                "column 'colour' does not exist in table 'ticket_priority'; did you mean 'color'?",
            ),
        ),
        (
            "{name: color,",
            "{name: color, db_column: colr,",
            (
                "p.yaml",
                5,
                "fields.2.db_column",
                "column 'colr' does not exist in table 'ticket_priority'; did you mean 'color'?",
            ),
        ),
        (
            "lookup_display: name",
            "lookup_display: nmae",
            (
                "p.yaml",
                6,
                "fields.3.lookup_display",
                "column 'nmae' does not exist in table 'valid'; did you mean 'name'?",
            ),
        ),
        (
            "lookup_key: id",
            "lookup_key: valid_id",
            ("p.yaml", 6, "fields.3.lookup_key", "column 'valid_id' does not exist in table 'valid'"),
        ),
        (
            "lookup_table: valid",
            "lookup_table: valids",
            ("p.yaml", 6, "fields.3.lookup_table", "table 'valids' does not exist; did you mean 'valid'?"),
        ),
        (
            "route_prefix: /admin/priorities}",
            "route_prefix: /admin/priorities, primary_key: priority_id}",
            ("p.yaml", 1, "module.primary_key", "column 'priority_id' does not exist in table 'ticket_priority'"),
        ),
        (
            "{name: color, type: color}",
            "{name: color, type: colour}",
            (
                "p.yaml",
                5,
                "fields.2.type",
                "Value error, unknown field type 'colour'; expected one of: bool, boolean, checkbox, color, date, "
                "datetime, decimal, email, file, files, float, int, integer, json, multiselect, notes, number, "
                "password, phone, radio, range, select, string, tel, text, textarea, time, url",
            ),
        ),
        (
            "sortable: true, show_in_form",
            "sortabel: true, show_in_form",
            ("p.yaml", 3, "fields.0.sortabel", "unknown key; did you mean 'sortable'?"),
        ),
        (
            "fields:\n",
            "fields:\n  - {name: [\n",
            ("p.yaml", 4, "", "invalid YAML: expected the node content, but found '-'"),
        ),
    ],
)
def test_a_module_naming_what_does_not_exist_is_refused_with_the_place_and_a_suggestion(
    registry: ModuleRegistry, modules_dir: Path, old: str, new: str, problem: tuple[str, int, str, str]
) -> None:
    assert old in PRIORITY
    (modules_dir / "p.yaml").write_text(PRIORITY.replace(old, new))
    snapshot = registry.load()

    assert problems_of(registry) == [problem]
    assert "priority" not in snapshot


def test_every_missing_column_is_reported_at_once(registry: ModuleRegistry, modules_dir: Path) -> None:
    (modules_dir / "p.yaml").write_text(
        PRIORITY.replace("{name: color,", "{name: colour,").replace("lookup_display: name", "lookup_display: label")
    )
    registry.load()
    assert problems_of(registry) == [
        (
            "p.yaml",
            5,
            "fields.2.name",
            "column 'colour' does not exist in table 'ticket_priority'; did you mean 'color'?",
        ),
        ("p.yaml", 6, "fields.3.lookup_display", "column 'label' does not exist in table 'valid'"),
    ]


def test_a_filter_must_name_a_field_and_an_existing_lookup(registry: ModuleRegistry, modules_dir: Path) -> None:
    (modules_dir / "p.yaml").write_text(
        PRIORITY + "filters:\n  - {field: valid, type: select}\n  - {field: valid_id, lookup_table: validity}\n"
    )
    registry.load()
    assert problems_of(registry) == [
        ("p.yaml", 9, "filters.0.field", "unknown field 'valid'; did you mean 'valid_id'?"),
        ("p.yaml", 10, "filters.1.lookup_table", "table 'validity' does not exist; did you mean 'valid'?"),
    ]


def test_a_module_name_defined_twice_in_one_directory_is_refused_in_the_later_file(
    registry: ModuleRegistry, modules_dir: Path
) -> None:
    (modules_dir / "a.yaml").write_text(PRIORITY)
    (modules_dir / "b.yaml").write_text(PRIORITY.replace("plural: Priorities", "plural: Again"))
    snapshot = registry.load()

    assert snapshot["priority"].spec.module.plural == "Priorities"
    assert [str(p) for p in registry.problems] == [
        f"{modules_dir / 'b.yaml'}:1: module.name: module 'priority' is already defined in {modules_dir / 'a.yaml'}",
    ]


def test_a_later_directory_overrides_a_module_of_an_earlier_one(
    registry: ModuleRegistry, modules_dir: Path, tmp_path: Path
) -> None:
    (modules_dir / "a.yaml").write_text(PRIORITY)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "0.yaml").write_text(PRIORITY.replace("plural: Priorities", "plural: Site"))
    registry.directories.append(extra)  # GOTRS_MODULES_PATH directories come after the app's modules/
    snapshot = registry.load()

    assert snapshot["priority"].spec.module.plural == "Site"
    assert snapshot["priority"].source == extra / "0.yaml"
    assert registry.problems == []

    (extra / "0.yaml").unlink()  # the site's copy removed: the shipped module serves again
    assert registry.load()["priority"].spec.module.plural == "Priorities"


def test_a_broken_edit_keeps_the_last_good_version_until_fixed_and_deleting_removes(
    registry: ModuleRegistry, modules_dir: Path
) -> None:
    path = modules_dir / "priority.yaml"
    path.write_text(PRIORITY)
    good = registry.load()["priority"]

    path.write_text(PRIORITY.replace("{name: color,", "{name: colour,"))  # a column that does not exist
    snapshot = registry.load()
    assert snapshot["priority"] is good and snapshot.stale == {"priority"}
    assert [p.key for p in snapshot.problems] == ["fields.2.name"]

    path.write_text("module: {name: priority\n")  # not even YAML
    snapshot = registry.load()
    assert snapshot["priority"] is good and snapshot.stale == {"priority"}
    assert problems_of(registry)[0][:2] == ("priority.yaml", 2)

    path.write_text(PRIORITY.replace("plural: Priorities", "plural: Fixed"))
    snapshot = registry.load()
    assert snapshot["priority"].spec.module.plural == "Fixed"
    assert snapshot.stale == frozenset() and snapshot.problems == ()

    path.unlink()
    snapshot = registry.load()
    assert "priority" not in snapshot and snapshot.problems == ()


def test_a_file_broken_from_the_start_serves_nothing(registry: ModuleRegistry, modules_dir: Path) -> None:
    (modules_dir / "empty.yaml").write_text("")
    (modules_dir / "list.yaml").write_text("- a\n")
    (modules_dir / "notes.txt").write_text("not a module")
    snapshot = registry.load()
    assert len(snapshot) == 0
    assert problems_of(registry) == [
        ("empty.yaml", 1, "", "the file is empty"),
        ("list.yaml", 1, "", "expected a mapping at the top level"),
    ]


def test_identity_is_the_module_name_not_the_file_name(registry: ModuleRegistry, modules_dir: Path) -> None:
    (modules_dir / "priority.yaml").write_text(PRIORITY)
    registry.load()
    (modules_dir / "priority.yaml").rename(modules_dir / "zz-renamed.yml")
    snapshot = registry.load()
    assert list(snapshot) == ["priority"] and snapshot.problems == ()
    assert snapshot["priority"].source == modules_dir / "zz-renamed.yml"

    # A broken file whose last good module is now defined by another file: the fresh definition wins.
    (modules_dir / "zz-renamed.yml").write_text(PRIORITY.replace("color}", "colour}"))
    registry.load()
    (modules_dir / "a.yaml").write_text(PRIORITY.replace("plural: Priorities", "plural: New home"))
    snapshot = registry.load()
    assert snapshot["priority"].spec.module.plural == "New home" and snapshot.stale == frozenset()


def test_a_snapshot_is_immutable(registry: ModuleRegistry, modules_dir: Path) -> None:
    (modules_dir / "priority.yaml").write_text(PRIORITY)
    snapshot = registry.load()
    with pytest.raises(TypeError):
        snapshot["other"] = snapshot["priority"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        snapshot.extra = 1  # type: ignore[attr-defined]
    assert isinstance(snapshot, Snapshot) and dict(snapshot) == {"priority": snapshot["priority"]}


def test_an_unreachable_database_raises_and_keeps_the_current_snapshot(
    registry: ModuleRegistry, modules_dir: Path
) -> None:
    (modules_dir / "priority.yaml").write_text(PRIORITY)
    current = registry.load()
    registry.engine = make_engine("postgresql+psycopg://nobody:x@127.0.0.1:1/none")  # nothing listens on port 1
    with pytest.raises(OperationalError):
        registry.load()
    assert registry.snapshot() is current


def test_scaffolded_otrs_modules_and_the_application_modules_load(db_url: str, tmp_path: Path) -> None:
    """Specs written by `gotrs modules scaffold` for OTRS tables resolve cleanly, as do the committed module files."""
    import importlib

    from goatkit.engine.registry import LambdaSupport
    from goatkit.engine.scaffold import scaffold_module
    from goatkit.lambdas.sandbox import SandboxPool
    from gotrs_app import COMPANION_MODULES
    from modules.db import ALL_METADATA

    for companion in COMPANION_MODULES:  # the shipped specs name the hooks these register
        importlib.import_module(companion)
    engine = make_engine(db_url)
    pool = SandboxPool(size=1)  # the shipped specs use lambdas (computed columns): check them as the app does
    try:
        for metadata in ALL_METADATA:
            metadata.create_all(engine)
        tables = ["queue", "salutation", "customer_company", "ticket_priority", "sla"]
        for table in tables:
            (tmp_path / f"{table}.yaml").write_text(scaffold_module(engine, table))
        app_files = sorted((ROOT / "modules").glob("*.y*ml"))
        lambdas = LambdaSupport([ROOT / "lambdas"], pool.check)
        snapshot = ModuleRegistry(engine, [ROOT / "modules", tmp_path], lambdas).load()  # the scaffolds override
    finally:
        pool.close()
        engine.dispose()
    assert [str(p) for p in snapshot.problems] == []
    scaffolded = {name for name, m in snapshot.items() if m.source.parent == tmp_path}
    assert scaffolded == set(tables)
    assert snapshot["queue"].field_named("group_id").lookup is not None
    assert {m.source for m in snapshot.values()} - {tmp_path / f"{t}.yaml" for t in tables} <= set(app_files)
    assert len(snapshot) > 30  # every shipped module loaded too


def test_problem_renders_file_line_key() -> None:
    assert str(Problem("m/p.yaml", 5, "fields.2.name", "x")) == "m/p.yaml:5: fields.2.name: x"


def test_a_lookup_condition_outside_the_safe_grammar_is_refused(registry: ModuleRegistry, modules_dir: Path) -> None:
    good = PRIORITY.replace("lookup_display: name}", 'lookup_display: name, lookup_condition: "id IN (1, 2)"}')
    (modules_dir / "priority.yaml").write_text(good)
    assert registry.load()["priority"].field_named("valid_id").lookup is not None
    assert registry.problems == []
    bad = PRIORITY.replace("lookup_display: name}", 'lookup_display: name, lookup_condition: "1=1; DROP TABLE x"}')
    (modules_dir / "priority.yaml").write_text(bad)
    registry.load()
    assert len(registry.problems) == 1
    problem = registry.problems[0]
    assert (problem.line, problem.key) == (6, "fields.3.lookup_condition")
    assert "1=1; DROP TABLE x" in problem.message

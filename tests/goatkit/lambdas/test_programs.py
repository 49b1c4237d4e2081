"""Lambdas as the registry loads them: checked in the sandbox, problems at the file and line of the code itself,
shared lambdas by name with arguments, and hot reload of ``lambdas/*.js``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from goatkit.db import make_engine
from goatkit.engine.registry import LambdaSupport, ModuleRegistry
from goatkit.lambdas.sandbox import Call, SandboxPool
from tests.goatkit.engine.registry_support import PRIORITY, metadata
from tests.waiting import RELOAD_SECONDS, within


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    made = SandboxPool(size=1)
    yield made
    made.close()


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    modules_dir, lambdas_dir = tmp_path / "modules", tmp_path / "lambdas"
    modules_dir.mkdir()
    lambdas_dir.mkdir()
    return modules_dir, lambdas_dir


@pytest.fixture
def registry(db_url: str, dirs: tuple[Path, Path], pool: SandboxPool) -> Iterator[ModuleRegistry]:
    engine = make_engine(db_url)
    metadata.create_all(engine)
    made = ModuleRegistry(engine, [dirs[0]], LambdaSupport([dirs[1]], pool.check))
    yield made
    made.stop()
    engine.dispose()


def with_computed(block: str) -> str:
    return PRIORITY + "computed_fields:\n" + block


def problems(registry: ModuleRegistry) -> list[str]:
    return [str(p) for p in registry.load().problems]


def test_a_syntax_error_is_reported_at_its_own_line_of_the_yaml_file(registry: ModuleRegistry, dirs: tuple) -> None:
    path = dirs[0] / "priority.yaml"
    # PRIORITY has 7 lines; "computed_fields:" is line 8, the block's code starts on line 11.
    path.write_text(with_computed("  - name: age\n    lambda: |\n      var a = 1;\n      return a +;\n"))
    assert problems(registry) == [f"{path}:12: computed_fields.0.lambda: Syntax error at column 11: Unexpected token."]
    assert "priority" not in registry.snapshot()


def test_async_code_is_refused_when_the_module_loads(registry: ModuleRegistry, dirs: tuple) -> None:
    path = dirs[0] / "priority.yaml"
    path.write_text(with_computed('  - {name: late, lambda: "return await db.query(1);"}\n'))
    assert problems(registry) == [
        f"{path}:9: computed_fields.0.lambda: 'await' is not allowed: lambdas are synchronous functions."
    ]


def test_unknown_shared_lambdas_and_name_clashes_are_named_with_a_suggestion(
    registry: ModuleRegistry, dirs: tuple
) -> None:
    (dirs[1] / "age_badge.js").write_text("// How old a row is.\nreturn args.prefix + item.id;\n")
    path = dirs[0] / "priority.yaml"
    path.write_text(
        with_computed("  - {name: age, lambda: {use: age_bagde}}\n  - {name: color, lambda: 'return 1;'}\n")
    )
    assert problems(registry) == [
        f"{path}:10: computed_fields.1.name: 'color' is already a field of this module; "
        "give the computed field another name",
        f"{path}:9: computed_fields.0.lambda: there is no shared lambda 'age_bagde' (lambdas/*.js); "
        "did you mean 'age_badge'?",
    ]


def test_a_shared_lambda_runs_with_its_arguments_and_reloads_when_its_file_changes(
    registry: ModuleRegistry, dirs: tuple, pool: SandboxPool
) -> None:
    shared = dirs[1] / "tag.js"
    shared.write_text("// Prefixes the id.\nreturn args.prefix + item.id;\n")
    (dirs[0] / "priority.yaml").write_text(with_computed("  - {name: tag, lambda: {use: tag, args: {prefix: P-}}}\n"))
    assert problems(registry) == []
    program = registry.snapshot()["priority"].lambdas.computed[0]
    assert (program.shared, program.args, program.origin) == ("tag", {"prefix": "P-"}, str(shared))
    assert pool.run([Call(program.code, {"id": 7}, program.args)])[0].value == "P-7"

    registry.watch()
    shared.write_text("return args.prefix + (item.id * 10);\n")
    assert within(RELOAD_SECONDS, lambda: "* 10" in registry.snapshot()["priority"].lambdas.computed[0].code)

    shared.write_text("return args.prefix +;\n")  # broken: the module keeps its last good version
    assert within(RELOAD_SECONDS, lambda: bool(registry.snapshot().problems))
    assert registry.snapshot().problems[0].file == str(shared)
    assert "* 10" in registry.snapshot()["priority"].lambdas.computed[0].code


def test_every_role_is_found(registry: ModuleRegistry, dirs: tuple) -> None:
    spec = PRIORITY.replace(
        "{name: name, type: string, required: true, searchable: true, sortable: true}",
        "{name: name, type: string, required: true, validator: 'return true;'}",
    ).replace("{name: color, type: color}", "{name: color, type: color, default: {lambda: 'return \"#fff\";'}}")
    spec += "validation: {custom_rules: ['return true;', {lambda: 'return true;', field: name}]}\n"
    spec += "ui: {row_style: 'return \"red\";'}\n"
    (dirs[0] / "priority.yaml").write_text(spec)
    assert problems(registry) == []
    lambdas = registry.snapshot()["priority"].lambdas
    assert [p.role for p in lambdas.all()] == ["validator", "default", "rule", "rule", "row_style"]
    assert [p.target for p in lambdas.rules] == ["", "name"]


def test_without_a_lambda_runtime_a_module_with_lambdas_is_refused(db_url: str, dirs: tuple) -> None:
    engine = make_engine(db_url)
    metadata.create_all(engine)
    path = dirs[0] / "priority.yaml"
    path.write_text(with_computed('  - {name: age, lambda: "return 1;"}\n'))
    try:
        found = [str(p) for p in ModuleRegistry(engine, [dirs[0]]).load().problems]
    finally:
        engine.dispose()
    assert found == [
        f"{path}:9: computed_fields.0.lambda: this application runs no lambdas; "
        "remove the lambda or enable the lambda runtime"
    ]

"""``gotrs check``: validate every YAML file of an application and report file:line:key problems.

Which model validates which file is decided by the directory: ``modules/`` (and ``GOTRS_MODULES_PATH``) hold module
specs, ``routes/`` route groups, ``themes/`` themes, ``i18n/`` label files.  Cross-file rules (a module name used
twice) are checked too.  :func:`check_database` then resolves the modules against the database, as the registry does
when the app serves them (a missing table or column, a NOT NULL column no create fills), when it can be reached.

Example::

    problems, checked = check_tree(platform)
    db_problems, note = check_database(platform, problems)   # note: 'database not reachable ...' or a summary
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from goatkit import i18n
from goatkit.platform import Platform
from goatkit.specs import ModuleSpec, RouteGroupSpec, ThemeSpec
from goatkit.specs.base import read_specs
from goatkit.yamlfile import Problem


def yaml_files(directory: Path) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files directly inside ``directory``, sorted; none if it does not exist."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


def check_files(files: Iterable[Path], model: type[BaseModel]) -> tuple[list[Problem], dict[str, Path]]:
    """Validate each document of each file against ``model``; return problems and the names seen."""
    problems: list[Problem] = []
    names: dict[str, Path] = {}
    for path in files:
        specs, found = read_specs(path, model)
        problems.extend(found)
        for doc, spec in specs:
            name = _spec_name(spec)
            if name in names and names[name] != path:
                problems.append(
                    Problem(str(path), doc.start_line, "name", f"'{name}' is already defined in {names[name]}")
                )
            names.setdefault(name, path)
    return problems, names


def _spec_name(spec: BaseModel) -> str:
    if isinstance(spec, ModuleSpec):
        return spec.module.name
    if isinstance(spec, RouteGroupSpec):
        return spec.metadata.name
    if isinstance(spec, ThemeSpec):
        return spec.name
    return ""


def check_tree(platform: Platform) -> tuple[list[Problem], int]:
    """Check the modules, routes and themes of ``platform``; return the problems and how many files were read."""
    module_files = [f for d in [platform.root / "modules", *platform.settings.extra_module_dirs] for f in yaml_files(d)]
    groups: list[tuple[list[Path], type[BaseModel]]] = [
        (module_files, ModuleSpec),
        (yaml_files(platform.root / "routes"), RouteGroupSpec),
        (yaml_files(platform.root / "themes"), ThemeSpec),
    ]
    problems: list[Problem] = []
    checked = 0
    for files, model in groups:
        found, _names = check_files(files, model)
        problems.extend(found)
        checked += len(files)
    label_problems, label_files = i18n.check_directory(platform.root / "i18n")
    lambda_problems, lambda_files = check_lambdas(platform, module_files)
    return [*problems, *label_problems, *lambda_problems], checked + label_files + lambda_files


def check_lambdas(platform: Platform, module_files: Iterable[Path]) -> tuple[list[Problem], int]:
    """Every shared lambda (``lambdas/*.js``) and every lambda of the module specs, checked in a sandbox started
    for the purpose (syntax errors and async code at their file and line).  Returns problems and ``.js`` files read.
    """
    from goatkit.lambdas.library import load_shared
    from goatkit.lambdas.programs import lambda_refs, resolve_lambdas
    from goatkit.lambdas.sandbox import SandboxPool

    directories = [platform.root / "lambdas", *platform.settings.extra_lambda_dirs]
    shared, problems = load_shared(directories)
    specs = [(doc, spec) for path in module_files for doc, spec in read_specs(path, ModuleSpec)[0]]
    with_lambdas = [(doc, spec) for doc, spec in specs if any(True for _ in lambda_refs(spec))]
    if not shared and not with_lambdas:
        return problems, 0
    pool = SandboxPool(size=1)
    try:
        for item in shared.values():
            result = pool.check(item.code)
            if result.problem is not None:
                problems.append(Problem(str(item.path), result.line or 1, "", result.problem.message))
        for doc, spec in with_lambdas:
            problems.extend(p for p in resolve_lambdas(spec, doc, shared, pool.check)[1] if not p.file.endswith(".js"))
    finally:
        pool.close()
    return problems, len(shared)


def check_database(platform: Platform, file_problems: Iterable[Problem] = ()) -> tuple[list[Problem], str]:
    """Resolve every module against the database like the registry; return its problems and a one-line note.

    Files that already have ``file_problems`` are left out (their YAML must be fixed first).  A database that cannot
    be reached gives no problems and a note saying so; one without any table is reported as not initialised.
    """
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from goatkit.engine.registry import ModuleRegistry
    from goatkit.lambdas.sandbox import CheckResult

    engine = platform.engine
    where = engine.url.render_as_string(hide_password=True)
    database = engine.url.database or ""
    if engine.url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not Path(database).exists():
        return [], f"Database {where} does not exist yet: modules not checked against it."
    engine_log = logging.getLogger("goatkit.engine")
    level = engine_log.level
    engine_log.setLevel(logging.CRITICAL)  # the registry logs each problem; here they are the command's output
    try:
        with engine.connect() as conn:
            empty = not inspect(conn).get_table_names()
        # Lambdas were checked by check_lambdas (without a database); here every lambda passes.
        snapshot = None if empty else ModuleRegistry.for_platform(platform, lambda _code: CheckResult(None)).load()
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return [], f"Database {where} not reachable ({reason}): modules not checked against it."
    finally:
        engine_log.setLevel(level)
    if snapshot is None:
        return [], f"Database {where} has no tables (not initialised): modules not checked against it."
    seen = set(file_problems)
    broken = {p.file for p in seen}
    problems = [p for p in snapshot.problems if p not in seen and p.file not in broken]
    return problems, f"{len(snapshot)} module(s) resolved against {where}."

"""``gotrs check``: validate every YAML file of an application and report file:line:key problems.

Which model validates which file is decided by the directory: ``modules/`` (and ``GOTRS_MODULES_PATH``) hold module
specs, ``routes/`` route groups, ``themes/`` themes.  Cross-file rules (a module name used twice) are checked too.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

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
    return problems, checked

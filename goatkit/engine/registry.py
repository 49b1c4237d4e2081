"""The module registry: every module spec of the module directories, resolved, served from one immutable snapshot.

:meth:`ModuleRegistry.load` reads every ``*.yaml``/``*.yml`` file of the directories (the application's ``modules/``
first, then those of ``GOTRS_MODULES_PATH``), validates each document as a :class:`ModuleSpec`, reflects the tables
they name in one batch and resolves each spec against them (``resolve.py``).  The result is a complete
:class:`Snapshot`, installed with one assignment: a request takes ``registry.snapshot()`` once and uses it, so it never
sees a half-loaded registry, whatever a reload does meanwhile.

**Last good version.**  The registry remembers, per source file, the modules that file last defined successfully.
When a file has any problem (bad YAML, a key pydantic refuses, a missing table or column, a module name already
defined by an earlier file of the same directory), its problems are recorded and the modules it defined before keep
serving (listed in ``Snapshot.stale``); once the file is fixed its new version replaces them.  A deleted file takes
its modules with it.
A module's identity is ``module.name``, whatever the file is called: renaming a file keeps the module.

**Overrides.**  A module defined in a later directory replaces the module of the same name from an earlier one: a
site copies ``modules/queue.yaml`` into its ``GOTRS_MODULES_PATH`` directory, edits it, and the shipped file stays
untouched.  Within one directory a name may be defined once.

Example::

    registry = ModuleRegistry(engine, [root / "modules", *settings.extra_module_dirs])
    registry.load()
    registry.watch()                        # reload within a second of a change (watchdog)
    snapshot = registry.snapshot()          # take it once per request
    snapshot["priority"].table.name         # 'priorities'
    [str(p) for p in snapshot.problems]     # ['modules/x.yaml:4: module.table: table 'demos' does not exist']
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from goatkit.checks import yaml_files
from goatkit.engine.model import ResolvedModule
from goatkit.engine.resolve import reflect_tables, resolve_module, tables_named
from goatkit.filewatch import YAML_SUFFIXES, YamlWatcher
from goatkit.lambdas.library import SharedLambda, load_shared
from goatkit.lambdas.programs import Checker, lambda_refs, resolve_lambdas
from goatkit.specs.base import read_specs
from goatkit.specs.module import ModuleSpec
from goatkit.yamlfile import Document, Problem

if TYPE_CHECKING:
    from goatkit.platform import Platform

log = logging.getLogger("goatkit.engine")


class Snapshot(Mapping[str, ResolvedModule]):
    """An immutable view of the registry at one moment: module name → module, and the problems of that load.

    ``stale`` names the modules served from their last good version because their file now has problems.
    """

    __slots__ = ("_modules", "problems", "stale")

    def __init__(
        self,
        modules: Mapping[str, ResolvedModule] | None = None,
        problems: tuple[Problem, ...] = (),
        stale: frozenset[str] = frozenset(),
    ) -> None:
        self._modules: Mapping[str, ResolvedModule] = MappingProxyType(dict(modules or {}))
        self.problems = problems
        self.stale = stale

    def __getitem__(self, name: str) -> ResolvedModule:
        return self._modules[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __repr__(self) -> str:
        return f"Snapshot({sorted(self._modules)}, {len(self.problems)} problem(s))"


@dataclass
class _FileResult:
    """What one file yielded in one load: its specs (with their documents), its modules, its problems."""

    path: Path
    specs: list[tuple[Document, ModuleSpec]] = field(default_factory=list)
    modules: list[ResolvedModule] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class LambdaSupport:
    """What the registry needs to load the lambdas of specs: the shared-lambda directories and the sandbox check."""

    directories: list[Path]
    check: Checker


class ModuleRegistry:
    """Loads module specs from ``directories`` against ``engine`` and serves them as atomic snapshots.

    With ``lambdas`` the specs' lambdas are resolved and checked too; without it a spec that has lambdas is refused.
    """

    def __init__(self, engine: Engine, directories: list[Path], lambdas: LambdaSupport | None = None) -> None:
        self.engine = engine
        self.lambdas = lambdas
        self.directories = list(dict.fromkeys(directories))
        self._snapshot = Snapshot()
        self._last_good: dict[Path, tuple[ResolvedModule, ...]] = {}
        self._lock = threading.Lock()  # one load at a time; readers never take it
        self._watcher: YamlWatcher | None = None
        self._shared_problems: tuple[Problem, ...] = ()

    @classmethod
    def for_platform(cls, platform: Platform, check: Checker | None = None) -> ModuleRegistry:
        """The registry of an application: ``<root>/modules``, then the ``GOTRS_MODULES_PATH`` directories; shared
        lambdas from ``<root>/lambdas``, then ``GOTRS_LAMBDAS_PATH`` (when ``check`` can check lambdas)."""
        settings = platform.settings
        builtin = [platform.root / "modules"] if settings.modules_builtin else []
        lambdas = None
        if check is not None:
            lambdas = LambdaSupport([platform.root / "lambdas", *settings.extra_lambda_dirs], check)
        return cls(platform.engine, [*builtin, *settings.extra_module_dirs], lambdas)

    def snapshot(self) -> Snapshot:
        """The current snapshot; take it once per request and use only it."""
        return self._snapshot

    def get(self, name: str) -> ResolvedModule | None:
        return self._snapshot.get(name)

    @property
    def problems(self) -> list[Problem]:
        """The problems of the last load (file, line, key, message), for the admin banner and the log."""
        return list(self._snapshot.problems)

    def load(self) -> Snapshot:
        """Read, validate and resolve every file, then install the new snapshot with one assignment.

        Problems in files never raise: they are recorded and logged.  A database that cannot be reached raises, and
        the current snapshot stays.
        """
        with self._lock:
            files = list(dict.fromkeys(f for d in self.directories for f in yaml_files(d)))
            results = [result for result in map(_read, files) if result is not None]
            self._resolve(results)
            snapshot = self._assemble(results)
            self._log_changes(self._snapshot, snapshot)
            self._snapshot = snapshot
            return snapshot

    def watch(self, debounce: float = 0.2) -> None:
        """Reload whenever a YAML file of the directories is added, changed, renamed or deleted."""
        if self._watcher is None:
            shared = self.lambdas.directories if self.lambdas is not None else []
            self._watcher = YamlWatcher(
                [*self.directories, *shared], self.load, what="module", log=log, debounce=debounce,
                suffixes=(*YAML_SUFFIXES, ".js"),
            )  # fmt: skip
            self._watcher.start()

    def stop(self) -> None:
        """Stop watching (tests, shutdown)."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def _resolve(self, results: list[_FileResult]) -> None:
        """Bind every spec to its tables (one batched reflection) and refuse names defined twice in one directory.

        A name defined in a later directory overrides the earlier directories' definition, which is skipped.
        """
        winner = {spec.module.name: result.path.parent for result in results for _doc, spec in result.specs}
        results_specs = [
            (result, [(doc, spec) for doc, spec in result.specs if winner[spec.module.name] == result.path.parent])
            for result in results
        ]
        needed = {name for _r, specs in results_specs for _doc, spec in specs for name in tables_named(spec)}
        with self.engine.connect() as conn:
            tables = reflect_tables(conn, needed)
        shared, shared_problems = load_shared(self.lambdas.directories) if self.lambdas is not None else ({}, [])
        self._shared_problems = tuple(shared_problems)  # a bad .js file refuses only the modules that use it
        claimed: dict[str, Path] = {}
        for result, specs in results_specs:
            for doc, spec in specs:
                name = spec.module.name
                if name in claimed:
                    message = f"module '{name}' is already defined in {claimed[name]}"
                    result.problems.append(
                        Problem(str(result.path), doc.line_of(("module", "name")), "module.name", message)
                    )
                    continue
                claimed[name] = result.path
                module, problems = resolve_module(spec, doc, tables)
                if module is not None and not problems:
                    module, problems = self._with_lambdas(module, doc, shared)
                result.problems.extend(problems)
                if module is not None:
                    result.modules.append(module)

    def _with_lambdas(
        self, module: ResolvedModule, doc: Document, shared: Mapping[str, SharedLambda]
    ) -> tuple[ResolvedModule | None, list[Problem]]:
        """``module`` with its lambdas resolved and checked, or ``None`` and their problems."""
        spec = module.spec
        refs = list(lambda_refs(spec))
        if not refs:
            return module, []
        where = str(doc.path)
        if self.lambdas is None:
            key = refs[0][2]
            message = "this application runs no lambdas; remove the lambda or enable the lambda runtime"
            return None, [Problem(where, doc.line_of(key), ".".join(map(str, key)), message)]
        problems = [
            Problem(where, doc.line_of(("computed_fields", i, "name")), f"computed_fields.{i}.name",
                    f"'{c.name}' is already a field of this module; give the computed field another name")
            for i, c in enumerate(spec.computed_fields) if c.name in module.by_name
        ]  # fmt: skip
        lambdas, lambda_problems = resolve_lambdas(spec, doc, shared, self.lambdas.check)
        problems += lambda_problems
        if problems:
            return None, problems
        return replace(module, lambdas=lambdas), []

    def _assemble(self, results: list[_FileResult]) -> Snapshot:
        """Fresh modules of clean files first, then the last good modules of files with problems."""
        modules: dict[str, ResolvedModule] = {}
        last_good: dict[Path, tuple[ResolvedModule, ...]] = {}
        for result in results:
            if not result.problems:
                last_good[result.path] = tuple(result.modules)
                modules.update((m.name, m) for m in result.modules)
        stale = set()
        for result in results:
            if result.problems and result.path in self._last_good:
                last_good[result.path] = self._last_good[result.path]
                for module in last_good[result.path]:
                    if module.name in modules:
                        log.warning("module '%s' of %s: another file now defines it", module.name, result.path)
                        continue
                    modules[module.name] = module
                    stale.add(module.name)
        self._last_good = last_good
        problems = (*self._shared_problems, *(p for r in results for p in r.problems))
        return Snapshot(modules, problems, frozenset(stale))

    @staticmethod
    def _log_changes(old: Snapshot, new: Snapshot) -> None:
        seen = set(old.problems)
        for problem in new.problems:
            if problem not in seen:
                log.error("module problem: %s", problem)
        for name in sorted(new.stale - old.stale):
            log.warning("module '%s' keeps serving its last good version from %s", name, new[name].source)
        log.info("modules loaded: %d module(s), %d problem(s)", len(new), len(new.problems))


def _read(path: Path) -> _FileResult | None:
    """Parse and validate the documents of ``path``; ``None`` when the file vanished meanwhile."""
    result = _FileResult(path)
    try:
        result.specs, result.problems = read_specs(path, ModuleSpec)
    except FileNotFoundError:
        return None
    return result

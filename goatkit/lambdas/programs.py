"""The lambdas of one module spec, found, resolved and checked when the module loads.

A spec holds lambdas in five places, each a *role*:

=============  ======================================  ==================================================
role           where                                   the lambda returns
=============  ======================================  ==================================================
``computed``   ``computed_fields[i].lambda``           the cell's value (text, number, ``{text, color}``...)
``validator``  ``fields[i].validator``                 ``true``, or an error message for that field
``default``    ``fields[i].default: {lambda: ...}``    the default of a new record's field
``rule``       ``validation.custom_rules[i]``          ``true``, or an error message (for ``field``)
``row_style``  ``ui.row_style``                        a tone (``"red"``) or ``{tone, title}``
=============  ======================================  ==================================================

Each is a function body (inline, or a shared ``lambdas/<name>.js`` with ``args``).  Every distinct code is checked
once by the sandbox (syntax, and no async code); a problem is reported at the file and line of the code itself, so
``modules/x.yaml:14: computed_fields.0.lambda: line 2: 'await' is not allowed ...`` points at the offending line.

Example::

    lambdas, problems = resolve_lambdas(spec, doc, shared, check)
    lambdas.computed[0].name        # 'age'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from goatkit.lambdas.library import SharedLambda
from goatkit.lambdas.sandbox import CheckResult
from goatkit.specs.module import ComputedField, CustomRule, LambdaUse, ModuleSpec
from goatkit.yamlfile import Document, KeyPath, Problem

_RELATIVE_LINE = re.compile(r"^line \d+: ")
_AT_LINE = re.compile(r" at line \d+, column")
Role = Literal["computed", "validator", "default", "rule", "row_style"]
Checker = Callable[[str], CheckResult]


@dataclass(frozen=True)
class Program:
    """One lambda of a module, ready to run: its code, arguments and where it was written."""

    role: Role
    name: str  # the computed field, the field validated or defaulted, "rule 1", "row_style"
    code: str
    args: Mapping[str, Any] = field(default_factory=dict)
    origin: str = ""  # "modules/queue.yaml:14" or "lambdas/age_badge.js"
    key: str = ""  # the spec key: "computed_fields.0.lambda"
    shared: str = ""  # the shared lambda's name, when it is one
    computed: ComputedField | None = None
    target: str = ""  # a rule's field
    path: KeyPath = ()  # where the code is written in the module file (inline lambdas; the playground saves there)


@dataclass(frozen=True)
class ModuleLambdas:
    """Every lambda of a module by role; empty for a module without any."""

    computed: tuple[Program, ...] = ()
    validators: Mapping[str, Program] = field(default_factory=lambda: MappingProxyType({}))
    defaults: Mapping[str, Program] = field(default_factory=lambda: MappingProxyType({}))
    rules: tuple[Program, ...] = ()
    row_style: Program | None = None
    timeout_ms: int | None = None
    memory_mb: int | None = None

    def __bool__(self) -> bool:
        return bool(self.computed or self.validators or self.defaults or self.rules or self.row_style)

    def all(self) -> tuple[Program, ...]:
        rest = (self.row_style,) if self.row_style is not None else ()
        return (*self.computed, *self.validators.values(), *self.defaults.values(), *self.rules, *rest)


def lambda_refs(spec: ModuleSpec) -> Iterator[tuple[Role, str, KeyPath, str | LambdaUse, Any]]:
    """``(role, name, key path, the lambda as written, extra)`` for every lambda of ``spec``."""
    for index, computed in enumerate(spec.computed_fields):
        yield "computed", computed.name, ("computed_fields", index, "lambda"), computed.lambda_, computed
    for index, spec_field in enumerate(spec.fields):
        if spec_field.validator is not None:
            yield "validator", spec_field.name, ("fields", index, "validator"), spec_field.validator, None
        default = spec_field.default
        if isinstance(default, dict) and "lambda" in default:
            yield "default", spec_field.name, ("fields", index, "default", "lambda"), _as_ref(default), None
    for index, rule in enumerate(spec.validation.custom_rules):
        written = rule.lambda_ if isinstance(rule, CustomRule) else rule
        path: KeyPath = ("validation", "custom_rules", index) + (("lambda",) if isinstance(rule, CustomRule) else ())
        yield "rule", f"rule {index + 1}", path, written, rule.field if isinstance(rule, CustomRule) else ""
    if spec.ui.row_style is not None:
        yield "row_style", "row_style", ("ui", "row_style"), spec.ui.row_style, None


def _as_ref(default: Mapping[str, Any]) -> str | LambdaUse:
    written = default["lambda"]
    return written if isinstance(written, str) else LambdaUse.model_validate(written)


def resolve_lambdas(
    spec: ModuleSpec, doc: Document, shared: Mapping[str, SharedLambda], check: Checker
) -> tuple[ModuleLambdas, list[Problem]]:
    """The module's programs, and a problem (file, line, key, message) for each unknown or faulty lambda."""
    problems: list[Problem] = []
    made: list[Program] = []
    for role, name, path, written, extra in lambda_refs(spec):
        key = ".".join(str(p) for p in path)
        try:
            program = _program(role, name, path, written, extra, doc=doc, shared=shared)
        except ValueError as unknown:
            problems.append(Problem(str(doc.path), doc.line_of(path), key, str(unknown)))
            continue
        result = check(program.code)
        if result.problem is not None:
            problems.append(_located(program, result, doc, path, key))
            continue
        made.append(program)
    config = spec.lambda_config
    lambdas = ModuleLambdas(
        computed=tuple(p for p in made if p.role == "computed"),
        validators=MappingProxyType({p.name: p for p in made if p.role == "validator"}),
        defaults=MappingProxyType({p.name: p for p in made if p.role == "default"}),
        rules=tuple(p for p in made if p.role == "rule"),
        row_style=next((p for p in made if p.role == "row_style"), None),
        timeout_ms=config.timeout_ms,
        memory_mb=config.memory_limit_mb,
    )
    return lambdas, problems


def _program(
    role: Role,
    name: str,
    path: KeyPath,
    written: str | LambdaUse,
    extra: Any,
    *,
    doc: Document,
    shared: Mapping[str, SharedLambda],
) -> Program:
    key = ".".join(str(p) for p in path)
    computed = extra if isinstance(extra, ComputedField) else None
    target = extra if isinstance(extra, str) else ""
    if isinstance(written, str) or written.code:
        code, args = (written, {}) if isinstance(written, str) else (written.code, dict(written.args))
        code_path = path if isinstance(written, str) else (*path, "code")
        origin = f"{doc.path}:{doc.text_line_of(code_path)}"
        return Program(role, name, code, args, origin, key, computed=computed, target=target, path=code_path)
    found = shared.get(written.use)
    if found is None:
        close = difflib.get_close_matches(written.use, list(shared), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"there is no shared lambda '{written.use}' (lambdas/*.js){hint}")
    origin = str(found.path)
    return Program(role, name, found.code, dict(written.args), origin, key, written.use, computed, target)


def _located(program: Program, result: CheckResult, doc: Document, path: KeyPath, key: str) -> Problem:
    """A check problem at the line of the code itself: in the shared file, or in the YAML block."""
    assert result.problem is not None
    # The location names the line itself, so the sandbox's "line N" (within the code) is left out.
    message = _RELATIVE_LINE.sub("", result.problem.message)
    message = _AT_LINE.sub(" at column", message)
    if program.shared:
        return Problem(program.origin, result.line or 1, "", f"lambda '{program.shared}': {message}")
    base = int(program.origin.rsplit(":", 1)[1])
    line = base + (result.line - 1 if result.line else 0)
    return Problem(str(doc.path), line, key, message)

"""Lambdas in the module engine: computed columns, row styles, lambda defaults, validators and custom rules.

Every function here sends *all* the calls it needs to the lambda runtime at once: a list page of 50 rows with three
computed fields is one evaluation (one sandbox round trip, plus one batch of queries per ``db.query`` round), never
one call per cell.  A failing lambda never breaks the page: its cell shows a marker (``lambdas/render.py``) and the
failure is logged with module, field, row and cause.  Validators fail closed: a validator that cannot run refuses
the write with that reason, so a broken rule is seen, not skipped.

The lambda sees ``item``: the row as plain JSON (dates as ISO text, lookups with their ``<field>_display``, no
passwords or binary values; a computed field that declares ``reads`` sees just those fields), ``args`` (a shared
lambda's arguments) and, in validators, ``value``.

Example::

    add_computed(conn, module, page.rows)       # row["age"] is now an Outcome; cells and JSON render it
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from goatkit.engine.lookups import add_lookup_displays
from goatkit.engine.model import ResolvedModule
from goatkit.engine.query import pk_field
from goatkit.lambdas.extension import runtime
from goatkit.lambdas.programs import Program
from goatkit.lambdas.render import TONES
from goatkit.lambdas.sandbox import Call, Failure, Outcome

log = logging.getLogger("goatkit.lambdas")
#: The row key holding a row's style outcome (``ui.row_style``).
ROW_STYLE = "__row_style"
_LOGGED_PER_EVALUATION = 5


def item_of(module: ResolvedModule, row: Mapping[str, Any], program: Program | None = None) -> dict[str, Any]:
    """``row`` as the JSON a lambda reads as ``item`` (``program``'s: only the fields it ``reads``, if it says)."""
    return _items(module, [row], reads_of(program) if program is not None else None)[0]


def reads_of(program: Program) -> frozenset[str] | None:
    """The fields a computed field declared it reads (``reads``); ``None``: the whole row."""
    computed = program.computed
    return frozenset(computed.reads) if computed is not None and computed.reads else None


def _items(
    module: ResolvedModule, rows: Sequence[Mapping[str, Any]], only: frozenset[str] | None = None
) -> list[dict[str, Any]]:
    """The rows as lambda items; ``only``: just these fields (and their ``_display``)."""
    hidden = {f.name for f in module.fields if f.spec.type == "password"}
    out = []
    for row in rows:
        item = {}
        for name, value in row.items():
            if name in hidden or (only is not None and name not in only and name.removesuffix("_display") not in only):
                continue
            if type(value) in _AS_IS:  # most values need no conversion (the exact type: not a str enum, say)
                item[name] = value
            elif (plain := _plain(value)) is not _SKIP:
                item[name] = plain
        out.append(item)
    return out


_SKIP: Any = object()
_AS_IS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if isinstance(value, Outcome | bytes | bytearray | memoryview):
        return _SKIP
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def evaluate(module: ResolvedModule, calls: Sequence[Call]) -> list[Outcome]:
    """Run ``calls`` with the module's ``lambda_config``; every call fails when the app has no lambda runtime."""
    found = runtime()
    if found is None:
        return [Outcome(failure=Failure("error", "Lambdas are not enabled in this application.")) for _ in calls]
    lambdas = module.lambdas
    return found.evaluate(calls, timeout_ms=lambdas.timeout_ms, memory_mb=lambdas.memory_mb)


def add_computed(conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]], *, detail: bool = False) -> None:
    """Put each computed field's :class:`Outcome` (and the row style's) into ``rows``, in one evaluation.

    ``detail`` computes the fields shown on the detail page, else those of the list; JSON answers compute all.
    Rows that already hold them are left alone, so a view may call this more than once.
    """
    lambdas = module.lambdas
    if not rows or not lambdas:
        return
    done = rows[0]
    programs = [
        p for p in lambdas.computed
        if p.computed is not None and (p.computed.show_in_detail or not detail) and p.name not in done
    ]  # fmt: skip
    style = lambdas.row_style if not detail and ROW_STYLE not in done else None
    if not (programs or style):
        return
    runs = [*programs, *([style] if style is not None else [])]
    reads = [reads_of(p) for p in runs]  # the lookups' displays are read only if a lambda may read them
    wanted: set[str] = set().union(*(names for names in reads if names is not None))
    add_lookup_displays(conn, module, rows, None if None in reads else wanted)
    whole = _items(module, rows) if None in reads else []
    plan = []
    for program, names in zip(runs, reads, strict=True):
        items = whole if names is None else _items(module, rows, names)
        plan += [(row, program, item) for row, item in zip(rows, items, strict=True)]
    outcomes = evaluate(module, [Call(p.code, item, dict(p.args)) for _row, p, item in plan])
    key = pk_field(module)
    failures = []
    for (row, program, _item), outcome in zip(plan, outcomes, strict=True):
        row[ROW_STYLE if program.role == "row_style" else program.name] = outcome
        if outcome.failure is not None:
            failures.append((program, row.get(key), outcome.failure))
    _log_failures(module, failures)


def row_tone(row: Mapping[str, Any]) -> tuple[str, str] | None:
    """The ``(tone, title)`` a row's style lambda chose, or ``None`` (no style, a failure, an unknown tone)."""
    outcome = row.get(ROW_STYLE)
    if not isinstance(outcome, Outcome) or outcome.failure is not None:
        return None
    value = outcome.value
    tone, title = (value.get("tone"), value.get("title", "")) if isinstance(value, dict) else (value, "")
    return (tone, str(title or "")) if isinstance(tone, str) and tone in TONES else None


def lambda_defaults(
    module: ResolvedModule, known: Mapping[str, Any], names: Sequence[str] | None = None
) -> dict[str, Any]:
    """The values of the module's lambda defaults (of ``names``, default all), computed from ``known`` values.

    A default that fails is left out (and logged): the field stays empty, and ``required`` says so if it must not.
    """
    programs = [p for name, p in module.lambdas.defaults.items() if names is None or name in names]
    if not programs:
        return {}
    item = item_of(module, known)
    outcomes = evaluate(module, [Call(p.code, item, dict(p.args)) for p in programs])
    _log_failures(module, [(p, None, o.failure) for p, o in zip(programs, outcomes, strict=True) if o.failure])
    return {p.name: o.value for p, o in zip(programs, outcomes, strict=True) if o.failure is None}


def check_rules(
    module: ResolvedModule, values: Mapping[str, Any], old: Mapping[str, Any] | None = None
) -> dict[str, list[str]]:
    """Errors of the field validators (of the fields in ``values``) and the custom rules, in one evaluation.

    ``item`` is the record as it will be: ``old`` with ``values`` over it.
    """
    lambdas = module.lambdas
    validators = [p for name, p in lambdas.validators.items() if name in values]
    if not validators and not lambdas.rules:
        return {}
    item = item_of(module, {**(old or {}), **values})
    calls = [Call(p.code, item, dict(p.args), _plain(values[p.name])) for p in validators]
    calls += [Call(p.code, item, dict(p.args)) for p in lambdas.rules]
    programs = [*validators, *lambdas.rules]
    errors: dict[str, list[str]] = {}
    failures = []
    for program, outcome in zip(programs, evaluate(module, calls), strict=True):
        message = verdict(outcome)
        if outcome.failure is not None:
            failures.append((program, None, outcome.failure))
        if message:
            target = program.name if program.role == "validator" else (program.target or "_schema")
            errors.setdefault(target, []).append(message)
    _log_failures(module, failures)
    return errors


def verdict(outcome: Outcome) -> str:
    """A validator's answer as an error message ('' when the value passes)."""
    if outcome.failure is not None:
        return f"This value could not be checked: {outcome.failure.message}"
    value = outcome.value
    if value is True or value is None:
        return ""
    if value is False:
        return "Is not valid."
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        return str(value["message"])[:500]
    return str(value)[:500]


def _log_failures(module: ResolvedModule, failures: Sequence[tuple[Program, Any, Failure | None]]) -> None:
    for program, row_id, failure in failures[:_LOGGED_PER_EVALUATION]:
        if failure is not None:
            where = f" row {row_id}" if row_id is not None else ""
            log.warning(
                "lambda failed: module %s, %s %s%s: %s: %s",
                module.name, program.role, program.name, where, failure.kind, failure.message,
            )  # fmt: skip
    if len(failures) > _LOGGED_PER_EVALUATION:
        log.warning("lambda failed: module %s: %d more failures", module.name, len(failures) - _LOGGED_PER_EVALUATION)

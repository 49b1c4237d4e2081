"""Trying a lambda against real rows, read-only: what the playground page and ``gotrs lambda test`` show.

A trial checks the code (syntax, async), then runs it for a few rows of the module exactly as the engine would: the
same ``item``, the same record-and-replay ``db.query``, the module's limits.  Nothing is written, whatever the role:
a validator's verdict is shown, not enforced.

Example::

    trial = run_trial(conn, module, "computed_fields.0.lambda", code, ids=["1", "2"])
    [(row.key, row.text) for row in trial.rows]      # [(1, '1 VERY LOW'), (2, '2 LOW')]
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import Connection

from goatkit.engine.computed import evaluate, item_of, verdict
from goatkit.engine.lookups import add_lookup_displays
from goatkit.engine.model import ResolvedModule
from goatkit.engine.query import ListRequest, QueryError, convert, get_row, list_page, pk_field
from goatkit.lambdas.extension import runtime
from goatkit.lambdas.programs import Program
from goatkit.lambdas.render import TONES, cell_html, json_value
from goatkit.lambdas.sandbox import Call, Failure, Outcome

#: The rows a trial uses when none are named, and the most it accepts.
DEFAULT_ROWS, MAX_ROWS = 5, 20
#: What a trial of new code (not yet in the spec) runs as.
SCRATCH = Program("computed", "scratch", "", key="")


@dataclass(frozen=True)
class TrialRow:
    """One row's result: its key, the result as the screen shows it (``shown``) and as plain text and JSON."""

    key: Any
    outcome: Outcome
    shown: Markup
    text: str
    value: str  # the JSON the API would send


@dataclass
class Trial:
    """A trial's outcome: a check problem (then no rows ran), or one :class:`TrialRow` per row, with costs."""

    program: Program
    problem: Failure | None = None
    problem_line: int | None = None
    rows: list[TrialRow] = field(default_factory=list)
    total_ms: float = 0.0
    rounds: int = 0
    queries: int = 0


def programs_of(module: ResolvedModule) -> dict[str, Program]:
    """The module's lambdas by spec key (``computed_fields.0.lambda``), in spec order."""
    return {p.key: p for p in module.lambdas.all()}


def run_trial(
    conn: Connection, module: ResolvedModule, key: str, code: str, *, ids: Sequence[str] = (), args: Any = None
) -> Trial:
    """Check ``code`` and run it, as the lambda at spec ``key`` (or as a new computed field when ``key`` is empty),
    for the rows ``ids`` (default: the first rows of the list).  Raises :class:`QueryError` naming a bad id."""
    program = programs_of(module).get(key) if key else SCRATCH
    if program is None:
        raise QueryError(f"Module '{module.name}' has no lambda at '{key}'.")
    found = runtime()
    if found is None:
        return Trial(program, Failure("error", "Lambdas are not enabled in this application."))
    checked = found.check(code)
    if checked.problem is not None:
        return Trial(program, checked.problem, checked.line)
    rows = _rows(conn, module, ids)
    add_lookup_displays(conn, module, rows)
    given = dict(program.args) if args is None else args
    calls = [_call(module, program, code, row, given) for row in rows]
    before = (found.stats.rounds, found.stats.queries)
    started = time.perf_counter()
    outcomes = evaluate(module, calls)
    trial = Trial(program, total_ms=(time.perf_counter() - started) * 1000)
    trial.rounds, trial.queries = found.stats.rounds - before[0], found.stats.queries - before[1]
    key_name = pk_field(module)
    for row, outcome in zip(rows, outcomes, strict=True):
        trial.rows.append(_result(program, row.get(key_name), outcome))
    return trial


def _rows(conn: Connection, module: ResolvedModule, ids: Sequence[str]) -> list[dict[str, Any]]:
    if not ids:
        request = ListRequest.parse(module, {"page_size": str(DEFAULT_ROWS)})
        return list(list_page(conn, module, request, key=b"trial").rows)
    if len(ids) > MAX_ROWS:
        raise QueryError(f"Name at most {MAX_ROWS} rows to try the lambda on, not {len(ids)}.")
    rows = []
    for raw in ids:
        row = get_row(conn, module, convert(module.primary_key, raw.strip(), "a row id"))
        if row is None:
            raise QueryError(f"There is no row {raw.strip()} in module '{module.name}'.")
        rows.append(row)
    return rows


def _call(module: ResolvedModule, program: Program, code: str, row: dict[str, Any], args: Any) -> Call:
    item = item_of(module, row, program)
    value = item.get(program.name) if program.role == "validator" else None
    if program.role == "default":
        item = {}
    return Call(code, item, args if isinstance(args, dict) else {}, value)


def _result(program: Program, key: Any, outcome: Outcome) -> TrialRow:
    value = json.dumps(json_value(outcome, html=_html(program)), ensure_ascii=False, default=str)
    if outcome.failure is not None:
        return TrialRow(key, outcome, cell_html(outcome), f"{outcome.failure.kind}: {outcome.failure.message}", value)
    if program.role in ("validator", "rule"):
        said = verdict(outcome)
        shown = escape(said) if said else Markup('<span class="text-emerald-700 dark:text-emerald-400">passes</span>')
        return TrialRow(key, outcome, shown, said or "passes", value)
    if program.role == "row_style":
        tone = outcome.value.get("tone") if isinstance(outcome.value, dict) else outcome.value
        known = isinstance(tone, str) and tone in TONES
        shown = cell_html(Outcome(value={"text": tone, "tone": tone})) if known else escape(f"no tint ({tone!r})")
        return TrialRow(key, outcome, shown, str(tone), value)
    shown = cell_html(outcome, html=_html(program))
    return TrialRow(key, outcome, shown, _plain_text(outcome.value), value)


def _html(program: Program) -> bool | None:
    return program.computed.html if program.computed is not None else None


def _plain_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)

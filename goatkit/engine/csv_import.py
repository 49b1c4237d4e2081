"""CSV import of any module: check every row, then write all of them or none.

:func:`run` reads the file (:mod:`goatkit.engine.csv_read`), then

1. **checks** without writing: lookup columns hold display values or keys (one query per lookup column, in chunks
   of :data:`CHUNK` values, never per row); rows whose primary key exists become updates (one query), the others
   creates; each row is cleaned with :func:`forms.clean` (``source="form"``) and unique fields are checked against
   the table and against the other lines of the file (one query per unique field and chunk);
2. **commits**, when nothing is wrong and it is not a dry run: every row through :func:`service.create` or
   :func:`service.update` (so hooks and history apply) in one transaction; any failure rolls all of it back.

The report names each bad line as the user will find it in the file: ``Line 7: Name is required.``  Columns
absent from the file keep their stored values on update and their defaults on create (a checkbox missing from the
file is not "unchecked").

Example::

    report = run(engine, module, text, user_id=1, dry_run=True)
    report.ok, report.total, report.creates, report.errors      # False, 3, 3, ['Line 4: Name is required.']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Integer, String, cast, func, or_, select
from sqlalchemy.exc import IntegrityError

from goatkit.engine import history, service
from goatkit.engine.csv_read import CsvRow, CsvTable, read
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.forms import FormErrors, FormInvalid, clean, defaults_for, editable
from goatkit.engine.model import ResolvedField, ResolvedModule
from goatkit.engine.query import QueryError, convert

__all__ = ["Plan", "Report", "Step", "run"]

CHUNK = 500
PREVIEW_ROWS = 10
CONFLICT = "The database refused this row: a value is missing, already used, or still referenced elsewhere."
#: ``step(done, total, writing)``: progress, ``writing`` while the commit transaction is open.
Step = Callable[[int, int, bool], None]


@dataclass
class Report:
    """What an import found and did; :meth:`as_json` is the API's answer and the job's stored result."""

    dry_run: bool
    total: int = 0
    creates: int = 0
    updates: int = 0
    committed: bool = False
    errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)  # the first rows as read, the last cell their check

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


@dataclass
class Plan:
    """One checked row: create or update the record ``key`` with ``data`` (what :mod:`service` cleans)."""

    line: int
    action: str
    key: Any
    data: dict[str, Any]


def run(
    engine: Engine, module: ResolvedModule, text: str, *, user_id: int, dry_run: bool, step: Step | None = None
) -> Report:
    """Check ``text`` (a decoded CSV file) and, unless ``dry_run`` or a row is wrong, import it all."""
    table = read(module, text)
    report = Report(dry_run, total=len(table.rows), ignored_columns=table.ignored)
    report.errors += [f"Unknown column {name}." for name in table.unknown]
    passes = 1 if dry_run else 2
    progress: Step = step or (lambda done, total, writing: None)
    with engine.connect() as conn:
        plans = check(conn, module, table, report, lambda done: progress(done, passes * len(table.rows), False))
    if report.errors or dry_run:
        return report
    with engine.connect() as conn:
        transaction = conn.begin()
        offset = len(table.rows)
        errors = commit(conn, module, plans, user_id, lambda done: progress(offset + done, 2 * offset, True))
        if errors:
            transaction.rollback()
            report.errors += errors
        else:
            transaction.commit()
            report.committed = True
    return report


# ---------------------------------------------------------------------------------------------------------- checks


def check(
    conn: Connection, module: ResolvedModule, table: CsvTable, report: Report, step: Callable[[int], None]
) -> list[Plan]:
    """Plan every row and fill ``report`` (counts, preview, one message per problem); nothing is written."""
    mapped = [rf for rf in table.columns if rf is not None]
    report.columns = [label_text(rf.spec.label, rf.name) for rf in mapped]
    shown = [[str(row.values.get(rf.name, "")) for rf in mapped] for row in table.rows[:PREVIEW_ROWS]]
    _resolve_lookups(conn, module, table, mapped)
    existing = _existing(conn, module, table)
    plans: list[Plan] = []
    for done, row in enumerate(table.rows, start=1):
        plan = _plan(module, table, existing, row)
        if plan is not None:
            plans.append(plan)
        if done % 100 == 0:
            step(done)
    _check_unique(conn, module, table, plans)
    for row in table.rows:
        report.errors += [f"Line {row.line}: {problem}" for problem in row.problems]
    report.creates = sum(plan.action == "create" for plan in plans)
    report.updates = len(plans) - report.creates
    report.preview = [[*cells, " ".join(row.problems) or "OK"] for cells, row in zip(shown, table.rows, strict=False)]
    step(len(table.rows))
    return plans


def _label(module: ResolvedModule, name: str) -> str:
    rf = module.by_name.get(name)
    return label_text(rf.spec.label, name) if rf is not None else name


def messages(module: ResolvedModule, errors: FormErrors) -> list[str]:
    """Field errors as sentences naming the field: ``Name is required.``, ``Color: Must be a colour.``"""
    out = []
    for name, problems in errors.items():
        label = _label(module, name)
        out += [p if name == "_schema" or p.startswith(label) else f"{label}: {p}" for p in problems]
    return out


def _resolve_lookups(
    conn: Connection, module: ResolvedModule, table: CsvTable, mapped: Sequence[ResolvedField]
) -> None:
    """Replace each lookup cell by its key (display value, any case, or the key itself); one query per chunk."""
    for rf in mapped:
        if rf.lookup is None or rf.name not in {f.name for f in editable(module)}:
            continue
        wanted = sorted(
            {str(row.values[rf.name]).strip() for row in table.rows if str(row.values.get(rf.name, "")).strip()}
        )
        found: dict[str, list[Any]] = {}
        for start in range(0, len(wanted), CHUNK):
            found |= _lookup_chunk(conn, rf, wanted[start : start + CHUNK])
        label = label_text(rf.spec.label, rf.name)
        for row in table.rows:
            text = str(row.values.get(rf.name, "")).strip()
            if not text:
                continue
            keys = found.get(text, [])
            if len(keys) == 1:
                row.values[rf.name] = keys[0]
            elif keys:
                row.problems.append(f"{label}: '{text}' matches several records; write the key instead.")
            else:
                row.problems.append(f"{label}: '{text}' is not one of the choices.")


def _lookup_chunk(conn: Connection, rf: ResolvedField, texts: list[str]) -> dict[str, list[Any]]:
    """For each text, the keys it names: by display value (ignoring case), else by key."""
    lookup = rf.lookup
    assert lookup is not None
    display = lookup.display if isinstance(lookup.display.type, String) else cast(lookup.display, String)
    keys = [k for k in (_as_key(lookup.key, t) for t in texts) if k is not None]
    where = or_(func.lower(display).in_([t.lower() for t in texts]), lookup.key.in_(keys))
    pairs = [(key, str(shown)) for key, shown in conn.execute(select(lookup.key, lookup.display).where(where))]
    by_display: dict[str, list[Any]] = {}
    for key, shown in pairs:
        by_display.setdefault(shown.lower(), []).append(key)
    by_key = {str(key): key for key, _ in pairs}
    return {t: by_display.get(t.lower()) or ([by_key[t]] if t in by_key else []) for t in texts}


def _as_key(column: Any, text: str) -> Any:
    if isinstance(column.type, Integer):
        return int(text) if text.lstrip("-").isdigit() and len(text) < 19 else None
    return text


def _existing(conn: Connection, module: ResolvedModule, table: CsvTable) -> dict[Any, dict[str, Any]]:
    """Stored rows named by the file's key column, with the values a form would otherwise reset (checkboxes)."""
    if table.key_field is None:
        return {}
    keys = []
    for row in table.rows:
        try:
            raw = str(row.values.get(table.key_field.name, "")).strip()
            keys += [convert(module.primary_key, raw, "the record id")] if raw else []
        except QueryError as error:
            row.problems.append(f"{_label(module, table.key_field.name)}: {error}")
    names = [rf.name for rf in _form_reset(module)]
    found: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(keys), CHUNK):
        found |= history.old_values(conn, module, keys[start : start + CHUNK], names)
    return found


def _form_reset(module: ResolvedModule) -> list[ResolvedField]:
    """Fields an HTML form clears when they are absent: checkboxes and multiselects."""
    return [rf for rf in editable(module) if rf.kind == "bool" or rf.spec.type == "multiselect"]


def _plan(module: ResolvedModule, table: CsvTable, existing: dict[Any, dict[str, Any]], row: CsvRow) -> Plan | None:
    if row.problems:
        return None
    data: dict[str, Any] = dict(row.values)
    key = None
    if table.key_field is not None and str(data.get(table.key_field.name, "")).strip():
        key = convert(module.primary_key, str(data[table.key_field.name]).strip(), "the record id")
    action = "update" if key in existing else "create"
    keep = existing[key] if action == "update" else defaults_for(module)
    if action == "create":  # an empty cell takes the field's default, as a missing column does
        data |= {name: value for name, value in keep.items() if str(data.get(name, "")).strip() == ""}
    for rf in editable(module):  # CSV cannot tell NULL from "": an empty cell is no value where the column allows
        if data.get(rf.name) == "" and rf.column is not None and rf.column.nullable and rf.kind == "str":
            data[rf.name] = None
    for rf in _form_reset(module):
        if rf.name not in data and rf.name in keep:
            data[rf.name] = keep[rf.name]
        if rf.spec.type == "multiselect" and isinstance(data.get(rf.name), str):
            data[rf.name] = [v.strip() for v in data[rf.name].split(",") if v.strip()]
    try:
        values = clean(module, data, "create" if action == "create" else "update", source="form")
    except FormInvalid as invalid:
        row.problems += messages(module, invalid.errors)
        return None
    row.values = {**row.values, **{name: values[name] for name in values if name in _unique_names(module)}}
    return Plan(row.line, action, key, data)


def _unique_names(module: ResolvedModule) -> list[str]:
    names = [rf.name for rf in module.fields if rf.spec.unique] + list(module.spec.validation.unique_fields)
    return [n for n in dict.fromkeys(names) if n in module.by_name and module.by_name[n].column is not None]


def _check_unique(conn: Connection, module: ResolvedModule, table: CsvTable, plans: list[Plan]) -> None:
    """Unique fields: against the stored rows (one query per field and chunk) and the file's other lines."""
    rows = {row.line: row for row in table.rows}
    singular = label_text(module.spec.module.singular, module.name)
    for name in _unique_names(module):
        column = module.by_name[name].column
        assert column is not None
        label = _label(module, name)
        values = [
            (plan, rows[plan.line].values.get(name))
            for plan in plans
            if rows[plan.line].values.get(name) not in (None, "")
        ]
        held: dict[Any, set[Any]] = {}
        distinct = sorted({v for _, v in values}, key=str)
        for start in range(0, len(distinct), CHUNK):
            stmt = select(column, module.primary_key).where(column.in_(distinct[start : start + CHUNK]))
            for value, key in conn.execute(stmt):
                held.setdefault(value, set()).add(key)
        first: dict[Any, int] = {}
        for plan, value in values:
            if held.get(value, set()) - {plan.key}:
                rows[plan.line].problems.append(f"{label}: Already used by another {singular}.")
            elif value in first:
                rows[plan.line].problems.append(f"{label}: '{value}' is also on line {first[value]}.")
            first.setdefault(value, plan.line)
    bad = {row.line for row in table.rows if row.problems}
    plans[:] = [plan for plan in plans if plan.line not in bad]


# ---------------------------------------------------------------------------------------------------------- commit


def commit(
    conn: Connection, module: ResolvedModule, plans: Iterable[Plan], user_id: int, step: Callable[[int], None]
) -> list[str]:
    """Write every plan through the service in the caller's transaction; the problems found (none: all written)."""
    errors: list[str] = []
    for done, plan in enumerate(plans, start=1):
        try:
            if plan.action == "create":
                service.create(conn, module, plan.data, source="form", user_id=user_id)
            else:
                service.update(conn, module, plan.key, plan.data, source="form", user_id=user_id)
        except FormInvalid as invalid:
            errors += [f"Line {plan.line}: {m}" for m in messages(module, invalid.errors)]
        except service.Refused as refused:
            errors.append(f"Line {plan.line}: {refused}")
        except service.NotFound:
            errors.append(f"Line {plan.line}: {_label(module, module.primary_key.name)} {plan.key} no longer exists.")
        except IntegrityError:  # the transaction is lost on PostgreSQL: stop here, the caller rolls back
            errors.append(f"Line {plan.line}: {CONFLICT}")
            break
        if done % 100 == 0:
            step(done)
    return errors

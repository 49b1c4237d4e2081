"""The job form of the admin screens: its choices, the posted values as a :class:`Job`, and errors per field.

Form fields are named by the model's paths (``conditions.title``, ``actions.priority_id``, ``conditions.created.
amount``), so a validation error lands beside its field without a mapping table.  Choices are read once per page
(one small query per lookup table); a posted id that is not among them is refused with a sentence, and so is a
lambda with a syntax error (checked in the sandbox), a pending state without a pending time, and a name taken by
another job.

Example::

    job, errors = parse(conn, request.form, old=stored_job, runtime=runtime())
    errors   # {"conditions.queue_ids": "Choose queues from the list.", "actions": "Choose at least one action."}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select
from werkzeug.datastructures import MultiDict

from goatkit.lambdas.runtime import LambdaRuntime
from modules.automation import fields, storage
from modules.automation.model import JOB_EVENTS, PENDING_UNITS, Conditions, Job, error_messages
from modules.db.schema import metadata
from modules.tickets.dynamic_fields import FieldDef

T = metadata.tables
TEXT_CONDITIONS = ("ticket_number", "title", "customer_id", "customer_user", "from_", "subject", "body")
LIST_CONDITIONS = {  # form field -> choices key
    "queue_ids": "queues",
    "state_ids": "states",
    "state_type_ids": "state_types",
    "priority_ids": "priorities",
    "type_ids": "types",
    "service_ids": "services",
    "sla_ids": "slas",
    "owner_ids": "agents",
    "responsible_ids": "agents",
    "lock_ids": "locks",
}
ID_ACTIONS = {
    "queue_id": "queues",
    "state_id": "states",
    "priority_id": "priorities",
    "owner_id": "agents",
    "responsible_id": "agents",
    "type_id": "types",
    "service_id": "services",
    "sla_id": "slas",
}
TEXT_ACTIONS = ("title", "customer_id", "customer_user", "note_subject", "note_body", "note_from")
TIMES = tuple(storage.TIME_KEYS)  # created, changed, pending until, escalation and its three goals


@dataclass(frozen=True)
class Choices:
    """(id, label) options per lookup, the pending state ids, and the dynamic fields the form offers."""

    options: dict[str, list[tuple[int, str]]]
    pending_states: frozenset[int]
    fields: tuple[FieldDef, ...] = ()

    def ids(self, kind: str) -> set[int]:
        return {value for value, _label in self.options[kind]}


def choices(conn: Connection) -> Choices:
    """Every option the form offers (valid rows only, by name)."""
    options: dict[str, list[tuple[int, str]]] = {}
    for kind, table in (
        ("queues", "queue"),
        ("states", "ticket_state"),
        ("priorities", "ticket_priority"),
        ("types", "ticket_type"),
        ("services", "service"),
        ("slas", "sla"),
        ("locks", "ticket_lock_type"),
    ):
        t = T[table]
        rows = conn.execute(select(t.c.id, t.c.name).where(t.c.valid_id == 1).order_by(t.c.name))
        options[kind] = [(int(r[0]), str(r[1])) for r in rows]
    types = T["ticket_state_type"]
    options["state_types"] = [
        (int(r[0]), str(r[1])) for r in conn.execute(select(types.c.id, types.c.name).order_by(types.c.name))
    ]
    users = T["users"]
    agents = conn.execute(
        select(users.c.id, users.c.login, users.c.first_name, users.c.last_name)
        .where(users.c.valid_id == 1)
        .order_by(users.c.login)
    )
    options["agents"] = [(int(r[0]), f"{r[2]} {r[3]} ({r[1]})".strip()) for r in agents]
    state, state_type = T["ticket_state"], T["ticket_state_type"]
    pending = conn.execute(
        select(state.c.id)
        .select_from(state.join(state_type, state_type.c.id == state.c.type_id))
        .where(state_type.c.name.like("pending%"))
    )
    options["events"] = [(0, name) for name in sorted(JOB_EVENTS)]
    return Choices(options, frozenset(int(i) for i in pending.scalars()), tuple(fields.offered(conn)))


def values(job: Job | None) -> dict[str, Any]:
    """The form's values for ``job`` (or a new job), keyed by field name."""
    data = job.model_dump() if job else _blank()
    flat: dict[str, Any] = {}
    for key in ("name", "valid", "run_as", "schedule_days", "schedule_hours", "schedule_minutes", "events"):
        flat[key] = data.get(key)
    for group in ("conditions", "actions"):
        for key, value in (data.get(group) or {}).items():
            if key == "dynamic_times":
                for name, when in value.items():
                    flat.update(_time_values(f"conditions.dynamic_times.{name}", when))
            elif key in TIMES:
                flat.update(_time_values(f"conditions.{key}", value or {}))
            elif isinstance(value, dict):
                for part, inner in value.items():
                    flat[f"{group}.{key}.{part}"] = inner
            else:
                flat[f"{group}.{key}"] = value
    return flat


def _time_values(key: str, when: dict[str, Any]) -> dict[str, Any]:
    """A time condition as its form fields (``conditions.created.amount``, ``conditions.dynamic_times.Due.since``)."""
    flat: dict[str, Any] = {f"{key}.{part}": value for part, value in (when.get("point") or {}).items()}
    for end in ("since", "until"):
        moment = when.get(end)
        flat[f"{key}.{end}"] = moment.isoformat(timespec="minutes") if moment is not None else None
    return flat


def _blank() -> dict[str, Any]:
    return {
        "name": "",
        "valid": True,
        "run_as": 1,
        "schedule_days": [],
        "schedule_hours": [],
        "schedule_minutes": [],
        "events": [],
        "conditions": Conditions().model_dump(),
        "actions": {"pending_unit": 60, "note_visible": False},
    }


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = str(form.get(name) or "").strip()
    return value or None


def conditions_data(form: MultiDict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {key: _text(form, f"conditions.{key}") for key in TEXT_CONDITIONS}
    data["lambda_code"] = str(form.get("conditions.lambda_code") or "").replace("\r\n", "\n") or None
    for key in LIST_CONDITIONS:
        data[key] = [v for v in form.getlist(f"conditions.{key}") if v.strip()]
    for key in TIMES:
        when = _time_of(form, f"conditions.{key}", ("Before", "minute"))
        if when:
            data[key] = when
    data["dynamic_fields"] = _field_values(form, "conditions")
    prefix = "conditions.dynamic_times."
    names = sorted({key.removeprefix(prefix).partition(".")[0] for key in form if key.startswith(prefix)})
    times = {name: _time_of(form, prefix + name, ("Last", "day")) for name in names}
    data["dynamic_times"] = {name: when for name, when in times.items() if when}
    return data


def _time_of(form: MultiDict[str, str], key: str, defaults: tuple[str, str]) -> dict[str, Any]:
    """``<key>.start/amount/unit/since/until`` as a time condition: a point when an amount is given, a slot when an
    end is (a date alone is the whole day: from its first second to its last); empty when neither is."""
    given = {part: _text(form, f"{key}.{part}") for part in ("start", "amount", "unit", "since", "until")}
    when: dict[str, Any] = {}
    if given["amount"] is not None:
        start, unit = given["start"] or defaults[0], given["unit"] or defaults[1]
        when["point"] = {"start": start, "amount": given["amount"], "unit": unit}
    if given["since"] is not None or given["until"] is not None:
        when["since"] = _whole_day(given["since"], "T00:00:00")
        when["until"] = _whole_day(given["until"], "T23:59:59")
    return when


def _whole_day(text: str | None, time_of_day: str) -> str | None:
    return text + time_of_day if text is not None and len(text) == len("2026-12-31") else text


def _field_values(form: MultiDict[str, str], group: str) -> dict[str, list[str]]:
    """``<group>.dynamic_fields.<Name>`` fields as {name: values} (the model drops blank ones)."""
    prefix = f"{group}.dynamic_fields."
    return {key.removeprefix(prefix): form.getlist(key) for key in form if key.startswith(prefix)}


def job_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """The posted form as the model's input (strings left for pydantic to check)."""
    actions: dict[str, Any] = {key: _text(form, f"actions.{key}") for key in (*ID_ACTIONS, *TEXT_ACTIONS)}
    actions["lock_id"] = _text(form, "actions.lock_id")
    actions["pending_amount"] = _text(form, "actions.pending_amount")
    actions["pending_unit"] = _text(form, "actions.pending_unit") or "60"
    actions["note_time_units"] = _text(form, "actions.note_time_units")
    actions["note_body"] = str(form.get("actions.note_body") or "").replace("\r\n", "\n").strip() or None
    actions["lambda_code"] = str(form.get("actions.lambda_code") or "").replace("\r\n", "\n") or None
    for flag in ("note_visible", "send_no_notification", "delete"):
        actions[flag] = form.get(f"actions.{flag}") == "1"
    actions["dynamic_fields"] = _field_values(form, "actions")
    return {
        "name": str(form.get("name") or ""),
        "valid": form.get("valid") == "1",
        "run_as": _text(form, "run_as") or "1",
        "schedule_days": form.getlist("schedule_days"),
        "schedule_hours": form.getlist("schedule_hours"),
        "schedule_minutes": form.getlist("schedule_minutes"),
        "events": form.getlist("events"),
        "conditions": conditions_data(form),
        "actions": actions,
    }


def parse(
    conn: Connection,
    form: MultiDict[str, str],
    *,
    old: Job | None,
    options: Choices,
    runtime: LambdaRuntime | None,
) -> tuple[Job | None, dict[str, str]]:
    """The posted job and the errors by field (empty when it may be saved)."""
    data = job_data(form)
    if old is not None:
        data["unknown"] = old.unknown
        data["last_run"] = old.last_run.model_dump()
    errors: dict[str, str] = {}
    job: Job | None = None
    try:
        job = Job.model_validate(data)
    except ValidationError as error:
        errors = error_messages(error)
    errors.update(check_choices(data, options))
    errors.update(check_lambdas(data, runtime))
    if job is not None:
        errors.update(fields.problems(conn, job))
        state = job.actions.state_id
        if state in options.pending_states and not job.actions.pending_amount:
            errors.setdefault("actions.pending_amount", "A pending state needs a pending time.")
    name = str(data["name"]).strip()
    if name and name != (old.name if old else None) and storage.exists(conn, name):
        errors.setdefault("name", f"A job named '{name}' already exists.")
    return (job if not errors else None), errors


def check_choices(data: Mapping[str, Any], options: Choices) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key, kind in LIST_CONDITIONS.items():
        chosen = data["conditions"].get(key) or []
        if any(not str(v).isdigit() or int(v) not in options.ids(kind) for v in chosen):
            errors[f"conditions.{key}"] = "Choose from the list."
    for key, kind in ID_ACTIONS.items():
        value = data["actions"].get(key)
        if value is not None and (not str(value).isdigit() or int(value) not in options.ids(kind)):
            errors[f"actions.{key}"] = "Choose from the list."
    unit = str(data["actions"].get("pending_unit") or "")
    if unit.isdigit() and int(unit) not in PENDING_UNITS:
        errors["actions.pending_unit"] = "Choose from the list."
    return errors


def check_lambdas(data: Mapping[str, Any], runtime: LambdaRuntime | None) -> dict[str, str]:
    """Syntax and async check of both lambdas in the sandbox."""
    errors: dict[str, str] = {}
    for group in ("conditions", "actions"):
        code = (data.get(group) or {}).get("lambda_code")
        if not code or not code.strip():
            continue
        if runtime is None:
            errors[f"{group}.lambda_code"] = "Lambdas cannot be checked right now (no sandbox)."
            continue
        checked = runtime.check(code)
        if checked.problem is not None:
            errors[f"{group}.lambda_code"] = checked.problem.message
    return errors

"""Jobs in OTRS's ``generic_agent_jobs`` table: one row per key and value, lists as several rows of one key.

The keys are OTRS's (``Kernel/System/GenericAgent.pm``): ``Valid``, ``ScheduleDays``/``ScheduleHours``/
``ScheduleMinutes``, ``EventValues``, ``QueueIDs``, ``StateIDs``, ``Title``, ``MIMEBase_Subject``, ``NewQueueID``,
``NewNoteBody``, ``NewPendingTime`` + ``NewPendingTimeType``, ``NewDelete``, ``ScheduleLastRun`` ..., with the
time conditions as OTRS's TimePoint keys (``TimeSearchType=TimePoint``, ``TicketCreateTimePoint``,
``...PointStart``, ``...PointFormat``) or TimeSlot keys (``TimeSearchType=TimeSlot``, ``TicketCreateTimeStartYear``
.. ``...StopDay``: whole days).  What OTRS has no key for is stored under ``Gotrs*`` keys OTRS ignores:
the lambdas (``GotrsConditionLambda``), the acting user and the last run's outcome.  Dynamic fields are OTRS's
``Search_DynamicField_<Name>`` (conditions) and ``DynamicField_<Name>`` (actions) keys, one row per value; a Date
or DateTime field's time condition is OTRS's ``Search_DynamicField_<Name>TimePoint`` (``=1``, with ``...Start``,
``...Value``, ``...Format``) or ``...TimeSlot`` (``=1``, with ``...StartYear`` .. ``...StopSecond``).  Field
types shape a few keys as OTRS's drivers read them: a Checkbox condition's "unchecked" is ``-1`` (OTRS reads ``0``
as "any"), a Checkbox action is ``DynamicField_<Name>Used=1`` beside its ``1`` or ``0``, and a Date or DateTime
action is ``DynamicField_<Name>Used=1`` with ``...Year``, ``...Month``, ``...Day``, ``...Hour``, ``...Minute``.

``job_value`` is ``VARCHAR(200)``: a longer value (a lambda, a long note) is cut into pieces stored as ``Key``,
``Key::2``, ``Key::3`` ... and joined when read (OTRS sees the first 200 characters).  Keys GOTRS does not know are
kept and written back unchanged.

Example::

    save(conn, job)                       # insert (or replace, with old_name) all the job's rows
    load(conn, "VIP outage")              # Job, or None
    to_rows(job, {"Due": "Date"})         # [("Valid", "1"), ..., ("DynamicField_DueUsed", "1"), ...]
    load_all(conn)                        # every job, one statement
    record_run(conn, "VIP outage", run, now, schedule=True)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, delete, distinct, insert, select

from modules.automation.model import FIELD_NAME, Job, LastRun, TimeCondition
from modules.db.schema import metadata
from modules.tickets import dynamic_fields as dynamic
from modules.tickets.changes import to_epoch

TABLE = metadata.tables["generic_agent_jobs"]
VALUE_SIZE = 200
MAX_FAILURES = 10
PIECE = re.compile(r"^(?P<key>.+)::(?P<n>[0-9]{1,4})$")

#: (OTRS key, model path, kind): kinds "ints" (a list), "int", "text", "bool".
KEYS: tuple[tuple[str, str, str], ...] = (
    ("ScheduleDays", "schedule_days", "ints"),
    ("ScheduleHours", "schedule_hours", "ints"),
    ("ScheduleMinutes", "schedule_minutes", "ints"),
    ("EventValues", "events", "texts"),
    ("GotrsUserID", "run_as", "int"),
    ("TicketNumber", "conditions.ticket_number", "text"),
    ("Title", "conditions.title", "text"),
    ("CustomerID", "conditions.customer_id", "text"),
    ("CustomerUserLogin", "conditions.customer_user", "text"),
    ("MIMEBase_From", "conditions.from_", "text"),
    ("MIMEBase_Subject", "conditions.subject", "text"),
    ("MIMEBase_Body", "conditions.body", "text"),
    ("QueueIDs", "conditions.queue_ids", "ints"),
    ("StateIDs", "conditions.state_ids", "ints"),
    ("StateTypeIDs", "conditions.state_type_ids", "ints"),
    ("PriorityIDs", "conditions.priority_ids", "ints"),
    ("TypeIDs", "conditions.type_ids", "ints"),
    ("ServiceIDs", "conditions.service_ids", "ints"),
    ("SLAIDs", "conditions.sla_ids", "ints"),
    ("OwnerIDs", "conditions.owner_ids", "ints"),
    ("ResponsibleIDs", "conditions.responsible_ids", "ints"),
    ("LockIDs", "conditions.lock_ids", "ints"),
    ("GotrsConditionLambda", "conditions.lambda_code", "text"),
    ("NewQueueID", "actions.queue_id", "int"),
    ("NewStateID", "actions.state_id", "int"),
    ("NewPendingTime", "actions.pending_amount", "int"),
    ("NewPendingTimeType", "actions.pending_unit", "int"),
    ("NewPriorityID", "actions.priority_id", "int"),
    ("NewOwnerID", "actions.owner_id", "int"),
    ("NewResponsibleID", "actions.responsible_id", "int"),
    ("NewLockID", "actions.lock_id", "int"),
    ("NewTypeID", "actions.type_id", "int"),
    ("NewServiceID", "actions.service_id", "int"),
    ("NewSLAID", "actions.sla_id", "int"),
    ("NewTitle", "actions.title", "text"),
    ("NewCustomerID", "actions.customer_id", "text"),
    ("NewCustomerUserLogin", "actions.customer_user", "text"),
    ("NewNoteSubject", "actions.note_subject", "text"),
    ("NewNoteBody", "actions.note_body", "text"),
    ("NewNoteFrom", "actions.note_from", "text"),
    ("NewNoteIsVisibleForCustomer", "actions.note_visible", "bool"),
    ("NewNoteTimeUnits", "actions.note_time_units", "float"),
    ("NewSendNoNotification", "actions.send_no_notification", "bool"),
    ("NewDelete", "actions.delete", "bool"),
    ("GotrsActionLambda", "actions.lambda_code", "text"),
)
#: The TimePoint conditions: model field -> (OTRS search-type key, OTRS key prefix).
TIME_KEYS = {
    "created": ("TimeSearchType", "TicketCreateTime"),
    "changed": ("ChangeTimeSearchType", "TicketChangeTime"),
    "escalation": ("EscalationTimeSearchType", "TicketEscalationTime"),
    "pending": ("TimePendingSearchType", "TicketPendingTime"),
    "escalation_response": ("EscalationResponseTimeSearchType", "TicketEscalationResponseTime"),
    "escalation_update": ("EscalationUpdateTimeSearchType", "TicketEscalationUpdateTime"),
    "escalation_solution": ("EscalationSolutionTimeSearchType", "TicketEscalationSolutionTime"),
}
#: Dynamic fields: model group -> OTRS key prefix (``Search_DynamicField_Category``: a condition value;
#: ``DynamicField_Category``: the value an action sets), one row per value.
FIELD_KEYS = {"conditions": "Search_DynamicField_", "actions": "DynamicField_"}
#: A date field's time condition: ``Search_DynamicField_<Name>TimePoint`` or ``...TimeSlot``, each ``1`` when used.
FIELD_TIME = re.compile(r"^Search_DynamicField_(?P<name>[A-Za-z0-9]+?)Time(?P<kind>Point|Slot)$")
SLOT_PARTS = ("Year", "Month", "Day", "Hour", "Minute", "Second")
POINT_PARTS = ("", "Start", "Value", "Format")
SLOT_KEYS = ("", *(end + part for end in ("Start", "Stop") for part in SLOT_PARTS))
DATE_PARTS = ("Year", "Month", "Day", "Hour", "Minute")
"""A Date or DateTime action's keys after ``DynamicField_<Name>`` (with ``Used``), as OTRS's date driver reads them."""
UNCHECKED = "-1"
"""A Checkbox condition's "unchecked" in OTRS (its search reads ``-1`` as the stored ``0``)."""
Types = Mapping[str, str]
"""Dynamic field name -> field type (``Checkbox``, ``Date`` ...): what shapes a field's keys."""
RUN_KEYS = ("ScheduleLastRun", "ScheduleLastRunUnixTime")
OUTCOME_KEYS = ("GotrsLastRun", "GotrsLastRunFailure")
DAY_PARTS = ("Year", "Month", "Day")
"""A ticket time's slot ends, as OTRS's admin screen stores them (``TicketCreateTimeStartYear`` ..): whole days."""
TIME_PARTS = ("Point", "PointStart", "PointFormat", *(end + part for end in ("Start", "Stop") for part in DAY_PARTS))
_KNOWN = {key for key, _path, _kind in KEYS} | {"Valid", *RUN_KEYS, *OUTCOME_KEYS}
for _type_key, _prefix in TIME_KEYS.values():
    _KNOWN |= {_type_key, *(f"{_prefix}{part}" for part in TIME_PARTS)}


# --- rows <-> model --------------------------------------------------------------------------------------------


def to_rows(job: Job, types: Types | None = None) -> list[tuple[str, str]]:
    """The job's (key, value) rows, without the run bookkeeping (``record_run`` writes that); ``types`` shape the
    keys of Checkbox and date fields as OTRS reads them."""
    data = job.model_dump()
    rows: list[tuple[str, str]] = [("Valid", "1" if job.valid else "0")]
    for key, path, kind in KEYS:
        value = _get(data, path)
        if kind in {"ints", "texts"}:
            rows.extend((key, str(item)) for item in value)
        elif kind == "bool":
            if value:
                rows.append((key, "1"))
        elif value is not None and not (path == "run_as" and value == 1):
            if path == "actions.pending_unit" and not job.actions.pending_amount:
                continue
            rows.extend(_pieces(key, _text(value)))
    types = types or {}
    for name, values in job.conditions.dynamic_fields.items():
        unchecked = types.get(name) == "Checkbox"
        rows += [(f"Search_DynamicField_{name}", UNCHECKED if unchecked and v == "0" else v) for v in values]
    for name, values in job.actions.dynamic_fields.items():
        rows.extend(_action_rows(name, values, types.get(name)))
    for name, field_time in job.conditions.dynamic_times.items():
        rows.extend(_time_rows(f"{FIELD_KEYS['conditions']}{name}", field_time))
    for name, (type_key, prefix) in TIME_KEYS.items():
        when: TimeCondition | None = getattr(job.conditions, name)
        if when is not None:
            rows += _ticket_time_rows(type_key, prefix, when)
    for key, values in sorted(job.unknown.items()):
        rows.extend((key, value) for value in values)
    return rows


def from_rows(name: str, rows: Iterable[tuple[str, str | None]], types: Types | None = None) -> Job:
    """The job stored in ``rows`` (raises ValidationError for a job GOTRS cannot read); ``types`` as for
    :func:`to_rows`."""
    values = _collect(rows)
    data: dict[str, Any] = {"name": name, "conditions": {}, "actions": {}, "unknown": {}}
    data["valid"] = (values.pop("Valid", ["1"]) or ["1"])[-1] not in ("0", "")
    for key, path, kind in KEYS:
        found = values.pop(key, None)
        if found:
            _put(data, path, _parse(found, kind))
    for field, (type_key, prefix) in TIME_KEYS.items():
        search_type = (values.pop(type_key, None) or [""])[-1]
        parts = {part: (values.pop(prefix + part, None) or [""])[-1] for part in TIME_PARTS}  # the unused ones too
        amount = parts["Point"]
        slot = _slot(parts) if search_type == "TimeSlot" else None
        if search_type == "TimePoint" and amount.isdigit() and int(amount) > 0:
            start, unit = parts["PointStart"] or "Before", parts["PointFormat"]
            data["conditions"][field] = {"point": {"amount": int(amount), "start": start, "unit": unit}}
        elif slot is not None:
            data["conditions"][field] = {"since": slot[0], "until": slot[1]}
        elif search_type not in ("", "None"):  # kept as it was; the job does not run on it
            data["unknown"][type_key] = [search_type]
            data["unknown"].update({prefix + part: [value] for part, value in parts.items() if value})
    times, unread = _field_times(values)
    if times:
        data["conditions"]["dynamic_times"] = times
    data["unknown"].update(unread)
    used = _used_actions(values, types or {})
    for group, prefix in FIELD_KEYS.items():
        fields = {key.removeprefix(prefix): values.pop(key) for key in list(values) if _field_key(key, prefix)}
        fields |= used if group == "actions" else {}
        if group == "conditions":
            checkboxes = {n for n, t in (types or {}).items() if t == "Checkbox"}
            fields = {n: ["0" if n in checkboxes and v == UNCHECKED else v for v in vs] for n, vs in fields.items()}
        if fields:
            data[group]["dynamic_fields"] = fields
    data["last_run"] = _last_run(values)
    data["unknown"].update({key: found for key, found in values.items() if key not in _KNOWN})
    return Job.model_validate(data)


def _action_rows(name: str, values: list[str], field_type: str | None) -> list[tuple[str, str]]:
    key = f"DynamicField_{name}"
    if field_type == "Checkbox":
        return [(f"{key}Used", "1"), (key, values[0])]
    if field_type in ("Date", "DateTime"):
        try:
            moment = datetime.fromisoformat(values[0])
        except ValueError:  # not a date: kept as written, and refused beside the field before it runs
            return [(key, values[0])]
        numbers = (moment.year, moment.month, moment.day, moment.hour, moment.minute)
        return [(f"{key}Used", "1")] + [(key + part, f"{n:02d}") for part, n in zip(DATE_PARTS, numbers, strict=True)]
    return [(key, value) for value in values]


def _used_actions(values: dict[str, list[str]], types: Types) -> dict[str, list[str]]:
    """Checkbox and date actions as OTRS stores them (``DynamicField_<Name>Used`` with the value or the date's
    parts) taken out of ``values``, as {name: [value]}; an unticked ``Used`` is no action."""
    found: dict[str, list[str]] = {}
    for key in [key for key in values if key.startswith("DynamicField_") and key.endswith("Used")]:
        name = key.removeprefix("DynamicField_").removesuffix("Used")
        if not FIELD_NAME.fullmatch(name) or (name not in types and name + "Used" in types):
            continue  # a field named ...Used set to a value
        base = f"DynamicField_{name}"
        used = (values.pop(key) or [""])[-1] not in ("", "0")
        parts = {part: (values.pop(base + part, None) or [""])[-1] for part in DATE_PARTS}
        value = (values.pop(base, None) or [""])[-1]
        if not used:
            continue
        if parts["Year"]:
            found[name] = [_date_value(parts, types.get(name))]
        else:
            found[name] = ["1" if value not in ("", "0") else "0"]  # OTRS: a checkbox unticked is no value
    return found


def _date_value(parts: dict[str, str], field_type: str | None) -> str:
    """``YYYY-MM-DD`` for a Date field, ``YYYY-MM-DD HH:MM:00`` for the others (the parts as written, padded; the
    field's check refuses a date that is not one)."""
    year, month, day, hour, minute = (parts[p].strip() or "0" for p in DATE_PARTS)
    date = f"{year:0>4}-{month:0>2}-{day:0>2}"
    return date if field_type == "Date" else f"{date} {hour:0>2}:{minute:0>2}:00"


def _ticket_time_rows(type_key: str, prefix: str, when: TimeCondition) -> list[tuple[str, str]]:
    if when.point is not None:
        point = when.point
        parts = (("Point", str(point.amount)), ("PointStart", point.start), ("PointFormat", point.unit))
        return [(type_key, "TimePoint"), *((prefix + part, value) for part, value in parts)]
    rows = [(type_key, "TimeSlot")]
    for end, moment in (("Start", when.since), ("Stop", when.until)):
        assert moment is not None  # TimeCondition: a slot has both ends
        numbers = (moment.year, moment.month, moment.day)
        rows += [(f"{prefix}{end}{part}", f"{n:02d}") for part, n in zip(DAY_PARTS, numbers, strict=True)]
    return rows


def _slot(parts: dict[str, str]) -> tuple[datetime, datetime] | None:
    """A slot's ends from its ``StartYear`` .. ``StopSecond`` parts (a ticket time's have days only, OTRS's date
    fields no seconds): a missing time of day is the start day's first second and the stop day's last, as OTRS
    searches them; None when a date part is missing or not a date, or the slot ends before it starts."""
    ends = []
    for end, day_end in (("Start", ("0", "0", "0")), ("Stop", ("23", "59", "59"))):
        times = [parts.get(end + part) or default for part, default in zip(SLOT_PARTS[3:], day_end, strict=True)]
        try:
            year, month, day, hour, minute, second = (int(v) for v in [*(parts[end + p] for p in DAY_PARTS), *times])
            ends.append(datetime(year, month, day, hour, minute, second))
        except (KeyError, ValueError):
            return None
    return (ends[0], ends[1]) if ends[0] <= ends[1] else None


def _time_rows(prefix: str, when: TimeCondition) -> list[tuple[str, str]]:
    if when.point is not None:
        point = when.point
        parts = (("", "1"), ("Start", point.start), ("Value", str(point.amount)), ("Format", point.unit))
        return [(f"{prefix}TimePoint{part}", value) for part, value in parts]
    rows = [(f"{prefix}TimeSlot", "1")]
    for end, moment in (("Start", when.since), ("Stop", when.until)):
        assert moment is not None  # TimeCondition: a slot has both ends
        numbers = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
        rows += [(f"{prefix}TimeSlot{end}{part}", f"{n:02d}") for part, n in zip(SLOT_PARTS, numbers, strict=True)]
    return rows


def _field_times(values: dict[str, list[str]]) -> tuple[dict[str, TimeCondition], dict[str, list[str]]]:
    """The date fields' time conditions taken out of ``values`` (by field name), and the rows of those that cannot
    be read (kept as unknown keys, so the job does not run with a condition it ignores and a save keeps them)."""
    times: dict[str, TimeCondition] = {}
    unread: dict[str, list[str]] = {}
    for key in [key for key in values if FIELD_TIME.match(key)]:
        match = FIELD_TIME.match(key)
        assert match is not None
        known = POINT_PARTS if match["kind"] == "Point" else SLOT_KEYS
        parts = {part: values.pop(key + part) for part in known if key + part in values}
        if (parts.get("") or [""])[-1] in ("", "0"):
            continue  # the field's box unticked: no condition, whatever its parts say
        last = {part: found[-1] for part, found in parts.items() if found}
        when = _point(last) if match["kind"] == "Point" else _slot_condition(last)
        if when is None:  # a part missing, not a number or not a date
            unread.update({key + part: found for part, found in parts.items()})
        else:
            times[match["name"]] = when
    return times, unread


def _slot_condition(parts: dict[str, str]) -> TimeCondition | None:
    slot = _slot(parts)
    return None if slot is None else TimeCondition(since=slot[0], until=slot[1])


def _point(parts: dict[str, str]) -> TimeCondition | None:
    try:
        point = {"start": parts["Start"], "amount": int(parts["Value"]), "unit": parts["Format"]}
        return TimeCondition.model_validate({"point": point})
    except (KeyError, ValueError):  # ValidationError is a ValueError
        return None


def _field_key(key: str, prefix: str) -> bool:
    return key.startswith(prefix) and FIELD_NAME.fullmatch(key.removeprefix(prefix)) is not None


def _collect(rows: Iterable[tuple[str, str | None]]) -> dict[str, list[str]]:
    plain: dict[str, list[str]] = {}
    pieces: dict[str, dict[int, str]] = {}
    for key, value in rows:
        match = PIECE.match(key)
        if match:
            pieces.setdefault(match["key"], {})[int(match["n"])] = value or ""
        else:
            plain.setdefault(key, []).append(value or "")
    for key, more in pieces.items():
        if plain.get(key):
            plain[key][-1] += "".join(more[n] for n in sorted(more))
    return plain


def _pieces(key: str, text: str) -> list[tuple[str, str]]:
    chunks = [text[i : i + VALUE_SIZE] for i in range(0, len(text), VALUE_SIZE)] or [""]
    return [(key, chunks[0])] + [(f"{key}::{n}", chunk) for n, chunk in enumerate(chunks[1:], start=2)]


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _parse(found: list[str], kind: str) -> Any:  # noqa: PLR0911 - one return per kind
    if kind == "ints":
        return [int(v) for v in found if v.strip().lstrip("-").isdigit()]
    if kind == "texts":
        return [v for v in found if v]
    last = found[-1]
    if kind == "bool":
        return last not in ("", "0")
    if kind == "int":
        return int(last) if last.strip().lstrip("-").isdigit() else None
    if kind == "float":
        try:
            return float(last.replace(",", ".")) or None
        except ValueError:
            return None
    return last


def _last_run(values: dict[str, list[str]]) -> dict[str, Any]:
    stamp = (values.get("ScheduleLastRun") or [""])[-1]
    summary = dict(part.split("=", 1) for part in (values.get("GotrsLastRun") or [""])[-1].split(";") if "=" in part)
    at = summary.get("at") or stamp
    return {
        "at": _moment(at),
        "scheduled_at": _moment(stamp),
        "trigger": summary.get("trigger", "schedule" if stamp else ""),
        "matched": int(summary.get("matched", "0") or 0),
        "changed": int(summary.get("changed", "0") or 0),
        "failed": int(summary.get("failed", "0") or 0),
        "stopped": summary.get("stopped") or None,
        "failures": values.get("GotrsLastRunFailure", []),
    }


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _get(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


# --- the table -------------------------------------------------------------------------------------------------


def names(conn: Connection) -> list[str]:
    """Every job name (OTRS's JobList), sorted."""
    return sorted(str(n) for n in conn.execute(select(distinct(TABLE.c.job_name))).scalars())


def raw(conn: Connection, name: str | None = None) -> dict[str, list[tuple[str, str | None]]]:
    """The rows of one job (or of all), by job name, in one statement."""
    query = select(TABLE.c.job_name, TABLE.c.job_key, TABLE.c.job_value)
    if name is not None:
        query = query.where(TABLE.c.job_name == name)
    found: dict[str, list[tuple[str, str | None]]] = {}
    for job_name, key, value in conn.execute(query):
        found.setdefault(job_name, []).append((key, value))
    return found


def field_types(conn: Connection) -> dict[str, str]:
    """Every ticket and article dynamic field's type by name (invalid ones too: a job may still name them)."""
    return {name: field.field_type for name, field in dynamic.definitions(conn, valid_only=False).items()}


def load(conn: Connection, name: str) -> Job | None:
    """The job named ``name``, or None."""
    rows = raw(conn, name).get(name)
    return from_rows(name, rows, field_types(conn)) if rows else None


def load_all(conn: Connection, on_error: Callable[[str, str], None] | None = None) -> list[Job]:
    """Every job GOTRS can read, by name; ``on_error(name, message)`` hears of the others."""
    jobs = []
    stored = raw(conn)
    types = field_types(conn) if stored else {}
    for name, rows in sorted(stored.items()):
        try:
            jobs.append(from_rows(name, rows, types))
        except ValidationError as error:
            if on_error is not None:
                on_error(name, f"The stored job cannot be read: {error.errors()[0]['msg']}")
    return jobs


def exists(conn: Connection, name: str) -> bool:
    return conn.execute(select(TABLE.c.job_name).where(TABLE.c.job_name == name).limit(1)).first() is not None


def save(conn: Connection, job: Job, *, old_name: str | None = None) -> None:
    """Write the job's rows (replacing those of ``old_name``, the name it had, when editing); the last run's
    bookkeeping stays with the job."""
    keep: list[tuple[str, str | None]] = []
    if old_name is not None:
        keep = [(k, v) for k, v in raw(conn, old_name).get(old_name, []) if k in RUN_KEYS or k in OUTCOME_KEYS]
        conn.execute(delete(TABLE).where(TABLE.c.job_name == old_name))
    types = field_types(conn) if job.conditions.dynamic_fields or job.actions.dynamic_fields else {}
    rows = [{"job_name": job.name, "job_key": k, "job_value": v} for k, v in [*to_rows(job, types), *keep]]
    conn.execute(insert(TABLE), rows)


def remove(conn: Connection, name: str) -> bool:
    """Delete the job (OTRS's JobDelete); False when there was none."""
    return bool(conn.execute(delete(TABLE).where(TABLE.c.job_name == name)).rowcount)


def record_run(conn: Connection, name: str, run: LastRun, *, schedule: bool) -> None:
    """Keep the outcome of a run under the job (``schedule``: also OTRS's ScheduleLastRun keys, which decide when
    the job is next due; event runs leave them alone)."""
    keys = [*OUTCOME_KEYS, *(RUN_KEYS if schedule else ())]
    conn.execute(delete(TABLE).where(TABLE.c.job_name == name, TABLE.c.job_key.in_(keys)))
    at = run.at or datetime.now()
    summary = f"at={at.isoformat(sep=' ')};trigger={run.trigger};matched={run.matched};changed={run.changed}"
    summary += f";failed={run.failed}" + (f";stopped={run.stopped}" if run.stopped else "")
    rows = [("GotrsLastRun", summary[:VALUE_SIZE])]
    rows += [("GotrsLastRunFailure", reason[:VALUE_SIZE]) for reason in run.failures[:MAX_FAILURES]]
    if schedule:
        rows += [("ScheduleLastRun", at.strftime("%Y-%m-%d %H:%M:%S")), ("ScheduleLastRunUnixTime", str(to_epoch(at)))]
    conn.execute(insert(TABLE), [{"job_name": name, "job_key": k, "job_value": v} for k, v in rows])

"""A GenericAgent job as a validated pydantic model: conditions, actions, schedule, events, lambdas.

The model is what the runner, the admin screens and the command line share; ``storage.py`` maps it to and from
OTRS's ``generic_agent_jobs`` key/value rows, so a job written by OTRS's AdminGenericAgent runs here and a job
saved here opens in OTRS.  Names follow OTRS's keys (``QueueIDs`` is ``conditions.queue_ids``, ``NewStateID`` is
``actions.state_id``); errors are one sentence each, keyed by the field path the admin form uses.

Example::

    job = Job(
        name="VIP outage",
        events=["TicketCreate"],
        conditions=Conditions(subject="outage", lambda_code="return item.customer_company === 'VIP Corp';"),
        actions=Actions(priority_id=5),
    )
    job.scheduled, job.conditions.empty     # (False, False)
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from modules.tickets.events import EVENT_NAMES

MAX_CODE = 16 * 1024
UNIT_MINUTES = {
    "minute": 1,
    "hour": 60,
    "day": 60 * 24,
    "week": 60 * 24 * 7,
    "month": 60 * 24 * 30,
    "year": 60 * 24 * 365,
}
#: OTRS's NewPendingTimeType choices: seconds per unit.
PENDING_UNITS = {60: "minutes", 3600: "hours", 86400: "days", 604800: "weeks", 2592000: "months", 31536000: "years"}
#: The events a job may listen to: OTRS's ticket events (and the GOTRS delete event).
JOB_EVENTS = frozenset(EVENT_NAMES) | {"TicketDelete"}


def _error(message: str) -> PydanticCustomError:
    return PydanticCustomError("job", message)


class TimePoint(BaseModel):
    """OTRS's TimePoint search: ``Before`` (more than N ago), ``Last`` (within the last N), ``Next`` (within the
    next N, for escalations and date fields), ``After`` (in more than N, for date fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Literal["Before", "Last", "Next", "After"] = "Before"
    amount: int = Field(ge=1, le=100_000)
    unit: Literal["minute", "hour", "day", "week", "month", "year"] = "minute"

    @property
    def minutes(self) -> int:
        return self.amount * UNIT_MINUTES[self.unit]

    def bounds(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        """(earliest, latest) moment a matching time may have; None is open."""
        span = timedelta(minutes=self.minutes)
        if self.start == "Before":
            return None, now - span
        if self.start == "Last":
            return now - span, now
        if self.start == "Next":
            return now, now + span
        return now + span, None


class TimeCondition(BaseModel):
    """A time a ticket's time (created, changed, pending until, escalations) or a Date or DateTime field's value must
    fall in, as OTRS searches them: a time point counted from the run (``point``: more than N ago, within the last or
    next N, and for fields in more than N; OTRS's ``TimePoint``) or a slot between two moments (``since`` ..
    ``until``, both included; OTRS's ``TimeSlot``, whole days for the ticket's times).  A bare time point (its
    ``amount``, ``start``, ``unit``) is read as ``{"point": ...}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    point: TimePoint | None = None
    since: datetime | None = None
    until: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_point(cls, data: Any) -> Any:
        if isinstance(data, TimePoint) or (isinstance(data, dict) and "amount" in data):
            return {"point": data}
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> TimeCondition:
        slot = self.since is not None or self.until is not None
        if self.point is not None and slot:
            raise _error("Give a time point or a time slot, not both.")
        if self.point is None and (self.since is None or self.until is None):
            raise _error("Give a time point, or both ends of a time slot.")
        if self.since is not None and self.until is not None and self.since > self.until:
            raise _error("The time slot ends before it starts.")
        return self

    def bounds(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        """(earliest, latest) value that matches at ``now``; None is open."""
        return self.point.bounds(now) if self.point is not None else (self.since, self.until)


class Conditions(BaseModel):
    """Which tickets a job acts on: every attribute given must match (lists: any of their values)."""

    model_config = ConfigDict(extra="forbid")

    ticket_number: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    customer_id: str | None = Field(default=None, max_length=150)
    customer_user: str | None = Field(default=None, max_length=200)
    from_: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=200)
    queue_ids: list[int] = Field(default_factory=list)
    state_ids: list[int] = Field(default_factory=list)
    state_type_ids: list[int] = Field(default_factory=list)
    priority_ids: list[int] = Field(default_factory=list)
    type_ids: list[int] = Field(default_factory=list)
    service_ids: list[int] = Field(default_factory=list)
    sla_ids: list[int] = Field(default_factory=list)
    owner_ids: list[int] = Field(default_factory=list)
    responsible_ids: list[int] = Field(default_factory=list)
    lock_ids: list[int] = Field(default_factory=list)
    created: TimeCondition | None = None
    changed: TimeCondition | None = None
    escalation: TimeCondition | None = None
    pending: TimeCondition | None = None
    """The pending time (``until_time``), as OTRS's ``TimePendingSearchType`` / ``TicketPendingTime...``."""
    escalation_response: TimeCondition | None = None
    escalation_update: TimeCondition | None = None
    escalation_solution: TimeCondition | None = None
    dynamic_fields: dict[str, list[str]] = Field(default_factory=dict)
    """Field name: values, any of which matches (OTRS's ``Search_DynamicField_<Name>``): text fields as the other
    texts do, ignoring case (``*`` is a wildcard), the others by their stored value (a key, 1 or 0)."""
    dynamic_times: dict[str, TimeCondition] = Field(default_factory=dict)
    """Date and DateTime field name: the time its value must fall in (OTRS's ``Search_DynamicField_<Name>TimePoint``
    and ``...TimeSlot`` keys)."""
    lambda_code: str | None = Field(default=None, max_length=MAX_CODE)

    @field_validator("dynamic_fields")
    @classmethod
    def _dynamic_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return _field_values(value)

    @field_validator(
        "created", "changed", "escalation", "pending", "escalation_response", "escalation_update", "escalation_solution"
    )
    @classmethod
    def _ticket_time(cls, value: TimeCondition | None) -> TimeCondition | None:
        """No ``After`` (OTRS's ticket times have none); a slot covers whole days, as OTRS stores its dates."""
        if value is None:
            return None
        if value.point is not None and value.point.start == "After":
            raise _error("Choose more than, within the last or within the next.")
        if value.since is not None and value.until is not None:
            since = datetime.combine(value.since.date(), time())
            until = datetime.combine(value.until.date(), time(23, 59, 59))
            return value.model_copy(update={"since": since, "until": until})
        return value

    @field_validator("dynamic_times")
    @classmethod
    def _dynamic_times(cls, value: dict[str, TimeCondition]) -> dict[str, TimeCondition]:
        for name in value:
            _field_name(name)
        return dict(sorted(value.items()))

    @field_validator(
        "ticket_number", "title", "customer_id", "customer_user", "from_", "subject", "body", "lambda_code"
    )
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @field_validator(
        "queue_ids",
        "state_ids",
        "state_type_ids",
        "priority_ids",
        "type_ids",
        "service_ids",
        "sla_ids",
        "owner_ids",
        "responsible_ids",
        "lock_ids",
    )
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        return sorted(set(value))  # a set of ids: OTRS's rows come back in any order

    @property
    def empty(self) -> bool:
        """No condition at all (OTRS refuses to run such a job on a schedule: it would touch every ticket)."""
        return not any(value not in (None, [], {}) for value in self.model_dump().values())


class Actions(BaseModel):
    """What a job does to each ticket, in OTRS's order: queue, note, state and pending time, customer, title,
    type, service, SLA, priority, owner, responsible, lock, dynamic fields, then delete."""

    model_config = ConfigDict(extra="forbid")

    queue_id: int | None = None
    state_id: int | None = None
    pending_amount: int | None = Field(default=None, ge=1, le=100_000)
    pending_unit: int = 60
    priority_id: int | None = None
    owner_id: int | None = None
    responsible_id: int | None = None
    lock_id: int | None = None
    type_id: int | None = None
    service_id: int | None = None
    sla_id: int | None = None
    title: str | None = Field(default=None, max_length=255)
    customer_id: str | None = Field(default=None, max_length=150)
    customer_user: str | None = Field(default=None, max_length=200)
    note_subject: str | None = Field(default=None, max_length=3800)
    note_body: str | None = Field(default=None, max_length=100_000)
    note_from: str | None = Field(default=None, max_length=200)
    note_visible: bool = False
    note_time_units: float | None = Field(default=None, gt=0, le=100_000)
    send_no_notification: bool = False
    delete: bool = False
    dynamic_fields: dict[str, list[str]] = Field(default_factory=dict)
    """Field name: its new value (a Multiselect's values), OTRS's ``DynamicField_<Name>``; checked against the
    field when the job is saved and set through the ticket service (history, events) when it runs."""
    lambda_code: str | None = Field(default=None, max_length=MAX_CODE)

    @field_validator("dynamic_fields")
    @classmethod
    def _dynamic_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return _field_values(value)

    @field_validator("title", "customer_id", "customer_user", "note_subject", "note_body", "note_from", "lambda_code")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @field_validator("pending_unit")
    @classmethod
    def _unit(cls, value: int) -> int:
        if value not in PENDING_UNITS:
            raise _error("Choose minutes, hours, days, weeks, months or years.")
        return value

    @field_validator("lock_id")
    @classmethod
    def _lock(cls, value: int | None) -> int | None:
        if value not in (None, 1, 2):
            raise _error("Choose lock or unlock.")
        return value

    @model_validator(mode="after")
    def _note(self) -> Actions:
        if (self.note_subject or self.note_time_units) and not self.note_body:
            raise PydanticCustomError("note_body", "A note needs a body.")
        return self

    @property
    def empty(self) -> bool:
        defaults = Actions().model_dump()
        return self.model_dump(exclude={"pending_unit", "note_visible", "send_no_notification"}) == {
            k: v for k, v in defaults.items() if k not in {"pending_unit", "note_visible", "send_no_notification"}
        }

    @property
    def pending_seconds(self) -> int | None:
        return self.pending_amount * self.pending_unit if self.pending_amount else None


class LastRun(BaseModel):
    """What the job's last run did (kept in GOTRS keys of the job): counts and the first failure reasons."""

    at: datetime | None = None
    scheduled_at: datetime | None = None  # OTRS's ScheduleLastRun: the last scheduled (or manual) run
    trigger: str = ""
    matched: int = 0
    changed: int = 0
    failed: int = 0
    failures: list[str] = Field(default_factory=list)
    stopped: str | None = None


class Job(BaseModel):
    """A GenericAgent job.  ``unknown`` keeps OTRS keys GOTRS does not interpret, so they survive a save."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    valid: bool = True
    run_as: int = Field(default=1, ge=1)
    schedule_days: list[int] = Field(default_factory=list)
    schedule_hours: list[int] = Field(default_factory=list)
    schedule_minutes: list[int] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    conditions: Conditions = Field(default_factory=Conditions)
    actions: Actions = Field(default_factory=Actions)
    last_run: LastRun = Field(default_factory=LastRun)
    unknown: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise _error("The name is empty.")
        return value

    @field_validator("schedule_days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        return _in_range(value, 0, 6, "day")

    @field_validator("schedule_hours")
    @classmethod
    def _hours(cls, value: list[int]) -> list[int]:
        return _in_range(value, 0, 23, "hour")

    @field_validator("schedule_minutes")
    @classmethod
    def _minutes(cls, value: list[int]) -> list[int]:
        return _in_range(value, 0, 59, "minute")

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - JOB_EVENTS)
        if unknown:
            raise _error(f"There is no ticket event '{unknown[0]}'.")
        return sorted(set(value))

    @model_validator(mode="after")
    def _complete(self) -> Job:
        grid = (self.schedule_days, self.schedule_hours, self.schedule_minutes)
        if any(grid) and not all(grid):
            raise PydanticCustomError("schedule", "A schedule needs days, hours and minutes (or none of them).")
        if self.scheduled and self.conditions.empty:
            raise PydanticCustomError(
                "conditions", "A scheduled job needs at least one condition, or it would change every ticket."
            )
        if self.actions.empty:
            raise PydanticCustomError("actions", "Choose at least one action.")
        return self

    @property
    def scheduled(self) -> bool:
        return bool(self.schedule_days and self.schedule_hours and self.schedule_minutes)

    @property
    def uses_lambdas(self) -> bool:
        return bool(self.conditions.lambda_code or self.actions.lambda_code)

    def unsupported(self) -> list[str]:
        """OTRS keys with values that would change what the job matches or does, which GOTRS cannot honour: such a
        job does not run (ignoring a condition would widen it)."""
        return sorted(key for key, values in self.unknown.items() if _meaningful(key, values))


FIELD_NAME = re.compile(r"[A-Za-z0-9]+")
"""A dynamic field's name (OTRS allows letters and digits only)."""
MAX_FIELD_VALUES = 100
FIELD_VALUE_SIZE = 200
"""A field value of a job is one ``generic_agent_jobs`` row (``job_value`` holds 200 characters)."""


def _field_values(value: dict[str, list[str]]) -> dict[str, list[str]]:
    """Dynamic field names checked, blank values dropped (a field without values is no condition or action)."""
    kept: dict[str, list[str]] = {}
    for name, values in value.items():
        _field_name(name)
        cleaned = [item.strip() for item in values if item.strip()]
        if len(cleaned) > MAX_FIELD_VALUES:
            raise _error(f"Give at most {MAX_FIELD_VALUES} values for {name}.")
        if any(len(item) > FIELD_VALUE_SIZE for item in cleaned):
            raise _error(f"Use at most {FIELD_VALUE_SIZE} characters per value of {name}.")
        if cleaned:
            kept[name] = list(dict.fromkeys(cleaned))
    return dict(sorted(kept.items()))


def _field_name(name: str) -> None:
    if not FIELD_NAME.fullmatch(name):
        raise _error(f"'{name[:50]}' is not a dynamic field name (letters and digits only).")


def _in_range(values: list[int], low: int, high: int, what: str) -> list[int]:
    for value in values:
        if not low <= value <= high:
            raise _error(f"{value} is not a {what} ({low} to {high}).")
    return sorted(set(values))


#: Keys OTRS writes that carry no condition or action (bookkeeping, display, or "none" choices).
_HARMLESS_PREFIXES = ("Gotrs", "ScheduleLastRun", "SearchInArchive")


def _meaningful(key: str, values: list[str]) -> bool:
    return not key.startswith(_HARMLESS_PREFIXES) and any(v not in ("", "0", "None") for v in values)


def error_messages(error: ValidationError) -> dict[str, str]:
    """One message per field path (``conditions.title``; ``""`` for the whole job), the first one each."""
    messages: dict[str, str] = {}
    for item in error.errors():
        parts = [str(part) for part in item.get("loc", ()) if not isinstance(part, int)]
        kind = str(item.get("type", ""))
        if kind in {"schedule", "conditions", "actions", "note_body"} and not item.get("loc"):
            parts = [kind]
        elif kind == "note_body":
            parts = [*parts, "note_body"]
        messages.setdefault(".".join(parts), _sentence(item))
    return messages


def _sentence(item: Any) -> str:
    kind, message = str(item.get("type", "")), str(item.get("msg", "Not valid."))
    if kind in {"int_parsing", "int_type"}:
        return "Give a whole number."
    if kind == "greater_than_equal":
        return f"Give at least {item.get('ctx', {}).get('ge')}."
    if kind == "less_than_equal":
        return f"Give at most {item.get('ctx', {}).get('le')}."
    if kind == "string_too_long":
        return f"Use at most {item.get('ctx', {}).get('max_length')} characters."
    if kind == "literal_error":
        return "Choose one of the offered values."
    return message if message.endswith(".") else message + "."

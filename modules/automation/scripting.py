"""Lambda conditions and lambda actions of a job, evaluated for a whole batch of tickets in one sandbox run.

A **lambda condition** is a function body that reads ``item`` (``items.py``) and returns ``true`` or ``false``;
it may read data with ``db.query`` (record-and-replay: the queries of the whole batch run together, read-only).
A **lambda action** returns a small object of changes, validated here (:class:`LambdaChanges`) and applied by
Python through the ticket service, never by the lambda; ``null`` or ``{}`` changes nothing::

    return /outage/i.test(item.subject) ? {priority: '5 very high', note: {body: 'Escalated: outage.'}} : null;

A lambda that throws, times out, runs out of memory or returns something else fails for that ticket only: the
ticket is skipped with the cause.  The sandbox does not run a lambda again in the same run once it timed out (so
one endless loop cannot cost a timeout per ticket); the tickets it skipped are tried again in a fresh run, up to
:data:`RETRIES` times, so one bad ticket does not sink the batch.

Example::

    verdicts = decide(runtime, code, items)       # {12: True, 15: False, 31: "Timed out after 50 ms."}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from goatkit.lambdas.runtime import LambdaRuntime
from goatkit.lambdas.sandbox import Call, Outcome

RETRIES = 2
NO_RUNTIME = "Lambdas need the application's sandbox; run the job through gotrs (web, maintain or automation run)."


class NoteChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=100_000)
    subject: str = Field(default="Note", max_length=3800)
    visible_for_customer: bool = False


class LambdaChanges(BaseModel):
    """What a lambda action may ask for: names or ids, as the ticket service takes them."""

    model_config = ConfigDict(extra="forbid")

    queue: int | str | None = None
    state: int | str | None = None
    pending_minutes: int | None = Field(default=None, ge=1, le=10_000_000)
    priority: int | str | None = None
    owner: int | str | None = None
    responsible: int | str | None = None
    lock: Literal["lock", "unlock"] | None = None
    type: int | str | None = None
    service: int | str | None = None
    sla: int | str | None = None
    title: str | None = Field(default=None, min_length=1, max_length=255)
    customer_id: str | None = Field(default=None, max_length=150)
    customer_user: str | None = Field(default=None, max_length=200)
    note: NoteChange | None = None
    dynamic_fields: dict[str, Any] | None = Field(default=None, max_length=100)
    """Ticket dynamic fields by name: the value to set (a Multiselect's list), checked by the field."""
    delete: bool = False


Verdict = bool | str  # True/False, or the reason the lambda failed for the ticket


def _run(runtime: LambdaRuntime, code: str, items: Mapping[int, Mapping[str, Any]]) -> dict[int, Outcome]:
    """Outcomes per ticket; calls the sandbox skipped are run again (:data:`RETRIES`)."""
    todo = list(items)
    outcomes: dict[int, Outcome] = {}
    for _attempt in range(RETRIES + 1):
        results = runtime.evaluate([Call(code, dict(items[i])) for i in todo])
        outcomes.update(zip(todo, results, strict=True))
        todo = [
            i for i, outcome in zip(todo, results, strict=True) if outcome.failure and outcome.failure.kind == "skipped"
        ]
        if not todo:
            break
    return outcomes


def _cause(outcome: Outcome) -> str:
    failure = outcome.failure
    message = failure.message if failure else "The lambda asked for data it never got."
    return f"The lambda failed: {message}" if not message.startswith("The lambda") else message


def decide(runtime: LambdaRuntime | None, code: str, items: Mapping[int, Mapping[str, Any]]) -> dict[int, Verdict]:
    """The lambda condition's verdict per ticket: True, False, or the failure's cause."""
    if not items:
        return {}
    if runtime is None:
        return dict.fromkeys(items, NO_RUNTIME)
    verdicts: dict[int, Verdict] = {}
    for ticket_id, outcome in _run(runtime, code, items).items():
        if not outcome.ok:
            verdicts[ticket_id] = _cause(outcome)
        elif isinstance(outcome.value, bool):
            verdicts[ticket_id] = outcome.value
        else:
            shown = repr(outcome.value)[:60]
            verdicts[ticket_id] = f"The lambda condition returned {shown}, not true or false."
    return verdicts


def changes(
    runtime: LambdaRuntime | None, code: str, items: Mapping[int, Mapping[str, Any]]
) -> dict[int, LambdaChanges | str]:
    """The lambda action's changes per ticket (empty changes for ``null``), or the failure's cause."""
    if not items:
        return {}
    if runtime is None:
        return dict.fromkeys(items, NO_RUNTIME)
    found: dict[int, LambdaChanges | str] = {}
    for ticket_id, outcome in _run(runtime, code, items).items():
        if not outcome.ok:
            found[ticket_id] = _cause(outcome)
        elif outcome.value is None or outcome.value is False:
            found[ticket_id] = LambdaChanges()
        elif not isinstance(outcome.value, dict):
            found[ticket_id] = f"The lambda action returned {repr(outcome.value)[:60]}, not an object of changes."
        else:
            found[ticket_id] = _validated(outcome.value)
    return found


def _validated(value: dict[str, Any]) -> LambdaChanges | str:
    try:
        return LambdaChanges.model_validate(value)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        if first.get("type") == "extra_forbidden":
            allowed = ", ".join(LambdaChanges.model_fields)
            return f"The lambda action returned an unknown change '{where}'; use {allowed}."
        return f"The lambda action's '{where}' is not valid: {first['msg']}."

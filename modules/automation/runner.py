"""Running a job: match tickets in batches, ask the lambdas, apply the actions ticket by ticket, keep the outcome.

``run_job(conn, job, now=...)`` works in the caller's transaction, as OTRS's JobRun: the conditions select
candidates in keyset batches (``matching.py``), a lambda condition filters each batch in one sandbox run
(``scripting.py``), a lambda action gives each ticket's extra changes, and ``actions.apply`` changes each ticket
inside its own savepoint, as the job's user (user 1 unless the job names another), with loop protection
(``loops.acting``).  A ticket that fails (the lambda threw or timed out, the service refused an action, the ticket
vanished) is rolled back to its savepoint and skipped with the cause, logged as ``job, ticket, cause``; the rest of
the run continues.  At most :data:`RUN_LIMIT` tickets match per run (OTRS's ``Ticket::GenericAgentRunLimit``).
The outcome (matched, changed, failed with reasons) is stored with the job (``storage.record_run``).

``dry_run=True`` changes nothing and records nothing: it counts the matches and lists the first ones (the admin
preview and ``gotrs automation run --dry-run``).

Example::

    result = run_job(conn, job, now=utc_now(), trigger="manual")
    result.matched, result.changed, [str(f) for f in result.failed]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import has_app_context
from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from goatkit.lambdas.runtime import LambdaRuntime
from modules.automation import actions, fields, loops, matching, scripting, storage
from modules.automation.items import items as read_items
from modules.automation.model import Job, LastRun
from modules.automation.scripting import LambdaChanges
from modules.db.schema import metadata
from modules.tickets.actor import Actor
from modules.tickets.errors import TicketError
from modules.tickets.service import TicketService

log = logging.getLogger("gotrs.automation")
T = metadata.tables
RUN_LIMIT = 4000
PREVIEW = 20
_DEFAULT: Any = object()


@dataclass(frozen=True)
class Failure:
    ticket_id: int
    tn: str
    cause: str

    def __str__(self) -> str:
        return f"Ticket {self.tn or self.ticket_id}: {self.cause}"


@dataclass
class RunResult:
    """What one run did; ``stopped`` says why a job did not run at all."""

    job: str
    trigger: str
    dry_run: bool = False
    matched: int = 0
    changed: list[int] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None
    limited: bool = False

    def last_run(self, at: datetime) -> LastRun:
        return LastRun(
            at=at,
            trigger=self.trigger,
            matched=self.matched,
            changed=len(self.changed),
            failed=len(self.failed),
            failures=[str(f) for f in self.failed],
            stopped=self.stopped,
        )


def default_runtime() -> LambdaRuntime | None:
    """The application's lambda runtime, when there is an application."""
    if not has_app_context():
        return None
    from goatkit.lambdas.extension import runtime

    return runtime()


def actor_for(conn: Connection, user_id: int) -> Actor:
    """The job's user: the system, or the named agent acting as the system does (unchecked, as OTRS's core)."""
    if user_id == 1:
        return Actor.system()
    agent = Actor.agent(conn, user_id)
    return Actor(agent.user_id, agent.login, None, agent.first_name, agent.last_name, agent.email)


def run_job(
    conn: Connection,
    job: Job,
    *,
    now: datetime,
    trigger: str = "manual",
    runtime: LambdaRuntime | None = _DEFAULT,
    only_ticket_id: int | None = None,
    dry_run: bool = False,
    limit: int = RUN_LIMIT,
    preview: int = PREVIEW,
    chain: loops.Chain = (),
) -> RunResult:
    """Run ``job`` now in the caller's transaction (see the module docstring)."""
    result = RunResult(job.name, trigger, dry_run)
    result.stopped = _refusal(job, only_ticket_id) or _field_refusal(conn, job)
    if result.stopped is None:
        rt = default_runtime() if runtime is _DEFAULT else runtime
        service = TicketService(conn, actor_for(conn, job.run_as), now=now)
        for ids in matching.batches(conn, job.conditions, now, only_ticket_id=only_ticket_id):
            kept, seen = _matching(conn, job, ids[: max(limit - result.matched, 0)], rt, result)
            result.matched += len(kept)
            if dry_run:
                result.preview += _preview(conn, kept[: max(preview - len(result.preview), 0)])
            else:
                _act(service, job, kept, seen, rt, result, chain)
            if result.matched >= limit:
                result.limited = True
                break
    else:
        log.warning("automation job %r did not run: %s", job.name, result.stopped)
    if not dry_run:
        storage.record_run(conn, job.name, result.last_run(now), schedule=trigger in ("schedule", "manual"))
    return result


def _refusal(job: Job, only_ticket_id: int | None) -> str | None:
    unsupported = job.unsupported()
    if unsupported:
        return f"The job uses OTRS settings GOTRS does not support: {', '.join(unsupported[:5])}."
    if job.conditions.empty and only_ticket_id is None:
        return "The job has no conditions; it runs on the ticket of its events only."
    return None


def _field_refusal(conn: Connection, job: Job) -> str | None:
    found = fields.problems(conn, job)
    if not found:
        return None
    where, message = next(iter(found.items()))
    return f"{message} ({where.replace('.dynamic_fields.', ': dynamic field ')})"


def _matching(
    conn: Connection, job: Job, ids: list[int], rt: LambdaRuntime | None, result: RunResult
) -> tuple[list[int], dict[int, dict[str, Any]]]:
    """The ids the lambda condition keeps (all without one), and the items it read (none without one)."""
    code = job.conditions.lambda_code
    if not code or not ids:
        return ids, {}
    found = read_items(conn, ids)
    verdicts = scripting.decide(rt, code, found)
    kept = []
    for ticket_id in ids:
        verdict = verdicts.get(ticket_id, False)
        if verdict is True:
            kept.append(ticket_id)
        elif isinstance(verdict, str):
            _fail(result, ticket_id, str(found.get(ticket_id, {}).get("tn", "")), verdict)
    return kept, found


def _act(  # noqa: PLR0917 - the run's state, passed along
    service: TicketService,
    job: Job,
    ids: list[int],
    seen: dict[int, dict[str, Any]],
    rt: LambdaRuntime | None,
    result: RunResult,
    chain: loops.Chain,
) -> None:
    """The actions on each ticket; ``seen``: the items the lambda condition read (read again only if missing)."""
    conn = service.conn
    extras: dict[int, LambdaChanges | str] = {}
    if job.actions.lambda_code:
        found = seen if all(ticket_id in seen for ticket_id in ids) else read_items(conn, ids)
        extras = scripting.changes(rt, job.actions.lambda_code, {i: found[i] for i in ids if i in found})
        numbers = {ticket_id: str(item["tn"]) for ticket_id, item in found.items()}
    else:  # the ticket numbers, for the failures
        numbers = {row["id"]: row["tn"] for row in _preview(conn, ids)}
    logins = _logins(conn, [e for e in extras.values() if isinstance(e, LambdaChanges)])
    for ticket_id in ids:
        tn = numbers.get(ticket_id, "")
        extra = extras.get(ticket_id)
        if isinstance(extra, str):
            _fail(result, ticket_id, tn, extra)
            continue
        try:
            with conn.begin_nested(), loops.acting(job.name, ticket_id, chain):
                if actions.apply(service, ticket_id, job.actions, extra, logins):
                    result.changed.append(ticket_id)
        except TicketError as refused:
            _fail(result, ticket_id, tn, str(refused))
        except SQLAlchemyError:
            log.exception("automation job %r: the database refused the change of ticket %s", job.name, ticket_id)
            _fail(result, ticket_id, tn, "The database refused the change; see the server log.")


def _logins(conn: Connection, extras: list[LambdaChanges]) -> dict[str, int]:
    wanted = {v for e in extras for v in (e.owner, e.responsible) if isinstance(v, str)}
    if not wanted:
        return {}
    users = T["users"]
    rows = conn.execute(select(users.c.login, users.c.id).where(users.c.login.in_(sorted(wanted))))
    return {str(login): int(user_id) for login, user_id in rows}


def _preview(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    ticket = T["ticket"]
    rows = conn.execute(select(ticket.c.id, ticket.c.tn, ticket.c.title).where(ticket.c.id.in_(ids)))
    return sorted(({"id": r[0], "tn": r[1], "title": r[2] or ""} for r in rows), key=lambda r: r["id"])


def _fail(result: RunResult, ticket_id: int, tn: str, cause: str) -> None:
    failure = Failure(ticket_id, tn, cause)
    result.failed.append(failure)
    log.warning("automation job %r, ticket %s (%s): %s", result.job, tn or "?", ticket_id, cause)

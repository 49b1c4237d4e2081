"""When jobs run: on their schedule (``run_due``, from ``gotrs tickets maintain``) and on ticket events.

**Events.** A job with ``EventValues`` runs for the ticket of each such event, as OTRS's
``Ticket::Event::GenericAgent`` does (the job's conditions still apply, narrowed to that ticket).  GOTRS runs it
*after the triggering transaction has committed*, in a transaction of its own: the agent's action never fails or
waits on a broken rule, a lambda's ``db.query`` sees the committed ticket, and the job's changes are their own
history and events.  The job's changes announce events in turn, which may trigger other jobs, but never the same
job on the same ticket (``loops.py``).  Which jobs listen to what is cached per engine for :data:`TTL` seconds
(:func:`forget` after a save), so an event nobody listens to costs nothing.

The listeners are registered when this module is imported and again by :func:`install` (``create_app``), which
replaces them rather than adding a second copy.  Scheduled runs are ``scheduled.run_due``.

Example::

    install()                                 # the app factory does this
"""

from __future__ import annotations

import logging
import threading
import time
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from modules.automation import loops, storage
from modules.automation.runner import RunResult, run_job
from modules.tickets.changes import utc_now
from modules.tickets.events import TicketEvent, bus
from modules.tickets.tx import run_in_transaction

log = logging.getLogger("gotrs.automation")
TTL = 5.0
_INDEX: WeakKeyDictionary[Engine, tuple[float, dict[str, list[str]]]] = WeakKeyDictionary()
_LOCK = threading.Lock()


def forget(engine: Engine) -> None:
    """Drop the cached event index of ``engine`` (after a job was saved or deleted)."""
    with _LOCK:
        _INDEX.pop(engine, None)


def event_index(engine: Engine) -> dict[str, list[str]]:
    """Event name -> names of the valid jobs listening to it (OTRS's JobEventList), cached."""
    with _LOCK:
        hit = _INDEX.get(engine)
    if hit is not None and time.monotonic() - hit[0] < TTL:
        return hit[1]
    with engine.connect() as conn:
        jobs = storage.load_all(conn)
    index: dict[str, list[str]] = {}
    for job in jobs:
        if job.valid:
            for name in job.events:
                index.setdefault(name, []).append(job.name)
    with _LOCK:
        _INDEX[engine] = (time.monotonic(), index)
    return index


def on_event(event: TicketEvent) -> None:
    """Run the jobs listening to ``event`` on its ticket, each in its own transaction."""
    if event.name == "TicketDelete":
        return
    stamped = loops.origin(event)
    if stamped is None:
        return
    engine, chain = stamped
    try:
        names = event_index(engine).get(event.name, [])
    except SQLAlchemyError:
        log.warning("automation: could not read the jobs for %s", event.name, exc_info=True)
        return
    for name in names:
        why_not = loops.allowed(chain, name, event.ticket_id)
        if why_not:
            log.info("automation job %r skipped on %s: %s", name, event.name, why_not)
            continue
        run_event_job(engine, name, event, chain)


def run_event_job(engine: Engine, name: str, event: TicketEvent, chain: loops.Chain) -> RunResult | None:
    """Run job ``name`` for the event's ticket in a transaction of its own; None when the job is gone."""

    def work(conn: Connection) -> RunResult | None:
        job = storage.load(conn, name)
        if job is None or not job.valid or event.name not in job.events:
            return None
        return run_job(
            conn, job, now=utc_now(), trigger=f"event {event.name}", only_ticket_id=event.ticket_id, chain=chain
        )

    try:
        return run_in_transaction(engine, work)
    except Exception:  # a job must never break the action that triggered it (it is committed already)
        log.exception("automation job %r failed on %s of ticket %s", name, event.name, event.ticket_id)
        return None


def install() -> None:
    """Register the event listeners (once: a second call replaces them)."""
    bus.remove(loops.stamp)
    bus.remove(on_event)
    bus.listen("*")(loops.stamp)
    bus.after_commit("*")(on_event)


install()

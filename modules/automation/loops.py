"""Loop protection: a job's own changes never trigger that job again on the same ticket.

While a job changes a ticket, the pair (job, ticket) is on the *chain* (a context variable).  Every ticket event is
stamped, inside its transaction, with the chain current when it was emitted and with its engine (:func:`stamp`, an
in-transaction listener ``triggers.install`` registers); after the commit, the event triggers a job only when (job,
ticket) is not on the event's chain, and chains stop at :data:`MAX_DEPTH` jobs.  So "add a note on ArticleCreate"
adds one note, not one per note, while job A's change may still trigger job B (as in OTRS, where the ticket's own
events run the GenericAgent event module again).  OTRS itself runs its handler once per ticket and event per process.

Example::

    with acting("VIP outage", 42):
        service.set_priority(42, "5 very high")     # its events carry (("VIP outage", 42),)
    origin(event)        # (engine, (("VIP outage", 42),)) after the commit, or None for an unknown event
"""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from modules.tickets.events import TicketEvent

MAX_DEPTH = 4
Chain = tuple[tuple[str, int], ...]
_CHAIN: contextvars.ContextVar[Chain] = contextvars.ContextVar("gotrs_automation_chain", default=())
_STAMPS: dict[int, tuple[weakref.ref[TicketEvent], Engine, Chain]] = {}


def current() -> Chain:
    return _CHAIN.get()


@contextmanager
def acting(job: str, ticket_id: int, chain: Chain | None = None) -> Iterator[Chain]:
    """Put (job, ticket) on the chain (after ``chain``, the triggering event's) while the block runs."""
    base = current() if chain is None else chain
    token = _CHAIN.set((*base, (job, ticket_id)))
    try:
        yield _CHAIN.get()
    finally:
        _CHAIN.reset(token)


def stamp(conn: Connection, event: TicketEvent) -> None:
    """Remember the event's engine and chain until its after-commit listeners have run (or it is dropped)."""
    key = id(event)

    def forget(_ref: weakref.ref[TicketEvent]) -> None:
        _STAMPS.pop(key, None)

    _STAMPS[key] = (weakref.ref(event, forget), conn.engine, current())


def origin(event: TicketEvent) -> tuple[Engine, Chain] | None:
    """The engine and chain :func:`stamp` recorded for ``event``."""
    found = _STAMPS.get(id(event))
    if found is None or found[0]() is not event:
        return None
    return found[1], found[2]


def allowed(chain: Chain, job: str, ticket_id: int) -> str | None:
    """None when ``job`` may run on the ticket after ``chain``; otherwise why not."""
    if (job, ticket_id) in chain:
        return f"the job's own change on ticket {ticket_id} does not trigger it again"
    if len(chain) >= MAX_DEPTH:
        names = " -> ".join(name for name, _ticket in chain)
        return f"jobs triggered each other {len(chain)} times in a row ({names}); stopped there"
    return None

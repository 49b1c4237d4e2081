"""The ticket event bus, modelled on OTRS's ``Ticket::EventModulePost``: actions announce what they changed.

Every service action emits :class:`TicketEvent` s with OTRS's event names (``TicketCreate``, ``ArticleCreate``,
``TicketStateUpdate``, ...) after its rows are written.  Two kinds of listener:

- ``@listen("TicketCreate", ...)`` registers ``fn(conn, event)``, called INSIDE the action's transaction, in
  registration order.  An exception propagates, so the whole action fails and rolls back: search indexing,
  escalation and automation run here and are never half-applied.  ``"*"`` listens to every event.
- ``@after_commit("TicketStateUpdate", ...)`` registers ``fn(event)``, called only once the transaction has
  committed (live updates, notifications to other processes).  A rollback runs none of them; an exception in one
  is logged and does not affect the others (the data is committed by then).  ``@after_commit_all(...)`` registers
  ``fn(events)``, called once per committed transaction with its events in order (after the per-event ones), for
  work that talks to another service once rather than once per event (live updates: one Redis round trip).

After-commit work is queued on the connection (``Connection.info``) and released by SQLAlchemy's connection events
(:func:`_on_commit`, :func:`_on_rollback`, and the savepoint events, so work queued inside a rolled-back
savepoint is dropped).  SQLAlchemy fires ``commit`` *before* it commits the DBAPI connection, so when work is
pending the handler commits the DBAPI connection itself first and runs the listeners only if that succeeded
(SQLAlchemy's own commit that follows is then a no-op on every driver GOTRS uses).

Example::

    from modules.tickets.events import listen, after_commit

    @listen("TicketCreate", "TicketTitleUpdate")
    def index_ticket(conn, event):
        ...  # same transaction as the change

    @after_commit("*")
    def push_live_update(event):
        ...  # the change is visible to every other connection now
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar
from weakref import WeakSet

from sqlalchemy import Connection, Engine, event, exc

log = logging.getLogger(__name__)

#: OTRS's ticket event names (``Kernel::System::Ticket`` and ``Article``); issue 7 may declare more.
EVENT_NAMES: frozenset[str] = frozenset(
    {
        "TicketCreate",
        "ArticleCreate",
        "ArticleSend",
        "TicketStateUpdate",
        "TicketQueueUpdate",
        "TicketOwnerUpdate",
        "TicketResponsibleUpdate",
        "TicketPriorityUpdate",
        "TicketLockUpdate",
        "TicketUnlockTimeoutUpdate",
        "TicketPendingTimeUpdate",
        "TicketTitleUpdate",
        "TicketCustomerUpdate",
        "TicketTypeUpdate",
        "TicketServiceUpdate",
        "TicketSLAUpdate",
        "TicketMerge",
        "TicketSubscribe",
        "TicketUnsubscribe",
        "TicketAccountTime",
        "TicketLinkAdd",
        "TicketLinkDelete",
        "ArticleDynamicFieldUpdate",  # OTRS 6; a ticket field emits TicketDynamicFieldUpdate_<Name> (declared)
    }
)
ANY = "*"
_PENDING = "gotrs_tickets_after_commit"
_SAVEPOINTS = "gotrs_tickets_savepoints"


@dataclass(frozen=True)
class TicketEvent:
    """What happened to which ticket, by whom; ``data`` carries event specifics (``{"main_ticket_id": 7}``);
    ``queue_id`` is the ticket's queue after the change, ``owners`` and ``responsibles`` its owner and responsible
    before and after it (live updates route on them without reading the ticket: an agent reads a ticket they own
    in a queue they may not read)."""

    name: str
    ticket_id: int
    article_id: int | None = None
    actor_id: int = 1
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    queue_id: int | None = None
    owners: tuple[int, ...] = ()
    responsibles: tuple[int, ...] = ()


Listener = Callable[[Connection, TicketEvent], None]
BatchListener = Callable[[Connection, Sequence[TicketEvent]], None]
AfterCommit = Callable[[TicketEvent], None]
F = TypeVar("F", bound=Callable[..., None])


class EventBus:
    """Listeners by event name, in registration order.  The module-level :data:`bus` is the one GOTRS uses."""

    def __init__(self) -> None:
        self.known: set[str] = set(EVENT_NAMES)
        self._listeners: list[tuple[frozenset[str], Listener]] = []
        self._after: list[tuple[frozenset[str], AfterCommit]] = []
        self.batched: set[Callable[..., None]] = set()  # after-commit listeners that take the list of events
        self._batch: list[BatchListener] = []

    def declare(self, *names: str) -> None:
        """Make more event names known (escalation events, for instance) before listening to them."""
        self.known.update(names)

    def listen(self, *names: str) -> Callable[[F], F]:
        """Decorator: call ``fn(conn, event)`` inside the transaction for these events (``"*"``: all)."""
        wanted = self._check(names)

        def register(fn: F) -> F:
            self._listeners.append((wanted, fn))
            return fn

        return register

    def after_commit(self, *names: str) -> Callable[[F], F]:
        """Decorator: call ``fn(event)`` after the transaction that emitted the event has committed."""
        wanted = self._check(names)

        def register(fn: F) -> F:
            self._after.append((wanted, fn))
            return fn

        return register

    def after_commit_all(self, *names: str) -> Callable[[F], F]:
        """Decorator: call ``fn(events)`` once after the transaction has committed, with its events of these names
        in the order they were emitted (none: not called)."""
        register = self.after_commit(*names)

        def register_all(fn: F) -> F:
            self.batched.add(fn)
            return register(fn)

        return register_all

    def after_batch(self, fn: F) -> F:
        """Decorator: call ``fn(conn, events)`` inside the transaction once every event of one write was emitted
        (:meth:`emit_batch`; ``changes.apply`` emits an action's events so), for work that should run once per
        ticket and write rather than once per event (escalation times)."""
        self._batch.append(fn)
        return fn

    def remove(self, fn: Callable[..., None]) -> None:
        """Unregister ``fn`` from every event."""
        self._listeners = [(names, f) for names, f in self._listeners if f is not fn]
        self._after = [(names, f) for names, f in self._after if f is not fn]
        self.batched.discard(fn)
        self._batch = [f for f in self._batch if f is not fn]

    def emit_batch(self, conn: Connection, events: Sequence[TicketEvent]) -> None:
        """:meth:`emit` each event in order, then run the after-batch listeners once with all of them."""
        for ticket_event in events:
            self.emit(conn, ticket_event)
        if events:
            for fn in list(self._batch):
                fn(conn, events)

    def emit(self, conn: Connection, ticket_event: TicketEvent) -> None:
        """Run the in-transaction listeners of the event now; queue its after-commit listeners on ``conn``."""
        if ticket_event.name not in self.known:
            raise ValueError(f"Unknown ticket event '{ticket_event.name}'.")
        for names, fn in list(self._listeners):
            if ticket_event.name in names or ANY in names:
                fn(conn, ticket_event)
        later = [(fn, ticket_event) for names, fn in self._after if ticket_event.name in names or ANY in names]
        if later:
            _watch(conn.engine)
            conn.info.setdefault(_PENDING, []).extend(later)

    @contextmanager
    def isolated(self) -> Iterator[EventBus]:
        """Run with no listeners registered (tests), restoring the registered ones afterwards."""
        saved = (self._listeners, self._after, self._batch, self.batched)
        self._listeners, self._after, self._batch, self.batched = [], [], [], set()
        try:
            yield self
        finally:
            self._listeners, self._after, self._batch, self.batched = saved

    def _check(self, names: tuple[str, ...]) -> frozenset[str]:
        if not names:
            raise ValueError("Name at least one ticket event (or '*').")
        unknown = sorted(set(names) - self.known - {ANY})
        if unknown:
            raise ValueError(f"Unknown ticket event '{unknown[0]}'; known: {', '.join(sorted(self.known))}.")
        return frozenset(names)


bus = EventBus()
listen = bus.listen
after_commit = bus.after_commit
after_commit_all = bus.after_commit_all
after_batch = bus.after_batch
emit = bus.emit
emit_batch = bus.emit_batch

_WATCHED: WeakSet[Engine] = WeakSet()


def _watch(engine: Engine) -> None:
    if engine in _WATCHED:
        return
    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _on_rollback)
    event.listen(engine, "savepoint", _on_savepoint)
    event.listen(engine, "rollback_savepoint", _on_rollback_savepoint)
    event.listen(engine, "release_savepoint", _on_release_savepoint)
    _WATCHED.add(engine)


def _on_commit(conn: Connection) -> None:
    conn.info.pop(_SAVEPOINTS, None)
    pending: list[tuple[AfterCommit, TicketEvent]] | None = conn.info.pop(_PENDING, None)
    if not pending:
        return
    # SQLAlchemy dispatches "commit" before committing (Connection._commit_impl): commit first, so the
    # listeners run only for data that is really committed.
    try:
        conn.engine.dialect.do_commit(conn.connection)
    except Exception as error:
        raise exc.DBAPIError.instance(None, None, error, conn.dialect.loaded_dbapi.Error) from error
    together: dict[Callable[..., None], list[TicketEvent]] = {}
    for fn, ticket_event in pending:
        if fn in bus.batched:
            together.setdefault(fn, []).append(ticket_event)
            continue
        try:
            fn(ticket_event)
        except Exception:
            log.exception("after-commit listener %s failed on %s", getattr(fn, "__name__", fn), ticket_event)
    for fn_all, events in together.items():
        try:
            fn_all(events)
        except Exception:
            name = getattr(fn_all, "__name__", fn_all)
            log.exception("after-commit listener %s failed on %d events", name, len(events))


def _on_rollback(conn: Connection) -> None:
    conn.info.pop(_PENDING, None)
    conn.info.pop(_SAVEPOINTS, None)


# Savepoints nest strictly, so their marks are a stack (SQLAlchemy names a savepoint only after the event fires).
def _on_savepoint(conn: Connection, _name: str | None) -> None:
    conn.info.setdefault(_SAVEPOINTS, []).append(len(conn.info.get(_PENDING, [])))


def _on_rollback_savepoint(conn: Connection, _name: str, _context: Any) -> None:
    marks = conn.info.get(_SAVEPOINTS) or [0]  # begun before this engine was watched: nothing queued before it
    del conn.info.get(_PENDING, [])[marks.pop() :]


def _on_release_savepoint(conn: Connection, _name: str, _context: Any) -> None:
    marks = conn.info.get(_SAVEPOINTS)
    if marks:
        marks.pop()

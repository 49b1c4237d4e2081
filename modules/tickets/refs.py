"""Ids by name (and names by id) for the small OTRS lookup tables the ticket domain uses on every action.

States (with their state type), lock types, history types, article sender types, communication channels,
priorities, ticket types, queues (with their group), link types, link states and link objects are read with ONE
statement (a UNION of the tables) and kept per engine for :data:`TTL` seconds, so an action never pays a query for
a name, and no query ever runs per row.  Administrators add states and queues at run time: a name that is not
found reloads the snapshot once (at most once a second), so a new state works at once; :func:`forget` drops an
engine's snapshot after an admin change.

Example::

    refs = Refs(conn)
    state = refs.state("pending reminder")     # StateRef(id=6, name='pending reminder', valid=True, type_name=...)
    refs.state(6).name                           # 'pending reminder'
    refs.history_type_id("NewTicket")            # 1
    refs.state("nope")                           # TicketInvalid: "There is no state 'nope'."
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Integer, String, cast, literal, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from modules.db.schema import metadata
from modules.tickets.errors import TicketInvalid

T = metadata.tables
TTL = 60.0  # seconds a snapshot serves before it is read again
VALID = 1


@dataclass(frozen=True)
class Ref:
    id: int
    name: str
    valid: bool


@dataclass(frozen=True)
class StateRef(Ref):
    type_name: str  # the OTRS state type: new, open, closed, pending reminder, pending auto, removed, merged

    @property
    def is_pending(self) -> bool:
        return self.type_name.startswith("pending")

    @property
    def is_closed(self) -> bool:
        return self.type_name.startswith("closed")


@dataclass(frozen=True)
class QueueInfo(Ref):
    group_id: int


R = TypeVar("R", bound=Ref)


@dataclass
class _Table(Generic[R]):
    by_id: dict[int, R] = field(default_factory=dict)
    by_name: dict[str, R] = field(default_factory=dict)

    def add(self, ref: R) -> None:
        self.by_id[ref.id] = ref
        self.by_name[ref.name] = ref

    def find(self, key: int | str) -> R | None:
        return self.by_id.get(key) if isinstance(key, int) else self.by_name.get(key)


@dataclass
class _Snapshot:
    loaded_at: float
    tables: dict[str, _Table[Ref]]


# kind -> (table, noun used in messages, the column read as "extra")
_KINDS: dict[str, tuple[str, str, str | None]] = {
    "state": ("ticket_state", "state", "type_id"),
    "state_type": ("ticket_state_type", "state type", None),
    "lock": ("ticket_lock_type", "lock", None),
    "history_type": ("ticket_history_type", "history type", None),
    "sender_type": ("article_sender_type", "sender type", None),
    "channel": ("communication_channel", "communication channel", None),
    "priority": ("ticket_priority", "priority", None),
    "type": ("ticket_type", "type", None),
    "queue": ("queue", "queue", "group_id"),
    "link_type": ("link_type", "link type", None),
    "link_state": ("link_state", "link state", None),
    "link_object": ("link_object", "link object", None),
}
_CACHE: WeakKeyDictionary[Engine, _Snapshot] = WeakKeyDictionary()
_LOCK = threading.Lock()


def _union() -> ColumnElement[int] | object:
    parts = []
    for kind, (table_name, _noun, extra) in _KINDS.items():
        table = T[table_name]
        valid = table.c.valid_id if "valid_id" in table.c else literal(VALID)
        parts.append(
            select(
                cast(literal(kind), String).label("kind"),
                cast(table.c.id, Integer).label("id"),
                cast(table.c.name, String).label("name"),
                cast(valid, Integer).label("valid_id"),
                cast(table.c[extra] if extra else literal(None), Integer).label("extra"),
            )
        )
    return union_all(*parts)


def _load(conn: Connection) -> _Snapshot:
    rows = list(conn.execute(_union()))  # type: ignore[call-overload]
    state_types = {row.id: row.name for row in rows if row.kind == "state_type"}
    tables: dict[str, _Table[Ref]] = {kind: _Table() for kind in _KINDS}
    for row in rows:
        valid = row.valid_id == VALID
        ref: Ref
        if row.kind == "state":
            ref = StateRef(row.id, row.name, valid, state_types.get(row.extra, ""))
        elif row.kind == "queue":
            ref = QueueInfo(row.id, row.name, valid, row.extra)
        else:
            ref = Ref(row.id, row.name, valid)
        tables[row.kind].add(ref)
    return _Snapshot(time.monotonic(), tables)


def _snapshot(conn: Connection, *, reload: bool = False) -> _Snapshot:
    engine = conn.engine
    with _LOCK:
        cached = _CACHE.get(engine)
    if cached is not None and not reload and time.monotonic() - cached.loaded_at < TTL:
        return cached
    fresh = _load(conn)
    with _LOCK:
        _CACHE[engine] = fresh
    return fresh


def forget(engine: Engine) -> None:
    """Drop the engine's snapshot: the next lookup reads the tables again (after admins change them)."""
    with _LOCK:
        _CACHE.pop(engine, None)


class Refs:
    """Lookups for one connection (one request or transaction); see the module docstring."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._data = _snapshot(conn)
        self._reloaded = False

    def find(self, kind: str, key: int | str) -> Ref | None:
        """The row of ``kind`` with id or name ``key``, or None; a miss reloads the snapshot once."""
        found = self._data.tables[kind].find(key)
        if found is None and not self._reloaded:
            self._reloaded = True
            self._data = _snapshot(self._conn, reload=True)
            found = self._data.tables[kind].find(key)
        return found

    def require(self, kind: str, key: int | str, field: str, *, valid: bool = True) -> Ref:
        """Like :meth:`find`, raising :class:`TicketInvalid` for ``field`` when unknown (or invalid, if asked)."""
        noun = _KINDS[kind][1]
        found = self.find(kind, key)
        if found is None:
            shown = f"'{key}'" if isinstance(key, str) else f"with id {key}"
            raise TicketInvalid(field, f"There is no {noun} {shown}.")
        if valid and not found.valid:
            raise TicketInvalid(field, f"The {noun} '{found.name}' is invalid.")
        return found

    def name(self, kind: str, ref_id: int | None) -> str:
        """The name of id ``ref_id`` (``""`` for None or an unknown id): for history and tags."""
        found = self.find(kind, ref_id) if ref_id is not None else None
        return found.name if found else ""

    def id(self, kind: str, name: str) -> int:
        """The id of a row OTRS ships (``lock`` 'unlock', ``history_type`` 'NewTicket', ...); KeyError if absent."""
        found = self.find(kind, name)
        if found is None:
            raise KeyError(f"the OTRS {_KINDS[kind][1]} '{name}' is missing from the database")
        return found.id

    def state(self, key: int | str, field: str = "state", *, valid: bool = True) -> StateRef:
        found = self.require("state", key, field, valid=valid)
        assert isinstance(found, StateRef)
        return found

    def queue(self, key: int | str, field: str = "queue", *, valid: bool = True) -> QueueInfo:
        found = self.require("queue", key, field, valid=valid)
        assert isinstance(found, QueueInfo)
        return found

    def state_ids(self, type_names: Iterable[str]) -> list[int]:
        """Ids of the states whose type is one of ``type_names`` (valid or not), sorted."""
        wanted = set(type_names)
        states = self._data.tables["state"].by_id.values()
        return sorted(s.id for s in states if isinstance(s, StateRef) and s.type_name in wanted)

    def history_type_id(self, name: str) -> int:
        return self.id("history_type", name)

    def lock_id(self, name: str) -> int:
        return self.id("lock", name)

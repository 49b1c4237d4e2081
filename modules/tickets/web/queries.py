"""The reads of the agent screens: short ticket lists with a capped count, grouped counts, batched name lookups.

Every function is one statement (or none: names of queues, states, priorities and locks come from the cached
:class:`~modules.tickets.refs.Refs`), whatever the number of rows; nothing runs per row.  Lists are capped and
counts stop at :data:`COUNT_CAP`, so a million tickets cost what a thousand do.

Example::

    rows, total, capped = ticket_rows(conn, [ticket.c.user_id == 7], limit=10)
    shown = labelled(conn, rows)      # one query for the owners' names
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, func, or_, select, union

from modules.db.schema import metadata
from modules.tickets.changes import utc_now
from modules.tickets.events import TicketEvent, after_commit
from modules.tickets.refs import Refs

T = metadata.tables
VALID = 1
COUNT_CAP = 1000
#: OTRS's viewable state types: the tickets that still need work.
VIEWABLE = ("new", "open", "pending reminder", "pending auto")
_TICKET = T["ticket"]
_COLUMNS = (
    *("id", "tn", "title", "queue_id", "ticket_state_id", "ticket_priority_id", "ticket_lock_id", "user_id"),
    *("responsible_user_id", "customer_id", "customer_user_id", "until_time", "create_time", "escalation_time"),
)


@dataclass(frozen=True)
class TicketRow:
    """A ticket as the short lists show it, with the names looked up (see :func:`labelled`)."""

    id: int
    tn: str
    title: str
    queue: str
    state: str
    state_type: str
    priority: str
    lock: str
    owner: str
    customer: str
    until_time: int
    create_time: datetime

    @property
    def age(self) -> str:
        return age(self.create_time)


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago ``moment`` was, OTRS-style: ``2 d 3 h``, ``4 h 10 m``, ``7 m``."""
    if moment is None:
        return ""
    seconds = max(0, int(((now or utc_now()) - moment).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {rest // 60} m" if hours else f"{rest // 60} m"


def ticket_rows(
    conn: Connection, where: Sequence[ColumnElement[bool]], *, order: Any = None, limit: int = 10
) -> tuple[list[Any], int, bool]:
    """The first ``limit`` tickets matching ``where`` and how many match (up to :data:`COUNT_CAP`): one statement."""
    capped = select(_TICKET.c.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = select(func.count()).select_from(capped).scalar_subquery()
    query = (
        select(*(_TICKET.c[name] for name in _COLUMNS), total.label("total"))
        .where(*where)
        .order_by(order if order is not None else _TICKET.c.id.desc())
        .limit(limit)
    )
    rows = list(conn.execute(query))
    found = int(rows[0].total) if rows else 0
    return rows, min(found, COUNT_CAP), found > COUNT_CAP


def labelled(conn: Connection, rows: Iterable[Any]) -> list[TicketRow]:
    """Rows of ``ticket`` with their names: lookups from the cache, owners in one query."""
    rows = list(rows)
    refs = Refs(conn)
    owners = user_names(conn, (row.user_id for row in rows))
    return [
        TicketRow(
            id=row.id,
            tn=row.tn,
            title=row.title or "",
            queue=refs.name("queue", row.queue_id),
            state=refs.name("state", row.ticket_state_id),
            state_type=state_type(refs, row.ticket_state_id),
            priority=refs.name("priority", row.ticket_priority_id),
            lock=refs.name("lock", row.ticket_lock_id),
            owner=owners.get(row.user_id, ""),
            customer=row.customer_user_id or row.customer_id or "",
            until_time=row.until_time or 0,
            create_time=row.create_time,
        )
        for row in rows
    ]


def state_type(refs: Refs, state_id: int) -> str:
    """The state type of a state id (``""`` when unknown), from the cached refs."""
    found = refs.find("state", state_id)
    return getattr(found, "type_name", "")


def user_names(conn: Connection, ids: Iterable[int | None]) -> dict[int, str]:
    """``{user id: "First Last (login)"}`` for the given agents: one query."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    users = T["users"]
    query = select(users.c.id, users.c.login, users.c.first_name, users.c.last_name).where(users.c.id.in_(wanted))
    return {row.id: agent_label(row) for row in conn.execute(query)}


def agent_label(row: Any) -> str:
    name = f"{row.first_name or ''} {row.last_name or ''}".strip()
    return f"{name} ({row.login})" if name and name != row.login else str(row.login)


def state_ids(conn: Connection, types: Collection[str]) -> list[int]:
    """The ids of the states of these state types (from the cached refs)."""
    return Refs(conn).state_ids(types)


def open_counts(conn: Connection, queue_ids: Collection[int], states: Collection[int]) -> dict[int, int]:
    """Tickets in ``states`` per queue, for the given queues: ONE grouped query, or none for :data:`COUNTS_TTL`
    seconds after the same question (a queue tree is asked for on every page of the queue view)."""
    if not queue_ids or not states:
        return {}
    key = (conn.engine, tuple(sorted(set(queue_ids))), tuple(sorted(set(states))))
    now = time.monotonic()
    with _COUNTS_LOCK:
        cached = _COUNTS.get(key)
    if cached is not None and now - cached[0] < COUNTS_TTL:
        return dict(cached[1])
    query = (
        select(_TICKET.c.queue_id, func.count())
        .where(_TICKET.c.queue_id.in_(key[1]), _TICKET.c.ticket_state_id.in_(key[2]))
        .group_by(_TICKET.c.queue_id)
    )
    counts = {int(queue_id): int(count) for queue_id, count in conn.execute(query)}
    with _COUNTS_LOCK:
        if len(_COUNTS) >= _COUNTS_KEPT:
            _COUNTS.clear()
        _COUNTS[key] = (now, counts)
    return dict(counts)


#: Seconds a queue tree's counts serve before they are counted again.  A ticket change in this process forgets
#: them at once (:func:`_forget_counts`); other worker processes show it within this time.
COUNTS_TTL = 10.0
_COUNTS_KEPT = 512  # distinct (queues, states) questions kept: one per permission set, in practice
_COUNTS: dict[tuple[Engine, tuple[int, ...], tuple[int, ...]], tuple[float, dict[int, int]]] = {}
_COUNTS_LOCK = threading.Lock()


@after_commit("*")
def _forget_counts(_event: TicketEvent) -> None:
    with _COUNTS_LOCK:
        _COUNTS.clear()


def agents_with(conn: Connection, group_ids: Collection[int], key: str) -> list[tuple[int, str]]:
    """Valid agents holding ``key`` (or ``rw``) on one of the groups, directly or by a role: one query."""
    if not group_ids:
        return []
    users, group_user, role_user = T["users"], T["group_user"], T["role_user"]
    group_role, roles, groups = T["group_role"], T["roles"], T["permission_groups"]
    keys, wanted = sorted({key, "rw"}), sorted(group_ids)
    direct = (
        select(group_user.c.user_id.label("user_id"))
        .select_from(group_user.join(groups, groups.c.id == group_user.c.group_id))
        .where(group_user.c.group_id.in_(wanted), group_user.c.permission_key.in_(keys), groups.c.valid_id == VALID)
    )
    via_roles = (
        select(role_user.c.user_id.label("user_id"))
        .select_from(
            role_user.join(roles, roles.c.id == role_user.c.role_id)
            .join(group_role, group_role.c.role_id == roles.c.id)
            .join(groups, groups.c.id == group_role.c.group_id)
        )
        .where(
            group_role.c.group_id.in_(wanted),
            group_role.c.permission_key.in_(keys),
            group_role.c.permission_value == 1,
            roles.c.valid_id == VALID,
            groups.c.valid_id == VALID,
        )
    )
    holders = union(direct, via_roles).subquery()
    query = (
        select(users.c.id, users.c.login, users.c.first_name, users.c.last_name)
        .where(users.c.valid_id == VALID, users.c.id.in_(select(holders.c.user_id)))
        .order_by(users.c.login)
    )
    return [(row.id, agent_label(row)) for row in conn.execute(query)]


def valid_agents(conn: Connection, limit: int = 500) -> list[tuple[int, str]]:
    """Valid agents by login (capped: a choice list never loads thousands)."""
    users = T["users"]
    query = (
        select(users.c.id, users.c.login, users.c.first_name, users.c.last_name)
        .where(users.c.valid_id == VALID)
        .order_by(users.c.login)
        .limit(limit)
    )
    return [(row.id, agent_label(row)) for row in conn.execute(query)]


@dataclass(frozen=True)
class Customer:
    login: str
    customer_id: str
    email: str
    first_name: str
    last_name: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def label(self) -> str:
        """``"Carl Customer" <carl@example.com>``-like text for choices and the From of a phone article."""
        return f"{self.name} <{self.email}>" if self.email else self.name or self.login

    @property
    def tag_data(self) -> dict[str, str]:
        """The OTRS customer-user keys the template tags read (``<OTRS_CUSTOMER_DATA_UserFirstname>``)."""
        return {
            "UserLogin": self.login,
            "UserEmail": self.email,
            "UserCustomerID": self.customer_id,
            "UserFirstname": self.first_name,
            "UserLastname": self.last_name,
            "UserFullname": self.name,
        }


def customer_matches(conn: Connection, term: str, limit: int = 20) -> list[Customer]:
    """Valid customer users whose login, email, names or customer id start with ``term`` (case-insensitive)."""
    table = T["customer_user"]
    pattern = _escape_like(term.strip().lower()) + "%"
    columns = (table.c.login, table.c.email, table.c.first_name, table.c.last_name, table.c.customer_id)
    matches = or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))
    query = select(*columns).where(table.c.valid_id == VALID, matches).order_by(table.c.login).limit(limit)
    return [_customer(row) for row in conn.execute(query)]


def customer(conn: Connection, login: str) -> Customer | None:
    """One customer user by login (ignoring case, as OTRS's customer backend does), or None."""
    table = T["customer_user"]
    columns = (table.c.login, table.c.email, table.c.first_name, table.c.last_name, table.c.customer_id)
    row = conn.execute(select(*columns).where(func.lower(table.c.login) == login.strip().lower()).limit(1)).first()
    return _customer(row) if row else None


def _customer(row: Any) -> Customer:
    return Customer(row.login, row.customer_id or "", row.email or "", row.first_name or "", row.last_name or "")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def customer_services(conn: Connection, login: str | None) -> list[tuple[int, str]]:
    """The valid services the customer user may use (their own and the ``<DEFAULT>`` ones), by name."""
    service, members = T["service"], T["service_customer_user"]
    logins = sorted({login, "<DEFAULT>"} if login else {"<DEFAULT>"})
    query = (
        select(service.c.id, service.c.name)
        .where(
            service.c.valid_id == VALID,
            service.c.id.in_(select(members.c.service_id).where(members.c.customer_user_login.in_(logins))),
        )
        .order_by(service.c.name)
    )
    return [(row.id, row.name) for row in conn.execute(query)]


def service_slas(conn: Connection, service_id: int | None) -> list[tuple[int, str]]:
    """The valid SLAs of a service, by name."""
    if service_id is None:
        return []
    sla, pairs = T["sla"], T["service_sla"]
    query = (
        select(sla.c.id, sla.c.name)
        .where(sla.c.valid_id == VALID, sla.c.id.in_(select(pairs.c.sla_id).where(pairs.c.service_id == service_id)))
        .order_by(sla.c.name)
    )
    return [(row.id, row.name) for row in conn.execute(query)]


def templates(conn: Connection, kind: str, queue_id: int | None) -> list[tuple[int, str]]:
    """Valid standard templates of ``kind`` (Answer, Create, Note, Forward, PhoneCall) assigned to the queue."""
    table, assigned = T["standard_template"], T["queue_standard_template"]
    query = select(table.c.id, table.c.name).where(table.c.valid_id == VALID, table.c.template_type == kind)
    if queue_id is not None:
        query = query.where(
            table.c.id.in_(select(assigned.c.standard_template_id).where(assigned.c.queue_id == queue_id))
        )
    return [(row.id, row.name) for row in conn.execute(query.order_by(table.c.name).limit(200))]


def template_text(conn: Connection, template_id: int) -> tuple[str, str] | None:
    """A valid template's text and content type, or None."""
    table = T["standard_template"]
    row = conn.execute(
        select(table.c.text, table.c.content_type).where(table.c.id == template_id, table.c.valid_id == VALID)
    ).first()
    return (row.text or "", row.content_type or "text/plain") if row else None


_NAMED = {"state": "ticket_state", "priority": "ticket_priority", "type": "ticket_type", "lock": "ticket_lock_type"}


def named(conn: Connection, kind: str) -> list[tuple[int, str]]:
    """``(id, name)`` of the valid rows of a small lookup table (``state``, ``priority``, ``type``, ``lock``)."""
    table = T[_NAMED[kind]]
    query = select(table.c.id, table.c.name).order_by(table.c.name)
    if "valid_id" in table.c:
        query = query.where(table.c.valid_id == VALID)
    return [(row.id, row.name) for row in conn.execute(query)]

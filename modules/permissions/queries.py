"""The SQL of the permission layer: one SQLAlchemy Core statement per question, every value a bound parameter.

Built for a million tickets and thousands of agents: a user's permissions are read through the ``user_id``
indexes of the membership tables (never a scan of all memberships), a ticket by its primary key, queues by
``queue_group_id``.  Each function runs exactly one statement and returns plain records; the rules live in
``agent.py`` and ``customer.py``.

Example::

    rows = agent_grant_rows(conn, user_id=7)        # [(group_id, group_name, key), ..., (None, None, None)]
    rows, agent = agent_grants_and_row(conn, 7)     # the same, and AgentRow(login=..., email=..., valid=True)
    ticket = ticket_facts(conn, 123, watcher_id=7)  # TicketFacts(...) or None
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeAlias

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Integer,
    LargeBinary,
    Row,
    Select,
    String,
    bindparam,
    cast,
    exists,
    false,
    literal,
    null,
    select,
    union,
    union_all,
)
from sqlalchemy.sql.elements import Cast

from modules.db.schema import metadata

T = metadata.tables
VALID = 1  # valid.id of "valid": the only id OTRS's ValidIDsGet() returns
SAME_COMPANY = "Ticket::CustomerID::Same"  # OTRS CustomerGroupPermissionContext 001-CustomerID-same
OTHER_COMPANY = "Ticket::CustomerID::Other"  # OTRS CustomerGroupPermissionContext 100-CustomerID-other
MAX_INT = 2**31 - 1  # queue ids are INTEGER
MAX_BIGINT = 2**63 - 1  # ticket ids are BIGINT
GrantSelect: TypeAlias = (
    "Select[*tuple[Any, ...]]"  # one branch of a UNION of (source, customer_id, group_id, key) rows
)


@dataclass(frozen=True)
class QueueRef:
    id: int
    name: str
    group_id: int
    valid: bool


@dataclass(frozen=True)
class TicketFacts:
    """What the OTRS permission modules look at on one ticket."""

    id: int
    queue_id: int
    queue_name: str
    group_id: int
    group_valid: bool
    owner_id: int
    responsible_id: int
    customer_id: str | None
    customer_user_id: str | None
    watching: bool  # the agent asked about watches the ticket (always False for customers)


@dataclass(frozen=True)
class AgentRow:
    """The agent's own row, read in the same statement as the grants: who acts, and their ``UserEmail``."""

    login: str
    first_name: str
    last_name: str
    email: str
    valid: bool


def agent_grant_rows(conn: Connection, user_id: int) -> list[tuple[int | None, str | None, str | None]]:
    """All ``(group_id, group_name, key)`` an agent holds, directly or through roles; only valid rows count.

    One extra row ``(None, None, None)`` is present when the user exists and is valid, so the caller can tell an
    agent without groups from an invalid one in the same round trip.
    """
    return agent_grants_and_row(conn, user_id)[0]


def agent_grants_and_row(
    conn: Connection, user_id: int
) -> tuple[list[tuple[int | None, str | None, str | None]], AgentRow | None]:
    """:func:`agent_grant_rows` and the user's own row (``None`` for an unknown user), in one statement.  Every
    page and action asks this: the statement is built once (:func:`_agent_grants`) and bound to the user."""
    grants: list[tuple[int | None, str | None, str | None]] = []
    agent: AgentRow | None = None
    for row in conn.execute(_agent_grants(), {"grant_user_id": user_id}):
        if row[0] is not None:
            grants.append((row[0], row[1], row[2]))
            continue
        agent = AgentRow(str(row[3]), row[4] or "", row[5] or "", _decoded(row[7]), row[6] == VALID)
        if agent.valid:
            grants.append((None, None, None))
    return grants, agent


def _decoded(raw: Any) -> str:
    return bytes(raw).decode("utf-8", "replace") if isinstance(raw, bytes | memoryview) else str(raw or "")


@cache
def _agent_grants() -> CompoundSelect[Any]:
    users, groups, prefs = T["users"], T["permission_groups"], T["user_preferences"]
    group_user, role_user, roles, group_role = T["group_user"], T["role_user"], T["roles"], T["group_role"]
    user_id = bindparam("grant_user_id", type_=Integer)
    no_user = (
        cast(null(), String),
        cast(null(), String),
        cast(null(), String),
        cast(null(), Integer),
        cast(null(), LargeBinary),
    )
    direct = (
        select(groups.c.id, groups.c.name, group_user.c.permission_key, *no_user)
        .select_from(
            group_user.join(users, users.c.id == group_user.c.user_id).join(
                groups, groups.c.id == group_user.c.group_id
            )
        )
        .where(group_user.c.user_id == user_id, users.c.valid_id == VALID, groups.c.valid_id == VALID)
    )
    via_roles = (
        select(groups.c.id, groups.c.name, group_role.c.permission_key, *no_user)
        .select_from(
            role_user.join(users, users.c.id == role_user.c.user_id)
            .join(roles, roles.c.id == role_user.c.role_id)
            .join(group_role, group_role.c.role_id == roles.c.id)
            .join(groups, groups.c.id == group_role.c.group_id)
        )
        .where(
            role_user.c.user_id == user_id,
            users.c.valid_id == VALID,
            roles.c.valid_id == VALID,
            groups.c.valid_id == VALID,
            group_role.c.permission_value == 1,
        )
    )
    the_user = (
        select(
            cast(null(), Integer),
            cast(null(), String),
            cast(null(), String),
            users.c.login,
            users.c.first_name,
            users.c.last_name,
            cast(users.c.valid_id, Integer),
            prefs.c.preferences_value,
        )
        .select_from(users.outerjoin(prefs, (prefs.c.user_id == users.c.id) & (prefs.c.preferences_key == "UserEmail")))
        .where(users.c.id == user_id)
    )
    return union_all(direct, via_roles, the_user)


def queues_in_groups(conn: Connection, group_ids: Collection[int]) -> list[QueueRef]:
    """The valid queues whose group is one of ``group_ids``, by name."""
    if not group_ids:
        return []
    queue = T["queue"]
    query = _queue_select().where(queue.c.valid_id == VALID, queue.c.group_id.in_(sorted(group_ids)))
    return [_queue_ref(row) for row in conn.execute(query.order_by(queue.c.name))]


def valid_queues(conn: Connection) -> list[QueueRef]:
    """Every valid queue, by name."""
    queue = T["queue"]
    return [_queue_ref(row) for row in conn.execute(_queue_select().where(queue.c.valid_id == VALID).order_by("name"))]


def queue_ref(conn: Connection, queue_id: int) -> QueueRef | None:
    """One queue (valid or not) by id, or ``None``."""
    if not 0 < queue_id <= MAX_INT:
        return None
    row = conn.execute(_queue_select().where(T["queue"].c.id == queue_id)).first()
    return _queue_ref(row) if row else None


def ticket_facts(conn: Connection, ticket_id: int, *, watcher_id: int | None = None) -> TicketFacts | None:
    """One ticket's permission facts by primary key, or ``None``; ``watching`` is about agent ``watcher_id``."""
    if not 0 < ticket_id <= MAX_BIGINT:
        return None
    ticket, queue, groups, watcher = T["ticket"], T["queue"], T["permission_groups"], T["ticket_watcher"]
    watching = (
        exists().where(watcher.c.ticket_id == ticket.c.id, watcher.c.user_id == watcher_id)
        if watcher_id is not None
        else false()
    )
    query = (
        select(
            ticket.c.id,
            ticket.c.queue_id,
            queue.c.name,
            queue.c.group_id,
            groups.c.valid_id,
            ticket.c.user_id,
            ticket.c.responsible_user_id,
            ticket.c.customer_id,
            ticket.c.customer_user_id,
            watching.label("watching"),
        )
        .select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id).join(groups, groups.c.id == queue.c.group_id))
        .where(ticket.c.id == ticket_id)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    return TicketFacts(
        id=row[0],
        queue_id=row[1],
        queue_name=row[2],
        group_id=row[3],
        group_valid=row[4] == VALID,
        owner_id=row[5],
        responsible_id=row[6],
        customer_id=row[7],
        customer_user_id=row[8],
        watching=bool(row[9]),
    )


def customer_grant_rows(
    conn: Connection, login: str, *, group_support: bool, always_groups: Sequence[str] = ()
) -> list[tuple[str, str | None, int | None, str | None]]:
    """A customer's companies and (with group support) groups, as ``(source, customer_id, group_id, key)`` rows.

    ``source`` is ``"company"`` (a CustomerID of the customer: ``customer_user.customer_id`` or a
    ``customer_user_customer`` row), ``"user"`` (a ``group_customer_user`` row), ``"always"`` (a group of
    ``always_groups``, with key ``rw``) or the ``permission_context`` of a ``group_customer`` row of one of the
    customer's companies.  Only rows with ``permission_value = 1`` on valid groups are returned.
    """
    customer_user, extra = T["customer_user"], T["customer_user_customer"]
    parts: list[GrantSelect] = [
        select(_text("company"), customer_user.c.customer_id, cast(null(), Integer), cast(null(), String)).where(
            customer_user.c.login == login
        ),
        select(_text("company"), extra.c.customer_id, cast(null(), Integer), cast(null(), String)).where(
            extra.c.user_id == login
        ),
    ]
    if group_support:
        parts += _customer_group_selects(login, always_groups)
    rows = conn.execute(union(*parts))
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def _customer_group_selects(login: str, always_groups: Sequence[str]) -> list[GrantSelect]:
    groups, customer_user, extra = T["permission_groups"], T["customer_user"], T["customer_user_customer"]
    by_user, by_company = T["group_customer_user"], T["group_customer"]
    # Exact matches, as OTRS's GroupCustomerList (the collation decides on MySQL), so group_customer_customer_id
    # serves the lookup instead of a scan of every company's rows.
    companies = union(
        select(customer_user.c.customer_id).where(customer_user.c.login == login),
        select(extra.c.customer_id).where(extra.c.user_id == login),
    )
    selects: list[GrantSelect] = [
        select(_text("user"), cast(null(), String), groups.c.id, by_user.c.permission_key)
        .select_from(by_user.join(groups, groups.c.id == by_user.c.group_id))
        .where(by_user.c.user_id == login, by_user.c.permission_value == 1, groups.c.valid_id == VALID),
        select(by_company.c.permission_context, by_company.c.customer_id, groups.c.id, by_company.c.permission_key)
        .select_from(by_company.join(groups, groups.c.id == by_company.c.group_id))
        .where(
            by_company.c.customer_id.in_(companies),
            by_company.c.permission_context.in_([SAME_COMPANY, OTHER_COMPANY]),
            by_company.c.permission_value == 1,
            groups.c.valid_id == VALID,
        ),
    ]
    if always_groups:
        selects.append(
            select(_text("always"), cast(null(), String), groups.c.id, _text("rw")).where(
                groups.c.name.in_(list(always_groups)), groups.c.valid_id == VALID
            )
        )
    return selects


def _text(value: str) -> Cast[str]:
    # A typed constant: PostgreSQL cannot infer the type of a bare parameter in a UNION's select list.
    return cast(literal(value), String)


def _queue_select() -> Select[int, str, int, int]:
    queue = T["queue"]
    return select(queue.c.id, queue.c.name, queue.c.group_id, queue.c.valid_id)


def _queue_ref(row: Row[int, str, int, int]) -> QueueRef:
    return QueueRef(id=row[0], name=row[1], group_id=row[2], valid=row[3] == VALID)

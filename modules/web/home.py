"""The start page: a welcome for everyone, the helpdesk's figures for signed-in agents.

Agents see ticket counts by state type and by queue, and agent and customer counts, read with two aggregate
queries.  Everyone else (anonymous visitors, and customers until the customer portal exists) sees the welcome and
the sign-in buttons, and the page runs no ticket query for them: queue names and ticket volumes are internal.

When the database has no GOTRS tables yet the page says to run ``gotrs db init`` (to anyone: one catalogue query,
no helpdesk data); when the database cannot be reached it says so.  Neither case shows a raw database error.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Collection
from dataclasses import dataclass, field

from flask import render_template
from sqlalchemy import Connection, Engine, func, inspect, select
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from goatkit.auth.identity import Identity, current_identity
from goatkit.platform import current_platform
from goatkit.routing import handler
from modules.auth.realms import AGENT, CUSTOMER
from modules.db.schema import metadata
from modules.permissions import agent_permissions

log = logging.getLogger("gotrs.web.home")

APP_NAME = "GOTRS"
#: The start page's sign-in buttons, (label, href, primary); the header carries no sign-in link on this page, as
#: a third "Sign in" beside these would not say whose.
SIGN_IN_BUTTONS = [
    (f"{AGENT.label} sign-in", AGENT.login_path, True),
    (f"{CUSTOMER.label} sign-in", CUSTOMER.login_path, False),
]
TOP_QUEUES = 5
VALID = 1

#: The four buckets the page shows, in order.  OTRS state types map onto them by :func:`state_bucket`.
STATE_BUCKETS = ("new", "open", "pending", "closed")
ACTIVE_BUCKETS = frozenset({"new", "open", "pending"})

_ticket, _state, _state_type, _queue, _users, _customer_user = (
    metadata.tables[name] for name in ("ticket", "ticket_state", "ticket_state_type", "queue", "users", "customer_user")
)
PAGE_TABLES = tuple(t.name for t in (_ticket, _state, _state_type, _queue, _users, _customer_user))


@dataclass(frozen=True)
class Overview:
    """What the start page shows an agent about the helpdesk."""

    by_state: dict[str, int]
    #: The busiest queues by active (new, open or pending) tickets, most first: [(queue name, count)].
    top_queues: list[tuple[str, int]] = field(default_factory=list)
    agents: int = 0
    customers: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def active(self) -> int:
        return sum(count for bucket, count in self.by_state.items() if bucket in ACTIVE_BUCKETS)


def state_bucket(state_type: str) -> str:
    """Map an OTRS state type to a start-page bucket.

    ``pending reminder`` and ``pending auto`` are pending; ``merged`` and ``removed`` count as closed, since neither
    needs work.
    """
    if state_type in ("new", "open"):
        return state_type
    if state_type.startswith("pending"):
        return "pending"
    return "closed"


def load_overview(conn: Connection, top: int = TOP_QUEUES, group_ids: Collection[int] | None = None) -> Overview:
    """Read the start-page figures with two aggregate queries.

    ``group_ids`` limits the ticket figures to queues of those groups (the groups an agent may read); ``None``
    counts every queue.
    """
    by_state = dict.fromkeys(STATE_BUCKETS, 0)
    per_queue: dict[str, int] = {}
    tickets = (
        select(_state_type.c.name, _queue.c.name, func.count())
        .select_from(
            _ticket.join(_state, _ticket.c.ticket_state_id == _state.c.id)
            .join(_state_type, _state.c.type_id == _state_type.c.id)
            .join(_queue, _ticket.c.queue_id == _queue.c.id)
        )
        .group_by(_state_type.c.name, _queue.c.name)
    )
    if group_ids is not None:
        tickets = tickets.where(_queue.c.group_id.in_(list(group_ids)))
    for state_type, queue, count in conn.execute(tickets):
        bucket = state_bucket(state_type)
        by_state[bucket] += count
        if bucket in ACTIVE_BUCKETS:
            per_queue[queue] = per_queue.get(queue, 0) + count
    busiest = sorted(per_queue.items(), key=lambda item: (-item[1], item[0]))[:top]

    people = select(
        select(func.count()).select_from(_users).where(_users.c.valid_id == VALID).scalar_subquery(),
        select(func.count()).select_from(_customer_user).where(_customer_user.c.valid_id == VALID).scalar_subquery(),
    )
    agents, customers = conn.execute(people).one()
    return Overview(by_state=by_state, top_queues=busiest, agents=agents, customers=customers)


#: Engines whose schema was seen complete: the public page stops asking the catalogue on every visit.
_initialised: weakref.WeakSet[Engine] = weakref.WeakSet()


def database_problem(engine: Engine) -> str | None:
    """Say what keeps the page from working: ``"unreachable"``, ``"uninitialised"``, or ``None`` if neither."""
    try:
        with engine.connect() as conn:
            present = inspect(conn).get_table_names()
    except SQLAlchemyError:
        return "unreachable"
    if set(PAGE_TABLES) <= set(present):
        _initialised.add(engine)
        return None
    return "uninitialised"


@handler("home.index")
def index() -> tuple[str, int]:
    identity = current_identity()
    if identity is not None and identity.realm == AGENT.name:
        return _agent_page(identity)
    return _public_page(identity)


def _agent_page(identity: Identity) -> tuple[str, int]:
    engine = current_platform().engine
    try:
        with engine.connect() as conn:
            readable = agent_permissions(conn, int(identity.id)).groups_with("ro")
            overview = load_overview(conn, group_ids=readable)
    except (OperationalError, ProgrammingError) as exc:
        problem = database_problem(engine)
        if problem is None:
            raise  # the tables are there: a real fault, answered as "Something went wrong (ref ...)"
        log.warning("start page: database %s (%s: %s)", problem, exc.__class__.__name__, exc.orig)
        return _render(identity=identity, problem=problem), 503
    return _render(identity=identity, overview=overview), 200


def _public_page(identity: Identity | None) -> tuple[str, int]:
    """The welcome and the sign-in buttons; only the catalogue is read, to point a new installation at db init."""
    engine = current_platform().engine
    problem = None if engine in _initialised else database_problem(engine)
    if problem is not None:
        log.warning("start page: database %s", problem)
        return _render(identity=identity, problem=problem), 503
    return _render(identity=identity, sign_in=SIGN_IN_BUTTONS if identity is None else []), 200


def _render(
    *,
    identity: Identity | None,
    overview: Overview | None = None,
    problem: str | None = None,
    sign_in: list[tuple[str, str, bool]] | None = None,
) -> str:
    return render_template(
        "home.html",
        app_name=APP_NAME,
        identity=identity,
        is_agent=identity is not None and identity.realm == AGENT.name,
        overview=overview,
        problem=problem,
        sign_in=sign_in or [],
    )

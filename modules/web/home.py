"""The start page: a welcome, ticket counts by state type and by queue, agent and customer counts, and links.

Two aggregate queries feed it.  When the database has no GOTRS tables yet the page says to run ``gotrs db init``;
when the database cannot be reached it says so.  Neither case shows a raw database error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Blueprint, render_template
from sqlalchemy import Connection, Engine, column, func, inspect, select, table
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from goatkit.platform import current_platform

log = logging.getLogger("gotrs.web.home")

bp = Blueprint("home", __name__, template_folder="../templates")

APP_NAME = "GOTRS"
#: Header buttons; the sign-in page arrives with authentication.
HEADER_LINKS = [{"label": "Sign in", "href": "/login", "primary": True}]
TOP_QUEUES = 5
VALID = 1

#: The four buckets the page shows, in order.  OTRS state types map onto them by :func:`state_bucket`.
STATE_BUCKETS = ("new", "open", "pending", "closed")
ACTIVE_BUCKETS = frozenset({"new", "open", "pending"})

# Lightweight table descriptions: the page needs only these columns of the OTRS schema.
_ticket = table("ticket", column("queue_id"), column("ticket_state_id"))
_state = table("ticket_state", column("id"), column("type_id"))
_state_type = table("ticket_state_type", column("id"), column("name"))
_queue = table("queue", column("id"), column("name"))
_users = table("users", column("valid_id"))
_customer_user = table("customer_user", column("valid_id"))
PAGE_TABLES = ("ticket", "ticket_state", "ticket_state_type", "queue", "users", "customer_user")


@dataclass(frozen=True)
class Overview:
    """What the start page shows about the helpdesk."""

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


def load_overview(conn: Connection, top: int = TOP_QUEUES) -> Overview:
    """Read the start-page figures with two aggregate queries."""
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


def database_problem(engine: Engine) -> str | None:
    """Say why the overview could not be read: ``"unreachable"``, ``"uninitialised"``, or ``None`` if neither."""
    try:
        with engine.connect() as conn:
            present = inspect(conn).get_table_names()
    except SQLAlchemyError:
        return "unreachable"
    return None if set(PAGE_TABLES) <= set(present) else "uninitialised"


@bp.get("/")
def index() -> tuple[str, int]:
    engine = current_platform().engine
    try:
        with engine.connect() as conn:
            overview = load_overview(conn)
    except (OperationalError, ProgrammingError) as exc:
        problem = database_problem(engine)
        if problem is None:
            raise  # the tables are there: a real fault, answered as "Something went wrong (ref ...)"
        log.warning("start page: database %s (%s: %s)", problem, exc.__class__.__name__, exc.orig)
        return _render(overview=None, problem=problem), 503
    return _render(overview=overview, problem=None), 200


def _render(**context: object) -> str:
    return render_template("home.html", app_name=APP_NAME, header_links=HEADER_LINKS, **context)

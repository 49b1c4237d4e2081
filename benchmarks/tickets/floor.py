"""The queue view's floor: the agent's 50 newest viewable tickets, written by hand with Core and a plain Jinja2 table.

One keyset statement with the lookup joins and the same permission condition the app applies (OTRS's read
permission: the queue's group grants the agent ``ro`` or ``rw``, or the agent owns, is responsible for or watches
the ticket), the viewable states (new, open, pending), newest id first; with ``fields`` one more statement reads
those dynamic fields' values of the page's rows.  No sign-in: the agent is the ``user_id`` parameter.

    GET /queues?user_id=U                     all queues the agent may read
    GET /queues?user_id=U&queue_id=Q          one queue
    ...&after=<id>                            the next page
    ...&fields=Category,OrderNumber           dynamic-field columns

Served by gunicorn: ``BENCH_DB_URL=... gunicorn 'benchmarks.tickets.floor:create_app()'``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, abort, render_template, request
from sqlalchemy import Select, bindparam, create_engine, or_, select

from benchmarks.engine.timing import ServerTiming
from modules.db.schema import metadata

PAGE_SIZE = 50
VIEWABLE_TYPES = ("new", "open", "pending reminder", "pending auto")
T = metadata.tables
ticket, queue, state, state_type = T["ticket"], T["queue"], T["ticket_state"], T["ticket_state_type"]
lock, priority, users, group_user = T["ticket_lock_type"], T["ticket_priority"], T["users"], T["group_user"]
groups, watcher, field, value = (
    T["permission_groups"],
    T["ticket_watcher"],
    T["dynamic_field"],
    T["dynamic_field_value"],
)

_me = bindparam("user_id")
_READABLE = (
    select(queue.c.id)
    .join(group_user, group_user.c.group_id == queue.c.group_id)
    .join(groups, groups.c.id == queue.c.group_id)
    .where(
        group_user.c.user_id == _me,
        group_user.c.permission_key.in_(("ro", "rw")),
        queue.c.valid_id == 1,
        groups.c.valid_id == 1,
    )
)
_VIEWABLE = (
    select(state.c.id).join(state_type, state_type.c.id == state.c.type_id).where(state_type.c.name.in_(VIEWABLE_TYPES))
)
_MAY_READ = or_(
    ticket.c.queue_id.in_(_READABLE),
    ticket.c.user_id == _me,
    ticket.c.responsible_user_id == _me,
    ticket.c.id.in_(select(watcher.c.ticket_id).where(watcher.c.user_id == _me)),
)


def _page() -> Select[Any]:
    return (
        select(
            ticket.c.id,
            ticket.c.tn,
            ticket.c.title,
            ticket.c.customer_id,
            ticket.c.create_time,
            queue.c.name.label("queue"),
            state.c.name.label("state"),
            lock.c.name.label("lock"),
            priority.c.name.label("priority"),
            users.c.login.label("owner"),
        )
        .join(queue, queue.c.id == ticket.c.queue_id)
        .join(state, state.c.id == ticket.c.ticket_state_id)
        .join(lock, lock.c.id == ticket.c.ticket_lock_id)
        .join(priority, priority.c.id == ticket.c.ticket_priority_id)
        .join(users, users.c.id == ticket.c.user_id)
        .where(ticket.c.ticket_state_id.in_(_VIEWABLE), _MAY_READ)
        .order_by(ticket.c.id.desc())
        .limit(PAGE_SIZE)
    )


ALL = _page()
ALL_AFTER = ALL.where(ticket.c.id < bindparam("after"))
ONE = ALL.where(ticket.c.queue_id == bindparam("queue_id"))
ONE_AFTER = ONE.where(ticket.c.id < bindparam("after"))
VALUES = (
    select(value.c.object_id, field.c.name, value.c.value_text, value.c.value_date, value.c.value_int)
    .join(field, field.c.id == value.c.field_id)
    .where(
        value.c.object_id.in_(bindparam("ids", expanding=True)), field.c.name.in_(bindparam("names", expanding=True))
    )
)


def statement(args: Any) -> tuple[Select[Any], dict[str, Any]]:
    """The statement and parameters of a request; 400 for a bad number."""
    try:
        params: dict[str, Any] = {"user_id": int(args["user_id"])}
        if "queue_id" in args:
            params["queue_id"] = int(args["queue_id"])
        if args.get("after"):
            params["after"] = int(args["after"])
    except (KeyError, ValueError):
        abort(400)
    chosen = {(False, False): ALL, (False, True): ALL_AFTER, (True, False): ONE, (True, True): ONE_AFTER}
    return chosen["queue_id" in params, "after" in params], params


def create_app(db_url: str | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).with_name("templates")))
    engine = create_engine(db_url or os.environ["BENCH_DB_URL"], pool_size=2)

    @app.get("/queues")
    def queues() -> str:
        chosen, params = statement(request.args)
        names = [name for name in request.args.get("fields", "").split(",") if name]
        values: dict[tuple[int, str], Any] = {}
        with engine.connect() as conn:
            rows = conn.execute(chosen, params).all()
            if names and rows:
                found = conn.execute(VALUES, {"ids": [row.id for row in rows], "names": names})
                for object_id, name, text_value, date_value, int_value in found:
                    shown = text_value if text_value is not None else date_value or int_value
                    values[object_id, name] = shown
        next_after = rows[-1].id if len(rows) == PAGE_SIZE else None
        return render_template(
            "queue_floor.html", rows=rows, fields=names, values=values, next_after=next_after, user_id=params["user_id"]
        )

    app.wsgi_app = ServerTiming(app.wsgi_app)  # type: ignore[method-assign]
    return app

"""The floor: the ticket list written by hand, as fast as plain Flask + SQLAlchemy Core + Jinja2 get.

One keyset query with the 4 lookup joins (one round trip; the lookup tables are tiny, so the planner runs nested
loops over their primary keys), 50 rows, a plain Jinja2 table.  The statements are built once, with bound
parameters, as a careful hand-written page would.  The engine must reach 50% of this throughput on every shape.

    GET /tickets                                   first page, newest id first
    GET /tickets?after=<id>                        the page after ticket <id>, same order
    GET /tickets?queue_id=Q&sort=create_time       queue Q, oldest first; next pages: &after=<iso time>~<id>

Served by gunicorn: ``BENCH_DB_URL=... gunicorn 'benchmarks.engine.floor:create_app()'``.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, abort, render_template, request
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    create_engine,
    select,
    tuple_,
)

from benchmarks.engine.timing import ServerTiming

PAGE_SIZE = 50
metadata = MetaData()


def _lookup(name: str) -> Table:
    return Table(name, metadata, Column("id", Integer, primary_key=True), Column("name", String), Column("valid_id"))


queue, state, priority, users = (
    _lookup(n) for n in ("bench_queue", "bench_ticket_state", "bench_ticket_priority", "bench_users")
)
ticket = Table(
    "bench_ticket",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("tn", String),
    Column("title", String),
    Column("queue_id", Integer),
    Column("ticket_state_id", Integer),
    Column("ticket_priority_id", Integer),
    Column("user_id", Integer),
    Column("create_time", DateTime),
)


def _page() -> Select[Any]:
    return (
        select(
            ticket.c.id,
            ticket.c.tn,
            ticket.c.title,
            ticket.c.create_time,
            queue.c.name.label("queue"),
            state.c.name.label("state"),
            priority.c.name.label("priority"),
            users.c.name.label("owner"),
        )
        .join(queue, queue.c.id == ticket.c.queue_id)
        .join(state, state.c.id == ticket.c.ticket_state_id)
        .join(priority, priority.c.id == ticket.c.ticket_priority_id)
        .join(users, users.c.id == ticket.c.user_id)
        .limit(PAGE_SIZE)
    )


BY_ID = _page().order_by(ticket.c.id.desc())
BY_ID_AFTER = BY_ID.where(ticket.c.id < bindparam("after_id"))
IN_QUEUE_BY_TIME = _page().where(ticket.c.queue_id == bindparam("queue_id")).order_by(ticket.c.create_time, ticket.c.id)
IN_QUEUE_BY_TIME_AFTER = IN_QUEUE_BY_TIME.where(
    tuple_(ticket.c.create_time, ticket.c.id) > tuple_(bindparam("after_time"), bindparam("after_id"))
)


def id_cursor(ticket_id: int) -> str:
    return str(ticket_id)


def time_cursor(create_time: datetime, ticket_id: int) -> str:
    return f"{create_time.isoformat()}~{ticket_id}"


def _statement(args: Any) -> tuple[Select[Any], dict[str, Any]]:
    after = args.get("after")
    try:
        if args.get("sort", "-id") == "-id" and "queue_id" not in args:
            return (BY_ID_AFTER, {"after_id": int(after)}) if after else (BY_ID, {})
        if args.get("sort") == "create_time" and "queue_id" in args:
            params: dict[str, Any] = {"queue_id": int(args["queue_id"])}
            if not after:
                return IN_QUEUE_BY_TIME, params
            when, _, key = after.partition("~")
            return IN_QUEUE_BY_TIME_AFTER, {**params, "after_time": datetime.fromisoformat(when), "after_id": int(key)}
    except ValueError:
        abort(400)
    abort(400)


def create_app(db_url: str | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).with_name("templates")))
    engine = create_engine(db_url or os.environ["BENCH_DB_URL"], pool_size=2)

    @app.get("/tickets")
    def tickets() -> str:
        statement, params = _statement(request.args)
        with engine.connect() as conn:
            rows = conn.execute(statement, params).all()
        next_after = None
        if len(rows) == PAGE_SIZE:
            last = rows[-1]
            by_time = statement in (IN_QUEUE_BY_TIME, IN_QUEUE_BY_TIME_AFTER)
            next_after = time_cursor(last.create_time, last.id) if by_time else id_cursor(last.id)
        return render_template("floor_list.html", rows=rows, next_after=next_after, args=request.args)

    app.wsgi_app = ServerTiming(app.wsgi_app)  # type: ignore[method-assign]
    return app

"""Flask-Admin on the same table, for reference: what a popular generic admin costs out of the box.

Its own behaviour is kept (a ``COUNT(*)`` on every page, OFFSET paging, joined eager loads of the relationships in
the list): the point is to show where a generic admin usually lands, not to tune Flask-Admin.

    GET /admin/bench_ticket/                                   first page, newest id first
    GET /admin/bench_ticket/?flt1_0=Q&sort=7                   queue Q, oldest first (column 7 is create_time)
    GET /admin/bench_ticket/?page=5000                         OFFSET 250,000

Served by gunicorn: ``BENCH_DB_URL=... gunicorn 'benchmarks.engine.flask_admin_ref:create_app()'``.
Needs the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import os
from datetime import datetime

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from benchmarks.engine.timing import ServerTiming

PAGE_SIZE = 50


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class _Lookup:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    valid_id: Mapped[int] = mapped_column(Integer)

    def __str__(self) -> str:
        return self.name


class Queue(_Lookup, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_queue"


class State(_Lookup, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_ticket_state"


class Priority(_Lookup, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_ticket_priority"


class User(_Lookup, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_users"


class Ticket(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_ticket"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tn: Mapped[str] = mapped_column(String)
    title: Mapped[str] = mapped_column(String)
    queue_id: Mapped[int] = mapped_column(ForeignKey("bench_queue.id"))
    ticket_state_id: Mapped[int] = mapped_column(ForeignKey("bench_ticket_state.id"))
    ticket_priority_id: Mapped[int] = mapped_column(ForeignKey("bench_ticket_priority.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("bench_users.id"))
    create_time: Mapped[datetime]
    queue: Mapped[Queue] = relationship()
    state: Mapped[State] = relationship()
    priority: Mapped[Priority] = relationship()
    owner: Mapped[User] = relationship()


class TicketView(ModelView):  # type: ignore[misc]
    can_create = can_edit = can_delete = False
    page_size = PAGE_SIZE
    column_list = ("id", "tn", "title", "queue", "state", "priority", "owner", "create_time")
    column_sortable_list = ("id", "tn", "title", "create_time")
    column_default_sort = ("id", True)
    column_filters = (IntEqualFilter(Ticket.queue_id, "Queue id"),)


def create_app(db_url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=db_url or os.environ["BENCH_DB_URL"],
        SECRET_KEY="benchmark-only",  # noqa: S106 - a throwaway app on loopback; no sessions are used
    )
    db.init_app(app)
    admin = Admin(app, name="bench")
    admin.add_view(TicketView(Ticket, db, endpoint="bench_ticket"))
    app.wsgi_app = ServerTiming(app.wsgi_app)  # type: ignore[method-assign]
    return app

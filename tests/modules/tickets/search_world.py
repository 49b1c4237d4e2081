"""Test data for the search tests: tickets and articles inserted with plain SQL, indexed in the same transaction.

Until the ticket service exists the search index is fed the way the service will feed it: the index function runs
on the connection of the insert.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from modules.tickets.search_index import index_article, index_ticket
from tests.conftest import require_service
from tests.modules.permissions.world import NOW, ROOT, T, World, make_database

EMAIL_CHANNEL, AGENT_SENDER = 1, 1  # OTRS initial data: communication channel "Email", sender type "agent"
OPEN_STATE, NEW_STATE, CLOSED_STATE = 4, 1, 2  # ticket_state ids of "open", "new", "closed successful"


def insert_ticket(conn: Connection, number: int, queue_id: int, **columns: Any) -> int:
    """A ticket row with OTRS's required columns; ``columns`` override (``title``, ``user_id``, ...)."""
    created = columns.pop("create_time", NOW + timedelta(minutes=number))
    row = {
        "tn": f"2024031510{number:06d}",
        "title": f"Ticket {number}",
        "queue_id": queue_id,
        "ticket_lock_id": 1,
        "user_id": ROOT,
        "responsible_user_id": ROOT,
        "ticket_priority_id": 3,
        "ticket_state_id": NEW_STATE,
        "timeout": 0,
        "until_time": 0,
        "escalation_time": 0,
        "escalation_update_time": 0,
        "escalation_response_time": 0,
        "escalation_solution_time": 0,
        "archive_flag": 0,
        "create_time": created,
        "create_by": ROOT,
        "change_time": columns.pop("change_time", created),
        "change_by": ROOT,
        **columns,
    }
    return int(conn.execute(insert(T["ticket"]).values(**row)).inserted_primary_key[0])


def insert_article(
    conn: Connection,
    ticket_id: int,
    *,
    subject: str = "",
    body: str = "",
    a_from: str | None = None,
    a_to: str | None = None,
    a_cc: str | None = None,
) -> int:
    """An email article with its ``article_data_mime`` row."""
    audit = {"create_time": NOW, "create_by": ROOT, "change_time": NOW, "change_by": ROOT}
    article_id = conn.execute(
        insert(T["article"]).values(
            ticket_id=ticket_id,
            article_sender_type_id=AGENT_SENDER,
            communication_channel_id=EMAIL_CHANNEL,
            is_visible_for_customer=1,
            search_index_needs_rebuild=0,
            **audit,
        )
    ).inserted_primary_key[0]
    conn.execute(
        insert(T["article_data_mime"]).values(
            article_id=article_id,
            a_subject=subject,
            a_body=body,
            a_from=a_from,
            a_to=a_to,
            a_cc=a_cc,
            incoming_time=0,
            **audit,
        )
    )
    return int(article_id)


class SearchWorld(World):
    """The permission tests' builder, plus indexed tickets and articles (each in its own transaction)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._ticket_numbers = 0

    def indexed_ticket(self, queue_id: int, **columns: Any) -> int:
        self._ticket_numbers += 1
        with self.engine.begin() as conn:
            ticket_id = insert_ticket(conn, self._ticket_numbers, queue_id, **columns)
            index_ticket(conn, ticket_id)
        return ticket_id

    def indexed_article(self, ticket_id: int, **fields: Any) -> int:
        with self.engine.begin() as conn:
            article_id = insert_article(conn, ticket_id, **fields)
            index_article(conn, article_id)
        return article_id


def at(day: int, hour: int = 12) -> datetime:
    """A time in March 2024, for the time filters."""
    return datetime(2024, 3, day, hour, 0, 0)


@contextmanager
def shared_database(kind: str, folder: Path) -> Iterator[Engine]:
    """A migrated database with the initial data, for a whole test module (``kind``: sqlite or postgresql).

    The ``db_url`` fixture is per test; read-only search tests share one database per backend instead.
    """
    if kind == "sqlite":
        engine = make_database(f"sqlite:///{folder / 'search.db'}")
        yield engine
        engine.dispose()
        return
    server = make_url(require_service("GOTRS_TEST_PG_URL", "PostgreSQL"))
    name = f"gotrs_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"))
    engine = make_database(server.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

"""Test world of the automation tests: one GOTRS app per backend and test module, and a builder for its data.

Jobs act on every ticket their conditions match, so each test names its own queue in its conditions, and every
job is deleted after its test (``no_jobs_left``).  Tickets are made through the ticket service in the app's
context, so the automation's event listeners and the lambda sandbox are the real ones.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from goatkit.engine.extension import modules
from modules.automation import storage, triggers
from modules.automation.model import Job
from modules.automation.runner import RunResult, run_job
from modules.db.schema import metadata
from modules.tickets.actor import Actor
from modules.tickets.drafts import ArticleDraft, TicketDraft
from modules.tickets.service import TicketService
from modules.tickets.tx import run_in_transaction
from tests.modules.auth import Helpdesk, make_helpdesk
from tests.modules.permissions.world import World
from tests.modules.tickets.ticket_world import _postgres

T = metadata.tables
NOW = datetime(2024, 3, 15, 12, 0, 0)
USERS_GROUP = 1
_COUNTER = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def helpdesk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Helpdesk]:
    """A GOTRS app on a migrated database, for the test module, on each backend."""
    var = tmp_path_factory.mktemp("automation")
    if request.param == "sqlite":
        yield from _app(f"sqlite:///{var / 'gotrs.db'}", var)
        return
    for url in _postgres():
        yield from _app(url, var)


def _app(url: str, var: Path) -> Iterator[Helpdesk]:
    made = make_helpdesk(url, var / "var")
    try:
        yield made
    finally:
        modules(made.app).stop()
        made.close()


@pytest.fixture
def auto(helpdesk: Helpdesk) -> Iterator[Auto]:
    made = Auto(helpdesk)
    yield made
    with helpdesk.engine.begin() as conn:
        conn.execute(delete(storage.TABLE))
    triggers.forget(helpdesk.engine)


class Auto:
    """Builds queues, agents, tickets and jobs; runs jobs in the app's context."""

    def __init__(self, desk: Helpdesk) -> None:
        self.desk = desk
        self.engine = desk.engine
        self.world = World(desk.engine)

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(_COUNTER)}-{uuid.uuid4().hex[:6]}"

    def queue(self, group_id: int = USERS_GROUP) -> int:
        return int(self.world.queue(self.unique("queue"), group_id))

    def agent(self, grants: dict[int, tuple[str, ...]] | None = None) -> int:
        user_id = int(self.world.agent(self.unique("agent")))
        for group_id, keys in (grants if grants is not None else {USERS_GROUP: ("rw",)}).items():
            self.world.grant(user_id, group_id, *keys)
        return user_id

    def ticket(self, queue: int, title: str = "Printer jams", subject: str | None = None, **draft: Any) -> int:
        body = draft.pop("body", "It jams.")
        with self.desk.app.app_context(), self.engine.begin() as conn:
            created = TicketService(conn, Actor.system()).create(
                TicketDraft(title=title, queue=queue, **draft),
                ArticleDraft(
                    channel="Phone",
                    sender_type="customer",
                    history_type="PhoneCallCustomer",
                    body=body,
                    subject=subject if subject is not None else title,
                    visible_for_customer=True,
                ),
            )
        return created.ticket_id

    def act(self, action: str, *args: Any, **kwargs: Any) -> Any:
        """A ticket action by the system, committed, in the app's context (so event jobs run after it)."""
        with self.desk.app.app_context():
            return run_in_transaction(
                self.engine, lambda conn: getattr(TicketService(conn, Actor.system()), action)(*args, **kwargs)
            )

    def save(self, job: Job) -> Job:
        with self.engine.begin() as conn:
            storage.save(conn, job)
        triggers.forget(self.engine)
        return job

    def load(self, name: str) -> Job:
        with self.engine.connect() as conn:
            found = storage.load(conn, name)
        assert found is not None
        return found

    def run(self, job: Job, now: datetime = NOW, **options: Any) -> RunResult:
        with self.desk.app.app_context():
            return run_in_transaction(self.engine, lambda conn: run_job(conn, job, now=now, **options))

    def row(self, ticket_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(T["ticket"]).where(T["ticket"].c.id == ticket_id)).mappings().first()
        return dict(found) if found else None

    def history(self, ticket_id: int) -> list[tuple[str, str]]:
        history, types = T["ticket_history"], T["ticket_history_type"]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(types.c.name, history.c.name, history.c.create_by)
                .select_from(history.join(types, types.c.id == history.c.history_type_id))
                .where(history.c.ticket_id == ticket_id)
                .order_by(history.c.id)
            )
            return [(row[0], row[1]) for row in rows]

    def count(self, table: str, **where: Any) -> int:
        t = T[table]
        with self.engine.connect() as conn:
            return len(conn.execute(select(t).where(*(t.c[k] == v for k, v in where.items()))).all())

    def insert(self, table: str, **row: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(T[table]).values(**row))

    def id_of(self, table: str, name: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(T[table].c.id).where(T[table].c.name == name)).scalar_one())

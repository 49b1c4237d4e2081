"""Test data for the ticket-domain tests: one migrated OTRS database per backend and test module, and a builder.

Migrating a database costs seconds, so each test module shares one database per backend (the ``engine`` fixture,
SQLite and PostgreSQL like ``db_url``); every test makes its own agents, queues and tickets with unique names, so
tests never see each other's rows.  Test modules bind the fixtures they use to module names:

    database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text
from sqlalchemy.engine import make_url

from goatkit.db import make_engine
from modules.db import MIGRATIONS
from modules.db.schema import metadata
from modules.db.seed import insert_initial_data
from modules.tickets.actor import Actor
from modules.tickets.drafts import ArticleDraft, TicketDraft
from modules.tickets.events import bus
from modules.tickets.options import TicketOptions
from modules.tickets.service import Created, TicketService
from modules.tickets.tx import run_in_transaction
from tests.conftest import require_service
from tests.modules.permissions.world import World

T = metadata.tables
NOW = datetime(2024, 3, 15, 12, 0, 0)
USERS_GROUP = 1
RAW, MISC = 2, 4  # OTRS's initial queues, both in group "users"
_COUNTER = itertools.count(1)
#: The first article Desk.create uses: a customer's phone call, as OTRS's phone ticket screen writes it.
PHONE_CALL = ArticleDraft(
    body="It burns.",
    subject="Printer on fire",
    channel="Phone",
    sender_type="customer",
    visible_for_customer=True,
    history_type="PhoneCallCustomer",
)


def exactly(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern for exactly this message."""
    return f"^{re.escape(message)}$"


def _postgres() -> Iterator[str]:
    server = make_url(require_service("GOTRS_TEST_PG_URL", "PostgreSQL"))
    name = f"gotrs_tickets_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated OTRS database (initial data only) for the test module, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('tickets') / 'gotrs.db'}"
        _migrate(url)
        yield url
        return
    for url in _postgres():
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    engine = make_engine(url)
    MIGRATIONS.upgrade(engine)
    with engine.begin() as conn:
        insert_initial_data(conn, admin_password="admin password")
    engine.dispose()


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def desk(engine: Engine) -> Iterator[Desk]:
    with bus.isolated():  # listeners other modules registered (search indexing) stay out of these tests
        yield Desk(engine)


class Desk:
    """Builds agents, queues and tickets with unique names; every method commits."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.world = World(engine)
        self.now = NOW

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(_COUNTER)}-{uuid.uuid4().hex[:6]}"

    def agent(self, prefix: str = "agent", grants: dict[int, tuple[str, ...]] | None = None, **names: str) -> int:
        """A valid agent with ``grants`` ({group id: keys}); default rw on group users."""
        user_id = self.world.agent(self.unique(prefix))
        if names:
            with self.engine.begin() as conn:
                conn.execute(T["users"].update().where(T["users"].c.id == user_id).values(**names))
        for group_id, keys in (grants if grants is not None else {USERS_GROUP: ("rw",)}).items():
            self.world.grant(user_id, group_id, *keys)
        return user_id

    def group(self, prefix: str = "group") -> int:
        return self.world.group(self.unique(prefix))

    def queue(self, group_id: int = USERS_GROUP, *, prefix: str = "queue", **columns: Any) -> int:
        queue_id = self.world.queue(self.unique(prefix), group_id)
        if columns:
            with self.engine.begin() as conn:
                conn.execute(T["queue"].update().where(T["queue"].c.id == queue_id).values(**columns))
        return queue_id

    def login(self, user_id: int) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(select(T["users"].c.login).where(T["users"].c.id == user_id)).scalar_one())

    def actor(self, conn: Connection, user_id: int | None) -> Actor:
        return Actor.system() if user_id is None else Actor.agent(conn, user_id)

    def service(self, conn: Connection, user_id: int | None = None, **options: Any) -> TicketService:
        return TicketService(conn, self.actor(conn, user_id), options=TicketOptions(**options), now=self.now)

    def do(self, user_id: int | None, action: str, *args: Any, **kwargs: Any) -> Any:
        """Run one service action in its own committed transaction."""
        with self.engine.begin() as conn:
            return getattr(self.service(conn, user_id), action)(*args, **kwargs)

    def create(self, user_id: int | None = None, article: ArticleDraft | None = None, **draft: Any) -> Created:
        values = {"title": "Printer on fire", "queue": RAW, **draft}
        body = article if article is not None else PHONE_CALL
        return self.do(user_id, "create", TicketDraft(**values), body)  # type: ignore[no-any-return]

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(T["ticket"]).where(T["ticket"].c.id == ticket_id)).mappings().one())

    def history(self, ticket_id: int) -> list[tuple[str, str]]:
        """(history type, name) of the ticket's rows, in order."""
        history, types = T["ticket_history"], T["ticket_history_type"]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(types.c.name, history.c.name)
                .select_from(history.join(types, types.c.id == history.c.history_type_id))
                .where(history.c.ticket_id == ticket_id)
                .order_by(history.c.id)
            )
            return [(row[0], row[1]) for row in rows]

    def history_rows(self, ticket_id: int) -> list[dict[str, Any]]:
        history = T["ticket_history"]
        with self.engine.connect() as conn:
            query = select(history).where(history.c.ticket_id == ticket_id).order_by(history.c.id)
            return [dict(row) for row in conn.execute(query).mappings()]

    def rows(self, table: str, **where: Any) -> list[dict[str, Any]]:
        table_ = T[table]
        with self.engine.connect() as conn:
            query = select(table_).where(*(table_.c[key] == value for key, value in where.items()))
            return [dict(row) for row in conn.execute(query).mappings()]

    def insert(self, table: str, **row: Any) -> Any:
        with self.engine.begin() as conn:
            result = conn.execute(insert(T[table]).values(**row))
            return result.inserted_primary_key[0] if result.inserted_primary_key else None


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block (transaction control left out)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.strip().upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def create_many(url: str, count: int, queue_id: int, now: datetime) -> list[str]:
    """Create ``count`` tickets in their own transactions from a fresh process (the concurrency test)."""
    engine = make_engine(url)
    numbers = []
    try:
        for index in range(count):
            draft = TicketDraft(title=f"Concurrent {index}", queue=queue_id)

            def work(conn: Connection, draft: TicketDraft = draft) -> Created:
                return TicketService(conn, Actor.system(), options=TicketOptions(), now=now).create(draft)

            numbers.append(run_in_transaction(engine, work).tn)
    finally:
        engine.dispose()
    return numbers

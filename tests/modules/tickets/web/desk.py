"""A helpdesk for the agent screen tests: agents with chosen OTRS keys, tickets made through the service."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from goatkit.passwords import hash_password
from modules.tickets.actor import Actor
from modules.tickets.drafts import ArticleDraft, TicketDraft
from modules.tickets.service import TicketService
from tests.modules.auth import Helpdesk
from tests.modules.permissions.world import NOW, T, World

PASSWORD = "Agent-Pw-123"
HTMX = {"HX-Request": "true"}
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass
class Agent:
    """A signed-in agent's browser: cookies, the page's CSRF token, and helpers to read and post."""

    desk: Helpdesk
    user_id: int
    login: str
    client: FlaskClient = field(init=False)
    csrf: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.client = self.desk.client()
        assert self.desk.browser_login(self.client, self.login, PASSWORD).status_code in (302, 303)
        match = _META_CSRF.search(self.client.get("/").get_data(as_text=True))
        assert match, "the start page has no csrf-token meta tag"
        self.csrf = match.group(1)

    def get(self, path: str, **headers: str) -> Any:
        return self.client.get(path, headers=headers)

    def html(self, path: str, **headers: str) -> str:
        response = self.get(path, **headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:800]
        return str(response.get_data(as_text=True))

    def post(self, path: str, data: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, headers=headers)


class Tickets:
    """Builds the world of a test: groups, queues, agents with keys, tickets through the service."""

    def __init__(self, desk: Helpdesk) -> None:
        self.desk = desk
        self.world = World(desk.engine)

    def agent(self, login: str, grants: dict[int, tuple[str, ...]] | None = None) -> Agent:
        user_id = self.world.agent(login)
        with self.desk.engine.begin() as conn:
            users = T["users"]
            conn.execute(users.update().where(users.c.id == user_id).values(pw=hash_password(PASSWORD)))
        for group_id, keys in (grants or {}).items():
            self.world.grant(user_id, group_id, *keys)
        return Agent(self.desk, user_id, login)

    def ticket(self, queue: int | str, title: str = "Printer jams", body: str = "It jams.", **draft: Any) -> int:
        """A ticket made by the system (no permission check), with a first phone article."""
        with self.desk.app.app_context(), self.desk.engine.begin() as conn:
            service = TicketService(conn, Actor.system())
            created = service.create(
                TicketDraft(title=title, queue=queue, **draft),
                ArticleDraft(
                    channel="Phone",
                    sender_type="customer",
                    history_type="PhoneCallCustomer",
                    body=body,
                    subject=title,
                    visible_for_customer=True,
                ),
            )
        return created.ticket_id

    def row(self, ticket_id: int) -> Any:
        with self.desk.engine.connect() as conn:
            return conn.execute(select(T["ticket"]).where(T["ticket"].c.id == ticket_id)).one()

    def history(self, ticket_id: int) -> list[str]:
        history, types = T["ticket_history"], T["ticket_history_type"]
        with self.desk.engine.connect() as conn:
            rows = conn.execute(
                select(types.c.name)
                .select_from(history.join(types, types.c.id == history.c.history_type_id))
                .where(history.c.ticket_id == ticket_id)
                .order_by(history.c.id)
            )
            return [row[0] for row in rows]

    def insert(self, table: str, **row: Any) -> Any:
        """A row of ``table`` with the audit columns filled in; returns its id."""
        columns = T[table].c
        audit = {"create_time": NOW, "create_by": 1, "change_time": NOW, "change_by": 1}
        values = {**{k: v for k, v in audit.items() if k in columns}, **row}
        with self.desk.engine.begin() as conn:
            result = conn.execute(T[table].insert().values(**values))
            return result.inserted_primary_key[0] if result.inserted_primary_key else None

    def scalar(self, query: Any) -> Any:
        with self.desk.engine.connect() as conn:
            return conn.execute(query).scalar()


def id_of(tickets: Tickets, table: str, name: str) -> int:
    """The id of the row named ``name`` in an OTRS lookup table (states, priorities, queues...)."""
    return int(tickets.scalar(select(T[table].c.id).where(T[table].c.name == name)))


def section(page: str, marker: str) -> str:
    """The ``<section>`` of ``page`` whose opening tag holds ``marker`` (``data-widget="owned"``)."""
    start = page.index(marker)
    start = page.rindex("<section", 0, start)
    return page[start : page.index("</section>", start)]

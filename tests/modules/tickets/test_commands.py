"""``gotrs tickets maintain`` and ``gotrs tickets reindex`` on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from goatkit.engine.extension import modules
from modules.db.schema import metadata
from modules.db.schema.gotrs_search import search_tables
from modules.tickets.actor import Actor
from modules.tickets.changes import utc_now
from modules.tickets.commands import tickets_group
from modules.tickets.drafts import ArticleDraft, TicketDraft
from modules.tickets.search import search_tickets
from modules.tickets.search_query import TicketQuery
from modules.tickets.service import TicketService
from tests.modules.auth import Helpdesk, make_helpdesk


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    made = make_helpdesk(db_url, tmp_path / "var")
    yield made
    modules(made.app).stop()
    made.close()


def create(desk: Helpdesk, title: str, body: str) -> int:
    with desk.app.app_context(), desk.engine.begin() as conn:
        service = TicketService(conn, Actor.system())
        return service.create(TicketDraft(title=title, queue="Raw"), ArticleDraft(body=body)).ticket_id


def test_maintain_closes_due_pending_auto_close_tickets(desk: Helpdesk) -> None:
    due, later = create(desk, "Due", "x"), create(desk, "Later", "y")
    with desk.app.app_context(), desk.engine.begin() as conn:
        service = TicketService(conn, Actor.system())
        service.set_state(due, "pending auto close+", utc_now() - timedelta(minutes=5))
        service.set_state(later, "pending auto close+", utc_now() + timedelta(days=1))
    result = CliRunner().invoke(tickets_group, ["maintain"], obj=lambda: desk.app)
    assert (result.exit_code, result.output) == (0, "closed 1 ticket(s), unlocked 0 ticket(s).\n")
    ticket = metadata.tables["ticket"]
    with desk.engine.connect() as conn:
        rows = conn.execute(select(ticket.c.id, ticket.c.ticket_state_id).where(ticket.c.id.in_([due, later])))
        states = {row[0]: row[1] for row in rows}
    assert states == {due: 2, later: 7}  # closed successful; still pending auto close+


def test_reindex_rebuilds_the_search_index(desk: Helpdesk) -> None:
    found = create(desk, "Keyboard sticky", "Coffee spilled over the keys.")

    def hits() -> list[int]:
        with desk.app.app_context(), desk.engine.connect() as conn:
            page = search_tickets(conn, TicketQuery(text="coffee"), agent_id=1)
            return [hit.id for hit in page.rows]

    assert hits() == [found]  # indexed when it was created
    tables = search_tables(desk.engine.dialect.name)
    with desk.engine.begin() as conn:  # as after an import from OTRS: tickets without index rows
        conn.execute(delete(tables.article))
        conn.execute(delete(tables.ticket))
    assert hits() == []

    result = CliRunner().invoke(tickets_group, ["reindex", "--batch", "2"], obj=lambda: desk.app)
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("indexed 2 ticket(s) and 2 article(s).")  # with the welcome ticket
    assert hits() == [found]

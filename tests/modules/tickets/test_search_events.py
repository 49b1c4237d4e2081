"""The index follows the ticket service through its events, inside the action's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

import modules.tickets.search  # noqa: F401 - registers the index listeners
from modules.db.schema.gotrs_search import search_tables
from modules.tickets.drafts import ArticleDraft
from modules.tickets.search import search_tickets
from modules.tickets.search_index import BODY_CHARS, index_articles, index_tickets
from modules.tickets.search_query import TicketQuery
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import Desk

database_url, engine = ticket_world.database_url, ticket_world.engine  # fixtures


@pytest.fixture
def desk(engine: Engine) -> Iterator[Desk]:
    yield Desk(engine)  # not isolated from the bus: the search listeners must run


def word() -> str:
    return f"zq{uuid.uuid4().hex[:10]}"


def found(desk: Desk, words: str) -> list[int]:
    with desk.engine.connect() as conn:
        return [hit.id for hit in search_tickets(conn, TicketQuery(text=words), agent_id=1).rows]


def note(body: str) -> ArticleDraft:
    return ArticleDraft(body=body, subject="Note", channel="Internal", sender_type="agent", history_type="AddNote")


def test_a_created_ticket_is_found_by_title_and_first_article(desk: Desk) -> None:
    title, body = word(), word()
    created = desk.create(title=f"Printer {title}", article=ArticleDraft(
        body=f"It burns {body}", subject="Fire", channel="Phone", sender_type="customer",
        visible_for_customer=True, history_type="PhoneCallCustomer",
    ))  # fmt: skip
    assert found(desk, title) == [created.ticket_id]
    assert found(desk, f"burns {body}") == [created.ticket_id]
    assert found(desk, desk.ticket(created.ticket_id)["tn"]) == [created.ticket_id]


def test_documents_written_from_the_values_in_hand_equal_what_indexing_reads_back(desk: Desk) -> None:
    """The writers cut the fields in Python as the indexer cuts them in SQL (a body beyond the searchable part)."""
    body = "early " + "lorem " * (BODY_CHARS // 6) + " late"
    created = desk.create(title="Long one", article=ArticleDraft(
        body=body, subject="Cut", channel="Phone", sender_type="customer", history_type="PhoneCallCustomer",
        from_="Carl <carl@example.com>", to="Raw <raw@example.com>",
    ))  # fmt: skip
    assert created.article_id is not None

    def documents() -> tuple[str, str]:
        with desk.engine.connect() as conn:
            tables = search_tables(conn.dialect.name)
            ticket = select(tables.ticket.c.doc).where(tables.ticket.c.ticket_id == created.ticket_id)
            article = select(tables.article.c.doc).where(tables.article.c.article_id == created.article_id)
            return str(conn.execute(ticket).scalar_one()), str(conn.execute(article).scalar_one())

    written = documents()
    with desk.engine.begin() as conn:
        index_tickets(conn, [created.ticket_id])
        index_articles(conn, [created.article_id])
    assert documents() == written
    assert "early" in written[1] and "late" not in written[1] and "carl" in written[1]


def test_a_new_title_and_a_new_article_are_found(desk: Desk) -> None:
    created = desk.create(title=word())
    new_title, body = word(), word()
    desk.do(None, "set_title", created.ticket_id, f"Now {new_title}")
    desk.do(None, "add_article", created.ticket_id, note(body))
    assert found(desk, new_title) == [created.ticket_id]
    assert found(desk, body) == [created.ticket_id]


def test_a_failed_action_leaves_the_index_as_it_was(desk: Desk) -> None:
    created = desk.create(title=word())
    body = word()
    with pytest.raises(RuntimeError), desk.engine.begin() as conn:
        desk.service(conn).add_article(created.ticket_id, note(body))
        raise RuntimeError("the request failed after the article was written")
    assert found(desk, body) == []


def test_a_merge_moves_the_article_documents_to_the_main_ticket(desk: Desk) -> None:
    body = word()
    merged = desk.create(title=word())
    main = desk.create(title=word())
    desk.do(None, "add_article", merged.ticket_id, note(body))
    desk.do(None, "merge", merged.ticket_id, main.ticket_id)
    assert found(desk, body) == [main.ticket_id]

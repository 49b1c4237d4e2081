"""Deleting tickets with every row that belongs to them: one ticket (OTRS's TicketDelete) or a whole set."""

from __future__ import annotations

from sqlalchemy import func, select

from modules.tickets.deleting import delete_rows
from modules.tickets.drafts import ArticleDraft
from tests.modules.tickets import ticket_world
from tests.modules.tickets.dynamic_field_world import make_field
from tests.modules.tickets.ticket_world import Desk, T

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk
NOTE = ArticleDraft(body="Second look", history_type="AddNote", channel="Internal")


def owned_rows(desk: Desk, ticket_id: int) -> dict[str, int]:
    """How many rows of each kind belong to the ticket (articles' rows through its articles)."""
    article = T["article"]
    with desk.engine.connect() as conn:
        articles = select(article.c.id).where(article.c.ticket_id == ticket_id)
        counts = {
            "article": conn.execute(select(func.count()).where(article.c.ticket_id == ticket_id)).scalar_one(),
            "mime": conn.execute(
                select(func.count()).where(T["article_data_mime"].c.article_id.in_(articles))
            ).scalar_one(),
            "history": conn.execute(
                select(func.count()).where(T["ticket_history"].c.ticket_id == ticket_id)
            ).scalar_one(),
            "values": conn.execute(
                select(func.count()).where(T["dynamic_field_value"].c.object_id == ticket_id)
            ).scalar_one(),
            "links": conn.execute(
                select(func.count()).where(
                    (T["link_relation"].c.source_key == str(ticket_id))
                    | (T["link_relation"].c.target_key == str(ticket_id))
                )
            ).scalar_one(),
        }
    return {kind: int(count) for kind, count in counts.items()}


def test_a_set_of_tickets_goes_with_its_rows_and_the_others_keep_theirs(desk: Desk) -> None:
    field = make_field(desk.engine, "Text")
    kept, first, second = (desk.create().ticket_id for _ in range(3))
    for ticket_id in (kept, first, second):
        desk.do(None, "add_article", ticket_id, NOTE)
        desk.do(None, "set_dynamic_field", ticket_id, field, f"value {ticket_id}")
    desk.do(None, "link", kept, first)
    desk.do(None, "link", second, kept)
    before = owned_rows(desk, kept)
    assert before["article"] == 2 and before["mime"] == 2 and before["values"] == 1 and before["links"] == 2
    assert owned_rows(desk, first)["article"] == 2

    with desk.engine.begin() as conn:
        delete_rows(conn, T["ticket"].c.id.in_([first, second]))

    with desk.engine.connect() as conn:
        left = set(conn.execute(select(T["ticket"].c.id).where(T["ticket"].c.id.in_([kept, first, second]))).scalars())
    assert left == {kept}
    for gone in (first, second):
        assert owned_rows(desk, gone) == {"article": 0, "mime": 0, "history": 0, "values": 0, "links": 0}
    assert owned_rows(desk, kept) == {**before, "links": 0}  # its links named the deleted tickets

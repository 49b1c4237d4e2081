"""Agent ticket search: words and filters, only readable tickets, keyset "next" pages, errors named by field."""

from __future__ import annotations

import re

import pytest

from modules.tickets.search_index import index_articles, index_tickets
from modules.tickets.web import search_view
from tests.modules.permissions.world import T
from tests.modules.tickets.web.conftest import Setup
from tests.modules.tickets.web.desk import HTMX, Tickets, id_of

RESULTS = {**HTMX, "HX-Target": "t-results"}


def indexed(tickets: Tickets, queue: int, title: str, body: str = "Nothing to add.", **draft: object) -> int:
    """A ticket made through the service, then put in the search index (words of its title and article)."""
    ticket_id = tickets.ticket(queue, title=title, body=body, **draft)
    article = T["article"]
    with tickets.desk.engine.begin() as conn:
        articles = [
            row[0]
            for row in conn.execute(
                article.select().with_only_columns(article.c.id).where(article.c.ticket_id == ticket_id)
            )
        ]
        index_tickets(conn, [ticket_id])
        index_articles(conn, articles)
    return ticket_id


def found(page: str) -> set[int]:
    return {int(ticket_id) for ticket_id in re.findall(r'<tr class="[^"]*" data-id="(\d+)"', page)}


def test_the_form_renders_with_the_agents_choices(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    page = sam.html("/agent/search")
    assert 'data-testid="search-form"' in page and 'data-testid="hint"' in page
    assert ">Sales::Phones</option>" in page and ">Secret</option>" not in page
    assert '<option value="pending reminder"' in page


def test_words_and_filters_find_only_readable_tickets(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    printer = indexed(tickets, setup.sales, "Printer jams", body="The laser printer eats paper.")
    phone = indexed(tickets, setup.phones, "Phone is dead", body="No dial tone on the printer desk.", state="open")
    indexed(tickets, setup.secret, "Secret printer", body="printer")

    assert found(sam.html("/agent/search?text=printer")) == {printer, phone}
    assert found(sam.html("/agent/search?text=laser+paper")) == {printer}
    assert found(sam.html(f"/agent/search?text=printer&queue_ids={setup.phones}")) == {phone}
    assert found(sam.html("/agent/search?state_type=open")) == {phone}
    new = id_of(tickets, "ticket_state", "new")
    assert found(sam.html(f"/agent/search?state_ids={new}&title=*jams*")) == {printer}
    results = sam.html("/agent/search?text=printer", **RESULTS)
    assert "<!doctype" not in results and found(results) == {printer, phone}
    assert "2 tickets" in results


def test_a_bad_value_is_named(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    page = sam.get("/agent/search?created_from=yesterday")
    assert page.status_code == 400
    assert (
        'data-error="created_from">&#39;yesterday&#39; is not a date or time (use 2024-03-15 or 2024-03-15T10:30).</p>'
        in page.get_data(as_text=True)
    )
    swapped = sam.get("/agent/search?created_from=yesterday", **RESULTS)
    assert (swapped.status_code, swapped.headers["HX-Retarget"]) == (400, "#t-results")


def test_next_pages_follow_the_keyset(tickets: Tickets, setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_view, "PAGE_SIZE", 2)
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    made = {indexed(tickets, setup.sales, f"Toner {number}") for number in range(5)}

    seen: set[int] = set()
    url: str | None = "/agent/search?text=toner"
    pages = 0
    while url:
        page = sam.html(url)
        seen |= found(page)
        pages += 1
        match = re.search(r'<a href="([^"]+)" rel="next"', page)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert (seen, pages) == (made, 3)
    assert sam.get("/agent/search?text=toner&cursor=forged").status_code == 400


def test_saved_searches_are_saved_opened_and_deleted_per_agent(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    rita = tickets.agent("rita", {setup.sales_group: ("ro",)})
    query = f"text=printer&queue_ids={setup.sales}&state_type=open&created_from=2024-01-01"
    page = sam.html(f"/agent/search?{query}")
    assert 'name="query" value="text=printer&amp;queue_ids=' in page

    saved = sam.post("/agent/search/saved", {"name": "My printers", "query": query})
    assert saved.status_code == 303
    page = sam.html(saved.headers["Location"])
    assert "Search &#39;My printers&#39; saved." in page and 'data-saved="My printers"' in page
    assert 'data-saved="My printers"' not in rita.html("/agent/search")

    opened = sam.get("/agent/search/saved?name=My+printers")
    assert opened.status_code == 302
    assert opened.headers["Location"] == (
        f"/agent/search?text=printer&created_from=2024-01-01&queue_ids={setup.sales}&state_type=open"
    )
    assert sam.get("/agent/search/saved?name=Nope").headers["Location"] == "/agent/search"

    sam.post("/agent/search/saved/delete", {"name": "My printers"})
    assert 'data-saved="My printers"' not in sam.html("/agent/search")
    blank = sam.post("/agent/search/saved", {"name": " ", "query": query})
    assert "The search was not saved: give the saved search a name" in sam.html(blank.headers["Location"])

"""The ticket zoom: header facts, articles (text escaped, HTML sanitized with inline images), the history tab, the
action panel, links and watchers, as a page and as htmx fragments."""

from __future__ import annotations

from modules.tickets.actor import Actor
from modules.tickets.drafts import ArticleDraft, AttachmentDraft
from modules.tickets.service import TicketService
from tests.modules.tickets.web.conftest import Setup
from tests.modules.tickets.web.desk import HTMX, Tickets

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def add_article(tickets: Tickets, ticket_id: int, draft: ArticleDraft) -> int:
    with tickets.desk.app.app_context(), tickets.desk.engine.begin() as conn:
        return TicketService(conn, Actor.system()).add_article(ticket_id, draft)


def test_the_zoom_shows_the_ticket_and_its_articles(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(
        setup.sales, title="Printer <b>jams</b>", body="Paper <script>x</script>", customer_user="cust@example.com"
    )
    add_article(tickets, ticket_id, ArticleDraft(channel="Internal", body="Internal remark", subject="Note"))

    page = sam.html(f"/agent/tickets/{ticket_id}")

    tn = tickets.row(ticket_id).tn
    assert f"Ticket#{tn}" in page and "Printer &lt;b&gt;jams&lt;/b&gt;" in page and "Paper &lt;script&gt;" in page
    assert 'data-field="queue" title="Sales">Sales</dd>' in page
    assert 'data-field="customer" title="Carl Customer &lt;cust@example.com&gt;"' in page
    assert page.count('data-visibility="customer"') == 1 and page.count('data-visibility="internal"') == 1
    assert 'data-tab="articles"' in page and "Articles (2)" in page
    assert "<script>x</script>" not in page


def test_html_articles_are_sanitized_and_inline_images_point_at_the_ticket(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales)
    logo = AttachmentDraft(
        filename="logo.png",
        content_type="image/png",
        content=PNG,
        content_id="<logo@example.com>",
        disposition="inline",
    )
    html = '<p onclick="evil()">Hello <img src="cid:logo@example.com"></p><script>alert(1)</script>'
    add_article(tickets, ticket_id, ArticleDraft(content_type="text/html", body=html, attachments=[logo]))

    page = sam.html(f"/agent/tickets/{ticket_id}")

    assert f'src="/agent/tickets/{ticket_id}/attachments/' in page and "?inline=1" in page
    assert "alert(1)" not in page and "onclick" not in page and "<p>Hello" in page
    assert 'data-attachment="' not in page.split("Hello", 1)[1].split("</li>", 1)[0]  # inline images are not listed
    src = page.split(f'src="/agent/tickets/{ticket_id}/attachments/', 1)[1].split('"', 1)[0]
    image = sam.get(f"/agent/tickets/{ticket_id}/attachments/{src}".replace("&amp;", "&"))
    assert (image.status_code, image.mimetype, image.headers["Content-Disposition"][:6]) == (200, "image/png", "inline")


def test_history_tab_and_action_panel_as_fragments(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales)
    url = f"/agent/tickets/{ticket_id}"

    tabs = sam.html(f"{url}?tab=history", **{**HTMX, "HX-Target": "t-tabs"})
    assert tabs.lstrip().startswith('<div id="t-tabs"') and 'data-history="NewTicket"' in tabs
    assert "Created ticket [" in tabs and "] in &#34;Sales&#34; with priority &#34;3 normal&#34;" in tabs
    full = sam.html(f"{url}?tab=history")
    assert "<!doctype html>" in full and 'aria-current="page" data-tab="history"' in full

    panel = sam.html(f"{url}?form=priority", **{**HTMX, "HX-Target": "t-panel"})
    assert panel.lstrip().startswith('<div id="t-panel"') and 'data-panel="priority"' in panel
    assert f'hx-post="/agent/tickets/{ticket_id}/priority"' in panel
    closed = sam.html(url, **{**HTMX, "HX-Target": "t-panel"})
    assert closed.lstrip().startswith('<div id="t-panel"') and "data-panel" not in closed
    without_js = sam.html(f"{url}?form=note")
    assert 'data-panel="note"' in without_js and 'enctype="multipart/form-data"' in without_js


def test_links_and_watchers_show_beside_the_articles(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("rw",)})
    first, second, hidden = tickets.ticket(setup.sales), tickets.ticket(setup.sales), tickets.ticket(setup.secret)
    for other, link_type in ((second, "Normal"), (hidden, "ParentChild")):
        with tickets.desk.app.app_context(), tickets.desk.engine.begin() as conn:
            TicketService(conn, Actor.system()).link(first, other, link_type)
    sam.post(f"/agent/tickets/{first}/watch")

    page = sam.html(f"/agent/tickets/{first}")

    assert f'href="/agent/tickets/{second}"' in page and "A ticket you may not read" in page
    assert f'href="/agent/tickets/{hidden}"' not in page and tickets.row(hidden).tn not in page
    assert "sam Agent (sam)" in page and 'data-action="unwatch"' in page


def test_a_compose_template_fills_the_body_with_the_tickets_tags(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales, customer_user="cust@example.com")
    template = tickets.insert(
        "standard_template",
        name="Called back",
        text="Called <OTRS_CUSTOMER_REALNAME> about <OTRS_TICKET_Title>.",
        content_type="text/plain",
        template_type="Note",
        valid_id=1,
    )
    tickets.insert("queue_standard_template", queue_id=setup.sales, standard_template_id=template)

    form = sam.html(f"/agent/tickets/{ticket_id}?form=note", **{**HTMX, "HX-Target": "t-panel"})
    assert f'<option value="{template}" >Called back</option>' in form
    filled = sam.html(
        f"/agent/tickets/{ticket_id}?form=note&template_id={template}", **{**HTMX, "HX-Target": "t-panel"}
    )
    assert "Called Carl Customer about Printer jams.</textarea>" in filled

"""New phone and email tickets through the form: the ticket and its first article, errors beside the fields,
the customer typeahead, the customer's services and SLAs, templates and attachments."""

from __future__ import annotations

import io

from sqlalchemy import select

from tests.modules.permissions.world import T
from tests.modules.tickets.web.conftest import Setup
from tests.modules.tickets.web.desk import HTMX, Agent, Tickets, id_of

CUSTOMER = "cust@example.com"  # made by make_helpdesk: Carl Customer, company ACME
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def creator(tickets: Tickets, setup: Setup) -> Agent:
    return tickets.agent("sam", {setup.sales_group: ("create", "rw")})


def newest_ticket(tickets: Tickets) -> int:
    return int(tickets.scalar(select(T["ticket"].c.id).order_by(T["ticket"].c.id.desc()).limit(1)))


def test_a_phone_ticket_is_created_and_the_zoom_opens(tickets: Tickets, setup: Setup) -> None:
    sam = creator(tickets, setup)
    form = sam.html("/agent/tickets/new?channel=phone")
    assert ">Sales::Phones</option>" in form and ">Secret</option>" not in form  # queues with create only
    assert 'data-source="/agent/customers/search"' in form

    answer = sam.post(
        "/agent/tickets/new?channel=phone",
        {
            "customer_user": CUSTOMER,
            "queue": str(setup.phones),
            "priority": str(id_of(tickets, "ticket_priority", "4 high")),
            "state": str(id_of(tickets, "ticket_state", "open")),
            "title": "Phone is dead",
            "body": "Carl called: no dial tone.",
        },
    )

    ticket_id = newest_ticket(tickets)
    assert (answer.status_code, answer.headers["Location"]) == (303, f"/agent/tickets/{ticket_id}")
    row = tickets.row(ticket_id)
    assert (row.title, row.queue_id, row.customer_user_id, row.customer_id) == (
        "Phone is dead",
        setup.phones,
        CUSTOMER,
        "ACME",
    )
    assert (row.user_id, row.ticket_priority_id) == (sam.user_id, id_of(tickets, "ticket_priority", "4 high"))
    zoom = sam.html(answer.headers["Location"])
    assert (
        "created." in zoom and "Carl called: no dial tone." in zoom and "Carl Customer &lt;cust@example.com&gt;" in zoom
    )
    assert tickets.history(ticket_id)[:3] == ["NewTicket", "CustomerUpdate", "PhoneCallCustomer"]


def test_an_email_ticket_writes_to_the_customer(tickets: Tickets, setup: Setup) -> None:
    sam = creator(tickets, setup)
    answer = sam.post(
        "/agent/tickets/new?channel=email",
        {"customer_user": CUSTOMER, "queue": str(setup.sales), "title": "Your order", "body": "It ships today."},
    )
    assert answer.status_code == 303
    ticket_id = newest_ticket(tickets)
    mime, article = T["article_data_mime"], T["article"]
    to = tickets.scalar(
        select(mime.c.a_to).join(article, article.c.id == mime.c.article_id).where(article.c.ticket_id == ticket_id)
    )
    assert to == CUSTOMER
    assert "EmailAgent" in tickets.history(ticket_id)
    assert tickets.scalar(select(T["mail_queue"].c.recipient)) == CUSTOMER


def test_errors_come_back_beside_their_fields(tickets: Tickets, setup: Setup) -> None:
    sam = creator(tickets, setup)
    empty = sam.post("/agent/tickets/new?channel=phone", {"title": " ", "body": ""})
    page = empty.get_data(as_text=True)
    assert empty.status_code == 422
    for field, message in (
        ("queue", "Choose a queue."),
        ("title", "The title is empty."),
        ("body", "The body is empty."),
    ):
        assert f'data-error="{field}">{message}</p>' in page, field

    pending = sam.post(
        "/agent/tickets/new?channel=phone",
        {
            "customer_user": "nobody@example.com",
            "queue": str(setup.sales),
            "state": str(id_of(tickets, "ticket_state", "pending reminder")),
            "title": "Later",
            "body": "Call back.",
        },
    )
    page = pending.get_data(as_text=True)
    assert 'data-error="customer_user">There is no customer user &#39;nobody@example.com&#39;.</p>' in page
    assert 'value="Later"' in page and "Call back.</textarea>" in page  # what was typed stays
    fixed = sam.post(
        "/agent/tickets/new?channel=phone",
        {
            "queue": str(setup.sales),
            "state": str(id_of(tickets, "ticket_state", "pending reminder")),
            "title": "Later",
            "body": "Call back.",
        },
    )
    assert fixed.status_code == 422
    assert 'data-error="pending_until">The state &#39;pending reminder&#39; needs a pending time.</p>' in (
        fixed.get_data(as_text=True)
    )
    email = sam.post("/agent/tickets/new?channel=email", {"queue": str(setup.sales), "title": "Hi", "body": "Hello"})
    assert 'data-error="to">' in email.get_data(as_text=True)


def test_a_queue_without_create_is_refused(tickets: Tickets, setup: Setup) -> None:
    sam = creator(tickets, setup)
    tickets.world.grant(sam.user_id, setup.secret_group, "ro")
    refused = sam.post("/agent/tickets/new", {"queue": str(setup.secret), "title": "x", "body": "y"})
    assert refused.status_code == 403
    assert "You need the &#39;create&#39; permission on queue &#39;Secret&#39;." in refused.get_data(as_text=True)
    reader = tickets.agent("rita", {setup.sales_group: ("ro",)})
    page = reader.get("/agent/tickets/new?channel=phone")
    assert page.status_code == 403
    assert "You need the &#39;create&#39; permission on at least one queue." in page.get_data(as_text=True)


def test_attachments_are_stored_and_downloaded_safely(tickets: Tickets, setup: Setup) -> None:
    sam = creator(tickets, setup)
    answer = sam.client.post(
        "/agent/tickets/new?channel=phone",
        data={
            "csrf_token": sam.csrf,
            "queue": str(setup.sales),
            "title": "Screenshot",
            "body": "See attached.",
            "attachments": [(io.BytesIO(PNG), "../../shot.png"), (io.BytesIO(b"<script>x</script>"), "page.html")],
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    zoom = sam.html(answer.headers["Location"])
    files = T["article_data_mime_attachment"]
    with tickets.desk.engine.connect() as conn:
        ticket_id = newest_ticket(tickets)
        article = T["article"]
        query = select(files.c.filename, files.c.id).join(article, article.c.id == files.c.article_id)
        stored = dict(conn.execute(query.where(article.c.ticket_id == ticket_id)).all())
    assert set(stored) == {"shot.png", "page.html"}
    assert f'data-attachment="{stored["shot.png"]}"' in zoom

    ticket_url = answer.headers["Location"]
    png = sam.get(f"{ticket_url}/attachments/{stored['shot.png']}")
    assert (png.status_code, png.mimetype, png.data) == (200, "image/png", PNG)
    assert png.headers["Content-Disposition"] == "attachment; filename*=UTF-8''shot.png"
    inline = sam.get(f"{ticket_url}/attachments/{stored['shot.png']}?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    html = sam.get(f"{ticket_url}/attachments/{stored['page.html']}?inline=1")
    assert html.mimetype == "application/octet-stream"
    assert html.headers["Content-Disposition"].startswith("attachment;")
    other = tickets.ticket(setup.sales)
    assert sam.get(f"/agent/tickets/{other}/attachments/{stored['shot.png']}").status_code == 404
    stranger = tickets.agent("otto", {setup.secret_group: ("rw",)})
    assert stranger.get(f"{ticket_url}/attachments/{stored['shot.png']}").status_code == 403


def test_the_customer_typeahead_answers_options(tickets: Tickets, setup: Setup) -> None:
    sam = creator(tickets, setup)
    found = sam.html("/agent/customers/search?q=CARL", **HTMX)
    assert f'data-value="{CUSTOMER}" data-label="Carl Customer &lt;{CUSTOMER}&gt;"' in found
    assert "No match for “zzz”." in sam.html("/agent/customers/search?q=zzz", **HTMX)
    assert "No match" in sam.html("/agent/customers/search?q=%25", **HTMX)  # a LIKE wildcard is a character


def test_services_and_slas_follow_the_customer(tickets: Tickets, setup: Setup) -> None:
    sam = creator(tickets, setup)
    mine = tickets.insert("service", name="Printing", valid_id=1)
    tickets.insert("service", name="Hosting", valid_id=1)
    tickets.insert("service_customer_user", customer_user_login=CUSTOMER, service_id=mine)
    gold = tickets.insert("sla", name="Gold", valid_id=1, first_response_time=0, update_time=0, solution_time=0)
    tickets.insert("service_sla", service_id=mine, sla_id=gold)

    none = sam.html("/agent/tickets/new/services?customer_user=", **HTMX)
    assert "Printing" not in none and "No service for this customer" in none
    services = sam.html(f"/agent/tickets/new/services?customer_user={CUSTOMER}", **HTMX)
    assert f'<option value="{mine}" >Printing</option>' in services and "Hosting" not in services
    assert "Gold" not in services
    slas = sam.html(f"/agent/tickets/new/services?customer_user={CUSTOMER}&service={mine}", **HTMX)
    assert f'<option value="{gold}" >Gold</option>' in slas
    created = sam.post(
        "/agent/tickets/new",
        {
            "customer_user": CUSTOMER,
            "queue": str(setup.sales),
            "service": str(mine),
            "sla": str(gold),
            "title": "Toner",
            "body": "Empty.",
        },
    )
    assert created.status_code == 303
    row = tickets.row(newest_ticket(tickets))
    assert (row.service_id, row.sla_id) == (mine, gold)


def test_a_template_fills_the_body_with_tags_replaced(tickets: Tickets, setup: Setup) -> None:
    sam = creator(tickets, setup)
    template = tickets.insert(
        "standard_template",
        name="Greeting",
        text="Hello <OTRS_CUSTOMER_DATA_UserFirstname>, <OTRS_NOPE>",
        content_type="text/plain",
        template_type="Create",
        valid_id=1,
    )
    assert "Greeting" in sam.html("/agent/tickets/new?channel=phone")
    body = sam.html(f"/agent/tickets/new/template?template_id={template}&customer_user={CUSTOMER}", **HTMX)
    assert '<div class="sm:col-span-2" data-widget="body" id="w-body">' in body
    assert "Hello Carl, -</textarea>" in body
    kept = sam.get(f"/agent/tickets/new/template?template_id=&customer_user={CUSTOMER}", **HTMX)
    assert kept.status_code == 204  # "None": htmx leaves the typed body alone

"""Articles: mime data, HTML kept as OTRS keeps it and sanitised for display, attachments and inline images,
outgoing mail in mail_queue, subjects, and reading a ticket's articles in a bounded number of statements."""

from __future__ import annotations

import email
from email.policy import default

import pytest

from modules.tickets import subjects
from modules.tickets.articles import article_list, attachment
from modules.tickets.changes import to_epoch
from modules.tickets.drafts import ArticleDraft, AttachmentDraft
from modules.tickets.html import map_inline_images, sanitize, to_text
from modules.tickets.options import TicketOptions
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import NOW, Desk, counting

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures

LOGO = b"\x89PNG\r\n\x1a\nlogo"


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ('<p onclick="steal()">Hi<script>steal()</script></p>', "<p>Hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        (
            '<a href="https://example.com" target="_top">x</a>',
            '<a href="https://example.com" rel="noopener noreferrer">x</a>',
        ),
        ('<img src="data:image/png;base64,AAAA">', '<img src="data:image/png;base64,AAAA">'),
        ('<img src="data:text/html;base64,AAAA">', "<img>"),
        ('<a href="data:text/html,evil">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<p style="position:fixed">x</p><style>p{}</style>', "<p>x</p>"),
        ('<iframe src="https://evil"></iframe><form><input></form>ok', "ok"),
        ('<img src="cid:logo@example.com">', "<img>"),
        (
            "<table><tr><td colspan=2>c</td></tr></table>",
            '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>',
        ),
    ],
)
def test_sanitize(dirty: str, clean: str) -> None:
    assert sanitize(dirty) == clean


def test_html_to_text() -> None:
    assert to_text("<p>Hello</p><p>World<br>again</p>") == "Hello\n\nWorld\nagain"
    assert to_text("<ul><li>one</li><li>two &amp; three</li></ul><blockquote><p>quoted</p></blockquote>") == (
        "- one\n- two & three\n\n> quoted"
    )
    assert to_text('See <a href="https://x.org">site</a>') == "See site [https://x.org]"


def test_html_article_is_stored_as_otrs_does_and_displayed_safely(desk: Desk) -> None:
    created = desk.create()
    draft = ArticleDraft(
        body='<p>See <img src="cid:logo@example.com"> and <b onclick="x()">bold</b></p><script>x()</script>',
        content_type="text/html",
        subject="Logo",
        attachments=[
            AttachmentDraft(
                filename="logo.png",
                content_type="image/png",
                content=LOGO,
                content_id="<logo@example.com>",
                disposition="inline",
            ),
            AttachmentDraft(filename="notes.txt", content_type="text/plain", content=b"notes"),
        ],
    )
    article_id = desk.do(None, "add_article", created.ticket_id, draft)
    mime = desk.rows("article_data_mime", article_id=article_id)[0]
    assert (mime["a_content_type"], mime["a_body"], mime["a_subject"]) == (
        "text/plain; charset=utf-8",
        "See and bold",
        "Logo",
    )
    files = {row["filename"]: row for row in desk.rows("article_data_mime_attachment", article_id=article_id)}
    assert files["file-2"]["content_type"] == 'text/html; charset="utf-8"'
    assert bytes(files["file-2"]["content"]).decode() == draft.body  # kept as written, sanitised on display
    assert (files["logo.png"]["content_id"], files["logo.png"]["disposition"], files["logo.png"]["content_size"]) == (
        "<logo@example.com>",
        "inline",
        str(len(LOGO)),
    )
    with desk.engine.connect() as conn:
        shown = next(a for a in article_list(conn, created.ticket_id) if a.id == article_id)
    logo = next(a for a in shown.attachments if a.filename == "logo.png")
    assert [a.filename for a in shown.attachments] == ["logo.png", "notes.txt"]  # the HTML body is not a file
    pattern = "/agent/tickets/7/articles/{article_id}/attachments/{attachment_id}"
    assert shown.display_html(pattern) == (
        f'<p>See <img src="/agent/tickets/7/articles/{article_id}/attachments/{logo.id}"> and <b>bold</b></p>'
    )
    with desk.engine.connect() as conn:
        found = attachment(conn, logo.id)
    assert found is not None and found[1:] == (created.ticket_id, LOGO)


def test_inline_images_map_only_known_content_ids() -> None:
    class File:
        id, article_id, filename, content_id = 5, 3, "a b.png", "<Logo@Example.com>"

    html = "<img src=\"cid:logo@example.com\"><img src='cid:other@x'>"
    assert map_inline_images(html, [File()], "/files/{attachment_id}/{filename}") == (
        "<img src=\"/files/5/a%20b.png\"><img src='cid:other@x'>"
    )


def test_article_list_is_two_statements_and_can_hide_internal_articles(desk: Desk) -> None:
    created = desk.create()
    for number in range(5):
        desk.do(
            None,
            "add_article",
            created.ticket_id,
            ArticleDraft(body=f"note {number}", attachments=[AttachmentDraft(filename=f"{number}.txt", content=b"x")]),
        )
    with desk.engine.connect() as conn:
        article_list(conn, created.ticket_id)  # warm the lookups
        with counting(desk.engine) as statements:
            every = article_list(conn, created.ticket_id)
            visible = article_list(conn, created.ticket_id, customer_visible_only=True)
    assert len(statements) == 4
    assert len(every) == 6 and [a.id for a in visible] == [created.article_id]
    first = every[0]
    assert (first.sender_type, first.channel, first.visible_for_customer, first.body) == (
        "customer",
        "Phone",
        True,
        "It burns.",
    )
    assert every[3].attachments[0].filename == "2.txt" and every[3].from_ == "Admin OTRS"


def test_outgoing_answer_is_queued_with_correct_headers(desk: Desk) -> None:
    agent = desk.agent()
    incoming = ArticleDraft(
        body="Printer broken.",
        subject="Printer broken",
        channel="Email",
        sender_type="customer",
        visible_for_customer=True,
        history_type="EmailCustomer",
        message_id="<abc@customer.example>",
        references="<root@customer.example>",
        **{"from": "Carl <carl@example.com>"},
        to="znuny@localhost",
    )
    created = desk.create(agent, article=incoming)
    answer = ArticleDraft(
        body="We are on it.",
        subject="RE: Printer broken",
        channel="Email",
        visible_for_customer=True,
        history_type="SendAnswer",
        to="Carl <carl@example.com>",
        cc="boss@example.com",
        bcc="audit@example.com",
        reply_to_article_id=created.article_id,
        attachments=[AttachmentDraft(filename="fix.txt", content_type="text/plain", content=b"restart it")],
    )
    article_id = desk.do(agent, "add_article", created.ticket_id, answer)
    queued = desk.rows("mail_queue", article_id=article_id)[0]
    assert (queued["sender"], queued["recipient"], queued["attempts"], queued["due_time"]) == (
        "otrsce@localhost",
        "carl@example.com,boss@example.com,audit@example.com",
        0,
        NOW,
    )
    raw = bytes(queued["raw_message"])
    assert bytes(desk.rows("article_data_mime_plain", article_id=article_id)[0]["body"]) == raw
    message = email.message_from_bytes(raw, policy=default)
    subject = f"Re: [Ticket#{created.tn}] Printer broken"
    assert message["From"] == "Support System <otrsce@localhost>"
    assert (message["To"], message["Cc"], message["Bcc"]) == ("Carl <carl@example.com>", "boss@example.com", None)
    assert message["Subject"] == subject
    assert message["In-Reply-To"] == "<abc@customer.example>"
    assert message["References"] == "<root@customer.example> <abc@customer.example>"
    assert message["Message-ID"].endswith("@localhost>")
    assert message.get_body(("plain",)).get_content().strip() == "We are on it."
    assert [part.get_filename() for part in message.iter_attachments()] == ["fix.txt"]
    mime = desk.rows("article_data_mime", article_id=article_id)[0]
    assert (mime["a_subject"], mime["a_message_id"], mime["a_from"]) == (
        subject,
        message["Message-ID"],
        "Support System <otrsce@localhost>",
    )
    assert desk.history(created.ticket_id)[-2:] == [
        ("SendAnswer", "%%Carl <carl@example.com>, boss@example.com, audit@example.com"),
        ("Misc", "Reset of unlock time."),
    ]


def test_html_mail_carries_inline_images_as_related_parts(desk: Desk) -> None:
    created = desk.create(customer_user="carl@example.com")
    draft = ArticleDraft(
        body='<p>Logo: <img src="cid:logo@example.com"></p>',
        content_type="text/html",
        subject="Hello",
        channel="Email",
        visible_for_customer=True,
        history_type="EmailAgent",
        to="carl@example.com",
        attachments=[
            AttachmentDraft(
                filename="logo.png",
                content_type="image/png",
                content=LOGO,
                content_id="logo@example.com",
                disposition="inline",
            )
        ],
    )
    article_id = desk.do(None, "add_article", created.ticket_id, draft)
    message = email.message_from_bytes(
        bytes(desk.rows("mail_queue", article_id=article_id)[0]["raw_message"]), policy=default
    )
    assert message["Subject"] == f"[Ticket#{created.tn}] Hello"
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(("html",))
    assert html is not None and "cid:logo@example.com" in html.get_content()
    related = [part for part in message.walk() if part.get("Content-ID") == "<logo@example.com>"]
    assert related and related[0].get_content() == LOGO
    assert message.get_body(("plain",)).get_content().strip() == "Logo:"


def test_subject_build_and_clean() -> None:
    options = TicketOptions()
    tn = "2024010110000012"
    assert subjects.build(tn, f"RE: [Ticket#{tn}] Printer", "reply", options) == f"Re: [Ticket#{tn}] Printer"
    assert subjects.build(tn, "Re[2]: Fwd: Printer", "forward", options) == f"Fwd: [Ticket#{tn}] Printer"
    assert subjects.build(tn, "Printer", "new", options) == f"[Ticket#{tn}] Printer"
    right = TicketOptions(subject_format="Right")
    assert subjects.build(tn, "Printer", "reply", right) == f"Re: Printer [Ticket#{tn}]"
    assert subjects.build(tn, "Printer", "reply", TicketOptions(subject_format="None")) == "Re: Printer"
    assert subjects.clean(tn, f"[Ticket#: {tn}] Ticket#:{tn} Printer", options) == "Printer"
    assert subjects.clean(tn, "x" * 120, options) == "x" * 100 + " [...]"


def test_customer_answer_after_an_agent_resets_the_unlock_time(desk: Desk) -> None:
    agent = desk.agent()
    created = desk.create(agent)
    desk.do(agent, "lock", created.ticket_id)
    desk.now = NOW.replace(hour=13)
    desk.do(
        agent,
        "add_article",
        created.ticket_id,
        ArticleDraft(body="Try again", channel="Phone", history_type="PhoneCallAgent", visible_for_customer=True),
    )
    desk.now = NOW.replace(hour=14)
    desk.do(
        None,
        "add_article",
        created.ticket_id,
        ArticleDraft(
            body="Still broken",
            channel="Email",
            sender_type="customer",
            visible_for_customer=True,
            history_type="FollowUp",
        ),
    )
    assert desk.ticket(created.ticket_id)["timeout"] == to_epoch(NOW.replace(hour=14))
    desk.now = NOW.replace(hour=15)
    desk.do(
        None,
        "add_article",
        created.ticket_id,
        ArticleDraft(
            body="Hello?", channel="Email", sender_type="customer", visible_for_customer=True, history_type="FollowUp"
        ),
    )
    assert desk.ticket(created.ticket_id)["timeout"] == to_epoch(NOW.replace(hour=14))  # customer after customer
    desk.now = NOW.replace(hour=16)
    desk.do(agent, "add_article", created.ticket_id, ArticleDraft(body="internal"))
    assert desk.ticket(created.ticket_id)["timeout"] == to_epoch(NOW.replace(hour=14))  # an internal note
    assert desk.history(created.ticket_id)[-4:] == [
        ("FollowUp", f"%%{created.tn}%%"),
        ("Misc", "Reset of unlock time."),
        ("FollowUp", f"%%{created.tn}%%"),
        ("AddNote", "%%Note"),
    ]


def test_time_units_with_an_article(desk: Desk) -> None:
    created = desk.create()
    article_id = desk.do(None, "add_article", created.ticket_id, ArticleDraft(body="Fixed.", time_units="0.5"))
    assert desk.history(created.ticket_id)[-1] == ("TimeAccounting", "%%0.5%%0.5")
    assert desk.rows("time_accounting", ticket_id=created.ticket_id)[0]["article_id"] == article_id

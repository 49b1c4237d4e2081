"""OTRS tags in salutations, signatures and templates, and the reply/forward/note drafts built with them."""

from __future__ import annotations

import pytest

from modules.tickets.actor import Actor
from modules.tickets.compose import compose_forward, compose_note, compose_reply
from modules.tickets.drafts import ArticleDraft, AttachmentDraft
from modules.tickets.errors import TicketDenied, TicketInvalid, TicketNotFound
from modules.tickets.options import TicketOptions
from modules.tickets.tags import TagContext, replace_tags
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import NOW, Desk, exactly

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures

CONTEXT = TagContext(
    ticket={"TicketNumber": "2024010110000012", "Title": "Printer", "Queue": "Raw", "State": "open"},
    article={
        "From": "Carl Customer <carl@example.com>",
        "Subject": "RE: [Ticket#2024010110000012] Printer jam",
        "Body": "line 1\nline 2\nline 3",
    },
    customer_user={"UserFirstname": "Carl", "UserLastname": "Customer", "UserEmail": "carl@example.com"},
    users={
        "agent": {"UserFirstname": "Jane", "UserLastname": "Agent"},
        "owner": {"UserLogin": "otto"},
        "responsible": {"UserFirstname": "Rita"},
    },
    config={"Ticket::Hook": "Ticket#"},
    tn="2024010110000012",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dear <OTRS_CUSTOMER_REALNAME>,", "Dear Carl Customer,"),
        ("<OTRS_CUSTOMER_UserFirstname> <OTRS_CUSTOMER_DATA_UserEmail>", "Carl carl@example.com"),
        ("<OTRS_CUSTOMER_From>", "Carl Customer <carl@example.com>"),
        ("<OTRS_CUSTOMER_SUBJECT[7]>", "Printer [...]"),
        ("<OTRS_CUSTOMER_EMAIL[2]>", "> line 1\n> line 2"),
        ("<OTRS_Agent_UserFirstname> <OTRS_CURRENT_UserLastname>", "Jane Agent"),
        ("<OTRS_OWNER_UserLogin>/<OTRS_RESPONSIBLE_UserFirstname>", "otto/Rita"),
        ("<OTRS_TICKET_TicketNumber> <OTRS_TICKET_Title> <otrs_ticket_state>", "2024010110000012 Printer open"),
        ("<OTRS_QUEUE> <OTRS_CONFIG_Ticket::Hook>", "Raw Ticket#"),
        ("<OTRS_CONFIG_DatabasePw> <OTRS_NOPE> <OTRS_TICKET_Nope>", "- - -"),
        ("no tags <b>here</b>", "no tags <b>here</b>"),
    ],
)
def test_replace_tags(text: str, expected: str) -> None:
    assert replace_tags(text, CONTEXT) == expected


def test_values_are_never_expanded_again_and_escaped_in_html() -> None:
    sneaky = TagContext(article={"Subject": "<OTRS_CONFIG_SystemID> <script>"}, config={"SystemID": "10"})
    assert replace_tags("<OTRS_CUSTOMER_Subject>", sneaky) == "<OTRS_CONFIG_SystemID> <script>"
    assert replace_tags("<p>&lt;OTRS_CUSTOMER_Subject&gt;</p>", sneaky, html=True) == (
        "<p>&lt;OTRS_CONFIG_SystemID&gt; &lt;script&gt;</p>"
    )
    assert replace_tags("<p>&lt;OTRS_NOPE&gt;</p>", sneaky, html=True) == "<p>-</p>"


def _ticket_with_mail(desk: Desk) -> tuple[int, int, int]:
    """(agent, ticket id, the customer's article id) with a customer user Carl."""
    login = desk.unique("carl")
    desk.insert(
        "customer_user",
        login=login,
        email=f"{login}@example.com",
        customer_id="ACME",
        first_name="Carl",
        last_name="Customer",
        valid_id=1,
        create_time=NOW,
        create_by=1,
        change_time=NOW,
        change_by=1,
    )
    agent = desk.agent(first_name="Jane", last_name="Agent")
    mail = ArticleDraft(
        body="My printer jams.\nPlease help.",
        subject="Printer jams",
        channel="Email",
        sender_type="customer",
        visible_for_customer=True,
        history_type="EmailCustomer",
        to="Support <otrsce@localhost>, other@example.com",
        cc="boss@example.com",
        attachments=[AttachmentDraft(filename="photo.jpg", content_type="image/jpeg", content=b"jpg")],
        **{"from": f"Carl Customer <{login}@example.com>"},
    )
    created = desk.create(agent, article=mail, customer_user=login, customer_id="ACME")
    assert created.article_id is not None
    return agent, created.ticket_id, created.article_id


def test_compose_reply(desk: Desk) -> None:
    agent, ticket, article = _ticket_with_mail(desk)
    template = desk.insert(
        "standard_template",
        name=desk.unique("Thanks"),
        text="Ticket <OTRS_TICKET_TicketNumber>.",
        content_type="text/plain",
        template_type="Answer",
        valid_id=1,
        create_time=NOW,
        create_by=1,
        change_time=NOW,
        change_by=1,
    )
    desk.insert(
        "queue_standard_template",
        queue_id=2,
        standard_template_id=template,
        create_time=NOW,
        create_by=1,
        change_time=NOW,
        change_by=1,
    )
    tn = desk.ticket(ticket)["tn"]
    with desk.engine.connect() as conn:
        actor = Actor.agent(conn, agent)
        draft = compose_reply(conn, ticket, article, template, actor, options=TicketOptions())
        everyone = compose_reply(conn, ticket, article, None, actor, reply_all=True, options=TicketOptions())
    login = desk.rows("ticket", id=ticket)[0]["customer_user_id"]
    assert (draft.to, draft.cc, draft.subject) == (
        f"Carl Customer <{login}@example.com>",
        "",
        f"Re: [Ticket#{tn}] Printer jams",
    )
    assert everyone.cc == "other@example.com, boss@example.com"
    assert draft.body == (
        "Dear Carl Customer,\n\nThank you for your request.\n\n"
        f"Ticket {tn}.\n\n"
        "Your Ticket-Team\n\n Jane Agent\n\n--\n"
        " Super Support - Waterford Business Park\n"
        " 5201 Blue Lagoon Drive - 8th Floor & 9th Floor - Miami, 33126 USA\n"
        " Email: hot@example.com - Web: http://www.example.com/\n--\n\n"
        "2024-03-15 12:00 - Carl Customer wrote:\n> My printer jams.\n> Please help."
    )
    assert draft.body_html.startswith("Dear Carl Customer,<br/>\n")
    sent = desk.do(agent, "add_article", ticket, draft.article())
    mime = desk.rows("article_data_mime", article_id=sent)[0]
    assert mime["a_subject"] == f"Re: [Ticket#{tn}] Printer jams"


def test_templates_must_be_valid_and_assigned_to_the_queue(desk: Desk) -> None:
    agent, ticket, article = _ticket_with_mail(desk)
    stray = desk.insert(
        "standard_template",
        name=desk.unique("Stray"),
        text="x",
        content_type="text/plain",
        template_type="Answer",
        valid_id=1,
        create_time=NOW,
        create_by=1,
        change_time=NOW,
        change_by=1,
    )
    name = desk.rows("standard_template", id=stray)[0]["name"]
    with desk.engine.connect() as conn:
        actor = Actor.agent(conn, agent)
        with pytest.raises(
            TicketInvalid, match=exactly(f"The template '{name}' is not assigned to the ticket's queue.")
        ):
            compose_reply(conn, ticket, article, stray, actor)
        with pytest.raises(TicketInvalid, match=exactly("There is no valid template with id 999999.")):
            compose_reply(conn, ticket, article, 999999, actor)


def test_compose_forward_and_note(desk: Desk) -> None:
    agent, ticket, article = _ticket_with_mail(desk)
    tn = desk.ticket(ticket)["tn"]
    with desk.engine.connect() as conn:
        actor = Actor.agent(conn, agent)
        forward = compose_forward(conn, ticket, article, None, actor, options=TicketOptions())
        note = compose_note(conn, ticket, 1, actor)  # 'empty answer', assigned to every initial queue
    assert (forward.to, forward.subject, forward.history_type) == ("", f"Fwd: [Ticket#{tn}] Printer jams", "Forward")
    assert "---- Forwarded message from Carl Customer" in forward.body and "Subject: Printer jams" in forward.body
    assert len(forward.attachment_ids) == 1
    assert (note.history_type, note.body, note.subject) == ("AddNote", "", "")


def test_composing_needs_ro_and_the_article_of_the_ticket(desk: Desk) -> None:
    _agent, ticket, article = _ticket_with_mail(desk)
    stranger = desk.agent(grants={})
    other = desk.create().ticket_id
    with desk.engine.connect() as conn:
        tn, other_tn = desk.ticket(ticket)["tn"], desk.ticket(other)["tn"]
        with pytest.raises(TicketDenied, match=exactly(f"You need the 'ro' permission on ticket {tn}.")):
            compose_reply(conn, ticket, article, None, Actor.agent(conn, stranger))
        with pytest.raises(TicketNotFound, match=exactly(f"Article {article} of ticket {other_tn} does not exist.")):
            compose_reply(conn, other, article, None, Actor.system())

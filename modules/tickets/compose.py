"""What the reply, forward and note screens start from: recipients, subject and body with OTRS tags replaced.

The body follows OTRS's ``Ticket::Frontend::ResponseFormat``: the queue's salutation, the chosen template, the
queue's signature, then the quoted article (``2024-03-15 12:00 - Carl Customer wrote:`` and ``> `` lines).  The
salutation, template and signature get their tags replaced (``tags.py``); the quoted article is left as written.
The result is plain text (HTML templates are converted); ``ComposeDraft.body_html`` is the same text escaped for
an HTML editor.  Templates must be valid and assigned to the ticket's queue, as OTRS offers only those.

Example::

    draft = compose_reply(conn, ticket_id, article_id, template_id=None, actor=actor)
    draft.to, draft.subject      # ('Carl Customer <carl@example.com>', 'Re: [Ticket#2024010110000012] Printer')
    service.add_article(ticket_id, draft.article())   # a SendAnswer email with In-Reply-To
"""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr
from typing import Any

from sqlalchemy import Connection, select

from modules.db.schema import metadata
from modules.tickets import subjects
from modules.tickets.actor import Actor
from modules.tickets.articles import Article, article_get
from modules.tickets.drafts import ArticleDraft
from modules.tickets.errors import TicketInvalid, TicketNotFound
from modules.tickets.html import to_text
from modules.tickets.options import TicketOptions
from modules.tickets.reads import Ticket
from modules.tickets.service import TicketService
from modules.tickets.tags import TagContext, context_for, replace_tags

T = metadata.tables
VALID = 1


@dataclass(frozen=True)
class ComposeDraft:
    """A prefilled form; ``article()`` turns it into the ArticleDraft to send (after the agent's edits)."""

    history_type: str
    to: str
    cc: str
    subject: str
    body: str
    reply_to_article_id: int | None = None
    attachment_ids: tuple[int, ...] = field(default_factory=tuple)  # forward: the original's files to offer

    @property
    def body_html(self) -> str:
        return html_lib.escape(self.body).replace("\n", "<br/>\n")

    def article(self, **changes: Any) -> ArticleDraft:
        email = self.history_type in ("SendAnswer", "Forward")
        values: dict[str, Any] = {
            "channel": "Email" if email else "Internal",
            "sender_type": "agent",
            "visible_for_customer": email,
            "history_type": self.history_type,
            "to": self.to,
            "cc": self.cc,
            "subject": self.subject,
            "body": self.body,
            "reply_to_article_id": self.reply_to_article_id,
        }
        return ArticleDraft(**{**values, **changes})


@dataclass(frozen=True)
class _Parts:
    ticket: Ticket
    article: Article | None
    context: TagContext
    salutation: str
    signature: str
    template: str


def _parts(conn: Connection, ticket_id: int, article_id: int | None, template_id: int | None, actor: Actor) -> _Parts:
    service = TicketService(conn, actor)
    ticket = service.ticket(ticket_id, "ro", lock=False)
    article = article_get(conn, article_id) if article_id is not None else None
    if article_id is not None and (article is None or article.ticket_id != ticket.id):
        raise TicketNotFound(f"article {article_id} of ticket {ticket.tn}")
    context = context_for(conn, ticket, actor.user_id, article, service.options)
    queue, salutation, signature = T["queue"], T["salutation"], T["signature"]
    row = conn.execute(
        select(salutation.c.text, salutation.c.content_type, salutation.c.valid_id)
        .add_columns(signature.c.text, signature.c.content_type, signature.c.valid_id)
        .select_from(
            queue.outerjoin(salutation, salutation.c.id == queue.c.salutation_id).outerjoin(
                signature, signature.c.id == queue.c.signature_id
            )
        )
        .where(queue.c.id == ticket.queue_id)
    ).first()
    hello = _text(row[0], row[1]) if row is not None and row[2] == VALID else ""
    bye = _text(row[3], row[4]) if row is not None and row[5] == VALID else ""
    template = _template(conn, template_id, ticket) if template_id is not None else ""
    return _Parts(
        ticket,
        article,
        context,
        replace_tags(hello, context),
        replace_tags(bye, context),
        replace_tags(template, context),
    )


def _text(text: str | None, content_type: str | None) -> str:
    text = text or ""
    return to_text(text) if (content_type or "").startswith("text/html") else text


def _template(conn: Connection, template_id: int, ticket: Ticket) -> str:
    """The template's text; any template type may be used (OTRS filters only the offered list by type)."""
    template, assigned = T["standard_template"], T["queue_standard_template"]
    row = conn.execute(
        select(template.c.name, template.c.text, template.c.content_type, template.c.valid_id, assigned.c.queue_id)
        .select_from(
            template.outerjoin(
                assigned,
                (assigned.c.standard_template_id == template.c.id) & (assigned.c.queue_id == ticket.queue_id),
            )
        )
        .where(template.c.id == template_id)
    ).first()
    if row is None or row[3] != VALID:
        raise TicketInvalid("template", f"There is no valid template with id {template_id}.")
    if row[4] is None:
        raise TicketInvalid("template", f"The template '{row[0]}' is not assigned to the ticket's queue.")
    return _text(row[1], row[2])


def _join(*blocks: str) -> str:
    return "\n\n".join(block.strip("\n") for block in blocks if block.strip())


def _quote(article: Article) -> str:
    name = parseaddr(article.from_)[0] or parseaddr(article.from_)[1] or article.from_
    lines = "\n".join(f"> {line}" if line else ">" for line in article.body.splitlines())
    return f"{article.create_time:%Y-%m-%d %H:%M} - {name} wrote:\n{lines}"


def _system_addresses(conn: Connection) -> set[str]:
    table = T["system_address"]
    return {str(value).lower() for value in conn.execute(select(table.c.value0)).scalars()}


def compose_reply(
    conn: Connection,
    ticket_id: int,
    article_id: int,
    template_id: int | None,
    actor: Actor,
    *,
    reply_all: bool = False,
    options: TicketOptions | None = None,
) -> ComposeDraft:
    """An answer to ``article_id``: To its sender (or, for an agent's article, its recipients), ``Re:`` subject."""
    parts = _parts(conn, ticket_id, article_id, template_id, actor)
    article = parts.article
    assert article is not None
    to = (article.reply_to or article.from_) if article.sender_type == "customer" else article.to
    cc = ""
    if reply_all:
        own = _system_addresses(conn) | {parseaddr(to)[1].lower()}
        others = getaddresses([article.to, article.cc])
        cc = ", ".join(
            f"{name} <{address}>" if name else address for name, address in others if address.lower() not in own
        )
    subject = subjects.build(parts.ticket.tn, article.subject, "reply", options or TicketOptions.current())
    body = _join(parts.salutation, parts.template, parts.signature, _quote(article))
    return ComposeDraft("SendAnswer", to, cc, subject, body, reply_to_article_id=article.id)


def compose_forward(
    conn: Connection,
    ticket_id: int,
    article_id: int,
    template_id: int | None,
    actor: Actor,
    *,
    options: TicketOptions | None = None,
) -> ComposeDraft:
    """A forward of ``article_id``: no recipient yet, ``Fwd:`` subject, the article quoted with its headers."""
    parts = _parts(conn, ticket_id, article_id, template_id, actor)
    article = parts.article
    assert article is not None
    headers = "\n".join(
        f"{label}: {value}"
        for label, value in (
            ("From", article.from_),
            ("To", article.to),
            ("Cc", article.cc),
            ("Subject", article.subject),
        )
        if value
    )
    forwarded = "\n\n".join(
        (f"---- Forwarded message from {article.from_} ---", headers, article.body, "---- End forwarded message ---")
    )
    subject = subjects.build(parts.ticket.tn, article.subject, "forward", options or TicketOptions.current())
    body = _join(parts.template, parts.signature, forwarded)
    ids = tuple(attachment.id for attachment in _attachments(conn, article.id))
    return ComposeDraft("Forward", "", "", subject, body, reply_to_article_id=article.id, attachment_ids=ids)


def compose_note(conn: Connection, ticket_id: int, template_id: int | None, actor: Actor) -> ComposeDraft:
    """An internal note: the template (tags replaced), no salutation or signature."""
    parts = _parts(conn, ticket_id, None, template_id, actor)
    return ComposeDraft("AddNote", "", "", "", parts.template)


def _attachments(conn: Connection, article_id: int) -> list[Any]:
    files = T["article_data_mime_attachment"]
    return list(
        conn.execute(
            select(files.c.id)
            .where(files.c.article_id == article_id, files.c.filename != "file-2")
            .order_by(files.c.id)
        )
    )

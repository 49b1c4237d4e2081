"""Outgoing email articles (EmailAgent, SendAnswer, Forward): the RFC 5322 message and its ``mail_queue`` row.

The message is built with Python's ``email`` package before the article is written, so the article records what
is sent: From is the system address of the ticket's queue (``"Znuny System" <znuny@localhost>``), the subject is
built as OTRS's ``TicketSubjectBuild`` does (``[Ticket#N]`` for a new email ticket, ``Re: [Ticket#N]`` for an
answer, ``Fwd: [Ticket#N]`` for a forward), ``In-Reply-To`` and ``References`` follow the article answered.  HTML
bodies go as ``multipart/alternative`` with the plain text; attachments with a ``content_id`` travel inline
(``multipart/related``).  The raw bytes are stored in ``article_data_mime_plain`` and queued in OTRS's
``mail_queue`` (comma-separated recipients, as OTRS joins them; ``attempts`` 0, due now) for the email issue's
sender to deliver.  OTRS itself stores a Perl-serialised message there; GOTRS stores the RFC 5322 bytes.

Example::

    outgoing = prepare(conn, ticket, draft, options, now=now)
    outgoing.message["Subject"]      # 'Re: [Ticket#2024010110000012] Printer'
    queue_rows(article_id, outgoing, now=now)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from typing import Any, cast

from sqlalchemy import Connection, select

from modules.db.schema import metadata
from modules.tickets import subjects
from modules.tickets.drafts import ArticleDraft
from modules.tickets.errors import TicketInvalid
from modules.tickets.html import to_text
from modules.tickets.options import TicketOptions
from modules.tickets.reads import Ticket

T = metadata.tables
_ACTIONS: dict[str, subjects.Action] = {"EmailAgent": "new", "SendAnswer": "reply", "Forward": "forward"}


@dataclass(frozen=True)
class Outgoing:
    """A message ready to queue, and the header values the article stores."""

    message: EmailMessage
    from_: str
    subject: str
    message_id: str
    in_reply_to: str | None
    references: str | None
    sender: str
    recipients: tuple[str, ...]

    @property
    def raw(self) -> bytes:
        return self.message.as_bytes(policy=SMTP)


def prepare(
    conn: Connection, ticket: Ticket, draft: ArticleDraft, options: TicketOptions, *, now: datetime
) -> Outgoing:
    """Build the message of ``draft`` on ``ticket``: one query for the queue's address, one for the answered article."""
    sender_email, sender_name = _system_address(conn, ticket.queue_id)
    from_ = formataddr((sender_name, sender_email))
    action = _ACTIONS.get(draft.history_type, "reply")
    subject = _one_line(subjects.build(ticket.tn, draft.subject, action, options))
    in_reply_to, references = _thread(conn, ticket.id, draft.reply_to_article_id)
    message_id = make_msgid(domain=sender_email.rpartition("@")[2] or "localhost")
    message = EmailMessage(policy=SMTP)
    message["From"] = from_
    for header, value in (("To", draft.to), ("Cc", draft.cc)):
        if value.strip():
            message[header] = _one_line(value)
    message["Subject"] = subject
    message["Date"] = format_datetime(now.replace(tzinfo=UTC) if now.tzinfo is None else now)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    _body(message, draft)
    recipients = tuple(address for _n, address in getaddresses([draft.to, draft.cc, draft.bcc]) if address)
    return Outgoing(message, from_, subject, message_id, in_reply_to, references, sender_email, recipients)


def queue_rows(article_id: int, outgoing: Outgoing, *, now: datetime, actor_id: int) -> tuple[dict[str, Any], ...]:
    """The ``article_data_mime_plain`` row and the ``mail_queue`` row of a prepared message."""
    raw = outgoing.raw
    audit = {"create_time": now, "create_by": actor_id, "change_time": now, "change_by": actor_id}
    plain = {"article_id": article_id, "body": raw, **audit}
    queued = {
        "article_id": article_id,
        "attempts": 0,
        "sender": outgoing.sender,
        "recipient": ",".join(outgoing.recipients),
        "raw_message": raw,
        "due_time": now,
        "create_time": now,
    }
    return plain, queued


def _system_address(conn: Connection, queue_id: int) -> tuple[str, str]:
    queue, address = T["queue"], T["system_address"]
    row = conn.execute(
        select(address.c.value0, address.c.value1)
        .select_from(queue.join(address, address.c.id == queue.c.system_address_id))
        .where(queue.c.id == queue_id)
    ).first()
    if row is None:
        raise TicketInvalid("queue", "The ticket's queue has no system address to send from.")
    return str(row[0]), str(row[1] or "")


def _thread(conn: Connection, ticket_id: int, article_id: int | None) -> tuple[str | None, str | None]:
    """In-Reply-To and References for an answer to ``article_id`` (which must belong to the ticket)."""
    if article_id is None:
        return None, None
    article, mime = T["article"], T["article_data_mime"]
    row = conn.execute(
        select(mime.c.a_message_id, mime.c.a_references)
        .select_from(article.join(mime, mime.c.article_id == article.c.id))
        .where(article.c.id == article_id, article.c.ticket_id == ticket_id)
    ).first()
    if row is None:
        raise TicketInvalid("reply_to_article_id", f"Article {article_id} is not an article of this ticket.")
    message_id = (row[0] or "").strip() or None
    chain = " ".join(part for part in ((row[1] or "").strip(), message_id or "") if part)
    return message_id, chain or None


def _body(message: EmailMessage, draft: ArticleDraft) -> None:
    html = draft.body if draft.content_type == "text/html" else None
    message.set_content(to_text(html) if html else draft.body, subtype="plain", charset="utf-8")
    inline = [a for a in draft.attachments if a.content_id]
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
        html_part = cast(EmailMessage, list(message.iter_parts())[-1])  # the part add_alternative just added
        for attachment in inline:
            maintype, subtype = _mime_type(attachment.content_type)
            html_part.add_related(
                attachment.content,
                maintype=maintype,
                subtype=subtype,
                cid=f"<{attachment.content_id.strip('<>')}>" if attachment.content_id else None,
                filename=attachment.filename,
                disposition="inline",
            )
    for attachment in draft.attachments:
        if html is not None and attachment.content_id:
            continue
        maintype, subtype = _mime_type(attachment.content_type)
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            disposition=attachment.disposition,
        )


def _mime_type(content_type: str) -> tuple[str, str]:
    """``("image", "png")`` from ``image/png; name=x.png``; anything unclear is application/octet-stream."""
    maintype, _, subtype = content_type.split(";", maxsplit=1)[0].strip().lower().partition("/")
    return (maintype, subtype) if maintype and subtype else ("application", "octet-stream")


def _one_line(value: str) -> str:
    """Header values never carry line breaks (no header injection)."""
    return re.sub(r"[\r\n]+\s*", " ", value).strip()

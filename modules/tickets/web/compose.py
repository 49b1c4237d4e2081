"""Writing articles from the zoom: reply, forward, note and phone call, as OTRS's compose screens do.

The opening values come from the domain's compose helpers (``modules/tickets/compose.py``: recipients, ``Re:``
and ``Fwd:`` subjects, salutation, template and signature with OTRS tags replaced, the quoted article); a note and
a phone call start from their template alone.  The form's values then become an :class:`ArticleDraft` here; the
service sends what must be sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Connection, select

from modules.db.schema import metadata
from modules.tickets.actor import Actor
from modules.tickets.articles import Article
from modules.tickets.compose import compose_forward, compose_note, compose_reply
from modules.tickets.drafts import ArticleDraft, AttachmentDraft, field_errors
from modules.tickets.errors import TicketInvalid

T = metadata.tables
Kind = Literal["reply", "forward", "note", "phone"]
KINDS: tuple[Kind, ...] = ("reply", "forward", "note", "phone")
#: The standard template type each compose screen offers (OTRS's template types).
TEMPLATE_TYPES: dict[Kind, str] = {"reply": "Answer", "forward": "Forward", "note": "Note", "phone": "PhoneCall"}


@dataclass(frozen=True)
class Compose:
    """A compose form's opening values."""

    to: str
    cc: str
    subject: str
    body: str
    article_id: int | None


def answered(articles: list[Article], article_id: int | None) -> Article | None:
    """The article a reply or forward is about: the one asked for, else the newest from the customer (or any)."""
    if article_id is not None:
        return next((a for a in articles if a.id == article_id), None)
    from_customer = [a for a in articles if a.sender_type == "customer"]
    candidates = from_customer or articles
    return candidates[-1] if candidates else None


def opening(
    conn: Connection, ticket_id: int, kind: Kind, article: Article | None, actor: Actor, *, template_id: int | None
) -> Compose:
    """The opening values of a compose form, from the domain's compose helpers (``modules/tickets/compose.py``)."""
    if kind == "reply" and article is not None:
        draft = compose_reply(conn, ticket_id, article.id, template_id, actor)
    elif kind == "forward" and article is not None:
        draft = compose_forward(conn, ticket_id, article.id, template_id, actor)
    else:
        draft = compose_note(conn, ticket_id, template_id, actor)
    to = draft.to
    if kind == "reply" and not to.strip():
        to = _customer_address(conn, ticket_id)
    return Compose(to, draft.cc, draft.subject, draft.body, draft.reply_to_article_id)


def _customer_address(conn: Connection, ticket_id: int) -> str:
    """The ticket's customer user's email: where a reply goes when the article answered names no sender."""
    ticket, customer = T["ticket"], T["customer_user"]
    row = conn.execute(
        select(customer.c.first_name, customer.c.last_name, customer.c.email)
        .select_from(ticket.join(customer, customer.c.login == ticket.c.customer_user_id))
        .where(ticket.c.id == ticket_id)
        .limit(1)
    ).first()
    if row is None or not row.email:
        return ""
    return formataddr((f"{row.first_name or ''} {row.last_name or ''}".strip(), row.email))


def article_from_form(
    kind: Kind, values: dict[str, str], files: list[AttachmentDraft], *, visible_note: bool
) -> ArticleDraft:
    """The article a compose form describes; raises TicketInvalid naming the first bad field."""
    data: dict[str, Any] = {
        "subject": values.get("subject") or "",
        "body": values.get("body") or "",
        "attachments": files,
        "time_units": values.get("time_units") or None,
    }
    if kind in ("reply", "forward"):
        data |= {
            "channel": "Email",
            "sender_type": "agent",
            "visible_for_customer": True,
            "history_type": "SendAnswer" if kind == "reply" else "Forward",
            "to": values.get("to") or "",
            "cc": values.get("cc") or "",
            "reply_to_article_id": int(values["article_id"]) if values.get("article_id", "").isdigit() else None,
        }
    elif kind == "phone":
        data |= {"channel": "Phone", "sender_type": "agent", "visible_for_customer": True}
        data["history_type"] = "PhoneCallAgent"
    else:
        data |= {"channel": "Internal", "sender_type": "agent", "visible_for_customer": visible_note}
        data["history_type"] = "AddNote"
    if not data["subject"].strip():
        data["subject"] = {"note": "Note", "phone": "Phone call"}.get(kind, "")
    try:
        return ArticleDraft.model_validate(data)
    except ValidationError as error:
        name, message = next(iter(field_errors(error).items()))
        raise TicketInvalid({"": "to", "reply_to_article_id": "body"}.get(name, name), message) from None

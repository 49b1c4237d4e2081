"""Articles: writing them (with mime data, attachments and outgoing mail) and reading a ticket's articles.

Writing follows OTRS's MIME backend (``Article::Backend::MIMEBase::ArticleCreate``): an ``article`` row (sender
type, channel, visibility), an ``article_data_mime`` row (from, to, cc, subject, the plain-text body, content
type, Message-ID and its md5 for follow-up lookups, incoming time) and one ``article_data_mime_attachment`` row
per file.  An HTML body is kept as OTRS keeps it: the HTML as attachment ``file-2`` (``text/html;
charset="utf-8"``, inline) and its plain-text rendering in ``a_body``, the article's content type becoming
``text/plain``.  Outgoing mail gets its raw message in ``article_data_mime_plain`` and a ``mail_queue`` row
(``modules/tickets/outgoing.py``).  The articles' search documents are written with them, from the values in hand
(``modules/tickets/search_index.py``).  Any number of articles (a bulk note on 500 tickets) is written with one
statement per table, never one per article.

Reading (:func:`article_list`) returns a ticket's articles with their mime data and attachment metadata in two
statements whatever their number; the HTML body comes along, the other files' contents do not.

Example::

    ids = write_articles(conn, refs, [(ticket_id, draft, None)], actor_id=7, now=now)
    for article in article_list(conn, ticket_id, customer_visible_only=True):
        article.subject, article.body, [a.filename for a in article.attachments]
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, case, insert, select

from modules.db.schema import metadata
from modules.tickets.changes import inserted_id, to_epoch
from modules.tickets.drafts import ArticleDraft, AttachmentDraft
from modules.tickets.html import display, to_text
from modules.tickets.outgoing import Outgoing, queue_rows
from modules.tickets.refs import Refs
from modules.tickets.search_index import (
    article_document,
    index_new_articles,
    new_article_document,
    new_article_document_cte,
)

T = metadata.tables
HTML_BODY = "file-2"  # OTRS's file name for the HTML version of a body it writes
#: What OTRS reads as an HTML body: ``file-2`` after a text part, ``file-1`` for an HTML-only mail (the welcome ticket).
HTML_BODY_NAMES = ("file-1", "file-2")
PLAIN = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class AttachmentMeta:
    id: int
    article_id: int
    filename: str
    content_type: str
    content_id: str | None
    disposition: str
    size: int


@dataclass(frozen=True)
class Article:
    """An article as screens and the API show it; ``html`` is the HTML body when there is one (unsanitised)."""

    id: int
    ticket_id: int
    sender_type: str
    channel: str
    visible_for_customer: bool
    from_: str
    to: str
    cc: str
    reply_to: str
    subject: str
    body: str
    content_type: str
    message_id: str
    in_reply_to: str
    references: str
    incoming_time: int
    create_time: datetime
    create_by: int
    html: str | None = None
    attachments: tuple[AttachmentMeta, ...] = field(default_factory=tuple)

    def display_html(self, url_pattern: str) -> str | None:
        """The HTML body, sanitised, inline images pointing at ``url_pattern`` (see ``html.map_inline_images``)."""
        return display(self.html, self.attachments, url_pattern) if self.html is not None else None


def write_articles(
    conn: Connection,
    refs: Refs,
    items: Sequence[tuple[int, ArticleDraft, Outgoing | None]],
    *,
    actor_id: int,
    now: datetime,
) -> list[int]:
    """Write ``(ticket_id, draft, prepared mail or None)`` items; returns the new article ids in order."""
    if not items:
        return []
    audit = {"create_time": now, "create_by": actor_id, "change_time": now, "change_by": actor_id}
    rows = [
        {
            "ticket_id": ticket_id,
            "article_sender_type_id": refs.id("sender_type", draft.sender_type),
            "communication_channel_id": refs.id("channel", draft.channel),
            "is_visible_for_customer": int(draft.visible_for_customer),
            "search_index_needs_rebuild": 1,
            **audit,
        }
        for ticket_id, draft, _outgoing in items
    ]
    if len(rows) == 1 and conn.dialect.name == "postgresql":  # one article: mime row and document in one statement
        _ticket_id, draft, outgoing = items[0]
        first = _mime_row(0, draft, outgoing, now, audit)
        ids = [_insert_with_mime(conn, rows[0], first)]
        mime, written = [first | {"article_id": ids[0]}], True
    else:
        ids = _insert_ids(conn, rows)
        mime = [_mime_row(i, draft, outgoing, now, audit) for i, (_t, draft, outgoing) in zip(ids, items, strict=True)]
        written = False
    files, plain, queued = [], [], []
    for article_id, (_ticket_id, draft, outgoing) in zip(ids, items, strict=True):
        files.extend(_attachment_rows(article_id, draft, audit))
        if outgoing is not None:
            plain_row, queue_row = queue_rows(article_id, outgoing, now=now, actor_id=actor_id)
            plain.append(plain_row)
            queued.append(queue_row)
    if not written:
        conn.execute(_INSERT_MIME, mime)
        documents = [
            (
                row["article_id"],
                ticket_id,
                article_document(row["a_subject"], row["a_from"], row["a_to"], row["a_cc"], row["a_body"]),
            )
            for row, (ticket_id, _draft, _outgoing) in zip(mime, items, strict=True)
        ]
        index_new_articles(conn, documents)  # the search index, from the values in hand (search_index.py)
    for table, table_rows in (("article_data_mime_attachment", files), ("article_data_mime_plain", plain)):
        if table_rows:
            conn.execute(insert(T[table]), table_rows)
    if queued:
        conn.execute(insert(T["mail_queue"]), queued)
    return ids


_INSERT_MIME = insert(T["article_data_mime"])


@cache
def _article_with_mime() -> Insert:
    """PostgreSQL: ``WITH new_article AS (INSERT INTO article ... RETURNING id, ticket_id), new_document AS (INSERT
    INTO gotrs_article_fts ...) INSERT INTO article_data_mime SELECT new_article.id, ... RETURNING article_id``: an
    article, its search document and its mime row in one round trip (the mime values are bound as
    ``mime_<column>``, the document as ``search_document``)."""
    article, mime = T["article"], T["article_data_mime"]
    new = (
        insert(article)
        .values({column.name: bindparam(column.name, type_=column.type) for column in _ARTICLE_COLUMNS})
        .returning(article.c.id, article.c.ticket_id)
        .cte("new_article")
    )
    columns = [column for column in mime.c if column.name not in ("id", "article_id")]
    values = [bindparam(f"mime_{column.name}", type_=column.type) for column in columns]
    return (
        insert(mime)
        .from_select(["article_id", *(column.name for column in columns)], select(new.c.id, *values))
        .returning(mime.c.article_id)
        .add_cte(new, new_article_document_cte(new))
    )


_ARTICLE_COLUMNS = [column for column in T["article"].c if column.name != "id"]


def _insert_with_mime(conn: Connection, row: dict[str, Any], mime_row: dict[str, Any]) -> int:
    row["insert_fingerprint"] = uuid.uuid4().hex
    params = {column.name: row.get(column.name) for column in _ARTICLE_COLUMNS}
    params.update({f"mime_{name}": value for name, value in mime_row.items() if name != "article_id"})
    params["search_document"] = new_article_document(
        mime_row["a_subject"], mime_row["a_from"], mime_row["a_to"], mime_row["a_cc"], mime_row["a_body"]
    )
    return int(conn.execute(_article_with_mime(), params).scalar_one())


def _insert_ids(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert article rows; one statement for any number where the backend returns ids from an executemany.

    Backends do not promise the order of ``RETURNING`` rows of a multi-row insert, so each row carries a unique
    ``insert_fingerprint`` (the column OTRS has for this) and the ids are matched back through it.
    """
    article = T["article"]
    for row in rows:
        row["insert_fingerprint"] = uuid.uuid4().hex
    if len(rows) == 1:
        return [inserted_id(conn.execute(insert(article), rows[0]))]
    if conn.dialect.insert_executemany_returning:
        position = {row["insert_fingerprint"]: index for index, row in enumerate(rows)}
        ids = [0] * len(rows)
        statement = insert(article).returning(article.c.id, article.c.insert_fingerprint)
        for article_id, fingerprint in conn.execute(statement, rows):
            ids[position[fingerprint]] = int(article_id)
        return ids
    return [inserted_id(conn.execute(insert(article), row)) for row in rows]


def _mime_row(
    article_id: int, draft: ArticleDraft, outgoing: Outgoing | None, now: datetime, audit: dict[str, Any]
) -> dict[str, Any]:
    body = to_text(draft.body) if draft.content_type == "text/html" else draft.body
    message_id = outgoing.message_id if outgoing else draft.message_id
    return {
        "article_id": article_id,
        "a_from": outgoing.from_ if outgoing else draft.from_,
        "a_reply_to": draft.reply_to,
        "a_to": draft.to or None,
        "a_cc": draft.cc or None,
        "a_bcc": draft.bcc or None,
        "a_subject": outgoing.subject if outgoing else draft.subject,
        "a_message_id": message_id,
        "a_message_id_md5": hashlib.md5(message_id.encode()).hexdigest() if message_id else None,  # noqa: S324
        "a_in_reply_to": outgoing.in_reply_to if outgoing else draft.in_reply_to,
        "a_references": outgoing.references if outgoing else draft.references,
        "a_content_type": PLAIN,
        "a_body": body,
        "incoming_time": to_epoch(draft.incoming_time or now),
        "content_path": f"{now:%Y/%m/%d}",
        **audit,
    }


def _attachment_rows(article_id: int, draft: ArticleDraft, audit: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    if draft.content_type == "text/html":
        content = draft.body.encode()
        rows.append(
            _file(
                article_id,
                HTML_BODY,
                content_type='text/html; charset="utf-8"',
                content=content,
                content_id=None,
                disposition="inline",
                audit=audit,
            )
        )
    for item in draft.attachments:
        rows.append(
            _file(
                article_id,
                item.filename,
                content_type=item.content_type,
                content=item.content,
                content_id=item.content_id,
                disposition=item.disposition,
                audit=audit,
            )
        )
    return rows


def _file(
    article_id: int,
    filename: str,
    *,
    content_type: str,
    content: bytes,
    content_id: str | None,
    disposition: str,
    audit: dict[str, Any],
) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "filename": filename,
        "content_size": str(len(content)),
        "content_type": content_type,
        "content_id": content_id,
        "content_alternative": None,
        "disposition": disposition,
        "content": content,
        **audit,
    }


def _article_columns(article: Any) -> list[Any]:
    names = ("id", "ticket_id", "article_sender_type_id", "communication_channel_id", "is_visible_for_customer")
    return [article.c[name] for name in (*names, "create_time", "create_by")]


def _mime_columns(mime: Any) -> list[Any]:
    names = ("a_from", "a_to", "a_cc", "a_reply_to", "a_subject", "a_body", "a_content_type", "a_message_id")
    return [mime.c[name] for name in (*names, "a_in_reply_to", "a_references", "incoming_time")]


def article_list(conn: Connection, ticket_id: int, *, customer_visible_only: bool = False) -> list[Article]:
    """A ticket's articles, oldest first, with mime data and attachment metadata: two statements."""
    refs = Refs(conn)
    article, mime, files = T["article"], T["article_data_mime"], T["article_data_mime_attachment"]
    query = (
        select(*_article_columns(article), *_mime_columns(mime))
        .select_from(article.outerjoin(mime, mime.c.article_id == article.c.id))
        .where(article.c.ticket_id == ticket_id)
        .order_by(article.c.id)
    )
    if customer_visible_only:
        query = query.where(article.c.is_visible_for_customer == 1)
    rows = list(conn.execute(query).mappings())
    is_html = files.c.filename.in_(HTML_BODY_NAMES) & files.c.content_type.like("text/html%")
    file_query = (
        select(files.c.id, files.c.article_id, files.c.filename, files.c.content_type, files.c.content_id)
        .add_columns(files.c.disposition, files.c.content_size, case((is_html, files.c.content)).label("html"))
        .select_from(files.join(article, article.c.id == files.c.article_id))
        .where(article.c.ticket_id == ticket_id)
        .order_by(files.c.id)
    )
    html: dict[int, str] = {}
    attached: dict[int, list[AttachmentMeta]] = {}
    for row in conn.execute(file_query) if rows else ():
        if row.html is not None:
            html[row.article_id] = bytes(row.html).decode("utf-8", "replace")
            continue
        meta = AttachmentMeta(
            row.id,
            row.article_id,
            row.filename or "",
            row.content_type or "application/octet-stream",
            row.content_id,
            row.disposition or "attachment",
            int(row.content_size or 0),
        )
        attached.setdefault(row.article_id, []).append(meta)
    return [_article(row, refs, html.get(row["id"]), tuple(attached.get(row["id"], ()))) for row in rows]


def _article(row: Any, refs: Refs, html: str | None, attachments: tuple[AttachmentMeta, ...]) -> Article:
    return Article(
        id=row["id"],
        ticket_id=row["ticket_id"],
        sender_type=refs.name("sender_type", row["article_sender_type_id"]),
        channel=refs.name("channel", row["communication_channel_id"]),
        visible_for_customer=bool(row["is_visible_for_customer"]),
        from_=row["a_from"] or "",
        to=row["a_to"] or "",
        cc=row["a_cc"] or "",
        reply_to=row["a_reply_to"] or "",
        subject=row["a_subject"] or "",
        body=row["a_body"] or "",
        content_type=row["a_content_type"] or PLAIN,
        message_id=row["a_message_id"] or "",
        in_reply_to=row["a_in_reply_to"] or "",
        references=row["a_references"] or "",
        incoming_time=row["incoming_time"] or 0,
        create_time=row["create_time"],
        create_by=row["create_by"],
        html=html,
        attachments=attachments,
    )


def attachment(conn: Connection, attachment_id: int) -> tuple[AttachmentMeta, int, bytes] | None:
    """One attachment with its ticket id (for the permission check) and content, for downloads."""
    files, article = T["article_data_mime_attachment"], T["article"]
    row = conn.execute(
        select(files, article.c.ticket_id)
        .select_from(files.join(article, article.c.id == files.c.article_id))
        .where(files.c.id == attachment_id)
    ).first()
    if row is None:
        return None
    meta = AttachmentMeta(
        row.id,
        row.article_id,
        row.filename or "",
        row.content_type or "application/octet-stream",
        row.content_id,
        row.disposition or "attachment",
        int(row.content_size or 0),
    )
    return meta, row.ticket_id, bytes(row.content or b"")


def last_sender_type(conn: Connection, refs: Refs, ticket_id: int) -> str | None:
    """The sender type of the ticket's newest article (``agent``, ``customer``, ``system``), or None."""
    article = T["article"]
    sender_id = conn.execute(
        select(article.c.article_sender_type_id)
        .where(article.c.ticket_id == ticket_id)
        .order_by(article.c.id.desc())
        .limit(1)
    ).scalar()
    return refs.name("sender_type", sender_id) if sender_id is not None else None


def copy_draft(conn: Connection, article_id: int) -> tuple[int, ArticleDraft] | None:
    """An article as a new draft (with its HTML body and files) and its ticket id: what splitting copies."""
    article, mime, files = T["article"], T["article_data_mime"], T["article_data_mime_attachment"]
    row = conn.execute(
        select(*_article_columns(article), *_mime_columns(mime))
        .select_from(article.outerjoin(mime, mime.c.article_id == article.c.id))
        .where(article.c.id == article_id)
    ).first()
    if row is None:
        return None
    refs = Refs(conn)
    found = _article(row._mapping, refs, None, ())
    html, attachments = None, []
    query = select(files.c.filename, files.c.content_type, files.c.content_id, files.c.disposition, files.c.content)
    for item in conn.execute(query.where(files.c.article_id == article_id).order_by(files.c.id)):
        content = bytes(item.content or b"")
        if item.filename in HTML_BODY_NAMES and (item.content_type or "").startswith("text/html"):
            html = content.decode("utf-8", "replace")
            continue
        attachments.append(
            AttachmentDraft(
                filename=item.filename or "attachment",
                content_type=item.content_type or "application/octet-stream",
                content=content,
                content_id=item.content_id,
                disposition="inline" if item.disposition == "inline" else "attachment",
            )
        )
    draft = ArticleDraft.model_validate(
        {
            "channel": found.channel if found.channel in ("Email", "Phone", "Internal") else "Internal",
            "sender_type": found.sender_type if found.sender_type in ("agent", "system", "customer") else "agent",
            "visible_for_customer": found.visible_for_customer,
            "history_type": _copy_history_type(found.channel, found.sender_type),
            "subject": found.subject,
            "body": html or found.body or "No body",  # OTRS's own placeholder for a missing body
            "content_type": "text/html" if html else "text/plain",
            "from": found.from_ or None,
            "to": found.to,
            "cc": found.cc,
            "reply_to": found.reply_to or None,
            "send": False,
            "attachments": attachments,
        }
    )
    return found.ticket_id, draft


def _copy_history_type(channel: str, sender_type: str) -> str:
    if channel == "Email":
        return "EmailCustomer" if sender_type == "customer" else "EmailAgent"
    if channel == "Phone":
        return "PhoneCallCustomer" if sender_type == "customer" else "PhoneCallAgent"
    return "AddNote"


def article_get(conn: Connection, article_id: int) -> Article | None:
    """One article with its mime data (no attachments): one statement."""
    article, mime = T["article"], T["article_data_mime"]
    row = conn.execute(
        select(*_article_columns(article), *_mime_columns(mime))
        .select_from(article.outerjoin(mime, mime.c.article_id == article.c.id))
        .where(article.c.id == article_id)
    ).first()
    return _article(row._mapping, Refs(conn), None, ()) if row is not None else None

"""The ticket as a lambda sees it (``item``): its columns plus display values, for a whole batch in two statements.

A lambda condition or action reads ``item.queue``, ``item.state``, ``item.priority``, ``item.customer_company``
... rather than ids, so rules read like the screens: ``return item.queue === 'Raw' && /outage/i.test(item.subject)``.
One statement joins the ticket with its lookups (queue, state and state type, priority, lock, type, service, SLA,
owner, responsible, customer company); a second reads the first article's subject and From for every ticket of the
batch, a third its ticket dynamic fields (``item.dynamic_fields.Category``: the stored key, a Multiselect's list,
1 or 0, a date as ISO text; a field without a value is absent).  Times are ISO text (``"2024-03-15T12:00:00"``),
as in every lambda.

Example::

    items(conn, [12, 15])[12]
    # {"id": 12, "tn": "2024031510000012", "title": "Printer", "queue": "Raw", "state": "new",
    #  "state_type": "new", "priority": "3 normal", "owner": "root@localhost", "customer_company": "ACME Inc", ...,
    #  "dynamic_fields": {"Category": "hw"}}
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from modules.db.schema import metadata
from modules.tickets import dynamic_fields as dynamic

T = metadata.tables
CHUNK = 1000


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def items(conn: Connection, ticket_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """``item`` of each ticket that exists, by id (three statements per :data:`CHUNK` tickets, and the field
    definitions)."""
    found: dict[int, dict[str, Any]] = {}
    wanted = sorted(set(ticket_ids))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for row in conn.execute(_query(chunk)).mappings():
            found[int(row["id"])] = {key: _plain(value) for key, value in row.items()}
        for ticket_id, subject, sender in conn.execute(_first_articles(chunk)):
            if ticket_id in found:
                found[ticket_id].update(subject=subject or "", **{"from": sender or ""})
    fields = [field for field in dynamic.definitions(conn).values() if field.object_type == "Ticket"]
    values = dynamic.read_values(conn, fields, found) if fields else {}
    for ticket_id, item in found.items():
        item.setdefault("subject", "")
        item.setdefault("from", "")
        item["dynamic_fields"] = {name: dynamic.as_json(value) for name, value in values.get(ticket_id, {}).items()}
    return found


def _query(ids: list[int]) -> Any:
    t, q, s, st = T["ticket"], T["queue"], T["ticket_state"], T["ticket_state_type"]
    p, lk, ty, sv, sl, cc = (
        T["ticket_priority"],
        T["ticket_lock_type"],
        T["ticket_type"],
        T["service"],
        T["sla"],
        T["customer_company"],
    )
    owner, responsible = T["users"].alias("owner"), T["users"].alias("responsible")
    joined = (
        t.join(q, q.c.id == t.c.queue_id)
        .join(s, s.c.id == t.c.ticket_state_id)
        .join(st, st.c.id == s.c.type_id)
        .join(p, p.c.id == t.c.ticket_priority_id)
        .join(lk, lk.c.id == t.c.ticket_lock_id)
        .join(owner, owner.c.id == t.c.user_id)
        .outerjoin(responsible, responsible.c.id == t.c.responsible_user_id)
        .outerjoin(ty, ty.c.id == t.c.type_id)
        .outerjoin(sv, sv.c.id == t.c.service_id)
        .outerjoin(sl, sl.c.id == t.c.sla_id)
        .outerjoin(cc, cc.c.customer_id == t.c.customer_id)
    )
    return (
        select(
            t.c.id,
            t.c.tn,
            t.c.title,
            t.c.queue_id,
            q.c.name.label("queue"),
            t.c.ticket_state_id.label("state_id"),
            s.c.name.label("state"),
            st.c.name.label("state_type"),
            t.c.ticket_priority_id.label("priority_id"),
            p.c.name.label("priority"),
            lk.c.name.label("lock"),
            t.c.type_id,
            ty.c.name.label("type"),
            t.c.service_id,
            sv.c.name.label("service"),
            t.c.sla_id,
            sl.c.name.label("sla"),
            t.c.user_id.label("owner_id"),
            owner.c.login.label("owner"),
            t.c.responsible_user_id.label("responsible_id"),
            responsible.c.login.label("responsible"),
            t.c.customer_id,
            t.c.customer_user_id,
            cc.c.name.label("customer_company"),
            t.c.until_time,
            t.c.escalation_time,
            t.c.create_time,
            t.c.change_time,
        )
        .select_from(joined)
        .where(t.c.id.in_(ids))
    )


def _first_articles(ids: list[int]) -> Any:
    article, mime = T["article"], T["article_data_mime"]
    first = select(func.min(article.c.id)).where(article.c.ticket_id.in_(ids)).group_by(article.c.ticket_id)
    return (
        select(article.c.ticket_id, mime.c.a_subject, mime.c.a_from)
        .select_from(article.join(mime, mime.c.article_id == article.c.id))
        .where(article.c.id.in_(first))
    )

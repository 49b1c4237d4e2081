"""Everything the ticket zoom shows, read in a fixed handful of statements whatever the ticket's size.

The ticket (one primary-key read with its permission facts), the names of its owner, responsible, watchers and
article authors (one query), its service and SLA names and accounted time (one query), its articles (two, see
``articles.article_list``), its links with the linked tickets (two: the links, then all linked tickets at once),
the dynamic fields it shows (two at most) and, for the history tab, its history (one).  Names of queues, states,
priorities, locks and types come from the cached refs.  The agent's keys on the ticket are computed from facts
already read, so the page offers only the actions the agent may take (the service checks again on every POST).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from markupsafe import Markup
from sqlalchemy import Connection, func, select

from modules.db.schema import metadata
from modules.permissions.agent import agent_permissions, grants_ticket
from modules.permissions.keys import PERMISSION_KEYS
from modules.permissions.options import current_options
from modules.tickets import links, reads
from modules.tickets.articles import Article, article_list
from modules.tickets.changes import from_epoch, utc_now
from modules.tickets.dynamic_fields_forms import ShownValue, zoom_values
from modules.tickets.errors import TicketNotFound
from modules.tickets.escalation import ShownDestination
from modules.tickets.escalation import shown as shown_escalations
from modules.tickets.refs import Refs
from modules.tickets.web import queries

T = metadata.tables


@dataclass(frozen=True)
class ShownArticle:
    """An article with its body ready to show: sanitized HTML, or text (escaped by the template)."""

    article: Article
    number: int
    html: Markup | None

    @property
    def is_internal(self) -> bool:
        return not self.article.visible_for_customer


@dataclass(frozen=True)
class ShownLink:
    ticket_id: int
    tn: str
    title: str
    state: str
    type: str
    role: str
    readable: bool


@dataclass(frozen=True)
class Zoom:
    """The ticket as the zoom shows it; ``keys`` are the agent's permission keys on it."""

    ticket: reads.Ticket
    names: dict[str, str]
    state_type: str
    customer: queries.Customer | None
    pending_until: datetime | None
    time_total: Decimal
    articles: list[ShownArticle]
    links: list[ShownLink]
    watchers: list[str]
    keys: frozenset[str]
    fields: tuple[ShownValue, ...] = ()  # dynamic fields shown in the zoom (AgentTicketZoom), set ones only
    article_fields: Mapping[int, list[ShownValue]] = field(default_factory=dict)  # by article id
    escalations: tuple[ShownDestination, ...] = ()  # response, update, solution destinations that are set

    @property
    def id(self) -> int:
        return self.ticket.id

    @property
    def locked(self) -> bool:
        return self.names["lock"] == "lock"

    @property
    def age(self) -> str:
        return queries.age(self.ticket.create_time)

    def may(self, key: str) -> bool:
        return key in self.keys


def agent_keys(conn: Connection, ticket: reads.Ticket, user_id: int, queue_name: str) -> frozenset[str]:
    """The OTRS keys ``user_id`` holds on the ticket (owner, responsible, group keys, watcher)."""
    perms, options, facts = agent_permissions(conn, user_id), current_options(), ticket.facts(queue_name)
    return frozenset(key for key in PERMISSION_KEYS if grants_ticket(perms, facts, key, options))


def _extras(conn: Connection, ticket: reads.Ticket) -> tuple[str, str, Decimal]:
    """Service name, SLA name and accounted time: one statement of three scalar subqueries."""
    service, sla, accounting = T["service"], T["sla"], T["time_accounting"]
    row = conn.execute(
        select(
            select(service.c.name).where(service.c.id == ticket.service_id).scalar_subquery(),
            select(sla.c.name).where(sla.c.id == ticket.sla_id).scalar_subquery(),
            select(func.sum(accounting.c.time_unit)).where(accounting.c.ticket_id == ticket.id).scalar_subquery(),
        )
    ).one()
    return row[0] or "", row[1] or "", Decimal(str(row[2] or 0)).quantize(Decimal("0.01"))


def _watchers(conn: Connection, ticket_id: int) -> list[int]:
    watcher = T["ticket_watcher"]
    query = select(watcher.c.user_id).where(watcher.c.ticket_id == ticket_id).order_by(watcher.c.user_id).limit(200)
    return [int(row[0]) for row in conn.execute(query)]


def shown_links(conn: Connection, refs: Refs, ticket_id: int, user_id: int) -> list[ShownLink]:
    """The ticket's links, with the linked tickets read at once; tickets the agent may not read stay anonymous."""
    found = links.linked(conn, refs, ticket_id)[:200]
    others = reads.read_many(conn, [link.ticket_id for link in found], watcher_id=user_id)
    perms, options = agent_permissions(conn, user_id), current_options()
    shown = []
    for link in found:
        other = others.get(link.ticket_id)
        if other is None:
            continue
        readable = grants_ticket(perms, other.facts(refs.name("queue", other.queue_id)), "ro", options)
        state = refs.name("state", other.ticket_state_id)
        shown.append(ShownLink(other.id, other.tn, other.title, state, link.type, link.role, readable))
    return shown


def shown_articles(ticket_id: int, articles: list[Article]) -> list[ShownArticle]:
    pattern = f"/agent/tickets/{ticket_id}/attachments/{{attachment_id}}?inline=1"
    return [
        ShownArticle(article, index, Markup(html) if (html := article.display_html(pattern)) is not None else None)  # noqa: S704 - sanitized by nh3
        for index, article in enumerate(articles, start=1)
    ]


def load(conn: Connection, ticket_id: int, user_id: int) -> Zoom:
    """The zoom of ``ticket_id`` for agent ``user_id`` (raises TicketNotFound)."""
    ticket = reads.read(conn, ticket_id, watcher_id=user_id)
    if ticket is None:
        raise TicketNotFound(f"ticket {ticket_id}")
    refs = Refs(conn)
    state = refs.state(ticket.ticket_state_id, valid=False)
    watcher_ids = _watchers(conn, ticket_id)
    people = queries.user_names(conn, [ticket.user_id, ticket.responsible_user_id, *watcher_ids])
    service_name, sla_name, total = _extras(conn, ticket)
    queue_name = refs.name("queue", ticket.queue_id)
    names = {
        "queue": queue_name,
        "state": state.name,
        "priority": refs.name("priority", ticket.ticket_priority_id),
        "lock": refs.name("lock", ticket.ticket_lock_id),
        "type": refs.name("type", ticket.type_id),
        "service": service_name,
        "sla": sla_name,
        "owner": people.get(ticket.user_id, ""),
        "responsible": people.get(ticket.responsible_user_id, ""),
    }
    customer = queries.customer(conn, ticket.customer_user_id) if ticket.customer_user_id else None
    articles = shown_articles(ticket_id, article_list(conn, ticket_id))
    ticket_fields, article_fields = zoom_values(conn, ticket_id, [shown.article.id for shown in articles])
    return Zoom(
        ticket=ticket,
        names=names,
        state_type=state.type_name,
        customer=customer,
        pending_until=from_epoch(ticket.until_time) if state.is_pending and ticket.until_time else None,
        time_total=total,
        articles=articles,
        links=shown_links(conn, refs, ticket_id, user_id),
        watchers=[people.get(i, str(i)) for i in watcher_ids],
        keys=agent_keys(conn, ticket, user_id, queue_name),
        fields=tuple(ticket_fields),
        article_fields=article_fields,
        escalations=tuple(shown_escalations(conn, ticket_id, utc_now())),
    )

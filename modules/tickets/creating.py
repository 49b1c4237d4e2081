"""Creating a ticket with its first article, and adding an article to a ticket: the two writes that make articles.

``create_ticket`` follows OTRS's TicketCreate and the agent/GenericInterface screens around it.  History, in
order: NewTicket ``%%TN%%Queue%%Priority%%State%%TicketID``; CustomerUpdate when a customer is given; TypeUpdate
``%%Type%%TypeID`` when a type is named; ServiceUpdate and SLAUpdate ``%%Name%%ID%%NULL%%`` when a service is
named; the article's own row (its history type and comment); Misc "Reset of unlock time." when that article is
an agent's visible one; TimeAccounting when it carries time units; OwnerUpdate ``%%login%%id`` when the owner is not
user 1 (OTRS creates as user 1 and then sets the owner); SetPendingTime for a pending state given a time.  Events:
TicketCreate, TicketCustomerUpdate, ArticleCreate (ArticleSend), TicketOwnerUpdate, TicketPendingTimeUpdate.

The ticket row is inserted with its final values (owner, lock, pending time, unlock timeout), so the history steps
that would set them find nothing left to update: a create is a handful of statements (counter, number check,
ticket, its search document, article, mime data, the article's search document, history;
``tests/modules/tickets/test_create.py`` counts them).

Example::

    created = create_ticket(service, TicketDraft(title="Printer", queue="Raw"), ArticleDraft(body="It jams."))
    created.ticket_id, created.tn, created.article_id
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite

from modules.db.schema import metadata
from modules.tickets import changes as rules
from modules.tickets.accounting import account, parse_units
from modules.tickets.articles import last_sender_type, write_articles
from modules.tickets.changes import Change, inserted_id, to_epoch
from modules.tickets.counter import allocate, candidates, counter_connection, no_free_number
from modules.tickets.drafts import ArticleDraft, TicketDraft
from modules.tickets.errors import TicketInvalid
from modules.tickets.escalation import NO_GOALS, has_goals
from modules.tickets.history import Names
from modules.tickets.outgoing import prepare
from modules.tickets.reads import COLUMNS, Ticket
from modules.tickets.refs import Ref
from modules.tickets.search_index import index_new_ticket, new_ticket_document, with_new_ticket_document

if TYPE_CHECKING:
    from modules.tickets.service import TicketService

T = metadata.tables
SYSTEM_USER_ID = 1
ESCALATION_COLUMNS = (
    "escalation_time",
    "escalation_update_time",
    "escalation_response_time",
    "escalation_solution_time",
)


@dataclass(frozen=True)
class Created:
    ticket_id: int
    tn: str
    article_id: int | None = None


def create_ticket(service: TicketService, draft: TicketDraft, article: ArticleDraft | None) -> Created:
    refs, actor, now = service.refs, service.actor, service.now
    queue = refs.queue(draft.queue)
    service.require_queue(queue, "create")
    state = refs.state(draft.state)
    if state.type_name == "merged":
        raise TicketInvalid("state", f"The state '{state.name}' is set by merging, not directly.")
    if draft.pending_until is not None and not state.is_pending:
        raise TicketInvalid("pending_until", f"The state '{state.name}' takes no pending time.")
    priority = refs.require("priority", draft.priority, "priority")
    ticket_type = _type(service, draft)
    owner_id, owner_login = actor.user_id, actor.login
    if draft.owner is not None and draft.owner != actor.user_id:
        owner = service.assignee(draft.owner, "owner", queue, "owner")
        owner_id, owner_login = owner.user_id, owner.login
    responsible_id = SYSTEM_USER_ID
    if draft.responsible is not None:
        responsible_id = service.assignee(draft.responsible, "rw", queue, "responsible").user_id
    service_ref = service.service(draft.service, draft.customer_user) if draft.service is not None else None
    sla_ref = service.sla(draft.sla, service_ref[0] if service_ref else None) if draft.sla is not None else None
    locked = draft.lock == "lock"
    agent_article = article is not None and article.sender_type == "agent" and article.visible_for_customer
    pending = draft.pending_until if state.is_pending else None
    # The history steps below start from the row as it is before them, and find their values already written.
    start = Ticket(
        id=0,
        tn="",  # _insert numbers the row
        title=draft.title,
        queue_id=queue.id,
        ticket_lock_id=refs.lock_id("lock" if locked else "unlock"),
        type_id=ticket_type.id,
        service_id=service_ref[0] if service_ref else None,
        sla_id=sla_ref[0] if sla_ref else None,
        user_id=owner_id,
        responsible_user_id=responsible_id,
        ticket_priority_id=priority.id,
        ticket_state_id=state.id,
        customer_id=draft.customer_id,
        customer_user_id=draft.customer_user,
        timeout=to_epoch(now) if locked else 0,
        until_time=0,
        archive_flag=0,
        create_time=now,
        group_id=queue.group_id,
        group_valid=True,
        watching=False,
    )
    final = replace(
        start,
        timeout=to_epoch(now) if locked or agent_article else 0,
        until_time=to_epoch(pending) if pending else 0,
    )
    values = {name: getattr(final, name) for name in COLUMNS if name not in ("id", "tn", "create_time")}
    ticket_id, tn, escalates = _insert(service, values)
    inserted = replace(start, id=ticket_id, tn=tn)
    change = Change(inserted, actor.user_id, ticket_type.id)
    change.log("NewTicket", Names.new_ticket(tn, queue.name, priority.name, state.name, ticket_id))
    change.emit("TicketCreate", **({NO_GOALS: False} if escalates is False else {}))
    if draft.customer_user is not None or draft.customer_id is not None:
        change.log("CustomerUpdate", Names.customer_update(draft.customer_id or "", draft.customer_user or ""))
        change.emit("TicketCustomerUpdate")
    if draft.type is not None:
        change.log("TypeUpdate", Names.join(ticket_type.name, ticket_type.id))
    if service_ref is not None:
        change.log("ServiceUpdate", Names.join(service_ref[1], service_ref[0], "NULL", ""))
        sla_id, sla_name = sla_ref if sla_ref else ("", "NULL")
        change.log("SLAUpdate", Names.join(sla_name, sla_id, "NULL", ""))
    article_id = write_article(service, change, article, first=True) if article is not None else None
    if owner_id != SYSTEM_USER_ID:
        change.log("OwnerUpdate", Names.user(owner_login, owner_id))
        change.emit("TicketOwnerUpdate", old_owner_id=SYSTEM_USER_ID)
    if pending is not None:
        rules.set_pending_time(change, pending)
    change.values = {key: value for key, value in change.values.items() if values.get(key) != value}
    service.commit_changes(change)
    return Created(ticket_id, tn, article_id)


_TICKET = T["ticket"]
_INSERT_TICKET = insert(_TICKET)
_INSERT_NEW_NUMBER = {  # a number some ticket already has (imported from OTRS) inserts nothing and returns no id
    "sqlite": sqlite.insert(_TICKET).on_conflict_do_nothing(index_elements=["tn"]).returning(_TICKET.c.id),
}


@cache
def _insert_with_document(columns: tuple[str, ...]) -> Any:
    """PostgreSQL: the ticket row (``columns`` bound by name; a taken number inserts nothing and returns no id) and
    its search document, in one statement."""
    values = {name: bindparam(name, type_=_TICKET.c[name].type) for name in columns}
    ticket_insert = (
        postgresql.insert(_TICKET)
        .values(values)
        .on_conflict_do_nothing(index_elements=["tn"])
        .returning(_TICKET.c.id, _TICKET.c.queue_id, _TICKET.c.sla_id)
    )
    return with_new_ticket_document(ticket_insert, lambda new: [has_goals(new.c.queue_id, new.c.sla_id)])


def _insert(service: TicketService, values: dict[str, Any]) -> tuple[int, str, bool | None]:
    """Insert the ticket row with a new number (escalation columns 0: the escalation listener computes them) and its
    search document (on PostgreSQL in the same statement, which also tells whether the ticket has escalation goals;
    None elsewhere: not known); returns its id, number and that.  Where the backend can skip a conflicting row, a
    number already taken costs no look-up beforehand: the insert itself tells."""
    conn, actor_id, now = service.conn, service.actor.user_id, service.now
    row = {**values, "create_time": now, "create_by": actor_id, "change_time": now, "change_by": actor_id}
    row.update(dict.fromkeys(ESCALATION_COLUMNS, 0))
    generator = service.options.generator()
    if conn.dialect.name == "postgresql":
        statement = _insert_with_document(tuple(sorted({*row, "tn"})))
        with counter_connection(conn) as counting:
            for tn in candidates(counting, generator, now=now):
                params = {**row, "tn": tn, "search_document": new_ticket_document(tn, values["title"])}
                found = conn.execute(statement, params).first()
                if found is not None:
                    return int(found[0]), tn, bool(found[1])
        raise RuntimeError(no_free_number(generator, now))
    statement = _INSERT_NEW_NUMBER.get(conn.dialect.name)
    if statement is None:  # MariaDB
        tn = allocate(conn, generator, now=now)
        ticket_id = inserted_id(conn.execute(_INSERT_TICKET, {**row, "tn": tn}))
    else:  # SQLite
        for tn in candidates(conn, generator, now=now):
            found = conn.execute(statement, {**row, "tn": tn}).first()
            if found is not None:
                ticket_id = int(found[0])
                break
        else:
            raise RuntimeError(no_free_number(generator, now))
    index_new_ticket(conn, ticket_id, tn, values["title"])
    return ticket_id, tn, None


def _type(service: TicketService, draft: TicketDraft) -> Ref:
    if draft.type is not None:
        return service.refs.require("type", draft.type, "type")
    found = service.refs.find("type", service.options.ticket_type_default) or service.refs.find("type", 1)
    if found is None:
        raise TicketInvalid("type", f"There is no ticket type '{service.options.ticket_type_default}'.")
    return found


def write_article(service: TicketService, change: Change, draft: ArticleDraft, *, first: bool = False) -> int:
    """Write ``draft`` on ``change``'s ticket and add its history and events to ``change``.

    An agent's visible article resets the unlock timeout, and so does a customer's article that follows an
    agent's (OTRS's ArticleCreate); the prepared outgoing mail is queued with the article.
    """
    conn, refs, now = service.conn, service.refs, service.now
    ticket = change.after
    outgoing = prepare(conn, ticket, draft, service.options, now=now) if draft.sends else None
    resets = draft.sender_type == "agent" and draft.visible_for_customer
    if draft.sender_type == "customer" and not first:
        resets = last_sender_type(conn, refs, ticket.id) == "agent"
    if draft.from_ is None and draft.sender_type == "agent" and outgoing is None:
        draft = draft.model_copy(update={"from_": service.actor.address})
    article_id = write_articles(conn, refs, [(ticket.id, draft, outgoing)], actor_id=service.actor.user_id, now=now)[0]
    change.log(draft.history_type, history_comment(draft, ticket.tn), article_id)
    change.emit("ArticleCreate", article_id)
    if outgoing is not None:
        change.emit("ArticleSend", article_id)
    if resets:
        rules.reset_unlock_timeout(change, now)
    if draft.time_units:
        account(service, change, parse_units(draft.time_units), article_id)
    return article_id


def history_comment(draft: ArticleDraft, tn: str) -> str:
    """The history name of an article: the caller's comment, else OTRS's screens' default for the type."""
    if draft.history_comment is not None:
        return draft.history_comment
    if draft.history_type == "AddNote":
        return "%%Note"
    if draft.history_type in ("SendAnswer", "Forward", "Bounce", "EmailResend"):
        recipients = ", ".join(part.strip() for part in (draft.to, draft.cc, draft.bcc) if part.strip())
        return f"%%{recipients}"
    if draft.history_type == "FollowUp":
        return f"%%{tn}%%"
    return "%%"

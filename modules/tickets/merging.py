"""The actions that involve two tickets: link and unlink, merge, and split (``TicketService`` delegates here).

**Link / unlink**: a ``link_relation`` row (``links.py``); TicketLinkAdd / TicketLinkDelete history and events on
BOTH tickets, each naming the other (``%%<other TN>%%<other id>%%<own id>``, OTRS's LinkObject backend).

**Merge** (OTRS's TicketMerge): the merged ticket's articles, their history rows, its accounted time, its
watchers (unless already watching the main ticket) and its links move to the main ticket; the merged ticket gets
an internal, customer-visible note "Merged Ticket <TN> to <TN>." (AddNote ``%%Note``), Merged
``%%MergeTN%%MergeID%%MainTN%%MainID`` history on both tickets, a ParentChild link from the main ticket, the
``merged`` state (pending time reset) and an unlock.  Events: ArticleCreate, TicketLinkAdd, TicketStateUpdate,
TicketLockUpdate and finally TicketMerge (``data["main_ticket_id"]``) for the merged ticket.

**Split**: a new ticket whose first article is a copy of the article (body, HTML, files), linked ParentChild from
the article's ticket.

Example::

    merge(service, 12, into_id=7)      # ticket 12 is now merged into 7; resolve_tn(12's number) gives 7
    split(service, article_id, TicketDraft(title="Second problem", queue="Misc"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from modules.db.schema import metadata
from modules.tickets import changes as rules
from modules.tickets import links, reads
from modules.tickets.articles import copy_draft
from modules.tickets.changes import Change
from modules.tickets.creating import Created, write_article
from modules.tickets.drafts import ArticleDraft, TicketDraft
from modules.tickets.errors import TicketInvalid, TicketNotFound
from modules.tickets.history import Names
from modules.tickets.refs import StateRef

if TYPE_CHECKING:
    from modules.tickets.service import TicketService

T = metadata.tables
MERGE_SUBJECT = "Ticket Merged"  # Ticket::Frontend::AutomaticMergeSubject
MERGE_TEXT = "Merged Ticket {merged} to {main}."  # Ticket::Frontend::AutomaticMergeText


def _pair(service: TicketService, first_id: int, second_id: int) -> tuple[reads.Ticket, reads.Ticket]:
    found = reads.read_many(service.conn, [first_id, second_id], watcher_id=service.actor.user_id, lock=True)
    for ticket_id in (first_id, second_id):
        if ticket_id not in found:
            raise TicketNotFound(f"ticket {ticket_id}")
    return found[first_id], found[second_id]


def _link_history(source: Change, target: Change, link_type: str, *, add: bool) -> None:
    kind = "TicketLinkAdd" if add else "TicketLinkDelete"
    for this, other in ((source, target), (target, source)):
        ticket, partner = this.before, other.before
        this.log(kind, Names.link(partner.tn, partner.id, ticket.id))
        this.emit(kind, other_ticket_id=partner.id, link_type=link_type)


def link_tickets(service: TicketService, ticket_id: int, other_id: int, link_type: str, *, add: bool) -> bool:
    if ticket_id == other_id:
        raise TicketInvalid("link", "A ticket cannot be linked to itself.")
    this, other = _pair(service, ticket_id, other_id)
    service.require(this, "rw")
    service.require(other, "ro")
    conn, refs = service.conn, service.refs
    if add:
        done = links.add(conn, refs, this.id, other.id, link_type, actor_id=service.actor.user_id, now=service.now)
    else:
        done = links.remove(conn, refs, this.id, other.id, link_type)
    if not done:
        return False
    this_change, other_change = service.change(this), service.change(other)
    _link_history(this_change, other_change, link_type, add=add)
    return service.commit_changes(this_change, other_change)


def _merged_state(service: TicketService) -> StateRef:
    for state_id in service.refs.state_ids(["merged"]):
        state = service.refs.state(state_id, valid=False)
        if state.valid:
            return state
    raise TicketInvalid("state", "There is no valid state of type 'merged': add one before merging.")


def merge(service: TicketService, ticket_id: int, into_id: int) -> bool:
    if ticket_id == into_id:
        raise TicketInvalid("merge_into", "A ticket cannot be merged into itself.")
    merged, main = _pair(service, ticket_id, into_id)
    service.require(merged, "rw")
    service.require(main, "rw")
    refs = service.refs
    merged_state = _merged_state(service)
    if refs.state(merged.ticket_state_id, valid=False).type_name == "merged":
        raise TicketInvalid("merge", f"Ticket {merged.tn} is already merged.")
    if refs.state(main.ticket_state_id, valid=False).type_name == "merged":
        raise TicketInvalid("merge_into", f"Ticket {main.tn} is merged itself: merge into the ticket it went into.")
    _move_content(service, merged.id, main.id)
    merged_change, main_change = service.change(merged), service.change(main)
    note = ArticleDraft(
        channel="Internal",
        sender_type="agent",
        visible_for_customer=True,
        history_type="AddNote",
        history_comment="%%Note",
        subject=MERGE_SUBJECT,
        body=MERGE_TEXT.format(merged=merged.tn, main=main.tn),
    )
    write_article(service, merged_change, note)
    name = Names.merged(merged.tn, merged.id, main.tn, main.id)
    merged_change.log("Merged", name)
    main_change.log("Merged", name)
    links.move_links(service.conn, refs, merged.id, main.id)
    links.add(service.conn, refs, main.id, merged.id, "ParentChild", actor_id=service.actor.user_id, now=service.now)
    _link_history(main_change, merged_change, "ParentChild", add=True)
    main_change.touch = True
    rules.set_state(merged_change, refs, merged_state, None)
    rules.unlock(merged_change, refs)
    merged_change.emit("TicketMerge", main_ticket_id=main.id)
    return service.commit_changes(main_change, merged_change)


def _move_content(service: TicketService, from_id: int, to_id: int) -> None:
    """Articles, their history rows, accounted time and watchers move to the main ticket."""
    conn, audit = service.conn, {"change_time": service.now, "change_by": service.actor.user_id}
    article, history, time = T["article"], T["ticket_history"], T["time_accounting"]
    conn.execute(update(article).where(article.c.ticket_id == from_id).values(ticket_id=to_id, **audit))
    index = T["article_search_index"]
    conn.execute(update(index).where(index.c.ticket_id == from_id).values(ticket_id=to_id))
    conn.execute(
        update(history)
        .where(history.c.ticket_id == from_id, history.c.article_id.is_not(None))
        .values(ticket_id=to_id, **audit)
    )
    conn.execute(update(time).where(time.c.ticket_id == from_id).values(ticket_id=to_id, **audit))
    watcher = T["ticket_watcher"]
    main_watchers = select(watcher.c.user_id).where(watcher.c.ticket_id == to_id).scalar_subquery()
    conn.execute(delete(watcher).where(watcher.c.ticket_id == from_id, watcher.c.user_id.in_(main_watchers)))
    conn.execute(update(watcher).where(watcher.c.ticket_id == from_id).values(ticket_id=to_id))


def split(service: TicketService, article_id: int, draft: TicketDraft) -> Created:
    found = copy_draft(service.conn, article_id)
    if found is None:
        raise TicketNotFound(f"article {article_id}")
    source_id, copy = found
    source = service.ticket(source_id, "rw")
    created = service.create(draft, copy)
    new = reads.read(service.conn, created.ticket_id, watcher_id=service.actor.user_id)
    assert new is not None
    links.add(
        service.conn, service.refs, source.id, new.id, "ParentChild", actor_id=service.actor.user_id, now=service.now
    )
    source_change, new_change = service.change(source), service.change(new)
    _link_history(source_change, new_change, "ParentChild", add=True)
    service.commit_changes(source_change, new_change)
    return created

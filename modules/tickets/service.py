"""TicketService: creating tickets and every action on them, with OTRS's permissions, rules and history.

One service per transaction: ``TicketService(conn, actor)``.  It never commits (the caller owns the
transaction); every method checks the actor's OTRS permission first and raises :class:`TicketDenied`,
:class:`TicketNotFound` or :class:`TicketInvalid` (``modules/tickets/errors.py``).  A change that changes nothing
writes nothing and returns False.  Each action reads its ticket once (by primary key, locked for the transaction),
writes with a handful of statements, then emits its events (``modules/tickets/events.py``).

Permission keys per action (``docs/TICKETS.md``): create ``create`` on the queue; notes ``note``, other articles
``rw``; priority ``priority``; move ``move_into`` on the ticket and on the target queue; owner ``owner``; watching
``ro``; everything else ``rw``.  The system actor (``Actor.system()``) is not checked.

Example::

    service = TicketService(conn, Actor.agent(conn, user_id))
    created = service.create(TicketDraft(title="Printer", queue="Raw"), ArticleDraft(body="It jams."))
    service.set_state(created.ticket_id, "pending reminder", pending_until=datetime(2024, 3, 20, 9, 0))
    service.move(created.ticket_id, "Misc")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, exists, insert, select

from modules.db.schema import metadata
from modules.permissions.agent import agent_permissions, grants_ticket
from modules.permissions.options import PermissionOptions, current_options
from modules.tickets import changes as rules
from modules.tickets import dynamic_fields as dynamic
from modules.tickets import escalation as _escalation  # noqa: F401  registers its listener (every writer)
from modules.tickets import links, merging, reads
from modules.tickets.accounting import account, parse_units, time_total
from modules.tickets.actor import Actor
from modules.tickets.changes import Change, apply, utc_now
from modules.tickets.creating import Created, create_ticket, write_article
from modules.tickets.drafts import ArticleDraft, TicketDraft
from modules.tickets.errors import TicketDenied, TicketInvalid, TicketNotFound, not_assignable
from modules.tickets.history import Names
from modules.tickets.options import TicketOptions
from modules.tickets.refs import QueueInfo, Refs

if TYPE_CHECKING:
    from modules.tickets.bulk import BulkChanges, BulkResult

T = metadata.tables
VALID = 1
DEFAULT_SERVICES = "<DEFAULT>"


@dataclass(frozen=True)
class Assignee:
    user_id: int
    login: str


class TicketService:
    """Every ticket action for one actor inside the caller's transaction (see the module docstring)."""

    def __init__(
        self,
        conn: Connection,
        actor: Actor,
        *,
        options: TicketOptions | None = None,
        permission_options: PermissionOptions | None = None,
        now: datetime | None = None,
    ) -> None:
        self.conn = conn
        self.actor = actor
        self.options = options or TicketOptions.current()
        self.permission_options = permission_options or current_options()
        self.refs = Refs(conn)
        self._now = now

    @property
    def now(self) -> datetime:
        """The time of this service's transaction (fixed at first use, so one action has one time)."""
        if self._now is None:
            self._now = utc_now()
        return self._now

    # --- permissions and reads ---------------------------------------------------------------------------------

    def ticket(self, ticket_id: int, key: str, *, lock: bool = True) -> reads.Ticket:
        """The ticket, read (and locked) for this action, after checking ``key``."""
        found = reads.read(self.conn, ticket_id, watcher_id=self.actor.user_id, lock=lock)
        if found is None:
            raise TicketNotFound(f"ticket {ticket_id}")
        self.require(found, key)
        return found

    def allows(self, ticket: reads.Ticket, key: str) -> bool:
        if self.actor.permissions is None:
            return True
        facts = ticket.facts(self.refs.name("queue", ticket.queue_id))
        return grants_ticket(self.actor.permissions, facts, key, self.permission_options)

    def require(self, ticket: reads.Ticket, key: str) -> None:
        if not self.allows(ticket, key):
            raise TicketDenied(key, f"ticket {ticket.tn}")

    def require_queue(self, queue: QueueInfo, key: str) -> None:
        perms = self.actor.permissions
        if perms is None:
            return
        if key == "move_into" and self.actor.user_id == 1 and perms.valid:
            return  # OTRS's MoveList: user 1 may move into every valid queue
        if not perms.has(queue.group_id, key):
            raise TicketDenied(key, f"queue '{queue.name}'")

    def assignee(self, user_id: int, key: str, queue: QueueInfo, field: str) -> Assignee:
        """A valid agent holding ``key`` on the queue's group, to become owner or responsible."""
        users = T["users"]
        row = self.conn.execute(select(users.c.login).where(users.c.id == user_id)).first()
        perms = agent_permissions(self.conn, user_id) if row else None
        if row is None or perms is None or not perms.valid:
            raise TicketInvalid(field, f"There is no valid agent with id {user_id}.")
        if not perms.has(queue.group_id, key):
            raise not_assignable(field, str(row[0]), queue.name, key)
        return Assignee(user_id, str(row[0]))

    def change(self, ticket: reads.Ticket) -> Change:
        return Change(ticket, self.actor.user_id, self.default_type_id())

    def default_type_id(self) -> int:
        found = self.refs.find("type", self.options.ticket_type_default)
        return found.id if found else 1

    def commit_changes(self, *changes: Change) -> bool:
        """Write the changes that change something; False when none does."""
        real = [change for change in changes if change.changed]
        if not real:
            return False
        apply(self.conn, self.refs, real, actor_id=self.actor.user_id, now=self.now)
        return True

    # --- creating and articles ---------------------------------------------------------------------------------

    def create(
        self,
        draft: TicketDraft,
        article: ArticleDraft | None = None,
        dynamic_fields: Mapping[str, Any] | None = None,
    ) -> Created:
        """A new ticket with its first article (``create`` on the queue).  ``dynamic_fields`` ({name: value}) are
        checked first and set after the article: ticket fields on the ticket, article fields on the article."""
        if not dynamic_fields:
            return create_ticket(self, draft, article)
        values = dynamic.resolve(dynamic.definitions(self.conn), dynamic_fields, now=self.now)
        created = create_ticket(self, draft, article)
        ticket = reads.read(self.conn, created.ticket_id)
        if ticket is not None:  # pragma: no branch - created in this transaction
            dynamic.apply_values(self, ticket, values, created.article_id)
        return created

    def add_article(self, ticket_id: int, draft: ArticleDraft) -> int:
        """An article on the ticket (``note`` for Internal notes, ``rw`` otherwise); returns its id."""
        ticket = self.ticket(ticket_id, "note" if draft.channel == "Internal" else "rw")
        change = self.change(ticket)
        article_id = write_article(self, change, draft)
        self.commit_changes(change)
        return article_id

    # --- attribute changes ----------------------------------------------------------------------------------------

    def set_state(self, ticket_id: int, state: int | str, pending_until: datetime | None = None) -> bool:
        """TicketStateSet; pending states need ``pending_until``; closing unlocks; leaving pending resets."""
        ticket = self.ticket(ticket_id, "rw")
        new = self.refs.state(state)
        if new.type_name == "merged":
            raise TicketInvalid("state", f"The state '{new.name}' is set by merging, not directly.")
        if new.is_pending and pending_until is None:
            raise TicketInvalid("pending_until", f"The state '{new.name}' needs a pending time.")
        if not new.is_pending and pending_until is not None:
            raise TicketInvalid("pending_until", f"The state '{new.name}' takes no pending time.")
        change = self.change(ticket)
        rules.set_state(change, self.refs, new, pending_until)
        return self.commit_changes(change)

    def set_pending_time(self, ticket_id: int, until: datetime) -> bool:
        ticket = self.ticket(ticket_id, "rw")
        state = self.refs.state(ticket.ticket_state_id, valid=False)
        if not state.is_pending:
            raise TicketInvalid("pending_until", f"The ticket is in state '{state.name}', which is not pending.")
        change = self.change(ticket)
        rules.set_pending_time(change, until)
        return self.commit_changes(change)

    def set_priority(self, ticket_id: int, priority: int | str) -> bool:
        ticket = self.ticket(ticket_id, "priority")
        change = self.change(ticket)
        rules.set_priority(change, self.refs, self.refs.require("priority", priority, "priority").id)
        return self.commit_changes(change)

    def move(self, ticket_id: int, queue: int | str) -> bool:
        """TicketQueueSet: ``move_into`` on the ticket and on the target queue; a move unlocks."""
        ticket = self.ticket(ticket_id, "move_into")
        target = self.refs.queue(queue)
        if target.id == ticket.queue_id:
            return False
        self.require_queue(target, "move_into")
        change = self.change(ticket)
        rules.move(change, self.refs, target)
        return self.commit_changes(change)

    def set_owner(self, ticket_id: int, user_id: int) -> bool:
        ticket = self.ticket(ticket_id, "owner")
        if user_id == ticket.user_id:
            return False
        new = self.assignee(user_id, "owner", self.refs.queue(ticket.queue_id, valid=False), "owner")
        change = self.change(ticket)
        rules.set_owner(change, new.user_id, new.login)
        return self.commit_changes(change)

    def set_responsible(self, ticket_id: int, user_id: int) -> bool:
        ticket = self.ticket(ticket_id, "rw")
        if user_id == ticket.responsible_user_id:
            return False
        new = self.assignee(user_id, "rw", self.refs.queue(ticket.queue_id, valid=False), "responsible")
        change = self.change(ticket)
        rules.set_responsible(change, new.user_id, new.login)
        return self.commit_changes(change)

    def lock(self, ticket_id: int) -> bool:
        """Lock the ticket for the actor, who becomes its owner (OTRS's AgentTicketLock)."""
        ticket = self.ticket(ticket_id, "rw")
        if ticket.ticket_lock_id == self.refs.lock_id("lock"):
            if ticket.user_id == self.actor.user_id:
                return False
            owner = self.conn.execute(select(T["users"].c.login).where(T["users"].c.id == ticket.user_id)).scalar()
            raise TicketInvalid("lock", f"The ticket is locked by '{owner}'.")
        if ticket.user_id != self.actor.user_id:
            self.require(ticket, "owner")
        change = self.change(ticket)
        rules.lock(change, self.refs, self.now)
        rules.set_owner(change, self.actor.user_id, self.actor.login)
        return self.commit_changes(change)

    def unlock(self, ticket_id: int) -> bool:
        change = self.change(self.ticket(ticket_id, "rw"))
        rules.unlock(change, self.refs)
        return self.commit_changes(change)

    def set_title(self, ticket_id: int, title: str) -> bool:
        title = title.strip()
        if not title:
            raise TicketInvalid("title", "The title is empty.")
        if len(title) > 255:
            raise TicketInvalid("title", "The title is longer than 255 characters.")
        change = self.change(self.ticket(ticket_id, "rw"))
        rules.set_title(change, title)
        return self.commit_changes(change)

    def set_customer(self, ticket_id: int, customer_id: str | None, customer_user: str | None) -> bool:
        if customer_id is not None and len(customer_id) > 150:
            raise TicketInvalid("customer_id", "The customer ID is longer than 150 characters.")
        if customer_user is not None and len(customer_user) > 250:
            raise TicketInvalid("customer_user", "The customer user is longer than 250 characters.")
        change = self.change(self.ticket(ticket_id, "rw"))
        rules.set_customer(change, customer_id, customer_user)
        return self.commit_changes(change)

    def set_type(self, ticket_id: int, ticket_type: int | str) -> bool:
        ticket = self.ticket(ticket_id, "rw")
        new = self.refs.require("type", ticket_type, "type")
        change = self.change(ticket)
        rules.set_attribute(change, rules.TYPE, new.id, new.name, self.refs.name("type", ticket.type_id) or None)
        return self.commit_changes(change)

    def set_service(self, ticket_id: int, service: int | str | None) -> bool:
        """The service must be valid and, with a customer user, one of theirs (or a default service)."""
        ticket = self.ticket(ticket_id, "rw")
        new_id, new_name = self.service(service, ticket.customer_user_id) if service is not None else (None, None)
        old = self.names("service", [ticket.service_id]).get(ticket.service_id or 0)
        change = self.change(ticket)
        rules.set_attribute(change, rules.SERVICE, new_id, new_name, old)
        return self.commit_changes(change)

    def set_sla(self, ticket_id: int, sla: int | str | None) -> bool:
        """The SLA must be valid and belong to the ticket's service (``service_sla``)."""
        ticket = self.ticket(ticket_id, "rw")
        new_id, new_name = self.sla(sla, ticket.service_id) if sla is not None else (None, None)
        old = self.names("sla", [ticket.sla_id]).get(ticket.sla_id or 0)
        change = self.change(ticket)
        rules.set_attribute(change, rules.SLA, new_id, new_name, old)
        return self.commit_changes(change)

    def service(self, key: int | str, customer_user: str | None) -> tuple[int, str]:
        """The valid service ``key`` (id or name), checked against the customer user's services."""
        table, members = T["service"], T["service_customer_user"]
        allowed = exists().where(
            members.c.service_id == table.c.id,
            members.c.customer_user_login.in_([customer_user or DEFAULT_SERVICES, DEFAULT_SERVICES]),
        )
        column = table.c.id if isinstance(key, int) else table.c.name
        row = self.conn.execute(
            select(table.c.id, table.c.name, table.c.valid_id, allowed).where(column == key)
        ).first()
        if row is None or row[2] != VALID:
            raise TicketInvalid("service", f"There is no valid service '{key}'.")
        if customer_user and not row[3]:
            raise TicketInvalid("service", f"The service '{row[1]}' is not available to customer '{customer_user}'.")
        return int(row[0]), str(row[1])

    def sla(self, key: int | str, service_id: int | None) -> tuple[int, str]:
        """The valid SLA ``key`` (id or name), which must belong to ``service_id``."""
        table, pairs = T["sla"], T["service_sla"]
        belongs = exists().where(pairs.c.sla_id == table.c.id, pairs.c.service_id == service_id)
        column = table.c.id if isinstance(key, int) else table.c.name
        row = self.conn.execute(
            select(table.c.id, table.c.name, table.c.valid_id, belongs).where(column == key)
        ).first()
        if row is None or row[2] != VALID:
            raise TicketInvalid("sla", f"There is no valid SLA '{key}'.")
        if service_id is None:
            raise TicketInvalid("sla", "An SLA needs a service: set the service first.")
        if not row[3]:
            raise TicketInvalid("sla", f"The SLA '{row[1]}' does not belong to the ticket's service.")
        return int(row[0]), str(row[1])

    def names(self, table_name: str, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = sorted({i for i in ids if i})
        if not wanted:
            return {}
        table = T[table_name]
        return {
            row[0]: row[1] for row in self.conn.execute(select(table.c.id, table.c.name).where(table.c.id.in_(wanted)))
        }

    # --- dynamic fields -------------------------------------------------------------------------------------------

    def set_dynamic_fields(
        self, ticket_id: int, values: Mapping[str, Any], *, article_id: int | None = None, key: str = "rw"
    ) -> bool:
        """Dynamic field values by name (``Name`` or ``DynamicField_Name``): ticket fields on the ticket, article
        fields on ``article_id``; ``key`` on the ticket (``rw``; a screen that also writes an article may ask for
        its own key, as OTRS's note screen does with ``note``).  History TicketDynamicFieldUpdate per changed ticket
        field; False when nothing changed (see ``modules/tickets/dynamic_fields.py``)."""
        ticket = self.ticket(ticket_id, key)
        cleaned = dynamic.resolve(dynamic.definitions(self.conn), values, now=self.now)
        return dynamic.apply_values(self, ticket, cleaned, article_id)

    def set_dynamic_field(self, ticket_id: int, name: str, value: Any, *, article_id: int | None = None) -> bool:
        """One dynamic field; see :meth:`set_dynamic_fields`."""
        return self.set_dynamic_fields(ticket_id, {name: value}, article_id=article_id)

    # --- time, watchers, links --------------------------------------------------------------------------------

    def account_time(self, ticket_id: int, units: Decimal | str | float, article_id: int | None = None) -> Decimal:
        """TicketAccountTime: returns the ticket's new total."""
        ticket = self.ticket(ticket_id, "rw")
        value = parse_units(units)
        change = self.change(ticket)
        account(self, change, value, article_id)
        self.commit_changes(change)
        return time_total(self.conn, ticket_id)

    def watch(self, ticket_id: int) -> bool:
        """TicketWatchSubscribe for the actor (``ro``)."""
        ticket = self._watchable(ticket_id)
        if ticket.watching:
            return False
        audit = {"create_time": self.now, "create_by": self.actor.user_id}
        self.conn.execute(
            insert(T["ticket_watcher"]).values(
                ticket_id=ticket.id,
                user_id=self.actor.user_id,
                **audit,
                change_time=self.now,
                change_by=self.actor.user_id,
            )
        )
        change = self.change(ticket)
        change.log("Subscribe", Names.join(self.actor.full_name))
        change.emit("TicketSubscribe", user_id=self.actor.user_id)
        return self.commit_changes(change)

    def unwatch(self, ticket_id: int) -> bool:
        ticket = self._watchable(ticket_id)
        if not ticket.watching:
            return False
        watcher = T["ticket_watcher"]
        self.conn.execute(
            delete(watcher).where(watcher.c.ticket_id == ticket.id, watcher.c.user_id == self.actor.user_id)
        )
        change = self.change(ticket)
        change.log("Unsubscribe", Names.join(self.actor.full_name))
        change.emit("TicketUnsubscribe", user_id=self.actor.user_id)
        return self.commit_changes(change)

    def _watchable(self, ticket_id: int) -> reads.Ticket:
        if not self.permission_options.ticket_watcher:
            raise TicketInvalid("watch", "Watching tickets is turned off (Ticket::Watcher).")
        return self.ticket(ticket_id, "ro")

    def link(self, ticket_id: int, other_id: int, link_type: str = "Normal") -> bool:
        """Link two tickets (``rw`` on this one, ``ro`` on the other); ParentChild makes this one the parent."""
        return merging.link_tickets(self, ticket_id, other_id, link_type, add=True)

    def unlink(self, ticket_id: int, other_id: int, link_type: str = "Normal") -> bool:
        return merging.link_tickets(self, ticket_id, other_id, link_type, add=False)

    def merge(self, ticket_id: int, into_id: int) -> bool:
        """TicketMerge: ``ticket_id`` goes into ``into_id`` (``rw`` on both)."""
        return merging.merge(self, ticket_id, into_id)

    def split(self, article_id: int, draft: TicketDraft) -> Created:
        """A new ticket from an article (``rw`` on its ticket, ``create`` on the new queue), linked as its child."""
        return merging.split(self, article_id, draft)

    def bulk(self, ticket_ids: Iterable[int], changes: BulkChanges) -> BulkResult:
        """The same changes on many tickets: one read of all of them, batched writes."""
        from modules.tickets.bulk import run_bulk

        return run_bulk(self, list(ticket_ids), changes)

    def delete(self, ticket_id: int) -> bool:
        """TicketDelete (``rw``): the ticket and every row of it, for good (``modules/tickets/deleting.py``)."""
        from modules.tickets.deleting import delete_ticket

        return delete_ticket(self, ticket_id)

    def resolve(self, tn: str) -> int | None:
        """The ticket a number stands for, following merges (see ``links.resolve_tn``)."""
        return links.resolve_tn(self.conn, self.refs, tn)


__all__ = ["Assignee", "Created", "TicketService", "account", "parse_units", "time_total"]

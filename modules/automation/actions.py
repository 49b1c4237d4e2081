"""A job's actions on one ticket, through the ticket service, in OTRS's order (GenericAgent ``_JobRunTicket``).

Order: move (queue), note, state (with the pending time), customer, title, type, service, SLA, priority, owner,
responsible, lock/unlock, dynamic fields, delete.  Every step is a
:class:`~modules.tickets.service.TicketService` call, so history rows (``TicketDynamicFieldUpdate`` per changed
field too), events and rules (a move unlocks, closing unlocks, leaving pending resets the time) are exactly an
agent's; the service refuses what is not allowed (an owner without the ``owner`` key on the queue, a state needing
a pending time, an SLA not of the ticket's service) with its one sentence.  A lambda action's changes
(``scripting.LambdaChanges``) override the static ones.

A job's own note has its OTRS tags replaced (``<OTRS_TICKET_TicketNumber>``, ``<OTRS_CUSTOMER_DATA_UserFirstname>``,
``<OTRS_OWNER_UserFullname>`` ...: :mod:`modules.tickets.tags`, with the ticket as it is when the note is added and
no article), as OTRS's GenericAgentArticle does; a lambda's note is its own text.

Locking keeps the owner, as OTRS's TicketLockSet does (the agent screens' lock also takes the ticket; a job does
not).  A pending time is set only when the ticket is (or becomes) pending, as in OTRS.

Example::

    changed = apply(service, 42, job.actions, LambdaChanges(priority="5 very high"), logins={})
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from modules.automation.fields import action_value
from modules.automation.model import Actions
from modules.automation.scripting import LambdaChanges
from modules.tickets import changes as rules
from modules.tickets.drafts import ArticleDraft
from modules.tickets.errors import TicketInvalid
from modules.tickets.service import TicketService
from modules.tickets.tags import context_for, replace_tags

NOTE_FROM = "GenericAgent"
NOTE_COMMENT = "Generic Agent note added."


def apply(
    service: TicketService,
    ticket_id: int,
    actions: Actions,
    extra: LambdaChanges | None,
    logins: Mapping[str, int],
) -> bool:
    """Run the actions on the ticket; True when anything changed."""
    extra = extra or LambdaChanges()
    changed = False
    queue = extra.queue if extra.queue is not None else actions.queue_id
    if queue is not None:
        changed |= service.move(ticket_id, queue)
    changed |= _note(service, ticket_id, actions, extra)
    changed |= _state(service, ticket_id, actions, extra)
    customer_id = extra.customer_id if extra.customer_id is not None else actions.customer_id
    customer_user = extra.customer_user if extra.customer_user is not None else actions.customer_user
    if customer_id or customer_user:
        now = service.ticket(ticket_id, "rw", lock=False)
        changed |= service.set_customer(
            ticket_id, customer_id or now.customer_id, customer_user or now.customer_user_id
        )
    title = extra.title or actions.title
    if title:
        changed |= service.set_title(ticket_id, title)
    ticket_type = extra.type if extra.type is not None else actions.type_id
    if ticket_type is not None:
        changed |= service.set_type(ticket_id, ticket_type)
    new_service = extra.service if extra.service is not None else actions.service_id
    if new_service is not None:
        changed |= service.set_service(ticket_id, new_service)
    sla = extra.sla if extra.sla is not None else actions.sla_id
    if sla is not None:
        changed |= service.set_sla(ticket_id, sla)
    priority = extra.priority if extra.priority is not None else actions.priority_id
    if priority is not None:
        changed |= service.set_priority(ticket_id, priority)
    owner = _user(extra.owner, logins, "owner") if extra.owner is not None else actions.owner_id
    if owner is not None:
        changed |= service.set_owner(ticket_id, owner)
    responsible = _user(extra.responsible, logins, "responsible") if extra.responsible is not None else None
    responsible = responsible if responsible is not None else actions.responsible_id
    if responsible is not None:
        changed |= service.set_responsible(ticket_id, responsible)
    lock = {"lock": 2, "unlock": 1}[extra.lock] if extra.lock else actions.lock_id
    if lock is not None:
        changed |= _lock(service, ticket_id, lock == 2)
    values: dict[str, Any] = {name: action_value(found) for name, found in actions.dynamic_fields.items()}
    values.update(extra.dynamic_fields or {})
    if values:
        changed |= service.set_dynamic_fields(ticket_id, values)
    if extra.delete or actions.delete:
        changed |= service.delete(ticket_id)
    return changed


def _note(service: TicketService, ticket_id: int, actions: Actions, extra: LambdaChanges) -> bool:
    if extra.note is not None:
        subject, body, visible = extra.note.subject, extra.note.body, extra.note.visible_for_customer
    elif actions.note_body:
        subject, body, visible = actions.note_subject or "Note", actions.note_body, actions.note_visible
        if "<otrs_" in (subject + body).lower():  # the tags' values cost a few reads: only for a note with tags
            ticket = service.ticket(ticket_id, "rw", lock=False)
            tags = context_for(service.conn, ticket, service.actor.user_id, None, service.options)
            subject, body = replace_tags(subject, tags), replace_tags(body, tags)
    else:
        return False
    draft = ArticleDraft.model_validate(
        {
            "channel": "Internal",
            "sender_type": "agent",
            "visible_for_customer": visible,
            "history_type": "AddNote",
            "history_comment": NOTE_COMMENT,
            "subject": subject,
            "body": body,
            "from": actions.note_from or NOTE_FROM,
            "time_units": actions.note_time_units if extra.note is None else None,
        }
    )
    service.add_article(ticket_id, draft)
    return True


def _state(service: TicketService, ticket_id: int, actions: Actions, extra: LambdaChanges) -> bool:
    seconds = extra.pending_minutes * 60 if extra.pending_minutes else actions.pending_seconds
    until = service.now + timedelta(seconds=seconds) if seconds else None
    state = extra.state if extra.state is not None else actions.state_id
    if state is not None:
        new = service.refs.state(state)
        return service.set_state(ticket_id, new.id, pending_until=until if new.is_pending else None)
    if until is None:
        return False
    ticket = service.ticket(ticket_id, "rw", lock=False)
    if not service.refs.state(ticket.ticket_state_id, valid=False).is_pending:
        return False  # OTRS sets a pending time only on a pending ticket
    return service.set_pending_time(ticket_id, until)


def _lock(service: TicketService, ticket_id: int, locked: bool) -> bool:
    if not locked:
        return service.unlock(ticket_id)
    change = service.change(service.ticket(ticket_id, "rw"))
    rules.lock(change, service.refs, service.now)
    return service.commit_changes(change)


def _user(value: int | str, logins: Mapping[str, int], field: str) -> int:
    if isinstance(value, int):
        return value
    found = logins.get(value)
    if found is None:
        raise TicketInvalid(field, f"There is no agent '{value}'.")
    return found

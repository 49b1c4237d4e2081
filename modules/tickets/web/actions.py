"""What each zoom action does with its form: one function per action, each calling the ticket service.

A runner gets the service (inside the action's transaction), the ticket id and the posted form, and returns an
:class:`Outcome`: the sentence to show and, for actions that lead elsewhere (split), where to go.  Bad input raises
:class:`TicketInvalid` naming the field, so the form shows the message beside it.  A change that changes nothing
says so instead of pretending.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import request
from sqlalchemy import select

from modules.db.schema import metadata
from modules.tickets.drafts import ArticleDraft, TicketDraft, parse
from modules.tickets.dynamic_fields import Value
from modules.tickets.dynamic_fields_forms import screen_values
from modules.tickets.dynamic_fields_screens import ACTIONS as SCREEN_OF
from modules.tickets.errors import TicketInvalid
from modules.tickets.service import TicketService
from modules.tickets.web import queries
from modules.tickets.web.attachments import uploaded
from modules.tickets.web.common import int_or_none, parse_moment
from modules.tickets.web.compose import Kind, article_from_form

Form = Mapping[str, str]
UNCHANGED = "Nothing changed: the ticket already is as asked."


@dataclass(frozen=True)
class Outcome:
    message: str
    redirect: str | None = None


def _need(form: Form, name: str, what: str) -> int:
    value = int_or_none(form.get(name))
    if value is None:
        raise TicketInvalid(name, f"Choose {what}.")
    return value


def _said(changed: bool, message: str) -> Outcome:
    return Outcome(message if changed else UNCHANGED)


def _state_change(service: TicketService, ticket_id: int, form: Form, *, required: bool) -> bool:
    """Set the form's state (with its pending time); optional unless ``required``."""
    state = int_or_none(form.get("state"))
    if state is None:
        if required:
            raise TicketInvalid("state", "Choose a state.")
        return False
    until = parse_moment(form.get("pending_until"), "pending_until")
    if until is not None and not service.refs.state(state, valid=False).is_pending:
        until = None  # a leftover value of the pending field: the new state takes none
    return service.set_state(ticket_id, state, until)


def _note(service: TicketService, ticket_id: int, form: Form) -> bool:
    """An optional internal note that goes with a state change (close, state)."""
    body = (form.get("body") or "").strip()
    if not body:
        return False
    note = parse(ArticleDraft, {"channel": "Internal", "subject": form.get("subject") or "Note", "body": body})
    service.add_article(ticket_id, note)
    return True


def compose(kind: Kind) -> Callable[[TicketService, int, Form], Outcome]:
    """Reply, forward, note or phone call: the article, then the optional next state."""
    done = {"reply": "Reply sent.", "forward": "Forwarded.", "note": "Note added.", "phone": "Phone call added."}

    def run(service: TicketService, ticket_id: int, form: Form) -> Outcome:
        values = {name: form.get(name) or "" for name in ("to", "cc", "subject", "body", "time_units", "article_id")}
        fields = _fields(service, kind)
        draft = article_from_form(kind, values, uploaded(), visible_note=form.get("visible") == "1")
        article_id = service.add_article(ticket_id, draft)
        if fields:
            key = "note" if kind == "note" else "rw"
            service.set_dynamic_fields(ticket_id, fields, article_id=article_id, key=key)
        _state_change(service, ticket_id, form, required=False)
        return Outcome(done[kind])

    return run


def state(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    noted = _note(service, ticket_id, form)
    return _said(_state_change(service, ticket_id, form, required=True) or noted, "State changed.")


def pending(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    until = parse_moment(form.get("pending_until"), "pending_until")
    if until is None:
        raise TicketInvalid("pending_until", "Give the pending time.")
    state_id = _need(form, "state", "a pending state")
    fields = _fields(service, "pending")
    ticket = service.ticket(ticket_id, "rw", lock=False)
    set_fields = bool(fields) and service.set_dynamic_fields(ticket_id, fields)
    if ticket.ticket_state_id == state_id:
        return _said(service.set_pending_time(ticket_id, until) or set_fields, "Pending time changed.")
    return _said(service.set_state(ticket_id, state_id, until) or set_fields, "The ticket is pending.")


def close(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    state_id = _need(form, "state", "how the ticket closes")
    if not service.refs.state(state_id, valid=False).is_closed:
        raise TicketInvalid("state", "Choose a closed state.")
    fields = _fields(service, "close")
    set_fields = bool(fields) and service.set_dynamic_fields(ticket_id, fields)
    noted = _note(service, ticket_id, form)
    return _said(service.set_state(ticket_id, state_id) or noted or set_fields, "Ticket closed.")


def free_fields(service: TicketService, ticket_id: int, _form: Form) -> Outcome:
    """OTRS's AgentTicketFreeText: the dynamic fields of the screen, required ones checked."""
    fields = _fields(service, "fields")
    if not fields:
        raise TicketInvalid("", "No dynamic field is shown on this screen: an administrator chooses them.")
    return _said(service.set_dynamic_fields(ticket_id, fields), "Fields saved.")


def _fields(service: TicketService, action: str) -> dict[str, Value]:
    """The posted dynamic fields of the action's screen (none for an action without one), checked first."""
    screen = SCREEN_OF.get(action)
    return screen_values(service.conn, screen, request.form, service.now) if screen else {}


def priority(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    return _said(service.set_priority(ticket_id, _need(form, "priority", "a priority")), "Priority changed.")


def move(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    return _said(service.move(ticket_id, _need(form, "queue", "a queue")), "Ticket moved.")


def owner(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    return _said(service.set_owner(ticket_id, _need(form, "owner", "an owner")), "Owner changed.")


def responsible(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    chosen = _need(form, "responsible", "a responsible agent")
    return _said(service.set_responsible(ticket_id, chosen), "Responsible changed.")


def customer(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    login = (form.get("customer_user") or "").strip()
    customer_id = (form.get("customer_id") or "").strip()
    if login:
        found = queries.customer(service.conn, login)
        if found is None:
            raise TicketInvalid("customer_user", f"There is no customer user '{login}'.")
        login, customer_id = found.login, customer_id or found.customer_id
    if not login and not customer_id:
        raise TicketInvalid("customer_user", "Choose a customer user or give a customer ID.")
    return _said(service.set_customer(ticket_id, customer_id or None, login or None), "Customer changed.")


def title(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    return _said(service.set_title(ticket_id, form.get("title") or ""), "Title changed.")


def time(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    units = (form.get("time_units") or "").strip()
    if not units:
        raise TicketInvalid("time_units", "Give the time units to add.")
    total = service.account_time(ticket_id, units)
    return Outcome(f"Time accounted: {total} in total.")


def _other(service: TicketService, form: Form) -> int:
    number = (form.get("tn") or "").strip()
    if not number:
        raise TicketInvalid("tn", "Give the number of the other ticket.")
    found = service.resolve(number)
    if found is None:
        raise TicketInvalid("tn", f"There is no ticket with number {number[:40]}.")
    return found


def link(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    link_type = form.get("type") or "Normal"
    return _said(service.link(ticket_id, _other(service, form), link_type), "Tickets linked.")


def unlink(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    other = _need(form, "other_id", "the linked ticket")
    return _said(service.unlink(ticket_id, other, form.get("type") or "Normal"), "Link removed.")


def merge(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    into = _other(service, form)
    if into == ticket_id:
        raise TicketInvalid("tn", "A ticket cannot be merged into itself.")
    return _said(service.merge(ticket_id, into), "Ticket merged.")


def split(service: TicketService, ticket_id: int, form: Form) -> Outcome:
    article_id = _need(form, "article_id", "the article to split off")
    source = service.ticket(ticket_id, "rw", lock=False)
    article = metadata.tables["article"]
    owner = service.conn.execute(select(article.c.ticket_id).where(article.c.id == article_id)).scalar()
    if owner != ticket_id:
        raise TicketInvalid("article_id", f"Article {article_id} is not an article of ticket {source.tn}.")
    draft = parse(
        TicketDraft,
        {
            "title": (form.get("title") or "").strip() or source.title,
            "queue": _need(form, "queue", "a queue"),
            "customer_user": source.customer_user_id,
            "customer_id": source.customer_id,
        },
    )
    created = service.split(article_id, draft)
    return Outcome(f"Ticket {created.tn} split off.", redirect=f"/agent/tickets/{created.ticket_id}")


def _simple(method: str, message: str) -> Callable[[TicketService, int, Form], Outcome]:
    def run(service: TicketService, ticket_id: int, _form: Form) -> Outcome:
        return _said(getattr(service, method)(ticket_id), message)

    return run


RUNNERS: dict[str, Callable[[TicketService, int, Form], Outcome]] = {
    "reply": compose("reply"),
    "forward": compose("forward"),
    "note": compose("note"),
    "phone": compose("phone"),
    "state": state,
    "pending": pending,
    "close": close,
    "priority": priority,
    "move": move,
    "owner": owner,
    "responsible": responsible,
    "customer": customer,
    "title": title,
    "time": time,
    "link": link,
    "unlink": unlink,
    "merge": merge,
    "split": split,
    "fields": free_fields,
    "lock": _simple("lock", "Ticket locked."),
    "unlock": _simple("unlock", "Ticket unlocked."),
    "watch": _simple("watch", "You watch this ticket."),
    "unwatch": _simple("unwatch", "You no longer watch this ticket."),
}

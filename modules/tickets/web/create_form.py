"""The new-ticket form: its choices, and its values turned into a :class:`TicketDraft` and an :class:`ArticleDraft`.

The two channels differ only in the first article, as in OTRS's AgentTicketPhone and AgentTicketEmail:

* **phone**: the customer called; a phone article from the customer (``PhoneCallCustomer``), visible to them;
* **email**: the agent writes to the customer; an email article from the agent (``EmailAgent``), sent to the
  customer's address (or the addresses typed in *To*).

Errors are collected per field (pydantic's checks of the drafts first, then the service's), so the form shows
each one beside its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from flask import request
from pydantic import ValidationError
from sqlalchemy import Connection

from modules.permissions.agent import agent_permissions
from modules.tickets.changes import utc_now
from modules.tickets.drafts import ArticleDraft, AttachmentDraft, TicketDraft, field_errors
from modules.tickets.dynamic_fields_forms import defaults as dynamic_defaults
from modules.tickets.dynamic_fields_forms import form_items, screen_fields
from modules.tickets.dynamic_fields_screens import CREATE
from modules.tickets.errors import TicketInvalid
from modules.tickets.options import TicketOptions
from modules.tickets.refs import Refs, StateRef
from modules.tickets.web import queries
from modules.tickets.web.attachments import uploaded
from modules.tickets.web.common import int_or_none, parse_moment

Channel = Literal["phone", "email"]
FIELDS = (
    "customer_user",
    "customer_label",
    "to",
    "queue",
    "state",
    "priority",
    "type",
    "service",
    "sla",
    "owner",
    "responsible",
    "pending_until",
    "title",
    "body",
    "template_id",
)
#: Where the service's and the drafts' field names show on this form.
FIELD_OF = {"customer_id": "customer_user", "from": "customer_user", "": "body", "subject": "title"}


def channel_of(value: str | None) -> Channel:
    return "email" if value == "email" else "phone"


@dataclass
class CreateForm:
    """The form's values (as typed), its errors by field, and its channel."""

    channel: Channel
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    dynamic: dict[str, Any] = field(default_factory=dict)  # DynamicField_<Name>: the text(s) as typed

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(FIELD_OF.get(name, name), message)


def defaults(conn: Connection, channel: Channel) -> CreateForm:
    """A fresh form: open state, normal priority, the default type."""
    refs = Refs(conn)
    values = dict.fromkeys(FIELDS, "")
    for name, kind, default in (
        ("state", "state", "open"),
        ("priority", "priority", "3 normal"),
        ("type", "type", TicketOptions.current().ticket_type_default),
    ):
        found = refs.find(kind, default)
        values[name] = str(found.id) if found else ""
    shown = screen_fields(conn, CREATE[channel])
    return CreateForm(channel, values, dynamic=dynamic_defaults(shown, utc_now()))


def posted(channel: Channel) -> CreateForm:
    """The submitted form's values, as typed."""
    values = {name: (request.form.get(name) or "").strip() for name in FIELDS}
    values["body"] = request.form.get("body") or ""
    return CreateForm(channel, values)


def choices(conn: Connection, user_id: int, form: CreateForm) -> dict[str, Any]:
    """Everything the form's selects offer: queues with ``create``, states, priorities, types, agents, services."""
    queues = agent_permissions(conn, user_id).queues_with(conn, "create")
    queue_id = int_or_none(form.values["queue"])
    kind = "PhoneCall" if form.channel == "phone" else "Email"
    return {
        "queues": [(queue.id, queue.name) for queue in queues],
        "states": [(i, name) for i, name in queries.named(conn, "state") if name not in ("merged", "removed")],
        "priorities": queries.named(conn, "priority"),
        "types": queries.named(conn, "type"),
        "agents": queries.valid_agents(conn),
        "templates": queries.templates(conn, "Create", queue_id) + queries.templates(conn, kind, queue_id),
        "dynamic_fields": form_items(screen_fields(conn, CREATE[form.channel]), form.dynamic),
        **service_context(
            conn,
            form.values["customer_user"],
            int_or_none(form.values["service"]),
            int_or_none(form.values["sla"]),
        ),
    }


def ticket_draft(conn: Connection, form: CreateForm) -> TicketDraft | None:
    """The ticket part; None (with errors added) when a value is wrong."""
    values = form.values
    login = values["customer_user"]
    found = queries.customer(conn, login) if login else None
    if login and found is None:
        form.add_error("customer_user", f"There is no customer user '{login}'.")
    if not int_or_none(values["queue"]):
        form.add_error("queue", "Choose a queue.")
    try:
        pending = parse_moment(values["pending_until"], "pending_until")
    except TicketInvalid as bad:
        form.add_error(bad.field, str(bad))
        pending = None
    state = Refs(conn).find("state", int_or_none(values["state"]) or 0)
    if isinstance(state, StateRef) and state.is_pending and pending is None and "pending_until" not in form.errors:
        form.add_error("pending_until", f"The state '{state.name}' needs a pending time.")  # as OTRS's screens
    data: dict[str, Any] = {
        "title": values["title"],
        "queue": int_or_none(values["queue"]) or 0,
        "state": int_or_none(values["state"]) or "open",
        "priority": int_or_none(values["priority"]) or "3 normal",
        "type": int_or_none(values["type"]),
        "service": int_or_none(values["service"]),
        "sla": int_or_none(values["sla"]),
        "owner": int_or_none(values["owner"]),
        "responsible": int_or_none(values["responsible"]),
        "customer_user": found.login if found else None,
        "customer_id": found.customer_id if found else None,
        "pending_until": pending,
    }
    try:
        draft = TicketDraft.model_validate(data)
    except ValidationError as error:
        for name, message in field_errors(error).items():
            form.add_error(name, message)
        return None
    return None if form.errors else draft


def article_draft(conn: Connection, form: CreateForm, actor_address: str) -> ArticleDraft | None:
    """The first article; None (with errors added) when a value is wrong."""
    values = form.values
    found = queries.customer(conn, values["customer_user"]) if values["customer_user"] else None
    try:
        files: list[AttachmentDraft] = uploaded()
    except TicketInvalid as bad:
        form.add_error(bad.field, str(bad))
        files = []
    data: dict[str, Any] = {"subject": values["title"], "body": values["body"], "attachments": files}
    if form.channel == "phone":
        data |= {
            "channel": "Phone",
            "sender_type": "customer",
            "history_type": "PhoneCallCustomer",
            "visible_for_customer": True,
            "from": found.label if found else actor_address,
        }
    else:
        to = values["to"] or (found.email if found else "")
        if not to:
            form.add_error("to", "Give the customer's email address, or choose a customer user.")
        data |= {
            "channel": "Email",
            "sender_type": "agent",
            "history_type": "EmailAgent",
            "visible_for_customer": True,
            "to": to,
        }
    try:
        draft = ArticleDraft.model_validate(data)
    except ValidationError as error:
        for name, message in field_errors(error).items():
            form.add_error("to" if name in ("", "to") and form.channel == "email" else name, message)
        return None
    return None if form.errors else draft


def service_context(conn: Connection, login: str, service_id: int | None, sla_id: int | None) -> dict[str, Any]:
    """What ``tickets/new/_services.html`` shows: the services of ``login`` and the SLAs of the chosen one."""
    services = queries.customer_services(conn, login or None)
    if service_id not in {sid for sid, _name in services}:
        service_id = None
    slas = queries.service_slas(conn, service_id)
    if sla_id not in {sid for sid, _name in slas}:
        sla_id = None
    return {"services": services, "slas": slas, "service_id": service_id, "sla_id": sla_id}

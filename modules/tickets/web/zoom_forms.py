"""The zoom's action forms: which actions exist, the key each needs, and what each form offers.

An action with a form opens in the zoom's panel (``#t-panel``): ``GET /agent/tickets/<id>?form=<action>``, as a
fragment for htmx or inside the whole page without JavaScript.  Actions without fields (lock, watch...) are one
button.  The keys are OTRS's (``docs/TICKETS.md``); the route checks the same key and the service checks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Connection

from modules.permissions.agent import agent_permissions, move_targets
from modules.tickets.actor import Actor
from modules.tickets.changes import utc_now
from modules.tickets.dynamic_fields import PREFIX
from modules.tickets.dynamic_fields_forms import FormField, current, defaults, form_items, screen_fields, typed_from
from modules.tickets.dynamic_fields_screens import ACTIONS as SCREEN_OF
from modules.tickets.dynamic_fields_screens import BY_NAME
from modules.tickets.refs import Refs
from modules.tickets.web import queries
from modules.tickets.web.common import int_or_none
from modules.tickets.web.compose import KINDS, TEMPLATE_TYPES, Kind, answered, opening
from modules.tickets.web.zoom_data import Zoom


@dataclass(frozen=True)
class ActionInfo:
    name: str
    label: str
    key: str
    has_form: bool = True


ACTIONS: dict[str, ActionInfo] = {
    info.name: info
    for info in (
        ActionInfo("reply", "Reply", "rw"),
        ActionInfo("forward", "Forward", "rw"),
        ActionInfo("note", "Note", "note"),
        ActionInfo("phone", "Phone call", "rw"),
        ActionInfo("state", "State", "rw"),
        ActionInfo("pending", "Pending", "rw"),
        ActionInfo("close", "Close", "rw"),
        ActionInfo("priority", "Priority", "priority"),
        ActionInfo("move", "Move", "move_into"),
        ActionInfo("owner", "Owner", "owner"),
        ActionInfo("responsible", "Responsible", "rw"),
        ActionInfo("customer", "Customer", "rw"),
        ActionInfo("title", "Title", "rw"),
        ActionInfo("time", "Time", "rw"),
        ActionInfo("link", "Link", "rw"),
        ActionInfo("merge", "Merge", "rw"),
        ActionInfo("split", "Split", "rw"),
        ActionInfo("fields", "Free fields", "rw"),
        ActionInfo("unlink", "Unlink", "rw", has_form=False),
        ActionInfo("lock", "Lock", "rw", has_form=False),
        ActionInfo("unlock", "Unlock", "rw", has_form=False),
        ActionInfo("watch", "Watch", "ro", has_form=False),
        ActionInfo("unwatch", "Unwatch", "ro", has_form=False),
    )
}
_COMPOSE = frozenset({"to", "cc", "subject", "body", "attachments", "time_units", "state", "pending_until", "template"})
#: The fields each form shows; an error about another field is shown at the top of the form.
FIELDS: dict[str, frozenset[str]] = {
    "reply": _COMPOSE,
    "forward": _COMPOSE,
    "note": _COMPOSE - {"to", "cc"},
    "phone": _COMPOSE - {"to", "cc"},
    "state": frozenset({"state", "pending_until", "body"}),
    "pending": frozenset({"state", "pending_until"}),
    "close": frozenset({"state", "body"}),
    "priority": frozenset({"priority"}),
    "move": frozenset({"queue"}),
    "owner": frozenset({"owner"}),
    "responsible": frozenset({"responsible"}),
    "customer": frozenset({"customer_user", "customer_id"}),
    "title": frozenset({"title"}),
    "time": frozenset({"time_units"}),
    "link": frozenset({"tn", "type"}),
    "merge": frozenset({"tn"}),
    "split": frozenset({"title", "queue"}),
    "fields": frozenset(),
}


#: Service field names that stand for a field of these forms under another name.
ALIASES = {"merge_into": "tn", "merge": "tn", "link": "tn", "template_id": "template", "queue_id": "queue"}


def form_errors(action: str, field: str, message: str) -> dict[str, str]:
    """``{field: message}`` when the form shows that field, else ``{"": message}`` (shown above the form)."""
    field = ALIASES.get(field, field)
    shown = field in FIELDS.get(action, ()) or (field.startswith(PREFIX) and action in SCREEN_OF)
    return {field if shown else "": message}


#: The buttons of the action bar, in order (split is offered on each article instead).
BAR = ("reply", "forward", "note", "phone", "state", "pending", "close", "priority", "move", "owner")
MORE = ("responsible", "customer", "title", "time", "link", "merge", "fields")
STATE_TYPES = {
    "state": None,
    "pending": ("pending reminder", "pending auto"),
    "close": ("closed",),
}


def offered(zoom: Zoom, names: tuple[str, ...]) -> list[ActionInfo]:
    """The actions among ``names`` the agent may take on the ticket."""
    return [ACTIONS[name] for name in names if zoom.may(ACTIONS[name].key)]


def _states(conn: Connection, types: tuple[str, ...] | None) -> list[tuple[int, str, bool]]:
    """(id, name, is pending) of the valid states of these types (all but merged when None)."""
    refs = Refs(conn)
    found = []
    for state_id, name in queries.named(conn, "state"):
        state = refs.state(state_id, valid=False)
        if state.type_name in ("merged", "removed"):
            continue
        if types is None or any(state.type_name.startswith(prefix) for prefix in types):
            found.append((state_id, name, state.is_pending))
    return found


def panel_context(conn: Connection, zoom: Zoom, action: str, user_id: int, values: dict[str, str]) -> dict[str, Any]:
    """The choices and opening values of ``action``'s form (``values`` as posted win over the defaults)."""
    ticket = zoom.ticket
    context: dict[str, Any] = {"values": dict(values)}
    if action in STATE_TYPES:
        context["states"] = _states(conn, STATE_TYPES[action])
    elif action == "priority":
        context["priorities"] = queries.named(conn, "priority")
    elif action == "move":
        context["targets"] = [(q.id, q.name) for q in move_targets(conn, user_id) if q.id != ticket.queue_id]
    elif action in ("owner", "responsible"):
        context["agents"] = queries.agents_with(conn, [ticket.group_id], "owner" if action == "owner" else "rw")
    elif action == "split":
        queues = agent_permissions(conn, user_id).queues_with(conn, "create")
        context["queues"] = [(q.id, q.name) for q in queues]
    elif action in KINDS:
        context |= _compose_context(conn, zoom, action, user_id, values)
    if action in ("reply", "note", "phone"):
        context["states"] = _states(conn, None)
    if action in SCREEN_OF:
        context["dynamic_fields"] = _dynamic_fields(conn, SCREEN_OF[action], ticket.id)
    return context


def _dynamic_fields(conn: Connection, screen: str, ticket_id: int) -> list[FormField]:
    """The screen's dynamic fields: as posted (a form shown again with an error), else the ticket's values (ticket
    fields) and the configured defaults (article fields)."""
    shown = screen_fields(conn, screen, BY_NAME[screen].objects)
    if request.method == "POST":
        return form_items(shown, typed_from(shown, request.form))
    on_ticket = [(f, how) for f, how in shown if f.object_type == "Ticket"]
    on_article = [(f, how) for f, how in shown if f.object_type == "Article"]
    return form_items(shown, current(conn, on_ticket, ticket_id) | defaults(on_article, utc_now()))


def _compose_context(conn: Connection, zoom: Zoom, action: str, user_id: int, values: dict[str, str]) -> dict[str, Any]:
    """A compose form: the domain's opening values, overridden by what the agent typed; a template re-fills."""
    kind: Kind = action  # type: ignore[assignment]  # one of KINDS
    template_id = int_or_none(values.get("template_id"))
    article = answered([shown.article for shown in zoom.articles], int_or_none(values.get("article_id")))
    start = opening(conn, zoom.id, kind, article, Actor.agent(conn, user_id), template_id=template_id)
    filled = {"to": start.to, "cc": start.cc, "subject": start.subject, "body": start.body}
    typed = {key: value for key, value in values.items() if value and key != "template_id"}
    merged = {**filled, **typed, "article_id": str(start.article_id or "")}
    if template_id is not None:
        merged["body"] = start.body  # choosing a template fills the body again
    merged["template_id"] = str(template_id or "")
    return {"values": merged, "templates": queries.templates(conn, TEMPLATE_TYPES[kind], zoom.ticket.queue_id)}

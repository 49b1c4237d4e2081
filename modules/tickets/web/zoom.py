"""The ticket zoom (``GET /agent/tickets/<id>``) and its actions (``POST /agent/tickets/<id>/<action>``).

One GET serves three answers: the whole page; the tabs alone (``HX-Target: t-tabs``: articles or history); the
action panel alone (``HX-Target: t-panel``: the form of ``?form=<action>``).  Without JavaScript the same URLs
open the page with the tab or form chosen.

Each action POST runs in one transaction through the ticket service (:mod:`modules.tickets.web.actions`) and
answers htmx with the refreshed zoom (``#t-zoom``) and a one-sentence notice, or with its form again and the error
beside the field (4xx, ``HX-Retarget: #t-panel``); without htmx, a redirect to the zoom (303, flash) or the page
with the form and its error.  Should the agent no longer be able to read the ticket (moved away), they go to the
dashboard.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from goatkit.routing import handler
from modules.permissions.agent import ticket_access
from modules.tickets import history
from modules.tickets.errors import TicketError, TicketNotFound
from modules.tickets.web.actions import RUNNERS, Outcome
from modules.tickets.web.common import (
    act,
    agent_id,
    done,
    field_of,
    fragment,
    guarded,
    page,
    reading,
    refuse,
    status_of,
    wants_fragment,
)
from modules.tickets.web.zoom_data import Zoom, load
from modules.tickets.web.zoom_forms import ACTIONS, BAR, MORE, form_errors, offered, panel_context

TABS = ("articles", "history")
HISTORY_LIMIT = 1000


def _panel(zoom: Zoom, action: str | None, user_id: int, values: dict[str, str], errors: dict[str, str]) -> Any:
    """The open form's context, or None; a form the agent may not use says why instead."""
    info = ACTIONS.get(action or "")
    if info is None or not info.has_form:
        return None
    panel: dict[str, Any] = {"action": info.name, "label": info.label, "errors": errors, "refused": ""}
    if not zoom.may(info.key):
        panel["refused"] = f"You need the '{info.key}' permission on ticket {zoom.ticket.tn}."
        return panel
    with reading() as conn:
        panel |= panel_context(conn, zoom, info.name, user_id, values)
    return panel


def context(
    ticket_id: int,
    *,
    tab: str = "articles",
    action: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """Everything the zoom templates need."""
    user_id = agent_id()
    with reading() as conn:
        zoom = load(conn, ticket_id, user_id)
        lines = history.lines(conn, ticket_id)[-HISTORY_LIMIT:] if tab == "history" else []
    return {
        "zoom": zoom,
        "t": zoom.ticket,
        "tab": tab,
        "lines": lines,
        "bar": offered(zoom, BAR),
        "more": offered(zoom, MORE),
        "panel": _panel(zoom, action, user_id, values or {}, errors or {}),
        "notice": notice,
    }


@handler("tickets.zoom")
@guarded
def zoom_view(ticket_id: int) -> Response:
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "articles"
    values = {key: value for key, value in request.args.items() if key not in ("tab", "form")}
    found = context(ticket_id, tab=str(tab), action=request.args.get("form"), values=values)
    target = request.headers.get("HX-Target") if wants_fragment() else None
    if target == "t-tabs":
        return fragment("tickets/zoom/_tabs.html", **found)
    if target == "t-panel":
        return fragment("tickets/zoom/_panel.html", **found)
    return page("tickets/zoom/page.html", active="", **found)


def _failed(action: str, ticket_id: int, failure: TicketError) -> Response:
    status = status_of(failure)
    if isinstance(failure, TicketNotFound) or not ACTIONS[action].has_form:
        return refuse(status, str(failure))
    values = {key: value for key, value in request.form.items() if key != "csrf_token"}
    errors = form_errors(action, field_of(failure), str(failure))
    found = context(ticket_id, action=action, values=values, errors=errors)
    if wants_fragment():
        return fragment("tickets/zoom/_panel.html", status=status, retarget="#t-panel", **found)
    return page("tickets/zoom/page.html", active="", status=status, **found)


def _succeeded(ticket_id: int, outcome: Outcome) -> Response:
    if outcome.redirect:
        return done(outcome.redirect, outcome.message)
    with reading() as conn:
        readable = ticket_access(conn, agent_id(), ticket_id, "ro")
    if not readable:  # moved to a queue the agent cannot read, say
        return done("/agent", f"{outcome.message} You can no longer see the ticket.")
    if not wants_fragment():
        return done(f"/agent/tickets/{ticket_id}", outcome.message)
    return fragment("tickets/zoom/_zoom.html", **context(ticket_id, notice=outcome.message))


def _action_view(action: str) -> Any:
    runner = RUNNERS[action]

    @guarded
    def view(ticket_id: int) -> Response:
        form = {key: value for key, value in request.form.items()}
        try:
            outcome = act(lambda service: runner(service, ticket_id, form))
        except TicketError as failure:
            return _failed(action, ticket_id, failure)
        return _succeeded(ticket_id, outcome)

    view.__name__ = f"{action}_action"
    view.__doc__ = f"POST /agent/tickets/<id>/{action}: {ACTIONS[action].label}."
    return view


for _name in ACTIONS:
    handler(f"tickets.{_name}")(_action_view(_name))

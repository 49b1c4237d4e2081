"""The queue view (``GET /agent/queues[/<queue_id>]``): the queue tree with open-ticket counts and a ticket list.

The tree holds the valid queues where the agent has ``ro``, nested by OTRS's ``Parent::Child`` names, each with
its count of tickets in viewable states (new, open, pending): ONE grouped query for all of them.  The list is the
engine's ``ticket`` module (``modules/ticket.yaml``): its row scope is OTRS's read permission, it pages by keyset
and sorts and filters on indexed columns; the selected queue is one more filter (``filter_queue_id``).  htmx
requests aimed at ``#gk-table`` get the table alone.  Rows can be selected for the bulk form
(``POST /agent/tickets/bulk``).

Bulk changes: the form posts the row checkboxes (``ids``) with the bulk panel's values (state with a pending
time, priority, queue, owner, lock or unlock, an internal note); the panel's fields come when it is opened
(``GET /agent/queues/bulk-fields``).  :meth:`TicketService.bulk` reads all tickets in
one statement, checks each ticket's permission and skips the ones the agent may not change, naming why; the outcome
is a flash message on the list the form came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask import Response, flash, request
from pydantic import ValidationError
from sqlalchemy import Connection

from goatkit.engine.extension import modules
from goatkit.engine.query import QueryError
from goatkit.engine.screens.listing import Filter, filter_controls, load_listing
from goatkit.engine.screens.respond import wants_table
from goatkit.routing import handler
from modules.permissions.agent import agent_permissions, move_targets
from modules.permissions.queries import QueueRef
from modules.tickets.bulk import BulkChanges, BulkResult
from modules.tickets.drafts import ArticleDraft, field_errors
from modules.tickets.errors import TicketError
from modules.tickets.web import queries
from modules.tickets.web.common import (
    act,
    agent_id,
    done,
    fragment,
    guarded,
    int_or_none,
    local_path,
    page,
    parse_moment,
    reading,
    refuse,
)

MODULE = "ticket"
SEPARATOR = "::"


@dataclass(frozen=True)
class QueueNode:
    """One line of the queue tree: ``count`` is the queue's own open tickets, ``total`` with its sub-queues."""

    id: int
    name: str
    label: str
    depth: int
    count: int
    total: int


def queue_tree(queues: Sequence[QueueRef], counts: Mapping[int, int]) -> list[QueueNode]:
    """The queues as a tree, parents before children; a queue whose parent is not shown keeps its full name."""
    ordered = sorted(queues, key=lambda queue: [part.lower() for part in queue.name.split(SEPARATOR)])
    by_name = {queue.name: queue for queue in ordered}
    depth: dict[str, int] = {}
    totals = {queue.name: counts.get(queue.id, 0) for queue in ordered}
    for queue in ordered:
        parent = queue.name.rpartition(SEPARATOR)[0]
        depth[queue.name] = depth[parent] + 1 if parent in depth else 0
    for queue in reversed(ordered):
        parent = queue.name.rpartition(SEPARATOR)[0]
        if parent in by_name:
            totals[parent] += totals[queue.name]
    return [
        QueueNode(
            queue.id,
            queue.name,
            queue.name.rpartition(SEPARATOR)[2] if depth[queue.name] else queue.name,
            depth[queue.name],
            counts.get(queue.id, 0),
            totals[queue.name],
        )
        for queue in ordered
    ]


def list_params(queue_id: int | None, viewable: list[int] | None = None) -> dict[str, Any]:
    """The request's list parameters, with the selected queue as a filter.  Without a state filter of its own the
    list shows the viewable states (new, open, pending: OTRS's queue view), unless ``states=all`` asks for every one.
    """
    params: dict[str, Any] = {key: vals[0] if len(vals) == 1 else vals for key, vals in request.args.lists()}
    params.pop("filter_queue_id", None)
    if queue_id is not None:
        params["filter_queue_id"] = str(queue_id)
    every = params.pop("states", "") == "all"
    if viewable and not every and not params.get("filter_ticket_state_id"):
        params["filter_ticket_state_id"] = [str(state) for state in viewable]
    return params


def bulk_choices(conn: Connection, user_id: int) -> dict[str, Any]:
    """The choices of the bulk form: states, priorities, target queues (``move_into``) and agents."""
    states = [(i, name) for i, name in queries.named(conn, "state") if name != "merged"]
    return {
        "states": states,
        "priorities": queries.named(conn, "priority"),
        "targets": [(queue.id, queue.name) for queue in move_targets(conn, user_id)],
        "agents": queries.valid_agents(conn),
    }


def _show(queue_id: int | None) -> Response:
    user_id = agent_id()
    module = modules().snapshot().get(MODULE)
    if module is None:
        return refuse(503, "The ticket list is not available: the module 'ticket' failed to load.")
    base = f"/agent/queues/{queue_id}" if queue_id is not None else "/agent/queues"
    with reading() as conn:
        viewable = queries.state_ids(conn, queries.VIEWABLE)
        try:
            params = list_params(queue_id, viewable)
            listing = load_listing(conn, module, params, base=base, actions=frozenset({"view"}))
        except QueryError as bad:
            return refuse(400, str(bad))
        if queue_id is not None:  # every row is in this queue: its column would repeat it
            listing = replace(listing, columns=tuple(c for c in listing.columns if c.name != "queue_id"))
        if wants_table():
            return fragment("tickets/queues/_table.html", listing=listing)
        readable = agent_permissions(conn, user_id).queues_with(conn, "ro")
        counts = queries.open_counts(conn, [q.id for q in readable], viewable)
        tree = queue_tree(readable, counts)
        filters: list[Filter] = [f for f in filter_controls(conn, module, listing.params) if f.name != "queue_id"]
    selected = next((node for node in tree if node.id == queue_id), None)
    return page(
        "tickets/queues/index.html",
        active="queues",
        tree=tree,
        selected=selected,
        queue_id=queue_id,
        listing=listing,
        filters=filters,
        base=base,
        back=request.full_path.rstrip("?"),
    )


@handler("tickets.bulk_fields")
@guarded
def bulk_fields() -> Response:
    """The bulk panel's fields, fetched when the agent opens the panel (htmx): its choice lists cost four queries
    that the queue view itself need not pay on every page."""
    with reading() as conn:
        choices = bulk_choices(conn, agent_id())
    return fragment("tickets/queues/_bulk_fields.html", **choices)


@handler("tickets.queues")
@guarded
def all_queues() -> Response:
    return _show(None)


@handler("tickets.queue")
@guarded
def one_queue(queue_id: int) -> Response:
    return _show(queue_id)


# --- bulk changes of the selected rows ---------------------------------------------------------------------------

MAX_TICKETS = 500


def selected_ids() -> list[int]:
    """The checked rows, as ticket ids (at most :data:`MAX_TICKETS`; anything else is ignored)."""
    ids = [int_or_none(value) for value in request.form.getlist("ids")]
    return list(dict.fromkeys(i for i in ids if i is not None))[:MAX_TICKETS]


def changes_from_form() -> BulkChanges:
    """The bulk panel's values; raises TicketError for a bad pending time or note."""
    form = request.form
    state = int_or_none(form.get("state"))
    note = None
    if (form.get("note_body") or "").strip():
        try:
            note = ArticleDraft(
                channel="Internal",
                history_type="AddNote",
                subject=(form.get("note_subject") or "Note").strip(),
                body=form.get("note_body") or "",
            )
        except ValidationError as error:
            message = next(iter(field_errors(error).values()))
            raise TicketError(message) from None
    lock = form.get("lock") or ""
    return BulkChanges(
        queue=int_or_none(form.get("queue")),
        owner=int_or_none(form.get("owner")),
        priority=int_or_none(form.get("priority")),
        state=state,
        pending_until=parse_moment(form.get("pending_until"), "pending_until") if state is not None else None,
        lock="lock" if lock == "lock" else "unlock" if lock == "unlock" else None,
        note=note,
    )


def summary(result: BulkResult) -> tuple[str, str]:
    """The flash message and its category for a bulk result."""
    parts = [f"{len(result.changed)} ticket{'s' if len(result.changed) != 1 else ''} changed"]
    if result.unchanged:
        parts.append(f"{len(result.unchanged)} already as asked")
    message = ", ".join(parts) + "."
    if result.skipped:
        reasons = "; ".join(f"{ticket_id}: {reason}" for ticket_id, reason in list(result.skipped.items())[:5])
        more = f" (and {len(result.skipped) - 5} more)" if len(result.skipped) > 5 else ""
        return f"{message} {len(result.skipped)} skipped: {reasons}{more}", "warning"
    return message, "success"


@handler("tickets.bulk")
@guarded
def bulk() -> Response:
    back = local_path(request.form.get("back"), "/agent/queues")
    ids = selected_ids()
    if not ids:
        flash("Select at least one ticket first.", "error")
        return done(back)
    try:
        changes = changes_from_form()
        if changes == BulkChanges():
            flash("Choose at least one change for the selected tickets.", "error")
            return done(back)
        result = act(lambda service: service.bulk(ids, changes))
    except TicketError as failure:
        flash(str(failure), "error")
        return done(back)
    message, category = summary(result)
    flash(message, category)
    return done(back)

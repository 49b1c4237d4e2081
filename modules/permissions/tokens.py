"""Route middleware tokens for OTRS permissions, as named in ``routes/*.yaml``.

=========================  ================================================================================
``admin``                  an agent with ``rw`` on group ``admin``
``queue_<key>``            an agent with ``<key>`` on the group of at least one valid queue
``queue_access_<key>``     an agent with ``<key>`` on the group of the queue in the path (``:queue_id``, else
                           ``:id``) or in the query string (``?queue_id=``)
``ticket_access_<key>``    an agent or a customer with ``<key>`` on the ticket in the path (``:ticket_id``,
                           else ``:id``), by the agent or the customer rules
=========================  ================================================================================

``<key>`` is one of the seven OTRS keys (``ro, move_into, create, note, owner, priority, rw``).  Without a
signed-in identity a token answers :func:`unauthenticated`; a refusal is a 403 that names the permission and the
object ("You need the 'move_into' permission on queue 'Raw'."), an unknown ticket or queue a 404, a missing or
malformed id a 400 naming the parameter.  Importing this module registers the tokens in the process-wide registry;
:func:`register_tokens` registers them in another one (a test's) or again.

Example route::

    - path: /tickets/:ticket_id/note
      method: POST
      handler: tickets.add_note
      middleware: [auth, ticket_access_note]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Response, request
from sqlalchemy import Connection

from goatkit.auth import guards
from goatkit.auth.identity import Identity, current_identity
from goatkit.errors import error_response
from goatkit.platform import current_platform
from goatkit.routing.registry import REGISTRY, Middleware, MiddlewareContext, Registry
from modules.permissions import queries
from modules.permissions.agent import agent_permissions, grants_ticket
from modules.permissions.customer import customer_permissions, grants_customer_ticket
from modules.permissions.keys import PERMISSION_KEYS
from modules.permissions.options import current_options

AGENT, CUSTOMER = "agent", "customer"
KEYS = "|".join(PERMISSION_KEYS)
_WHOLE_NUMBER = re.compile(r"[0-9]{1,100}")  # longer cannot be an id, and int() of it is costly


def unauthenticated(ctx: MiddlewareContext) -> Response:
    """The answer when nobody is signed in: the auth layer's 401 for API clients, its sign-in redirect for browsers."""
    return guards.unauthenticated()


def require_admin(ctx: MiddlewareContext) -> Response | None:
    """Token ``admin``: ``rw`` on group ``admin``."""
    identity = current_identity()
    if identity is None or identity.realm != AGENT:
        return _not_an_agent(ctx, identity)
    with _connect() as conn:
        if agent_permissions(conn, int(identity.id)).is_admin:
            return None
    return error_response(403, "You need the 'rw' permission on group 'admin'.")


def queue_permission(perm: str) -> Middleware:
    """Token ``queue_<perm>``: the permission on the group of any valid queue."""

    def check(ctx: MiddlewareContext) -> Response | None:
        identity = current_identity()
        if identity is None or identity.realm != AGENT:
            return _not_an_agent(ctx, identity)
        with _connect() as conn:
            if agent_permissions(conn, int(identity.id)).queues_with(conn, perm):
                return None
        return error_response(403, f"You need the '{perm}' permission on at least one queue.")

    return check


def queue_access(perm: str) -> Middleware:
    """Token ``queue_access_<perm>``: the permission on the group of the queue named by the request."""

    def check(ctx: MiddlewareContext) -> Response | None:
        identity = current_identity()
        if identity is None or identity.realm != AGENT:
            return _not_an_agent(ctx, identity)
        queue_id = _queue_id(ctx)
        if isinstance(queue_id, Response):
            return queue_id
        with _connect() as conn:
            queue = queries.queue_ref(conn, queue_id)
            if queue is None:
                return error_response(404, f"Queue {queue_id} does not exist.")
            if agent_permissions(conn, int(identity.id)).has(queue.group_id, perm):
                return None
        return error_response(403, f"You need the '{perm}' permission on queue '{queue.name}'.")

    return check


def ticket_access(perm: str) -> Middleware:
    """Token ``ticket_access_<perm>``: the permission on the ticket in the path, for agents and customers."""

    def check(ctx: MiddlewareContext) -> Response | None:
        identity = current_identity()
        if identity is None:
            return unauthenticated(ctx)
        if identity.realm not in (AGENT, CUSTOMER):
            return error_response(403, "This page is for agents and customers.")
        ticket_id = _path_id(ctx, "ticket_id")
        if isinstance(ticket_id, Response):
            return ticket_id
        with _connect() as conn:
            allowed = _ticket_allowed(conn, identity, ticket_id, perm)
        if allowed is None:
            return error_response(404, f"Ticket {ticket_id} does not exist.")
        return None if allowed else error_response(403, f"You need the '{perm}' permission on ticket {ticket_id}.")

    return check


def register_tokens(registry: Registry = REGISTRY) -> None:
    """Register ``admin``, ``queue_<key>``, ``queue_access_<key>`` and ``ticket_access_<key>`` (idempotent)."""
    registry.middleware("admin")(require_admin)
    registry.middleware_pattern(rf"queue_(?P<perm>{KEYS})")(queue_permission)
    registry.middleware_pattern(rf"queue_access_(?P<perm>{KEYS})")(queue_access)
    registry.middleware_pattern(rf"ticket_access_(?P<perm>{KEYS})")(ticket_access)


def _ticket_allowed(conn: Connection, identity: Identity, ticket_id: int, perm: str) -> bool | None:
    """True or False, or None when the ticket does not exist."""
    options = current_options()
    if identity.realm == AGENT:
        user_id = int(identity.id)
        ticket = queries.ticket_facts(conn, ticket_id, watcher_id=user_id)
        return None if ticket is None else grants_ticket(agent_permissions(conn, user_id), ticket, perm, options)
    ticket = queries.ticket_facts(conn, ticket_id)
    if ticket is None:
        return None
    perms = customer_permissions(conn, str(identity.id), options=options)
    return grants_customer_ticket(perms, ticket, perm, options)


def _not_an_agent(ctx: MiddlewareContext, identity: Identity | None) -> Response:
    if identity is None:
        return unauthenticated(ctx)
    return error_response(403, "This page is for agents.")


def _queue_id(ctx: MiddlewareContext) -> int | Response:
    if "queue_id" in ctx.view_args or "id" in ctx.view_args:
        return _path_id(ctx, "queue_id")
    value = request.args.get("queue_id")
    if value is None:
        return error_response(400, "Parameter 'queue_id' is missing: give the queue's id in the path or the query.")
    return _whole_number("queue_id", value)


def _path_id(ctx: MiddlewareContext, name: str) -> int | Response:
    for key in (name, "id"):
        if key in ctx.view_args:
            return _whole_number(key, ctx.view_args[key])
    return error_response(400, f"Parameter '{name}' is missing from the path.")


def _whole_number(name: str, value: object) -> int | Response:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    if _WHOLE_NUMBER.fullmatch(text):
        return int(text)
    shown = text if len(text) <= 40 else text[:40] + "…"
    return error_response(400, f"Parameter '{name}' must be a whole number, not '{shown}'.")


@contextmanager
def _connect() -> Iterator[Connection]:
    with current_platform().reading() as conn:
        yield conn


register_tokens()

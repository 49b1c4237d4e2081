"""OTRS permissions for GOTRS: agents' keys on groups, ticket access for agents and customers, route tokens.

The rules are OTRS 6 / Znuny's (``Kernel::System::Group``, ``Ticket::Permission``, ``CustomerTicket::Permission``),
so an OTRS database's users, groups and roles work as they did.  See ``docs/ARCHITECTURE.md`` ("Permissions").

- ``agent.py``: :class:`PermissionMap` (one query per request), :func:`ticket_access`, :func:`can_move_into`,
  :func:`can_create_in`, :func:`move_targets`.
- ``customer.py``: :func:`customer_ticket_access`, :func:`customer_permissions`.
- ``tokens.py``: the ``admin``, ``queue_<key>``, ``queue_access_<key>`` and ``ticket_access_<key>`` middleware.
- ``queries.py``: every statement; ``options.py``: the OTRS options followed; ``cache.py``: per-request memory.

Example::

    from modules.permissions import agent_permissions, ticket_access

    perms = agent_permissions(conn, user_id)
    if perms.has(queue.group_id, "create"): ...
    if ticket_access(conn, user_id, ticket_id, "note"): ...
"""

from modules.permissions.agent import (
    ADMIN_GROUP,
    PermissionMap,
    agent_permissions,
    can_create_in,
    can_move_into,
    grants_ticket,
    move_targets,
    ticket_access,
)
from modules.permissions.cache import forget_permissions
from modules.permissions.customer import (
    CustomerPermissions,
    customer_permissions,
    customer_ticket_access,
    grants_customer_ticket,
)
from modules.permissions.keys import PERMISSION_KEYS, UnknownPermissionKey, check_key
from modules.permissions.options import PermissionOptions, current_options
from modules.permissions.queries import QueueRef, TicketFacts, ticket_facts

__all__ = [
    "ADMIN_GROUP",
    "PERMISSION_KEYS",
    "CustomerPermissions",
    "PermissionMap",
    "PermissionOptions",
    "QueueRef",
    "TicketFacts",
    "UnknownPermissionKey",
    "agent_permissions",
    "can_create_in",
    "can_move_into",
    "check_key",
    "current_options",
    "customer_permissions",
    "customer_ticket_access",
    "forget_permissions",
    "grants_customer_ticket",
    "grants_ticket",
    "move_targets",
    "ticket_access",
    "ticket_facts",
]

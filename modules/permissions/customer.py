"""What a customer may do with a ticket, the OTRS way (``CustomerTicket::Permission``).

The modules run in OTRS's order; a required module that fails denies, the first granting module allows:

1. GroupCheck (required): the customer's groups for the key contain the group of the ticket's queue.  With
   ``customer_group_support`` off (OTRS's default) a customer is in every valid group, so only a ticket in a
   queue of an invalid group fails.  With it on, the groups are the ``group_customer_user`` rows, the
   ``Ticket::CustomerID::Same`` rows of the customer's companies (``group_customer``) and the
   ``customer_group_always_groups``; only ``permission_value = 1`` and valid groups count, ``rw`` implies all.
2. CustomerUserIDCheck: the ticket's ``customer_user_id`` is the customer's login (case-insensitive).
3. CustomerIDCheck: the ticket's ``customer_id`` is one of the customer's CustomerIDs (``customer_user.customer_id``
   and ``customer_user_customer`` rows, case-insensitive); off with ``customer_disable_company_ticket_access``.
4. CustomerGroupCheck: with group support on, the customer's companies hold the key on the ticket's group in
   context ``Ticket::CustomerID::Other``: tickets of other companies in that group; off like module 3.

The customer's side is read with one query and remembered for the request; a ticket costs one primary-key lookup.

Example::

    customer_ticket_access(conn, "jdoe", 123, "ro")
    perms = customer_permissions(conn, "jdoe"); perms.customer_ids
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import Connection

from modules.permissions import queries
from modules.permissions.cache import request_cached
from modules.permissions.keys import check_key, grants
from modules.permissions.options import PermissionOptions, current_options
from modules.permissions.queries import OTHER_COMPANY, TicketFacts


@dataclass(frozen=True)
class CustomerPermissions:
    """One customer's CustomerIDs (lower case) and, with group support on, group keys.

    ``groups`` is ``None`` when group support is off: every valid group then passes.
    """

    login: str
    customer_ids: frozenset[str]
    groups: Mapping[int, frozenset[str]] | None
    other_company_groups: Mapping[int, frozenset[str]]

    @classmethod
    def from_rows(
        cls, login: str, rows: Iterable[tuple[str, str | None, int | None, str | None]], *, group_support: bool
    ) -> CustomerPermissions:
        """Build from :func:`queries.customer_grant_rows` rows."""
        companies: set[str] = set()
        groups: dict[int, set[str]] = {}
        others: dict[int, set[str]] = {}
        for source, customer_id, group_id, key in rows:
            if source == "company":
                if customer_id:
                    companies.add(customer_id.lower())
            elif group_id is not None and key is not None:
                target = others if source == OTHER_COMPANY else groups
                target.setdefault(group_id, set()).add(key)
        return cls(
            login=login,
            customer_ids=frozenset(companies),
            groups=_freeze(groups) if group_support else None,
            other_company_groups=_freeze(others),
        )

    def in_group(self, group_id: int, key: str) -> bool:
        """GroupCheck for a valid group: always True without group support."""
        return self.groups is None or grants(self.groups.get(group_id, frozenset()), key)


def customer_permissions(
    conn: Connection, login: str, *, options: PermissionOptions | None = None
) -> CustomerPermissions:
    """The customer's companies and groups: one query, remembered for the rest of the request."""
    opts = options or current_options()

    def load() -> CustomerPermissions:
        rows = queries.customer_grant_rows(
            conn, login, group_support=opts.customer_group_support, always_groups=opts.customer_group_always_groups
        )
        return CustomerPermissions.from_rows(login, rows, group_support=opts.customer_group_support)

    return request_cached("customer", (login, opts), load)


def grants_customer_ticket(
    perms: CustomerPermissions, ticket: TicketFacts, key: str, options: PermissionOptions
) -> bool:
    """OTRS's ``TicketCustomerPermission`` on facts already read (modules 1 to 4 above)."""
    check_key(key)
    if not ticket.group_valid or not perms.in_group(ticket.group_id, key):
        return False  # module 1 is required
    if ticket.customer_user_id and ticket.customer_user_id.lower() == perms.login.lower():
        return True
    if options.customer_disable_company_ticket_access or not ticket.customer_id:
        return False
    if ticket.customer_id.lower() in perms.customer_ids:
        return True
    others = perms.other_company_groups.get(ticket.group_id, frozenset())
    return options.customer_group_support and grants(others, key)


def customer_ticket_access(
    conn: Connection, login: str, ticket_id: int, key: str, *, options: PermissionOptions | None = None
) -> bool:
    """Whether the customer (by login) has ``key`` on the ticket (False for an unknown ticket)."""
    check_key(key)
    opts = options or current_options()
    ticket = queries.ticket_facts(conn, ticket_id)
    if ticket is None:
        return False
    return grants_customer_ticket(customer_permissions(conn, login, options=opts), ticket, key, opts)


def _freeze(groups: dict[int, set[str]]) -> Mapping[int, frozenset[str]]:
    return MappingProxyType({group_id: frozenset(keys) for group_id, keys in groups.items()})

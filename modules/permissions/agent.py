"""What an agent may do, the OTRS way: keys on groups, and tickets through their queue's group.

An agent's keys on a group are the ``group_user`` rows plus the ``group_role`` rows (``permission_value = 1``) of
the agent's roles; only a valid user, valid groups and valid roles count, and ``rw`` implies every key
(``Kernel::System::Group``).  The whole map is read with one query and remembered for the request.

Ticket access follows OTRS's ``Ticket::Permission`` modules, first grant wins:

1. OwnerCheck: the owner has every key;
2. ResponsibleCheck: the responsible agent has every key (when ``ticket_responsible`` is on);
3. GroupCheck: the key (or ``rw``) on the group of the ticket's queue;
4. WatcherCheck: a watcher has ``ro`` (when ``ticket_watcher`` is on).

Nobody is exempt: members of group ``admin`` and user 1 (root@localhost) pass only through these rules, as in
OTRS.  The one OTRS special case kept is the move list: user 1 may move tickets into every valid queue
(``Kernel::System::Ticket::MoveList``), because OTRS uses user 1 for system work.

Example::

    perms = agent_permissions(conn, user_id)
    perms.has(group_id, "note"); perms.is_admin; perms.queues_with(conn, "create")
    ticket_access(conn, user_id, ticket_id, "rw")
    can_move_into(conn, user_id, target_queue_id)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import Connection

from modules.permissions import queries
from modules.permissions.cache import request_cached
from modules.permissions.keys import PERMISSION_KEYS, check_key, grants
from modules.permissions.options import PermissionOptions, current_options
from modules.permissions.queries import QueueRef, TicketFacts

ADMIN_GROUP = "admin"
SYSTEM_USER_ID = 1  # root@localhost: OTRS's system user


@dataclass(frozen=True)
class PermissionMap:
    """One agent's keys per group (as stored: ``rw`` is not expanded), with the group names.

    Example::

        perms.has(3, "move_into")     # True if the agent has move_into or rw on group 3
        perms.groups_with("create")   # frozenset of group ids
    """

    user_id: int
    valid: bool  # the user exists and is valid; an invalid user has no permission at all
    keys: Mapping[int, frozenset[str]]
    group_names: Mapping[int, str]
    _queues: dict[str, tuple[QueueRef, ...]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_rows(cls, user_id: int, rows: Iterable[tuple[int | None, str | None, str | None]]) -> PermissionMap:
        """Build the map from :func:`queries.agent_grant_rows` rows."""
        keys: dict[int, set[str]] = {}
        names: dict[int, str] = {}
        valid = False
        for group_id, name, key in rows:
            if group_id is None:
                valid = True  # the marker row: the user exists and is valid
                continue
            keys.setdefault(group_id, set()).add(str(key))
            names[group_id] = str(name)
        if not valid:
            keys, names = {}, {}
        frozen = {group_id: frozenset(group_keys) for group_id, group_keys in keys.items()}
        return cls(user_id, valid, MappingProxyType(frozen), MappingProxyType(names))

    def has(self, group_id: int, key: str) -> bool:
        """Whether the agent has ``key`` (or ``rw``) on the group."""
        return grants(self.keys.get(group_id, frozenset()), key)

    def has_in_group(self, group_name: str, key: str) -> bool:
        """Like :meth:`has`, naming the group (``perms.has_in_group("admin", "rw")``); ``"*"`` is any group (a
        module rule ``"*:ro"``: every agent who may read something, the rows then limited by a scope)."""
        check_key(key)
        return any(self.has(group_id, key) for group_id, name in self.group_names.items() if group_name in ("*", name))

    def groups_with(self, key: str) -> frozenset[int]:
        """The ids of the groups on which the agent has ``key`` (or ``rw``)."""
        return frozenset(group_id for group_id, keys in self.keys.items() if grants(keys, key))

    def effective_keys(self, group_id: int) -> frozenset[str]:
        """Every key the agent has on the group, ``rw`` expanded."""
        keys = self.keys.get(group_id, frozenset())
        return frozenset(PERMISSION_KEYS) if "rw" in keys else keys

    @property
    def is_admin(self) -> bool:
        """``rw`` on group ``admin``: what GOTRS's admin screens require unless a module declares otherwise."""
        return self.has_in_group(ADMIN_GROUP, "rw")

    def queues_with(self, conn: Connection, key: str) -> tuple[QueueRef, ...]:
        """The valid queues whose group grants ``key``, by name: one query, then remembered by this map."""
        check_key(key)
        if key not in self._queues:
            self._queues[key] = tuple(queries.queues_in_groups(conn, self.groups_with(key)))
        return self._queues[key]


ACCESS = "agent-access"
"""The per-request cache kind (:func:`request_cached`) of :func:`agent_access`'s answer."""


def agent_permissions(conn: Connection, user_id: int) -> PermissionMap:
    """The agent's permission map: one query, then remembered for the rest of the request."""
    return agent_access(conn, user_id)[0]


def agent_access(conn: Connection, user_id: int) -> tuple[PermissionMap, queries.AgentRow | None]:
    """The agent's permission map and own row (``None``: no such user), read in one statement, then remembered
    for the rest of the request."""

    def load() -> tuple[PermissionMap, queries.AgentRow | None]:
        grants, agent = queries.agent_grants_and_row(conn, user_id)
        return PermissionMap.from_rows(user_id, grants), agent

    return request_cached(ACCESS, user_id, load)


def grants_ticket(perms: PermissionMap, ticket: TicketFacts, key: str, options: PermissionOptions) -> bool:
    """OTRS's ``TicketPermission`` on facts already read: modules 1 to 4 in order, the first grant wins.

    ``ticket.watching`` must be about ``perms.user_id`` (see :func:`queries.ticket_facts`).
    """
    check_key(key)
    if not perms.valid:
        return False
    if ticket.owner_id == perms.user_id:
        return True
    if options.ticket_responsible and ticket.responsible_id == perms.user_id:
        return True
    if perms.has(ticket.group_id, key):
        return True
    return options.ticket_watcher and key == "ro" and ticket.watching


def ticket_access(
    conn: Connection, user_id: int, ticket_id: int, key: str, *, options: PermissionOptions | None = None
) -> bool:
    """Whether the agent has ``key`` on the ticket (False for an unknown ticket).

    One primary-key lookup of the ticket, plus the permission map (one query per request).
    """
    check_key(key)
    ticket = queries.ticket_facts(conn, ticket_id, watcher_id=user_id)
    if ticket is None:
        return False
    return grants_ticket(agent_permissions(conn, user_id), ticket, key, options or current_options())


def can_move_into(conn: Connection, user_id: int, queue_id: int) -> bool:
    """Whether the agent may move a ticket into the queue: ``move_into`` on the TARGET queue's group.

    The queue must be valid.  User 1 may move into every valid queue (OTRS's MoveList).  Whether the agent may
    move this particular ticket away is a ticket check of its own (:func:`ticket_access`).
    """
    queue = queries.queue_ref(conn, queue_id)
    if queue is None or not queue.valid:
        return False
    perms = agent_permissions(conn, user_id)
    if user_id == SYSTEM_USER_ID and perms.valid:
        return True
    return perms.has(queue.group_id, "move_into")


def can_create_in(conn: Connection, user_id: int, queue_id: int) -> bool:
    """Whether the agent may create a ticket in the queue: ``create`` on its group; the queue must be valid."""
    queue = queries.queue_ref(conn, queue_id)
    return queue is not None and queue.valid and agent_permissions(conn, user_id).has(queue.group_id, "create")


def move_targets(conn: Connection, user_id: int) -> tuple[QueueRef, ...]:
    """The queues offered when moving a ticket (OTRS's MoveList): ``move_into`` queues; every queue for user 1."""
    perms = agent_permissions(conn, user_id)
    if user_id == SYSTEM_USER_ID and perms.valid:
        return tuple(queries.valid_queues(conn))
    return perms.queues_with(conn, "move_into")

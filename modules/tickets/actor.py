"""Who performs a ticket action: an agent with their OTRS permission map, or the system.

An agent's permissions are checked on every action; the system actor (user 1, root@localhost) stands for daemons
and incoming mail and is not checked, as OTRS's core functions called with UserID 1 are not.  An agent who signs
in as root@localhost is an agent like any other (``Actor.agent(conn, 1)``) and is checked.

Example::

    actor = Actor.agent(conn, user_id)     # one query: the user row with the permission map
    TicketService(conn, actor).set_priority(ticket_id, "4 high")
    TicketService(conn, Actor.system()).set_state(ticket_id, "closed successful")
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr

from sqlalchemy import Connection

from modules.permissions.agent import PermissionMap, agent_access

SYSTEM_USER_ID = 1
SYSTEM_LOGIN = "root@localhost"


@dataclass(frozen=True)
class Actor:
    user_id: int
    login: str
    permissions: PermissionMap | None  # None: the system, whose actions are not permission-checked
    first_name: str = ""
    last_name: str = ""
    email: str = ""  # the UserEmail preference

    @classmethod
    def agent(cls, conn: Connection, user_id: int) -> Actor:
        """The agent ``user_id`` with their permission map (an unknown or invalid user has no permission)."""
        permissions, row = agent_access(conn, user_id)
        if row is None:
            return cls(user_id, f"user {user_id}", permissions)
        return cls(user_id, row.login, permissions, row.first_name, row.last_name, row.email)

    @classmethod
    def system(cls) -> Actor:
        """User 1 acting for the system (mail, daemons): no permission checks."""
        return cls(SYSTEM_USER_ID, SYSTEM_LOGIN, None, "Admin", "OTRS")

    @property
    def is_system(self) -> bool:
        return self.permissions is None

    @property
    def address(self) -> str:
        """The From of the agent's notes: ``"Jane Agent" <jane@example.com>`` (OTRS's AgentTicketNote)."""
        return formataddr((self.full_name, self.email)) if self.email else self.full_name

    @property
    def full_name(self) -> str:
        """OTRS's UserFullname (FirstnameOrder 0): "Jane Agent"."""
        return f"{self.first_name} {self.last_name}".strip() or self.login

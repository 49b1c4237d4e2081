"""Who performs a ticket action: an agent with their OTRS permission map, or the system.

An agent's permissions are checked on every action; the system actor (user 1, root@localhost) stands for daemons
and incoming mail and is not checked, as OTRS's core functions called with UserID 1 are not.  An agent who signs
in as root@localhost is an agent like any other (``Actor.agent(conn, 1)``) and is checked.

Example::

    actor = Actor.agent(conn, user_id)     # two queries: the user row and the permission map
    TicketService(conn, actor).set_priority(ticket_id, "4 high")
    TicketService(conn, Actor.system()).set_state(ticket_id, "closed successful")
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr

from sqlalchemy import Connection, bindparam, select

from modules.db.schema import metadata
from modules.permissions.agent import PermissionMap, agent_permissions

T = metadata.tables
SYSTEM_USER_ID = 1
SYSTEM_LOGIN = "root@localhost"


_USERS, _PREFS = T["users"], T["user_preferences"]
_AGENT = (
    select(_USERS.c.login, _USERS.c.first_name, _USERS.c.last_name, _PREFS.c.preferences_value)
    .select_from(
        _USERS.outerjoin(_PREFS, (_PREFS.c.user_id == _USERS.c.id) & (_PREFS.c.preferences_key == "UserEmail"))
    )
    .where(_USERS.c.id == bindparam("user_id"))
)


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
        row = conn.execute(_AGENT, {"user_id": user_id}).first()
        if row is None:
            return cls(user_id, f"user {user_id}", agent_permissions(conn, user_id))
        raw = row[3]
        email = bytes(raw).decode("utf-8", "replace") if isinstance(raw, bytes | memoryview) else str(raw or "")
        return cls(user_id, row[0], agent_permissions(conn, user_id), row[1], row[2], email)

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

"""The OTRS group check behind every module action of the engine (``goatkit.engine.access``).

A module action needs a key on a group (default ``rw`` on ``admin``); an agent holds it through OTRS's group
permissions (direct, or through roles), read with one query per request (:func:`agent_access`).  Customers
and unknown realms never pass: customer-facing screens are their own modules with their own rules.
"""

from __future__ import annotations

from flask import Flask

from goatkit.auth.identity import Identity
from goatkit.engine import access
from goatkit.platform import current_platform
from modules.permissions.agent import ACCESS, PermissionMap, agent_access
from modules.permissions.cache import request_cached
from modules.permissions.keys import PERMISSION_KEYS
from modules.permissions.queries import AgentRow

AGENT = "agent"


def agent_holds(identity: Identity, group: str, key: str) -> bool:
    """Whether the agent ``identity`` holds ``key`` on the group named ``group`` (an unknown key never passes)."""
    if identity.realm != AGENT or key not in PERMISSION_KEYS:
        return False
    return _permissions(int(identity.id)).has_in_group(group, key)


def _permissions(user_id: int) -> PermissionMap:
    """The agent's map, remembered for the request: no connection is opened once it is known."""

    def load() -> tuple[PermissionMap, AgentRow | None]:
        with current_platform().reading() as conn:
            return agent_access(conn, user_id)

    return request_cached(ACCESS, user_id, load)[0]


def init_app(app: Flask) -> None:
    access.init_app(app, agent_holds)

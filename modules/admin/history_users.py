"""Who changed a record, as the engine's change history shows it: agents from the ``users`` table.

GoatKit records user ids only; ``create_app`` registers :func:`agent_names` with one call::

    from modules.admin.history_users import init_app as init_history_users
    init_history_users(app)
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Flask
from sqlalchemy import Connection, select

from goatkit.engine import history
from modules.db.schema import metadata

_users = metadata.tables["users"]


def agent_names(conn: Connection, ids: Collection[int]) -> dict[int, str]:
    """``{id: "First Last (login)"}`` for the agents among ``ids``: one query for a whole page of changes."""
    if not ids:
        return {}
    stmt = select(_users.c.id, _users.c.login, _users.c.first_name, _users.c.last_name).where(
        _users.c.id.in_(sorted(ids))
    )
    names = {}
    for uid, login, first, last in conn.execute(stmt):
        full = " ".join(part for part in (first, last) if part)
        names[uid] = f"{full} ({login})" if full else login
    return names


def init_app(app: Flask) -> None:
    history.init_app(app, user_names=agent_names)

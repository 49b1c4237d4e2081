"""Per-request memory of permission data, so a page pays one query however many checks it makes.

Values live in ``flask.g`` for the current request only; outside a request (CLI commands, workers, tests) every
call computes afresh, so a long-running process never sees stale permissions.  Code that changes memberships and
checks again in the same request calls :func:`forget_permissions`.

Example::

    perms = request_cached("agent-access", user_id, lambda: load(conn, user_id))
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import g, has_request_context

V = TypeVar("V")
_STORE = "gotrs_permissions"


def request_cached(kind: str, key: Hashable, compute: Callable[[], V]) -> V:
    """Return ``compute()``, computed at most once per request for ``(kind, key)``."""
    if not has_request_context():
        return compute()
    store: dict[tuple[str, Hashable], Any] = g.setdefault(_STORE, {})
    if (kind, key) not in store:
        store[(kind, key)] = compute()
    value: V = store[(kind, key)]
    return value


def forget_permissions() -> None:
    """Drop what this request remembered (after changing groups, roles or memberships)."""
    if has_request_context():
        g.pop(_STORE, None)

"""Who is making the request.

The authentication layer sets the identity once per request (from a cookie or a bearer token); middleware and views
read it with :func:`current_identity`.  Realms are the application's ("agent", "customer" in GOTRS): each has its own
table, login page and cookies, and an identity of one realm never passes a check meant for another.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g


@dataclass(frozen=True)
class Identity:
    realm: str
    id: int | str  # the primary key in the realm's table
    login: str
    name: str = ""
    session_id: str = ""


def current_identity() -> Identity | None:
    """The signed-in identity of this request, or ``None``."""
    identity = g.get("goatkit_identity")
    return identity if isinstance(identity, Identity) else None


def set_identity(identity: Identity | None) -> None:
    g.goatkit_identity = identity

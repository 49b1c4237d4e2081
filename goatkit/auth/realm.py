"""Realms: kinds of users that sign in separately (GOTRS: agents and customers).

A realm says where its users live (table and columns), where they sign in, which cookies carry their tokens and on
which paths it is preferred.  GoatKit knows nothing else about them: the application declares its realms and hands
them to :func:`goatkit.auth.setup.init_auth`.

**Which realm a request belongs to.**  A request carries at most one identity per realm (its cookies) and at most one
bearer token.  The rule, applied by :func:`goatkit.auth.loader.load_identity`:

1. An ``Authorization: Bearer`` header decides alone: its realm, or no identity when the token is invalid, expired or
   revoked (cookies are then ignored: an explicit credential that fails is not silently replaced).
2. Otherwise cookies, realm by realm in :meth:`Realms.preference` order: first the realm whose ``path_prefixes``
   match the path (``/customer/...`` and ``/api/v1/customer/...`` prefer customers), then the others in declaration
   order (the first realm is the default).  The first realm with a valid cookie wins.

Middleware then decides whether that identity may pass (``auth``: any realm; a realm's name: that realm only).

Example::

    AGENT = Realm(name="agent", label="Agent", table="users", login_path="/login", cookie_prefix="gotrs")
    AGENT.access_cookie   # 'gotrs_agent_access'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from goatkit.auth.ldap import DirectoryUser, LdapDirectory

#: Creates the realm's row for a user a directory (LDAP) knows and the table does not; returns the new id.
Provisioner = Callable[["Connection", "DirectoryUser"], Any]


@dataclass(frozen=True)
class Realm:
    """One kind of user: its table, sign-in page, cookies and the paths where it is preferred."""

    name: str  # "agent": claim value, middleware token, part of cookie names
    label: str  # "Agent": shown on the sign-in page ("Agent sign-in")
    table: str
    id_column: str = "id"
    login_column: str = "login"
    password_column: str = "pw"  # noqa: S105 - a column name
    valid_column: str = "valid_id"
    valid_values: tuple[Any, ...] = (1,)
    name_columns: tuple[str, ...] = ("first_name", "last_name")
    case_insensitive_login: bool = False
    login_path: str = "/login"
    logout_path: str = "/logout"
    home_path: str = "/"
    path_prefixes: tuple[str, ...] = ()
    cookie_prefix: str = "goatkit"
    directory: LdapDirectory | None = None
    provision: Provisioner | None = field(default=None, compare=False)

    @property
    def access_cookie(self) -> str:
        return f"{self.cookie_prefix}_{self.name}_access"

    @property
    def refresh_cookie(self) -> str:
        return f"{self.cookie_prefix}_{self.name}_refresh"

    def matches_path(self, path: str) -> bool:
        """Whether ``path`` is one of this realm's own (``/customer`` matches ``/customer`` and ``/customer/x``)."""
        return any(path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in self.path_prefixes)


class Realms(Sequence[Realm]):
    """The application's realms, in declaration order; the first is the default.

    Example::

        realms = Realms([AGENT, CUSTOMER])
        [r.name for r in realms.preference("/customer/requests")]   # ['customer', 'agent']
    """

    def __init__(self, realms: Sequence[Realm]) -> None:
        if not realms:
            raise ValueError("init_auth needs at least one realm")
        names = [realm.name for realm in realms]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"realm names must be unique; repeated: {', '.join(duplicates)}")
        self._realms = tuple(realms)
        self._by_name = {realm.name: realm for realm in realms}

    def __getitem__(self, index: Any) -> Any:
        return self._realms[index]

    def __len__(self) -> int:
        return len(self._realms)

    def __iter__(self) -> Iterator[Realm]:
        return iter(self._realms)

    @property
    def default(self) -> Realm:
        return self._realms[0]

    def get(self, name: str) -> Realm | None:
        return self._by_name.get(name)

    def preference(self, path: str) -> list[Realm]:
        """Realms in the order their cookies are tried for ``path``: the path's own realm first."""
        own = [realm for realm in self._realms if realm.matches_path(path)]
        return own + [realm for realm in self._realms if realm not in own]

    def for_path(self, path: str) -> Realm:
        """The realm whose sign-in page a browser is sent to from ``path``."""
        return self.preference(path)[0]

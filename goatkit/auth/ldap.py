"""LDAP sign-in (ldap3): find the user's entry with a search, then bind as that entry with the given password.

Configured in YAML (an application puts :class:`LdapSettings` in its settings; GOTRS: the ``ldap`` key)::

    ldap:
      url: ldap://ldap.example.com:389          # or ldaps://...
      bind_dn: cn=reader,dc=example,dc=com      # empty: anonymous search
      bind_password: secret
      base_dn: ou=people,dc=example,dc=com
      user_filter: "(&(objectClass=inetOrgPerson)(uid={login}))"
      attributes: {first_name: givenName, last_name: sn, email: mail}
      create_users: true

``{login}`` is replaced by the login with LDAP filter escaping (RFC 4515), so ``*`` or ``)`` in a login cannot
widen the search.  An empty password is refused before any bind (an LDAP "unauthenticated bind" would succeed).

Example::

    directory = LdapDirectory(settings.ldap)
    user = directory.authenticate("jdoe", "pw")     # DirectoryUser(login='jdoe', dn='uid=jdoe,...', ...) or None
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger("goatkit.auth.ldap")


class LdapSettings(BaseModel):
    """Where the directory is and how users are found in it."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^ldaps?://", description="ldap://host:389 or ldaps://host:636")
    bind_dn: str = Field(default="", description="DN for the user search; empty: anonymous")
    bind_password: str = ""
    base_dn: str = Field(min_length=1)
    user_filter: str = Field(default="(uid={login})", pattern=r"\{login\}")
    start_tls: bool = False
    timeout_seconds: int = Field(default=5, ge=1)
    attributes: dict[str, str] = Field(
        default_factory=lambda: {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        description="Our field name -> LDAP attribute, copied into the user row",
    )
    create_users: bool = Field(default=True, description="Create the user row on the first successful bind")


class DirectoryUnavailable(RuntimeError):
    """The directory could not be reached or searched; sign-in falls back to local passwords."""


@dataclass(frozen=True)
class DirectoryUser:
    """A user the directory authenticated, with the configured attributes (first value of each, or "")."""

    login: str
    dn: str
    attributes: dict[str, str] = field(default_factory=dict)


class LdapDirectory:
    def __init__(self, settings: LdapSettings) -> None:
        try:
            import ldap3  # noqa: F401 - fail at start-up, not at the first sign-in
        except ImportError as exc:
            message = "LDAP sign-in is configured but ldap3 is not installed: pip install 'gotrs[ldap]'"
            raise RuntimeError(message) from exc
        self.settings = settings

    def authenticate(self, login: str, password: str) -> DirectoryUser | None:
        """The user if ``password`` binds as ``login``'s entry; ``None`` if not (unknown login, wrong password).

        Raises :class:`DirectoryUnavailable` when the server cannot be reached or the search fails.
        """
        if not login or not password:
            return None
        import ldap3
        from ldap3.core.exceptions import LDAPException

        try:
            entry = self._find(login)
            if entry is None:
                return None
            dn, attributes = entry
            user_conn = ldap3.Connection(self._server(), user=dn, password=password, read_only=True)
            self._start_tls(user_conn)
            try:
                if not user_conn.bind():
                    return None
            finally:
                user_conn.unbind()
        except LDAPException as exc:
            raise DirectoryUnavailable(f"LDAP {self.settings.url}: {exc.__class__.__name__}: {exc}") from exc
        return DirectoryUser(login=login, dn=dn, attributes=attributes)

    def _find(self, login: str) -> tuple[str, dict[str, str]] | None:
        import ldap3
        from ldap3.utils.conv import escape_filter_chars

        settings = self.settings
        search_filter = settings.user_filter.replace("{login}", escape_filter_chars(login))
        conn = ldap3.Connection(
            self._server(), user=settings.bind_dn or None, password=settings.bind_password or None, read_only=True
        )
        self._start_tls(conn)
        if not conn.bind():
            raise DirectoryUnavailable(f"LDAP {settings.url}: the search bind as {settings.bind_dn!r} was refused")
        try:
            wanted = sorted(set(settings.attributes.values()))
            conn.search(settings.base_dn, search_filter, attributes=wanted, size_limit=2)
            entries = [item for item in conn.response or [] if item.get("type") == "searchResEntry"]
        finally:
            conn.unbind()
        if len(entries) != 1:
            if len(entries) > 1:
                log.warning("LDAP filter %s matches several entries; refusing the sign-in", search_filter)
            return None
        raw = entries[0].get("attributes", {})
        values = {ours: _first(raw.get(theirs)) for ours, theirs in settings.attributes.items()}
        return str(entries[0]["dn"]), values

    def _server(self) -> Any:
        import ldap3

        return ldap3.Server(self.settings.url, connect_timeout=self.settings.timeout_seconds, get_info=ldap3.NONE)

    def _start_tls(self, conn: Any) -> None:
        if self.settings.start_tls:
            conn.open()
            conn.start_tls()


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return "" if value is None else str(value)

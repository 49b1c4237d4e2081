"""Sign-in for GOTRS: the agent and customer realms on GoatKit's auth, with optional LDAP for agents.

``create_app`` calls :func:`init_auth`.  Importing this package registers the handlers and middleware tokens that
``routes/auth.yaml`` and ``routes/admin.yaml`` name, so the route loader finds them.

Example (gotrs.yaml)::

    ldap:
      url: ldap://ldap.example.com
      base_dn: ou=people,dc=example,dc=com
      user_filter: "(uid={login})"
"""

from __future__ import annotations

from dataclasses import replace

from flask import Flask

from goatkit.auth.ldap import LdapDirectory
from goatkit.auth.setup import init_auth as init_goatkit_auth
from goatkit.auth.setup import register_handlers
from goatkit.auth.state import AuthState
from goatkit.platform import current_platform
from modules.auth.realms import AGENT, CUSTOMER, REALMS

__all__ = ["AGENT", "CUSTOMER", "init_auth"]

register_handlers([realm.name for realm in REALMS])


def init_auth(app: Flask) -> AuthState:
    """Set up agent and customer sign-in; agents also sign in through LDAP when ``ldap`` is configured."""
    settings = current_platform(app).settings
    ldap_settings = getattr(settings, "ldap", None)
    agent = replace(AGENT, directory=LdapDirectory(ldap_settings)) if ldap_settings else AGENT
    return init_goatkit_auth(app, [agent, CUSTOMER])

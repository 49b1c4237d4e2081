"""The sign-in state of one Flask app: its realms and the stores sign-in uses, kept in ``app.extensions``.

Example::

    auth = current_auth()
    auth.realms.default.name      # 'agent'
    auth.sessions.list_active()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, request

from goatkit.auth.realm import Realms
from goatkit.auth.revocation import RevocationList
from goatkit.auth.sessions import SessionStore
from goatkit.auth.throttle import LoginThrottle
from goatkit.auth.verified import VerifiedTokens
from goatkit.settings import Settings

EXTENSION_KEY = "goatkit.auth"


@dataclass
class AuthState:
    realms: Realms
    settings: Settings
    sessions: SessionStore
    revocations: RevocationList
    throttle: LoginThrottle
    verified: VerifiedTokens = field(default_factory=VerifiedTokens)

    @property
    def csrf_cookie(self) -> str:
        """The cookie behind anonymous forms' CSRF tokens (sign-in pages)."""
        return f"{self.realms.default.cookie_prefix}_csrf"

    def cookie_secure(self) -> bool:
        """Whether sign-in cookies get the Secure flag for this request."""
        mode = self.settings.auth_cookie_secure
        return mode == "always" or (mode == "auto" and request.is_secure)


def current_auth(app: Flask | None = None) -> AuthState:
    """The :class:`AuthState` of ``app`` (default: the current app)."""
    target: Any = app or current_app
    state = target.extensions.get(EXTENSION_KEY)
    if state is None:
        raise RuntimeError("sign-in is not set up for this app: call goatkit.auth.setup.init_auth(app, realms)")
    return state  # type: ignore[no-any-return]

"""Wiring sign-in into a Flask app: :func:`init_auth`.

Example (the application's factory)::

    platform = Platform(settings); platform.init_app(app)
    init_auth(app, [AGENT, CUSTOMER])

It configures the JWT library, builds the stores (sessions in the database; revocations and throttle counters in
Redis when configured, else the database), installs the identity loader (``before_request``) and the cookie writer
(``after_request``), offers ``csrf_token()`` to every template (``base.html`` turns it into the
``<meta name="csrf-token">`` htmx reads), and registers the handlers and middleware tokens route files name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask

from goatkit.auth import admin_views, csrf, guards, views
from goatkit.auth.identity import current_identity
from goatkit.auth.loader import load_identity, save_cookies
from goatkit.auth.realm import Realm, Realms
from goatkit.auth.revocation import revocation_list_for
from goatkit.auth.sessions import SessionStore
from goatkit.auth.state import EXTENSION_KEY, AuthState, current_auth
from goatkit.auth.throttle import LoginThrottle
from goatkit.auth.tokens import configure_jwt
from goatkit.counters import counters_for
from goatkit.platform import current_platform

__all__ = ["init_auth", "register_handlers"]

_VIEW_MODULES = (admin_views, guards, views)  # imported for their @handler/@middleware registrations


def register_handlers(realm_names: Sequence[str]) -> None:
    """Register everything route files may name for these realms (handlers and middleware tokens).

    Safe to call more than once; the application calls it at import time so route loading finds the names
    whether or not an app has been created yet.
    """
    views.register_realm_handlers(list(realm_names))
    guards.register_realm_tokens(list(realm_names))


def init_auth(app: Flask, realms: Sequence[Realm]) -> AuthState:
    """Set up sign-in for ``app`` (after the platform) with ``realms``; the first realm is the default."""
    platform = current_platform(app)
    settings = platform.settings
    state = AuthState(
        realms=Realms(realms),
        settings=settings,
        sessions=SessionStore(platform.engine, touch_every=settings.auth_session_touch_seconds),
        revocations=revocation_list_for(platform),
        throttle=LoginThrottle(counters_for(platform), settings),
    )
    app.extensions[EXTENSION_KEY] = state
    configure_jwt(app, settings)
    register_handlers([realm.name for realm in realms])
    app.before_request(load_identity)
    app.after_request(save_cookies)
    app.context_processor(_template_context)
    return state


def _template_context() -> dict[str, Callable[[], Any]]:
    return {
        "csrf_token": csrf.expected_token,
        "current_identity": current_identity,
        "signed_in_realm": _signed_in_realm,
    }


def _signed_in_realm() -> Realm | None:
    """The realm of the signed-in identity (for its sign-out path in the header), or ``None``."""
    identity = current_identity()
    return current_auth().realms.get(identity.realm) if identity is not None else None

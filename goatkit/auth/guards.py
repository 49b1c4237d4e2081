"""Middleware tokens for route files: ``auth``, one per realm (GOTRS: ``agent``, ``customer``), and ``csrf``.

* ``auth``: any signed-in identity, of any realm.
* ``<realm>``: an identity of that realm.  Signed in to another realm: 403 for JSON clients ("This needs an agent
  sign-in."), the realm's sign-in page for browsers.
* ``csrf``: a valid CSRF token on POST/PUT/PATCH/DELETE even when the request is anonymous (forms that must not be
  posted from other sites without a session).  Cookie-authenticated requests are always checked by the loader and
  bearer-authenticated ones never need it, so on those the token changes nothing.

Not signed in: JSON clients (``/api/`` paths, ``Accept: application/json``) get 401
``{"error": {"status": 401, "message": "Sign in first.", "ref": ...}}`` with ``WWW-Authenticate: Bearer``; htmx
requests get 401 with ``HX-Redirect`` to the sign-in page; other browsers are redirected there with ``?next=``.

Example (routes/admin.yaml)::

    spec:
      prefix: /admin
      middleware: [auth, admin]
"""

from __future__ import annotations

import string
from typing import cast
from urllib.parse import urlencode, urlsplit

from flask import Response, current_app, redirect, request

from goatkit.auth import csrf
from goatkit.auth.identity import current_identity
from goatkit.auth.loader import request_auth
from goatkit.auth.realm import Realm
from goatkit.auth.state import EXTENSION_KEY, current_auth
from goatkit.errors import error_response, wants_json
from goatkit.routing.registry import Middleware, MiddlewareContext, middleware

SIGN_IN_FIRST = "Sign in first."
_UNPRINTABLE = set(string.whitespace.replace(" ", "")) | {chr(c) for c in range(32)} | {"\x7f"}


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a same-site relative path (``/x?y``), else ``default``: no ``//host``, ``\\``, schemes.

    Example::

        safe_next("/admin/sessions")        # '/admin/sessions'
        safe_next("//evil.example/")         # '/'
        safe_next("https://evil.example/")   # '/'
    """
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if "\\" in value or any(char in _UNPRINTABLE for char in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def login_url(realm: Realm, next_path: str | None = None) -> str:
    """The realm's sign-in page, with ``?next=`` when ``next_path`` is a safe path."""
    target = safe_next(next_path, default="")
    return realm.login_path + ("?" + urlencode({"next": target}) if target else "")


def unauthenticated(realm: Realm | None = None) -> Response:
    """The answer to a request that needs a sign-in it does not have.

    An app without sign-in set up (no realms to send anyone to) answers a plain 401.
    """
    if realm is None:
        if EXTENSION_KEY not in current_app.extensions:
            return error_response(401, SIGN_IN_FIRST)
        realm = current_auth().realms.for_path(request.path)
    if wants_json():
        response = error_response(401, SIGN_IN_FIRST)
        response.headers["WWW-Authenticate"] = 'Bearer realm="' + realm.name + '"'
        return response
    query = request.query_string.decode("utf-8", "replace")
    target = login_url(realm, request.path + ("?" + query if query else ""))
    if request.headers.get("HX-Request") == "true":
        response = error_response(401, SIGN_IN_FIRST)
        response.headers["HX-Redirect"] = target
        return response
    return redirect_to(target, 303 if request.method != "GET" else 302)


def redirect_to(location: str, code: int = 302) -> Response:
    """A redirect, typed as the app's response class (which is what Flask's ``redirect`` builds)."""
    return cast(Response, redirect(location, code))


@middleware("auth")
def require_auth(ctx: MiddlewareContext) -> Response | None:
    """Any signed-in identity passes."""
    return None if current_identity() is not None else unauthenticated()


@middleware("csrf")
def require_csrf(ctx: MiddlewareContext) -> Response | None:
    """A valid CSRF token on unsafe methods, unless the request came with a bearer token."""
    if request.method not in csrf.UNSAFE_METHODS or request_auth().via == "bearer":
        return None
    return None if csrf.is_valid() else error_response(403, csrf.MESSAGE)


def realm_guard(realm_name: str) -> Middleware:
    """The middleware for a realm's token: an identity of that realm passes."""

    def require_realm(ctx: MiddlewareContext) -> Response | None:
        identity = current_identity()
        if identity is not None and identity.realm == realm_name:
            return None
        realm = current_auth().realms.get(realm_name)
        if realm is None:
            return error_response(500, f"Realm '{realm_name}' is not configured.")
        if identity is not None and wants_json():
            return error_response(403, f"This needs {_article(realm.label)} {realm.label.lower()} sign-in.")
        return unauthenticated(realm)

    require_realm.__qualname__ = f"require_realm[{realm_name}]"
    return require_realm


def register_realm_tokens(realm_names: list[str]) -> None:
    """Register the middleware token of each realm (its name)."""
    for name in realm_names:
        middleware(name)(realm_guard(name))


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"

"""The identity loader: a ``before_request`` hook that sets :func:`~goatkit.auth.identity.current_identity`.

It reads the bearer token or the realms' cookies (the rule is in :mod:`goatkit.auth.realm`), refuses anything
invalid, expired or revoked (the token id *and* the session id are checked), and leaves the decision to answer
401, 403 or a redirect to middleware.  Two things happen here on every request, whatever the route declares:

* a cookie-authenticated POST/PUT/PATCH/DELETE without the right CSRF token is refused with 403 (:mod:`.csrf`);
* a browser whose access cookie has expired but whose refresh cookie is valid gets a new access cookie on this
  response, so sessions last as long as the refresh token without the page doing anything.

Example (what a view sees)::

    identity = current_identity()      # Identity(realm='agent', id=1, login='root@localhost', ...) or None
    request_auth().via                 # 'bearer', 'cookie' or ''
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, g, request

from goatkit.auth import csrf
from goatkit.auth.identity import Identity, set_identity
from goatkit.auth.realm import Realm
from goatkit.auth.state import AuthState, current_auth
from goatkit.auth.tokens import decode, issue_access, set_token_cookies
from goatkit.errors import error_response


@dataclass(frozen=True)
class RequestAuth:
    """How this request was authenticated."""

    via: str = ""  # "bearer", "cookie" or "" (anonymous)
    claims: dict[str, Any] | None = None
    realm: Realm | None = None
    new_access_token: str = ""  # set when the access cookie was renewed from the refresh cookie


def request_auth() -> RequestAuth:
    value = g.get("goatkit_request_auth")
    return value if isinstance(value, RequestAuth) else RequestAuth()


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header; ``""`` for a malformed header; ``None`` without one."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def load_identity() -> Response | None:
    """``before_request``: set the identity; refuse a cookie-authenticated unsafe request without a CSRF token."""
    if request.endpoint == "static":  # files carry no identity: no token checks, no database round trip
        return None
    auth = current_auth()
    result = _from_bearer(auth) if bearer_token() is not None else _from_cookies(auth)
    g.goatkit_request_auth = result
    claims = result.claims
    if claims is None:
        set_identity(None)
        return None
    set_identity(
        Identity(
            realm=claims["realm"],
            id=claims["uid"],
            login=claims["login"],
            name=claims.get("name", ""),
            session_id=claims["sid"],
        )
    )
    auth.sessions.touch(claims["sid"])
    if result.via == "cookie" and request.method in csrf.UNSAFE_METHODS and not csrf.is_valid():
        return error_response(403, csrf.MESSAGE)
    return None


def save_cookies(response: Response) -> Response:
    """``after_request``: write a renewed access cookie and a new anonymous CSRF cookie."""
    result = request_auth()
    if result.new_access_token and result.realm is not None and not g.get("goatkit_cookies_written"):
        set_token_cookies(response, result.realm, access=result.new_access_token, refresh=None)
    pending = csrf.pending_cookie()
    if pending is not None:
        auth = current_auth()
        response.set_cookie(
            auth.csrf_cookie, pending, httponly=True, secure=auth.cookie_secure(), samesite="Lax", path="/"
        )
    return response


def valid_claims(token: str, expected_type: str) -> dict[str, Any] | None:
    """The claims of ``token`` if it is valid, of a known realm, and neither it nor its session is revoked."""
    auth = current_auth()
    claims = decode(token, expected_type) if token else None
    if claims is None or auth.realms.get(claims["realm"]) is None:
        return None
    if auth.revocations.any_revoked(claims.get("jti", ""), claims["sid"]):
        return None
    return claims


def _from_bearer(auth: AuthState) -> RequestAuth:
    claims = valid_claims(bearer_token() or "", "access")
    if claims is None:
        return RequestAuth()
    return RequestAuth(via="bearer", claims=claims, realm=auth.realms.get(claims["realm"]))


def _from_cookies(auth: AuthState) -> RequestAuth:
    for realm in auth.realms.preference(request.path):
        claims = valid_claims(request.cookies.get(realm.access_cookie, ""), "access")
        if claims is not None and claims["realm"] == realm.name:
            return RequestAuth(via="cookie", claims=claims, realm=realm)
        refresh = valid_claims(request.cookies.get(realm.refresh_cookie, ""), "refresh")
        if refresh is not None and refresh["realm"] == realm.name:
            access = issue_access(refresh)
            return RequestAuth(via="cookie", claims=decode(access, "access"), realm=realm, new_access_token=access)
    return RequestAuth()

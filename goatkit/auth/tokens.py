"""JWT access and refresh tokens (flask-jwt-extended), and the cookies that carry them for browsers.

Claims: ``sub`` (the user id as text), ``uid`` (the id as stored), ``realm``, ``sid`` (the session), ``login``,
``name``, plus ``jti``, ``type`` (``access`` or ``refresh``), ``iat`` and ``exp``.  Access tokens live
``auth_access_token_seconds`` (15 minutes); the refresh token lives as long as its session
(``auth_refresh_token_seconds``, 7 days).  HS256 with the app's secret key.

Browsers get both as HttpOnly, SameSite=Lax cookies named by the realm (``gotrs_agent_access``,
``gotrs_agent_refresh``), Secure when the request came over https (or by ``auth_cookie_secure``).

Example::

    pair = issue_tokens(realm, account, session)
    claims = decode(pair.access_token, "access")    # {'realm': 'agent', 'sid': '...', ...} or None
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jwt
from flask import Flask, Response
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token, decode_token
from flask_jwt_extended.exceptions import JWTExtendedException

from goatkit.auth.state import current_auth

if TYPE_CHECKING:
    from goatkit.auth.accounts import Account
    from goatkit.auth.realm import Realm
    from goatkit.auth.sessions import SessionRecord
    from goatkit.settings import Settings


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives


def configure_jwt(app: Flask, settings: Settings) -> None:
    """Configure flask-jwt-extended for GoatKit's tokens (tokens are read by :mod:`.loader`, not by the library)."""
    app.config.setdefault("JWT_SECRET_KEY", app.config.get("SECRET_KEY") or settings.secret_key)
    app.config["JWT_ALGORITHM"] = "HS256"
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(seconds=settings.auth_access_token_seconds)
    app.config["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(seconds=settings.auth_refresh_token_seconds)
    app.config["JWT_TOKEN_LOCATION"] = ["headers"]
    app.config["JWT_COOKIE_CSRF_PROTECT"] = False  # GoatKit checks its own session-bound token (.csrf)
    JWTManager(app)


def issue_tokens(realm: Realm, account: Account, session: SessionRecord) -> TokenPair:
    """A new access token and a refresh token that ends with ``session``."""
    claims = _claims(realm.name, account.id, account.login, account.name, session.session_id)
    refresh = create_refresh_token(
        str(account.id),
        expires_delta=timedelta(seconds=max(session.expires_at - int(time.time()), 1)),
        additional_claims=claims,
    )
    return TokenPair(issue_access(claims), refresh, current_auth().settings.auth_access_token_seconds)


def issue_access(claims: dict[str, Any]) -> str:
    """A new access token for the identity in ``claims`` (those of a refresh or access token)."""
    own = _claims(claims["realm"], claims["uid"], claims["login"], claims.get("name", ""), claims["sid"])
    return str(create_access_token(str(claims["uid"]), additional_claims=own))


def decode(token: str, expected_type: str) -> dict[str, Any] | None:
    """The claims of a well-signed, unexpired token of ``expected_type``; ``None`` for anything else.

    Revocation is checked by the caller (:mod:`.loader`), which asks about the token and its session at once.  A
    token checked before is not checked again until it expires (:mod:`.verified`).
    """
    verified = current_auth().verified
    claims = verified.get(token)
    if claims is None:
        try:
            claims = decode_token(token)
        except (jwt.PyJWTError, JWTExtendedException, ValueError, TypeError, KeyError):
            return None
        if isinstance(claims.get("exp"), int | float):
            verified.put(token, claims)
    if claims.get("type") != expected_type or not claims.get("sid") or not claims.get("realm"):
        return None
    return claims


def set_token_cookies(response: Response, realm: Realm, *, access: str | None, refresh: str | None) -> None:
    """Attach the realm's cookies (either may be ``None`` to leave it alone)."""
    auth = current_auth()
    secure = auth.cookie_secure()
    if access is not None:
        response.set_cookie(
            realm.access_cookie,
            access,
            max_age=auth.settings.auth_access_token_seconds,
            httponly=True,
            secure=secure,
            samesite="Lax",
            path="/",
        )
    if refresh is not None:
        refresh_age = int(decode_token(refresh)["exp"] - time.time())
        response.set_cookie(
            realm.refresh_cookie,
            refresh,
            max_age=max(refresh_age, 1),
            httponly=True,
            secure=secure,
            samesite="Lax",
            path="/",
        )


def clear_token_cookies(response: Response, realm: Realm) -> None:
    secure = current_auth().cookie_secure()
    for name in (realm.access_cookie, realm.refresh_cookie):
        response.delete_cookie(name, path="/", httponly=True, secure=secure, samesite="Lax")


def _claims(realm: str, uid: Any, login: str, name: str, sid: str) -> dict[str, Any]:
    return {"realm": realm, "uid": uid, "login": login, "name": name, "sid": sid}

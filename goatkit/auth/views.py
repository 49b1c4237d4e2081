"""Sign-in views: the sign-in page of each realm, the JSON API (login, me, refresh, logout) and browser sign-out.

Handlers are registered by name for route files.  Per realm (:func:`register_realm_handlers`):
``auth.<realm>.login_page`` (GET), ``auth.<realm>.login`` (form POST), ``auth.<realm>.api_login`` (JSON POST).
Shared: ``auth.me``, ``auth.refresh``, ``auth.api_logout``, ``auth.logout``.

JSON API::

    POST /api/v1/auth/login {"login": "jane", "password": "..."}
      200 {"access_token", "refresh_token", "token_type": "Bearer", "expires_in": 900, "user": {...}}
      401 {"error": {"status": 401, "message": "Login failed: wrong login or password.", ...}}
      422 {"error": {"status": 422, "message": "login is required.", "fields": {"login": "is required"}, ...}}
      429 {"error": {...}} + Retry-After
    GET  /api/v1/auth/me                      -> {"id", "login", "name", "realm", "session_id"}
    POST /api/v1/auth/refresh  (Bearer <refresh token>, or the refresh cookie) -> {"access_token", "expires_in"}
    POST /api/v1/auth/logout                  -> {"message": "Signed out."}
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, render_template, request
from sqlalchemy import Connection

from goatkit.auth import csrf
from goatkit.auth.accounts import get_account
from goatkit.auth.guards import redirect_to, safe_next, unauthenticated
from goatkit.auth.identity import current_identity
from goatkit.auth.loader import bearer_token, request_auth, valid_claims
from goatkit.auth.login import end_session, sign_in, start_session
from goatkit.auth.realm import Realm
from goatkit.auth.state import current_auth
from goatkit.auth.tokens import clear_token_cookies, issue_access, set_token_cookies
from goatkit.auth.validation import read_fields, validation_error
from goatkit.errors import error_response
from goatkit.platform import current_platform
from goatkit.routing.registry import handler

LOGIN_FIELDS = {"login": 200, "password": 1024}
REFRESH_REFUSED = "Sign in again: the refresh token is invalid, expired or revoked."


def register_realm_handlers(realm_names: list[str]) -> None:
    """Register the sign-in handlers of each realm under ``auth.<realm>.*``."""
    for name in realm_names:
        handler(f"auth.{name}.login_page")(_realm_view(_login_page, name))
        handler(f"auth.{name}.login")(_realm_view(_login_form, name))
        handler(f"auth.{name}.api_login")(_realm_view(_api_login, name))


def _realm_view(view: Any, realm_name: str) -> Any:
    def realm_view(**_path_args: Any) -> Response:
        realm = current_auth().realms.get(realm_name)
        if realm is None:
            return error_response(404, "Not Found")
        return view(realm)  # type: ignore[no-any-return]

    realm_view.__name__ = f"{view.__name__.lstrip('_')}_{realm_name}"
    realm_view.__qualname__ = f"{view.__qualname__}[{realm_name}]"
    return realm_view


def _login_page(realm: Realm, *, error: str = "", login: str = "", status: int = 200) -> Response:
    next_path = safe_next(request.values.get("next"), default="")
    identity = current_identity()
    if request.method == "GET" and identity is not None and identity.realm == realm.name:
        return redirect_to(next_path or realm.home_path)
    others = [other for other in current_auth().realms if other.name != realm.name]
    html = render_template(
        "goatkit/auth/login.html", realm=realm, other_realms=others, error=error, login=login, next=next_path
    )
    return Response(html, status=status, mimetype="text/html")


def _login_form(realm: Realm) -> Response:
    if not csrf.is_valid():
        return _login_page(realm, error=csrf.MESSAGE, status=403)
    login = request.form.get("login", "").strip()
    password = request.form.get("password", "")
    if not login or not password or len(login) > LOGIN_FIELDS["login"] or len(password) > LOGIN_FIELDS["password"]:
        return _login_page(realm, error="Enter your login and password.", login=login[:200], status=422)
    outcome = sign_in(realm, login, password, ip=_client_ip())
    if outcome.account is None:
        response = _login_page(realm, error=outcome.message, login=login, status=429 if outcome.retry_after else 401)
        if outcome.retry_after:
            response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    _end_current_session(realm)
    _session, tokens = start_session(realm, outcome.account, ip=_client_ip(), user_agent=_user_agent())
    response = redirect_to(safe_next(request.form.get("next"), default=realm.home_path), 303)
    set_token_cookies(response, realm, access=tokens.access_token, refresh=tokens.refresh_token)
    g.goatkit_cookies_written = True
    return response


def _api_login(realm: Realm) -> Response:
    fields, errors = read_fields(LOGIN_FIELDS)
    if errors:
        return validation_error(errors)
    outcome = sign_in(realm, fields["login"].strip(), fields["password"], ip=_client_ip())
    if outcome.account is None:
        response = error_response(429 if outcome.retry_after else 401, outcome.message)
        if outcome.retry_after:
            response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    session, tokens = start_session(realm, outcome.account, ip=_client_ip(), user_agent=_user_agent())
    user = outcome.account.as_json(realm) | {"session_id": session.session_id}
    return jsonify(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_type="Bearer",  # noqa: S106 - the token type, not a secret
        expires_in=tokens.expires_in,
        user=user,
    )


@handler("auth.me")
def me() -> Response:
    identity = current_identity()
    if identity is None:
        return unauthenticated()
    return jsonify(
        id=identity.id, login=identity.login, name=identity.name, realm=identity.realm, session_id=identity.session_id
    )


@handler("auth.refresh")
def refresh() -> Response:
    auth = current_auth()
    token, realm = bearer_token(), None
    if token is None:  # a browser: the refresh cookie of the realm the loader chose (CSRF was checked there)
        realm = request_auth().realm if request_auth().via == "cookie" else None
        token = request.cookies.get(realm.refresh_cookie, "") if realm else ""
    claims = valid_claims(token, "refresh")
    if claims is None:
        return error_response(401, REFRESH_REFUSED)
    realm = auth.realms.get(claims["realm"])
    with current_platform().engine.connect() as conn:
        still_valid = realm is not None and _account_is_valid(conn, realm, claims["uid"])
    if realm is None or not still_valid:
        end_session(claims["sid"])
        return error_response(401, REFRESH_REFUSED)
    access = issue_access(claims)
    response = jsonify(
        access_token=access,
        token_type="Bearer",  # noqa: S106 - the token type, not a secret
        expires_in=auth.settings.auth_access_token_seconds,
    )
    if bearer_token() is None:
        set_token_cookies(response, realm, access=access, refresh=None)
        g.goatkit_cookies_written = True
    return response


@handler("auth.api_logout")
def api_logout() -> Response:
    if current_identity() is None:
        return unauthenticated()
    response = jsonify(message="Signed out.")
    _sign_out(response)
    return response


@handler("auth.logout")
def logout() -> Response:
    realm = request_auth().realm or current_auth().realms.for_path(request.path)
    response = redirect_to(realm.login_path, 303)
    if current_identity() is not None:
        _sign_out(response)
    return response


def _sign_out(response: Response) -> None:
    """Revoke this request's access token, end its session, and clear the realm's cookies if it used them."""
    result = request_auth()
    claims = result.claims or {}
    current_auth().revocations.revoke(claims.get("jti", ""), expires_at=int(claims.get("exp", 0)))
    end_session(claims.get("sid", ""))
    if result.via == "cookie" and result.realm is not None:
        clear_token_cookies(response, result.realm)
        g.goatkit_cookies_written = True


def _end_current_session(realm: Realm) -> None:
    identity = current_identity()
    if identity is not None and identity.realm == realm.name and identity.session_id:
        end_session(identity.session_id)


def _account_is_valid(conn: Connection, realm: Realm, account_id: Any) -> bool:
    account = get_account(conn, realm, account_id)
    return account is not None and account.valid


def _client_ip() -> str:
    return request.remote_addr or "-"


def _user_agent() -> str:
    return request.user_agent.string or "-"

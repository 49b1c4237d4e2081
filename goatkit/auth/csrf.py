"""CSRF protection: every state-changing request authenticated by a cookie must carry the page's CSRF token.

The token is an HMAC of the session id under the app's secret key, so it needs no storage and survives token
refreshes; it reaches the page in ``<meta name="csrf-token">`` (``base.html`` writes it from the ``csrf_token``
context function; ``goatkit.js`` sends it as ``X-CSRF-Token`` on every htmx request) and in a hidden
``csrf_token`` field of plain forms.  This is the "signed double submit": the cookie proves the session, the header
or field proves the page came from us, and no other site can compute it.

* Requests authenticated by a **cookie** with POST, PUT, PATCH or DELETE are checked by the identity loader, on
  every route, whatever its middleware says.
* Requests with a **bearer token** are not: a browser never adds ``Authorization`` on its own, so they cannot be
  forged cross-site.
* **Anonymous** forms (sign-in pages) use a token bound to a random HttpOnly cookie (``gotrs_csrf``); the sign-in
  views check it, and the ``csrf`` middleware token checks it on any other route that wants it.

Example::

    <form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}"> ...</form>
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, g, request

from goatkit.auth.identity import current_identity
from goatkit.auth.state import current_auth

HEADER = "X-CSRF-Token"
FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MESSAGE = "This form has expired or did not come from this site. Reload the page and try again."


def expected_token() -> str:
    """The CSRF token of this request: bound to the session when signed in, else to the anonymous cookie."""
    identity = current_identity()
    if identity is not None and identity.session_id:
        return _sign("session:" + identity.session_id)
    return _sign("anonymous:" + _anonymous_secret())


def submitted_token() -> str:
    """The token the request carries: the ``X-CSRF-Token`` header, else the ``csrf_token`` form field."""
    token = request.headers.get(HEADER, "")
    if not token and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        token = request.form.get(FIELD, "")
    return token


def is_valid() -> bool:
    """Whether the request carries this request's expected token."""
    submitted = submitted_token()
    return bool(submitted) and hmac.compare_digest(submitted, expected_token())


def pending_cookie() -> str | None:
    """A new anonymous cookie value this response must set (the page used a token for a visitor without one)."""
    value = g.get("goatkit_new_csrf_cookie")
    return value if isinstance(value, str) else None


def _anonymous_secret() -> str:
    cookie = request.cookies.get(current_auth().csrf_cookie, "")
    if len(cookie) >= 32:
        return cookie
    pending = pending_cookie()
    if pending is None:
        pending = secrets.token_urlsafe(32)
        g.goatkit_new_csrf_cookie = pending
    return pending


def _sign(message: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, b"goatkit-csrf:" + message.encode("utf-8"), hashlib.sha256).hexdigest()

"""Administrators see the active sign-in sessions and end them.

Handlers (protected in the route file, GOTRS: ``middleware: [auth, admin]``):

* ``auth.sessions.page``: ``GET /admin/sessions``, a table of realm, user, created, last seen, IP and user agent,
  each row with an "End session" button (htmx ``DELETE`` to the API; the row disappears when it succeeds).
* ``auth.sessions.list``: ``GET /api/v1/admin/sessions`` -> ``{"sessions": [{"id", "realm", "user_id", "login",
  "created_at", "last_seen", "expires_at", "ip", "user_agent", "current"}]}``, most recently seen first.
* ``auth.sessions.end``: ``DELETE /api/v1/admin/sessions/<id>`` -> ``{"ended": "<id>"}``; 404 when the session is
  unknown or already over.  The session's tokens are refused from the next request on.
"""

from __future__ import annotations

import time

from flask import Response, jsonify, render_template

from goatkit.auth.identity import current_identity
from goatkit.auth.login import end_session
from goatkit.auth.sessions import SessionRecord
from goatkit.auth.state import current_auth
from goatkit.errors import error_response
from goatkit.routing.registry import handler


@handler("auth.sessions.page")
def sessions_page() -> str:
    sessions = current_auth().sessions.list_active()
    return render_template(
        "goatkit/auth/sessions.html",
        sessions=sessions,
        realm_labels={realm.name: realm.label for realm in current_auth().realms},
        current_session=_current_session_id(),
        when=_when,
    )


@handler("auth.sessions.list")
def sessions_list() -> Response:
    current = _current_session_id()
    rows = [record.as_json() | {"current": record.session_id == current} for record in _active()]
    return jsonify(sessions=rows)


@handler("auth.sessions.end")
def session_end(session_id: str) -> Response:
    if end_session(session_id) is None:
        return error_response(404, "No active session with this id: it has ended or expired.")
    return jsonify(ended=session_id)


def _active() -> list[SessionRecord]:
    return current_auth().sessions.list_active()


def _current_session_id() -> str:
    identity = current_identity()
    return identity.session_id if identity else ""


def _when(epoch: int) -> str:
    """A short, absolute UTC time for the table ("2026-11-22 14:05")."""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))

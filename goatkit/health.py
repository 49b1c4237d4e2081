"""Liveness and readiness probes.

``/healthz`` answers while the process serves requests.  ``/readyz`` also checks that the database answers and that
its schema is initialised, and that Redis answers when one is configured; it returns 503 with the failing check
named otherwise, so an orchestrator holds traffic back until ``gotrs db init`` has run.

The views register as the handlers ``healthz`` and ``readyz``; the application's route files give them their URLs::

    - {path: /healthz, handler: healthz}
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from goatkit.platform import current_platform
from goatkit.routing.registry import handler

log = logging.getLogger("goatkit.health")

#: Extra readiness checks registered by the application: name -> callable returning None or a problem sentence.
READINESS_CHECKS: dict[str, Callable[[], str | None]] = {}


@handler("healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@handler("readyz")
def readyz() -> tuple[Response, int]:
    checks: dict[str, str] = {}
    platform = current_platform()
    try:
        with platform.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", exc.__class__.__name__)
        checks["database"] = "unreachable"
    if platform.redis is not None:
        try:
            platform.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any client error means "not ready"
            log.warning("readiness: redis unreachable: %s", exc.__class__.__name__)
            checks["redis"] = "unreachable"
    if checks["database"] == "ok":
        for name, check in READINESS_CHECKS.items():
            problem = check()
            checks[name] = problem or "ok"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503

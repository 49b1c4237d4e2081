"""Structured logging with a request id on every line.

Each request gets an id (the caller's ``X-Request-ID`` when it is well-formed, else a new one); it is stored in a
context variable, added to every log record, and returned in the ``X-Request-ID`` response header, so a user's
"ref 7f3c2a" finds the log lines of that request.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    return record


# Every record carries the request id, whichever handler (ours, pytest's, gunicorn's) formats it.
if getattr(_base_factory, "__name__", "") != _record_with_request_id.__name__:
    logging.setLogRecordFactory(_record_with_request_id)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Configure the root logger once (idempotent): JSON or text lines on stderr with the request id."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_goatkit", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._goatkit = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root.setLevel(level)


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]


def init_request_logging(app: Flask) -> None:
    """Assign request ids and write one access-log line per request."""
    access_log = logging.getLogger("goatkit.access")

    @app.before_request
    def _start() -> None:
        supplied = request.headers.get("X-Request-ID", "")
        rid = supplied if _VALID_REQUEST_ID.match(supplied) else new_request_id()
        g.request_id = rid
        g.request_started = time.perf_counter()
        g.request_id_token = request_id_var.set(rid)

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = g.get("request_id") or new_request_id()
        response.headers["X-Request-ID"] = rid
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        return response

    @app.teardown_request
    def _forget(_error: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)

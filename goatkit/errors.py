"""Error responses: one clear sentence for the user, details in the log, never a stack trace.

HTTP errors keep their status and say what was wrong; unexpected exceptions are logged with the request id and the
user sees "Something went wrong (ref <id>)".  JSON clients (``Accept: application/json`` or ``/api/`` paths) get
``{"error": {"status", "message", "ref"}}``; browsers get a small HTML page.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("goatkit.errors")


def wants_json() -> bool:
    """Whether the current request expects JSON rather than HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: str) -> Response:
    """Render an error as JSON or HTML for the current request."""
    ref = g.get("request_id", "-")
    if wants_json():
        response = jsonify(error={"status": status, "message": message, "ref": ref})
    else:
        html = render_template("goatkit/error.html", status=status, message=message, ref=ref)
        response = Response(html, mimetype="text/html")
    response.status_code = status
    return response


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MB" if count >= 1024 * 1024 else f"{max(1, count // 1024)} KB"


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        if isinstance(error, InternalServerError):
            return _unexpected(error.original_exception or error)
        status = error.code or 500
        message = error.description or error.name
        if status == 413:
            limit = current_app.config.get("MAX_CONTENT_LENGTH")
            message = f"The request is larger than the limit of {_size(limit)}." if limit else message
        response = error_response(status, message)
        for name, value in error.get_headers():  # Allow on 405, Retry-After on 429/503, WWW-Authenticate on 401
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: BaseException) -> Response:
        ref = g.get("request_id", "-")
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
        return error_response(500, f"Something went wrong (ref {ref}).")

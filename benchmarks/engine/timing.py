"""A WSGI middleware that reports the app's own time in a ``Server-Timing`` header.

Every app the harness measures (floor, Flask-Admin, engine) is wrapped in it, so "server time" means the same thing
for all of them: from the WSGI call to the last byte of the body, which the middleware collects before it sends the
headers.  Gunicorn's parsing and the socket write are outside it, and so is the client.

Example::

    app.wsgi_app = ServerTiming(app.wsgi_app)     # response header: Server-Timing: app;dur=2.417
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ServerTiming:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        started = time.perf_counter()
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured[:] = [status, headers, exc_info]
            return lambda _data: None

        result = self.app(environ, capture)
        try:
            body = list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers, exc_info = captured
        elapsed_ms = (time.perf_counter() - started) * 1000
        start_response(status, [*headers, ("Server-Timing", f"app;dur={elapsed_ms:.3f}")], exc_info)
        return body

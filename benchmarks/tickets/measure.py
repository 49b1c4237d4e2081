"""A POST over the engine harness's raw loopback sockets, for requests that change from call to call (a new ticket
per POST); the measuring itself is :func:`benchmarks.engine.load.throughput_of` and ``latency_of`` with a sender.

Example::

    send = lambda i: post_json(port, "/api/v1/tickets", {"title": f"T{i}", ...}, headers)
    rate = load.throughput_of(send, seconds=10, concurrency=2)
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.engine.load import Headers, Response, exchange


def post_json(port: int, path: str, body: Any, headers: Headers | None = None) -> Response:
    """POST ``body`` as JSON on a new connection; the answer parsed as :func:`benchmarks.engine.load.get` does."""
    payload = json.dumps(body).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    return exchange(port, head.encode() + payload)

"""Measuring a request that changes from call to call: rotating search terms, a new ticket per POST.

The engine harness (:mod:`benchmarks.engine.load`) measures one fixed GET; here a *sender* ``send(i)`` makes the
i-th request (any method, any path) over the same raw loopback sockets, and the figures are the same kind: requests
per second with N clients over a window (only 2xx count), then the server's own time (``Server-Timing``) over
sequential requests.

Example::

    send = lambda i: load.get(port, paths[i % len(paths)], headers)
    rate = throughput(send, seconds=10, concurrency=4)
    timing = latency(send, count=300, max_seconds=30)
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks.engine.load import TIMEOUT, Headers, Latency, Response, Throughput, percentile

Sender = Callable[[int], Response]


def post_json(port: int, path: str, body: Any, headers: Headers | None = None) -> Response:
    """POST ``body`` as JSON on a new connection; the answer parsed as :func:`benchmarks.engine.load.get` does."""
    payload = json.dumps(body).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(head.encode() + payload)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    client_ms = (time.perf_counter() - started) * 1000
    raw_head, _, raw_body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *lines = raw_head.decode("latin-1").split("\r\n")
    parsed = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return Response(int(status_line.split()[1]), parsed, raw_body, client_ms)


def throughput(
    send: Sender,
    *,
    seconds: float,
    concurrency: int,
    max_requests: int = 100_000,
    timings: list[float] | None = None,
) -> Throughput:
    """Requests/s with ``concurrency`` clients for ``seconds``; each client takes the next request number.  The
    server's time of each 2xx answer is appended to ``timings`` when given."""
    lock = threading.Lock()
    counts = {"ok": 0, "errors": 0, "issued": 0}
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            with lock:
                if counts["issued"] >= max_requests:
                    return
                number = counts["issued"]
                counts["issued"] += 1
            try:
                response = send(number)
            except OSError:
                response = None
            ok = response is not None and 200 <= response.status < 300
            with lock:
                counts["ok" if ok else "errors"] += 1
                if ok and timings is not None and response is not None and response.server_ms() is not None:
                    timings.append(response.server_ms())  # type: ignore[arg-type]

    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + TIMEOUT)
    return Throughput(counts["ok"], counts["errors"], time.perf_counter() - started)


def latency(send: Sender, *, count: int, max_seconds: float, first: int = 0) -> Latency:
    """Sequential requests ``first``, ``first + 1`` ...: percentiles of the server's time (client's for context)."""
    server: list[float] = []
    client: list[float] = []
    deadline = time.perf_counter() + max_seconds
    number = first
    while len(server) < count and time.perf_counter() < deadline:
        response = send(number)
        number += 1
        measured = response.server_ms()
        if not 200 <= response.status < 300 or measured is None:
            raise RuntimeError(f"request {number}: HTTP {response.status}: {response.body[:300]!r}")
        server.append(measured)
        client.append(response.client_ms)
    return Latency(len(server), percentile(server, 0.5), percentile(server, 0.95), percentile(client, 0.5))

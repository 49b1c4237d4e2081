"""A small HTTP load generator for loopback: raw sockets, one connection per request, bounded in time and count.

Gunicorn's sync worker closes every connection, so keep-alive would not help; a raw socket keeps the client's own
CPU use (which competes with the server on a small machine) well below what an HTTP library would cost.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

TIMEOUT = 30.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    client_ms: float

    def server_ms(self) -> float | None:
        """The app's own time, from ``Server-Timing: app;dur=X`` or ``X-Response-Time: X[ms]``."""
        timing = self.headers.get("server-timing", "")
        for part in timing.replace(",", ";").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "dur":
                return float(value)
        response_time = self.headers.get("x-response-time")
        return float(response_time.removesuffix("ms")) if response_time else None


Headers = dict[str, str]


def get(port: int, path: str, headers: Headers | None = None) -> Response:
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    return exchange(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Connection: close\r\n\r\n".encode())


def exchange(port: int, request: bytes) -> Response:
    """Send ``request`` (a whole HTTP/1.1 request, ``Connection: close``) on a new connection; the parsed answer."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    client_ms = (time.perf_counter() - started) * 1000
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(int(status_line.split()[1]), headers, body, client_ms)


@dataclass(frozen=True)
class Throughput:
    requests: int
    errors: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


Sender = Callable[[int], Response]
"""``send(i)`` makes the i-th request (any method, any path) and returns the parsed answer."""


def throughput(
    port: int, path: str, *, seconds: float, concurrency: int, max_requests: int, headers: Headers | None = None
) -> Throughput:
    """Requests/s of ``GET path`` with ``concurrency`` clients for ``seconds`` (or until ``max_requests``)."""
    return throughput_of(
        lambda _i: get(port, path, headers), seconds=seconds, concurrency=concurrency, max_requests=max_requests
    )


def throughput_of(
    send: Sender,
    *,
    seconds: float,
    concurrency: int,
    max_requests: int = 100_000,
    timings: list[float] | None = None,
) -> Throughput:
    """Requests/s with ``concurrency`` clients for ``seconds`` (or until ``max_requests``); each client takes the
    next request number; only 2xx answers count.  The server's time of each is appended to ``timings`` if given."""
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
                response: Response | None = send(number)
            except OSError:
                response = None
            ok = response is not None and 200 <= response.status < 300
            measured = response.server_ms() if ok and response is not None else None
            with lock:
                counts["ok" if ok else "errors"] += 1
                if timings is not None and measured is not None:
                    timings.append(measured)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + TIMEOUT)
    return Throughput(counts["ok"], counts["errors"], time.perf_counter() - started)


@dataclass(frozen=True)
class Latency:
    samples: int
    server_p50_ms: float
    server_p95_ms: float
    client_p50_ms: float


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency(port: int, path: str, *, count: int, max_seconds: float, headers: Headers | None = None) -> Latency:
    """Sequential ``GET path`` requests (one at a time): percentiles of the server's own time, and of the client's."""
    return latency_of(lambda _i: get(port, path, headers), count=count, max_seconds=max_seconds)


def latency_of(send: Sender, *, count: int, max_seconds: float, first: int = 0) -> Latency:
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
            raise RuntimeError(f"request {number}: HTTP {response.status}, Server-Timing {measured!r}: "
                               f"{response.body[:300]!r}")  # fmt: skip
        server.append(measured)
        client.append(response.client_ms)
    return Latency(len(server), percentile(server, 0.5), percentile(server, 0.95), percentile(client, 0.5))

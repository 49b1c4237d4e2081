"""Per-route rate limits (``rateLimit: {requests, period, key}``), counted in :mod:`goatkit.counters`.

Windows are fixed and aligned to the clock (a ``1m`` window starts on the minute), so every worker agrees on them
and ``Retry-After`` can say exactly when the next window opens.  Counter keys alternate between two slots: a slot
is reused two windows later, by which time its counter has expired, so the database fallback keeps at most two
rows per route and client instead of one per window.

Clients are counted by ``ip`` (the remote address), ``user`` (the signed-in identity; anonymous clients by address)
or ``ip+user``.  The limit is checked after the route's middleware, so ``user`` sees the identity that ``auth``
established.

Example::

    limiter = RateLimiter(entry)          # entry.rate_limit = 5 per 1m by ip
    blocked = limiter.check()             # None, or a 429 response with Retry-After
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Response, request

from goatkit.auth.identity import current_identity
from goatkit.counters import counters_for
from goatkit.errors import error_response
from goatkit.platform import current_platform
from goatkit.routing.entry import RateLimitRule, RouteEntry

UNITS = {"s": "second", "m": "minute", "h": "hour"}
MAX_CLIENT_KEY = 120


class RateLimiter:
    """Counts hits on one route and answers 429 once a client is over the limit."""

    def __init__(self, entry: RouteEntry) -> None:
        if entry.rate_limit is None:
            raise ValueError(f"{entry.label} has no rateLimit")
        self.rule: RateLimitRule = entry.rate_limit
        self.route_id = hashlib.sha256(entry.route_key.encode()).hexdigest()[:12]

    def check(self) -> Response | None:
        """Count this request; ``None`` if it is within the limit, else the 429 response."""
        seconds = self.rule.seconds
        now = time.time()
        window = int(now // seconds)
        key = f"rate:{self.route_id}:{window % 2}:{client_key(self.rule.key)}"
        hits = counters_for(current_platform()).hit(key, window_seconds=seconds)
        if hits <= self.rule.requests:
            return None
        retry_after = max(1, math.ceil((window + 1) * seconds - now))
        message = (
            f"Too many requests: this page allows {self.rule.requests} per {describe_period(self.rule.period)}. "
            f"Try again in {_plural(retry_after, 'second')}."
        )
        response = error_response(429, message)
        response.headers["Retry-After"] = str(retry_after)
        return response


def client_key(kind: str) -> str:
    """Who is counted: ``ip``, ``user`` (anonymous clients by address) or ``ip+user``."""
    address = request.remote_addr or "unknown"
    identity = current_identity()
    user = f"{identity.realm}:{identity.id}" if identity else f"anonymous@{address}"
    key = {"ip": address, "user": user}.get(kind, f"{address}|{user}")
    return key[:MAX_CLIENT_KEY]


def describe_period(period: str) -> str:
    """``"1m"`` → ``"minute"``, ``"30s"`` → ``"30 seconds"``."""
    count, unit = int(period[:-1]), UNITS[period[-1]]
    return unit if count == 1 else _plural(count, unit)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"

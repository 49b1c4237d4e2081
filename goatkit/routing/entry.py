"""One resolved route: a METHOD and a full path, with what serves it and what guards it.

The loader turns each YAML route into one :class:`RouteEntry` per method.  Entries are what the manifest lists,
what middleware sees (``ctx.route``) and what a handler can read with :func:`goatkit.routing.current_route`.

Example::

    join_path("/admin", "/users/:id")                    # '/admin/users/:id'
    flask_rule("/admin/users/:id", {"id": "int"})         # '/admin/users/<int:id>'
    fill_params("/orders/:id", {"id": 7})                # '/orders/7'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from goatkit.routing.registry import Middleware, View

#: A ``:name`` path segment (gin syntax, as in the Go GOTRS).
PARAM = re.compile(r"(?<=/):([A-Za-z_][A-Za-z0-9_]*)")
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600}


def join_path(prefix: str, path: str) -> str:
    """Join a group prefix and a route path the way gin does: ``/admin`` + ``/`` is ``/admin/``."""
    joined = prefix.rstrip("/") + path
    return joined or "/"


def path_params(path: str) -> list[str]:
    """The ``:name`` parameters of ``path``, in order."""
    return PARAM.findall(path)


def flask_rule(path: str, types: Mapping[str, str]) -> str:
    """The werkzeug rule for ``path``: ``:id`` becomes ``<id>``, or ``<int:id>`` when ``types`` says int."""

    def convert(match: re.Match[str]) -> str:
        name = match.group(1)
        kind = types.get(name, "string")
        return f"<{name}>" if kind == "string" else f"<{kind}:{name}>"

    return PARAM.sub(convert, path)


def path_shape(path: str) -> str:
    """``path`` with parameter names erased: two routes of the same shape answer the same URLs."""
    return PARAM.sub(":", path)


def fill_params(target: str, values: Mapping[str, Any]) -> str:
    """Substitute ``:name`` segments of a redirect target with the request's (URL-quoted) path parameters."""
    return PARAM.sub(lambda m: quote(str(values[m.group(1)]), safe=""), target)


def period_seconds(period: str) -> int:
    """``"30s"`` → 30, ``"5m"`` → 300, ``"1h"`` → 3600."""
    return int(period[:-1]) * PERIOD_SECONDS[period[-1]]


@dataclass(frozen=True)
class RateLimitRule:
    """At most ``requests`` hits per ``seconds`` for each client ``key`` (``ip``, ``user`` or ``ip+user``)."""

    requests: int
    period: str
    key: str

    @property
    def seconds(self) -> int:
        return period_seconds(self.period)

    def manifest(self) -> dict[str, Any]:
        return {"requests": self.requests, "period": self.period, "key": self.key}


@dataclass(frozen=True)
class RouteEntry:
    """A METHOD + path of the route table and everything that serves it."""

    method: str
    path: str  # as declared, prefix joined: /orders/:id
    rule: str  # the werkzeug rule: /orders/<int:id>
    endpoint: str  # the name url_for builds it by
    group: str
    source: str  # routes/orders.yaml:12
    route_methods: tuple[str, ...]  # every method of the YAML route this entry came from
    handler: str = ""
    template: str = ""
    redirect_to: str = ""
    status: int | None = None
    middleware: tuple[str, ...] = ()  # group tokens, then route tokens
    rate_limit: RateLimitRule | None = None
    description: str = ""
    params: Mapping[str, str] = field(default_factory=dict, hash=False)
    view: View | None = field(default=None, compare=False, repr=False)
    chain: tuple[Middleware, ...] = field(default=(), compare=False, repr=False)

    @property
    def label(self) -> str:
        """``GET /orders/:id``, for messages."""
        return f"{self.method} {self.path}"

    @property
    def route_key(self) -> str:
        """Identifies the YAML route (all its methods share one rate-limit counter)."""
        return f"{','.join(self.route_methods)} {self.path}"

    def manifest(self) -> dict[str, Any]:
        """The entry as the manifest lists it (no timestamps: the same table gives the same JSON)."""
        return {
            "method": self.method,
            "path": self.path,
            "handler": self.handler or None,
            "template": self.template or None,
            "redirectTo": self.redirect_to or None,
            "status": self.status,
            "middleware": list(self.middleware),
            "rateLimit": self.rate_limit.manifest() if self.rate_limit else None,
            "group": self.group,
            "source": self.source,
        }

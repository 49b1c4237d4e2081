"""Registries that YAML routes resolve names against: handlers and middleware tokens.

Python code registers a view under a name in the module that owns it; a route file names it.  Middleware tokens are
registered the same way, by exact name or by a pattern with named groups (``queue_(?P<perm>ro|rw)``), so the
application can add its own permission tokens without the platform knowing them.

Example::

    @handler("home.index")
    def index() -> str: ...

    @middleware("auth")
    def require_sign_in(ctx: MiddlewareContext) -> Response | None:
        return None if current_identity() else redirect_to_login(ctx)

    @middleware_pattern(r"queue_(?P<perm>ro|rw)")
    def queue_permission(perm: str) -> Middleware:
        def check(ctx: MiddlewareContext) -> Response | None: ...
        return check
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response

View = Callable[..., Any]


@dataclass(frozen=True)
class MiddlewareContext:
    """What a middleware sees: the route (as declared in YAML) and the request's path parameters."""

    route_name: str
    path: str
    methods: tuple[str, ...]
    view_args: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # "routes/file.yaml:12", for messages


#: A middleware returns ``None`` to let the request through, or a response that ends it (401, 403, a redirect ...).
Middleware = Callable[[MiddlewareContext], Response | None]

HANDLERS: dict[str, View] = {}
MIDDLEWARE: dict[str, Middleware] = {}
MIDDLEWARE_PATTERNS: list[tuple[re.Pattern[str], Callable[..., Middleware]]] = []


class RegistryError(ValueError):
    """A name registered twice, or a name that cannot be resolved."""


def handler(name: str) -> Callable[[View], View]:
    """Register ``view`` as the handler called ``name`` in route files."""

    def register(view: View) -> View:
        existing = HANDLERS.get(name)
        if existing is not None and existing is not view and _qualname(existing) != _qualname(view):
            raise RegistryError(f"handler '{name}' is already registered by {_qualname(existing)}")
        HANDLERS[name] = view
        return view

    return register


def middleware(name: str) -> Callable[[Middleware], Middleware]:
    """Register a middleware token by its exact name."""

    def register(func: Middleware) -> Middleware:
        MIDDLEWARE[name] = func
        return func

    return register


def middleware_pattern(pattern: str) -> Callable[[Callable[..., Middleware]], Callable[..., Middleware]]:
    """Register a factory for tokens matching ``pattern``; its named groups become the factory's keyword arguments."""
    compiled = re.compile(pattern)

    def register(factory: Callable[..., Middleware]) -> Callable[..., Middleware]:
        MIDDLEWARE_PATTERNS[:] = [(p, f) for p, f in MIDDLEWARE_PATTERNS if p.pattern != compiled.pattern]
        MIDDLEWARE_PATTERNS.append((compiled, factory))
        return factory

    return register


def resolve_middleware(token: str) -> Middleware | None:
    """The middleware for ``token``, or ``None`` when no exact name or pattern knows it."""
    if token in MIDDLEWARE:
        return MIDDLEWARE[token]
    for pattern, factory in MIDDLEWARE_PATTERNS:
        match = pattern.fullmatch(token)
        if match:
            return factory(**match.groupdict())
    return None


def known_tokens() -> list[str]:
    """Exact token names and patterns, for "did you mean" messages."""
    return sorted(MIDDLEWARE) + [p.pattern for p, _ in MIDDLEWARE_PATTERNS]


def _qualname(func: Callable[..., Any]) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"

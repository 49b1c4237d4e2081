"""YAML routes: every URL declared in ``routes/*.yaml``, served by handlers that register themselves by name.

The pieces: :mod:`~goatkit.routing.registry` (``@handler``, ``@middleware``, ``@middleware_pattern``),
:mod:`~goatkit.routing.loader` (files → resolved entries, or one :class:`RouteError` with every problem),
:mod:`~goatkit.routing.table` (the Flask route table and its atomic swap), :mod:`~goatkit.routing.watch`
(hot reload), :mod:`~goatkit.routing.manifest` and :mod:`~goatkit.routing.cli` (``gotrs routes manifest|verify``).

Example::

    import my_app.views                      # registers @handler("home.index") ...
    init_routes(app, Path("routes"))         # serves routes/*.yaml, or raises RouteError
"""

from goatkit.routing.entry import RouteEntry
from goatkit.routing.loader import RouteError, load_routes
from goatkit.routing.registry import (
    REGISTRY,
    Middleware,
    MiddlewareContext,
    Registry,
    RegistryError,
    handler,
    middleware,
    middleware_pattern,
    resolve_middleware,
)
from goatkit.routing.table import Router, current_route, current_router, init_routes

__all__ = [
    "REGISTRY",
    "Middleware",
    "MiddlewareContext",
    "Registry",
    "RegistryError",
    "RouteEntry",
    "RouteError",
    "Router",
    "current_route",
    "current_router",
    "handler",
    "init_routes",
    "load_routes",
    "middleware",
    "middleware_pattern",
    "resolve_middleware",
]

"""Registries that YAML routes resolve names against: handlers and middleware tokens.

Python code registers a view under a name in the module that owns it; a route file names it.  Middleware tokens are
registered the same way, by exact name or by a pattern with named groups (``queue_(?P<perm>ro|rw)``), so the
application can add its own permission tokens without the platform knowing them.  The module-level functions use
the process-wide :data:`REGISTRY`; tests may build their own :class:`Registry` and hand it to the route loader.

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

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from goatkit.routing.entry import RouteEntry

View = Callable[..., Any]


@dataclass(frozen=True)
class MiddlewareContext:
    """What a middleware sees: the route (as declared in YAML) and the request's path parameters.

    ``tokens`` is the route's whole chain (group tokens first) and ``route`` everything the YAML declared, so a
    middleware can look at its neighbours (``csrf`` can tell whether ``auth`` runs) or at the route's handler.
    """

    route_name: str
    path: str
    methods: tuple[str, ...]
    view_args: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # "routes/file.yaml:12", for messages
    tokens: tuple[str, ...] = ()
    route: RouteEntry | None = None


#: A middleware returns ``None`` to let the request through, or a response that ends it (401, 403, a redirect ...).
#: Any werkzeug response will do: ``flask.Response`` and what ``flask.redirect`` returns.
Middleware = Callable[[MiddlewareContext], Response | None]
MiddlewareFactory = Callable[..., Middleware]


class RegistryError(ValueError):
    """A name registered twice, or a name that cannot be resolved."""


@dataclass
class Registry:
    """Named handlers and middleware tokens.

    Example::

        registry = Registry()
        registry.handler("ping")(lambda: "pong")
        registry.resolve_middleware("nope")   # None
    """

    handlers: dict[str, View] = field(default_factory=dict)
    tokens: dict[str, Middleware] = field(default_factory=dict)
    patterns: list[tuple[re.Pattern[str], MiddlewareFactory]] = field(default_factory=list)

    def handler(self, name: str) -> Callable[[View], View]:
        """Register ``view`` as the handler called ``name`` (re-importing the same function is allowed)."""

        def register(view: View) -> View:
            existing = self.handlers.get(name)
            if existing is not None and existing is not view and _qualname(existing) != _qualname(view):
                raise RegistryError(f"handler '{name}' is already registered by {_qualname(existing)}")
            self.handlers[name] = view
            return view

        return register

    def middleware(self, name: str) -> Callable[[Middleware], Middleware]:
        """Register a middleware token by its exact name."""

        def register(func: Middleware) -> Middleware:
            self.tokens[name] = func
            return func

        return register

    def middleware_pattern(self, pattern: str) -> Callable[[MiddlewareFactory], MiddlewareFactory]:
        """Register a factory for tokens matching ``pattern``; its named groups become its keyword arguments."""
        compiled = re.compile(pattern)

        def register(factory: MiddlewareFactory) -> MiddlewareFactory:
            self.patterns[:] = [(p, f) for p, f in self.patterns if p.pattern != compiled.pattern]
            self.patterns.append((compiled, factory))
            return factory

        return register

    def resolve_middleware(self, token: str) -> Middleware | None:
        """The middleware for ``token``, or ``None`` when no exact name or pattern knows it.

        A pattern's factory may raise :class:`RegistryError` (or ``ValueError``) to refuse its arguments.
        """
        if token in self.tokens:
            return self.tokens[token]
        for pattern, factory in self.patterns:
            match = pattern.fullmatch(token)
            if match:
                return factory(**match.groupdict())
        return None

    def known_tokens(self) -> list[str]:
        """Exact token names and patterns, for messages."""
        return sorted(self.tokens) + [p.pattern for p, _ in self.patterns]

    def token_names(self) -> list[str]:
        """Every token name a "did you mean" may suggest: exact names plus the expansions of simple patterns."""
        names = set(self.tokens)
        for pattern, _ in self.patterns:
            names.update(expand_pattern(pattern.pattern))
        return sorted(names)


REGISTRY = Registry()
HANDLERS = REGISTRY.handlers
MIDDLEWARE = REGISTRY.tokens
MIDDLEWARE_PATTERNS = REGISTRY.patterns


def handler(name: str) -> Callable[[View], View]:
    """Register ``view`` as the handler called ``name`` in route files."""
    return REGISTRY.handler(name)


def middleware(name: str) -> Callable[[Middleware], Middleware]:
    """Register a middleware token by its exact name."""
    return REGISTRY.middleware(name)


def middleware_pattern(pattern: str) -> Callable[[MiddlewareFactory], MiddlewareFactory]:
    """Register a factory for tokens matching ``pattern``; its named groups become the factory's keyword arguments."""
    return REGISTRY.middleware_pattern(pattern)


def resolve_middleware(token: str) -> Middleware | None:
    """The middleware for ``token``, or ``None`` when no exact name or pattern knows it."""
    return REGISTRY.resolve_middleware(token)


def known_tokens() -> list[str]:
    """Exact token names and patterns, for "did you mean" messages."""
    return REGISTRY.known_tokens()


_GROUP = re.compile(r"\((?:\?P<\w+>|\?:)?([^()]*)\)")
_META = re.compile(r"[.^$*+?{}\[\]\\|()]")
MAX_EXPANSION = 500


def expand_pattern(pattern: str) -> list[str]:
    """The strings a simple pattern matches: literals and groups of literal alternatives, else none.

    Example: ``expand_pattern("queue_(?P<perm>ro|rw)")`` is ``["queue_ro", "queue_rw"]``.
    """
    pieces: list[list[str]] = []
    position = 0
    for match in _GROUP.finditer(pattern):
        pieces.append([pattern[position : match.start()]])
        pieces.append(match.group(1).split("|"))
        position = match.end()
    pieces.append([pattern[position:]])
    if any(_META.search(option) for options in pieces for option in options):
        return []
    combinations = 1
    for options in pieces:
        combinations *= len(options)
    if combinations > MAX_EXPANSION:
        return []
    return ["".join(parts) for parts in itertools.product(*pieces)]


def _qualname(func: Callable[..., Any]) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"

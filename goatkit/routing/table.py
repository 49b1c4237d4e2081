"""The live route table of a Flask app, built from the route files and swapped whole on reload.

How a table is swapped (and why requests never see half of one):

* Each route entry becomes a :class:`RouteRule`, a werkzeug ``Rule`` that carries the entry and its composed view
  (middleware chain, rate limit, then the handler, template or redirect).  A new table is a complete new werkzeug
  ``Map`` holding these rules plus copies of the app's other rules (``static``, blueprints, ``app.get`` views),
  fully compiled (``Map.update()``) before anyone sees it.
* Installing it is one attribute assignment, ``app.url_map = new_map``, which is atomic.  Flask reads
  ``app.url_map`` once per request, when the request context binds its URL adapter; matching and ``url_for`` then
  use that adapter, so a request runs entirely against the table that was current when it arrived.
* The view dict needs no swap: every route endpoint maps, in ``app.view_functions``, to the same :func:`dispatch`
  function, which calls the view carried by the matched rule (``request.url_rule``).  New endpoints are added
  before the map is swapped; stale ones stay harmlessly pointing at :func:`dispatch`.

Example::

    router = init_routes(app, Path("routes"), watch=settings.routes_watch)
    router.entries[0].label           # 'GET /'
    router.reload()                   # True, or False with the errors logged and the old table kept
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, has_request_context, redirect, render_template, request
from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError
from werkzeug.routing import Rule

from goatkit.routing.entry import RouteEntry, fill_params
from goatkit.routing.loader import DEFAULT_REDIRECT_STATUS, ExistingRule, RouteError, load_routes
from goatkit.routing.ratelimit import RateLimiter
from goatkit.routing.registry import REGISTRY, MiddlewareContext, Registry, View

log = logging.getLogger("goatkit.routing")

EXTENSION_KEY = "goatkit.routing"


class RouteRule(Rule):
    """A werkzeug rule that knows its route entry and the view that serves it."""

    entry: RouteEntry
    view: View


def dispatch(**view_args: Any) -> Any:
    """The Flask view of every route endpoint: run the view of the rule that matched this request."""
    rule = request.url_rule
    if not isinstance(rule, RouteRule):
        abort(404)
    return rule.view(**view_args)


def current_route() -> RouteEntry | None:
    """The route entry serving this request (``None`` outside a request or for non-route views).

    Example: a handler that renders the template its route names::

        return render_template(current_route().template, ...)
    """
    rule = request.url_rule if has_request_context() else None
    return rule.entry if isinstance(rule, RouteRule) else None


def compose(entry: RouteEntry) -> View:
    """The view of one entry: its middleware in order (a response stops the chain), its rate limit, its target."""
    limiter = RateLimiter(entry) if entry.rate_limit else None

    def view(**view_args: Any) -> Any:
        context = MiddlewareContext(
            route_name=entry.endpoint,
            path=entry.path,
            methods=entry.route_methods,
            view_args=view_args,
            source=entry.source,
            tokens=entry.middleware,
            route=entry,
        )
        for middleware in entry.chain:
            response = middleware(context)
            if response is not None:
                return response
        if limiter is not None:
            blocked = limiter.check()
            if blocked is not None:
                return blocked
        return _serve(entry, view_args)

    return view


def _serve(entry: RouteEntry, view_args: dict[str, Any]) -> Any:
    if entry.view is not None:
        return current_app.ensure_sync(entry.view)(**view_args)
    if entry.template:
        return render_template(entry.template, **view_args)
    return redirect(fill_params(entry.redirect_to, view_args), code=entry.status or DEFAULT_REDIRECT_STATUS)


class Router:
    """Loads the route files of one app and installs them as its route table."""

    def __init__(self, app: Flask, directory: Path, registry: Registry = REGISTRY) -> None:
        self.app = app
        self.directory = directory
        self.registry = registry
        self.entries: tuple[RouteEntry, ...] = ()
        self._lock = threading.Lock()
        self._watcher: Any = None

    def load(self) -> list[RouteEntry]:
        """Read and resolve the route files; raise :class:`RouteError` with every problem."""
        return load_routes(
            self.directory, registry=self.registry, template_check=self._template_problem, existing=self._existing()
        )

    def install(self, entries: Iterable[RouteEntry]) -> None:
        """Build a complete map for ``entries`` and swap it in (see the module docstring)."""
        with self._lock:
            entries = tuple(entries)
            old = self.app.url_map
            new = type(old)(
                [*self._foreign_rules(), *_route_rules(entries)],
                default_subdomain=old.default_subdomain,
                strict_slashes=old.strict_slashes,
                merge_slashes=old.merge_slashes,
                redirect_defaults=old.redirect_defaults,
                converters=old.converters,
                sort_parameters=old.sort_parameters,
                sort_key=old.sort_key,
                host_matching=old.host_matching,
            )
            new.update()
            for entry in entries:
                self.app.view_functions.setdefault(entry.endpoint, dispatch)
            self.app.url_map = new
            self.entries = entries

    def reload(self) -> bool:
        """Load and install again; on errors log each one (file:line) and keep the current table."""
        try:
            entries = self.load()
        except RouteError as exc:
            for problem in exc.problems:
                log.error("routes not reloaded, keeping the previous table: %s", problem)
            return False
        self.install(entries)
        log.info("routes reloaded: %d route(s) from %s", len(entries), self.directory)
        return True

    def watch(self, debounce: float = 0.2) -> None:
        """Reload whenever a file of the routes directory changes (a watchdog observer; see ``watch.py``)."""
        from goatkit.routing.watch import RouteWatcher

        if self._watcher is None:
            self._watcher = RouteWatcher(self, debounce=debounce)
            self._watcher.start()

    @property
    def watching(self) -> bool:
        """Whether a watcher reloads this router's files."""
        return self._watcher is not None

    def stop(self) -> None:
        """Stop watching (tests, shutdown)."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def _foreign_rules(self) -> list[Rule]:
        copies = []
        for rule in self.app.url_map.iter_rules():
            if isinstance(rule, RouteRule):
                continue
            copy = rule.empty()
            if hasattr(rule, "provide_automatic_options"):
                copy.provide_automatic_options = rule.provide_automatic_options  # type: ignore[attr-defined]
            copies.append(copy)
        return copies

    def _existing(self) -> list[ExistingRule]:
        rules = [
            ExistingRule(rule.rule, frozenset(rule.methods or ()), rule.endpoint)
            for rule in self.app.url_map.iter_rules()
            if not isinstance(rule, RouteRule)
        ]
        named = {rule.endpoint for rule in rules}
        views = [name for name, view in self.app.view_functions.items() if view is not dispatch and name not in named]
        return rules + [ExistingRule("", frozenset(), name) for name in views]

    def _template_problem(self, name: str) -> str | None:
        try:
            self.app.jinja_env.get_template(name)
        except TemplateNotFound:
            return f"template '{name}' not found"
        except TemplateSyntaxError as exc:
            return f"template '{name}' has a syntax error at line {exc.lineno}: {exc.message}"
        except TemplateError as exc:
            return f"template '{name}' cannot be loaded: {exc.message}"
        return None


def _route_rules(entries: tuple[RouteEntry, ...]) -> list[Rule]:
    rules: list[Rule] = []
    declares_options = {entry.rule for entry in entries if entry.method == "OPTIONS"}
    with_options: set[str] = set()
    for entry in entries:
        methods = [entry.method]
        automatic = entry.rule not in declares_options and entry.rule not in with_options
        if automatic:
            methods.append("OPTIONS")
            with_options.add(entry.rule)
        rule = RouteRule(entry.rule, methods=methods, endpoint=entry.endpoint)
        rule.entry = entry
        rule.view = compose(entry)
        rule.provide_automatic_options = automatic  # type: ignore[attr-defined]
        rules.append(rule)
    return rules


def init_routes(app: Flask, directory: Path, *, registry: Registry = REGISTRY, watch: bool = False) -> Router:
    """Serve the route files of ``directory`` in ``app``; raise :class:`RouteError` if they cannot be served.

    Import the modules that register handlers and middleware before calling this.

    Example::

        importlib.import_module("my_app.views")       # @handler("home.index") ...
        router = init_routes(app, Path("routes"), watch=True)
        current_router(app) is router                 # True
    """
    router = Router(app, directory, registry)
    router.install(router.load())
    app.extensions[EXTENSION_KEY] = router
    if watch:
        router.watch()
    return router


def current_router(app: Flask | None = None) -> Router:
    """The :class:`Router` of ``app`` (default: the current app)."""
    target: Any = app or current_app
    router = target.extensions.get(EXTENSION_KEY)
    if not isinstance(router, Router):
        raise RuntimeError("this Flask app serves no route files: call init_routes(app, directory)")
    return router

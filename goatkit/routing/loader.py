"""Read ``routes/*.yaml`` into route entries, or refuse with every error at once.

Each file holds one or more ``RouteGroup`` documents (see :mod:`goatkit.specs.routes`).  Groups with
``enabled: false`` are skipped.  Every name is resolved here, at start-up: handlers and middleware tokens against a
:class:`~goatkit.routing.registry.Registry`, templates against the app's Jinja loader.  Problems are collected and
raised together as one :class:`RouteError`, each as ``file:line: key: METHOD path: message`` with a suggestion
where one helps.

Example::

    entries = load_routes(Path("routes"))         # the process-wide registry
    entries[0].label                              # 'GET /'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from goatkit.checks import yaml_files
from goatkit.routing.entry import (
    RateLimitRule,
    RouteEntry,
    flask_rule,
    join_path,
    path_params,
    path_shape,
)
from goatkit.routing.registry import REGISTRY, Middleware, Registry, RegistryError, View
from goatkit.specs.base import read_specs
from goatkit.specs.routes import HttpMethod, Route, RouteGroupSpec
from goatkit.yamlfile import Document, KeyPath, Problem

#: Given a template name, says what is wrong with it (``None``: it exists).
TemplateCheck = Callable[[str], str | None]
DEFAULT_REDIRECT_STATUS = 302
TARGET_KEYS = "handler, handlers, template or redirectTo"


class RouteError(ValueError):
    """The route files cannot be served; ``problems`` lists every reason, each naming file, line and route."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(str(problem) for problem in problems)
        super().__init__(f"{len(problems)} route error(s):\n{lines}")


@dataclass(frozen=True)
class ExistingRule:
    """A Flask rule registered outside the route files (the static files, a blueprint): routes must not shadow it."""

    rule: str
    methods: frozenset[str]
    endpoint: str


def load_routes(
    directory: Path,
    *,
    registry: Registry = REGISTRY,
    template_check: TemplateCheck | None = None,
    existing: Iterable[ExistingRule] = (),
) -> list[RouteEntry]:
    """Load and resolve every route file of ``directory``; raise :class:`RouteError` listing all problems."""
    loader = _Loader(directory, registry, template_check, list(existing))
    for path in yaml_files(directory):
        loader.read_file(path)
    if loader.problems:
        raise RouteError(loader.problems)
    return loader.entries


class _Loader:
    def __init__(
        self, directory: Path, registry: Registry, template_check: TemplateCheck | None, existing: list[ExistingRule]
    ) -> None:
        self.directory = directory
        self.registry = registry
        self.template_check = template_check
        self.existing = existing
        self.problems: list[Problem] = []
        self.entries: list[RouteEntry] = []
        self.seen: dict[tuple[str, str], str] = {}  # (method, shape) -> "file:line"
        self.groups: dict[str, str] = {}  # group name -> "file:line"
        self.tokens: dict[str, Middleware | str] = {}  # token -> middleware, or why it is refused

    def read_file(self, path: Path) -> None:
        specs, problems = read_specs(path, RouteGroupSpec, shown=self._shown(path))
        self.problems.extend(problems)
        for doc, spec in specs:
            if spec.metadata.enabled:
                self.read_group(doc, spec)

    def read_group(self, doc: Document, spec: RouteGroupSpec) -> None:
        name = spec.metadata.name
        where = f"{doc.path}:{doc.start_line}"
        if name in self.groups:
            self._problem(doc, ("metadata", "name"), f"group '{name}'", f"already defined at {self.groups[name]}")
        self.groups.setdefault(name, where)
        chain = self._chain(doc, ("spec", "middleware"), f"group '{name}'", spec.spec.middleware)
        for index, route in enumerate(spec.spec.routes):
            self.read_route(doc, spec, ("spec", "routes", index), route, chain)

    def read_route(
        self, doc: Document, spec: RouteGroupSpec, key: KeyPath, route: Route, group_chain: list[Middleware]
    ) -> None:
        path = join_path(spec.spec.prefix, route.path)
        methods = _methods(route)
        label = f"{','.join(methods)} {path}"
        self._check_shape(doc, key, label, route, path)
        chain = group_chain + self._chain(doc, (*key, "middleware"), label, route.middleware)
        source = f"{doc.path}:{doc.line_of(key)}"
        reported: set[str] = set()
        for method in methods:
            handler_name = route.handlers.get(method, route.handler)
            handler_key = (*key, "handlers", method) if route.handlers else (*key, "handler")
            view = self._handler(doc, handler_key, label, handler_name, reported) if handler_name else None
            entry = RouteEntry(
                method=method,
                path=path,
                rule=flask_rule(path, {name: param.type for name, param in route.params.items()}),
                endpoint=route.name or handler_name or path,
                group=spec.metadata.name,
                source=source,
                route_methods=tuple(methods),
                handler=handler_name,
                template=route.template,
                redirect_to=route.redirect_to,
                status=(route.status or DEFAULT_REDIRECT_STATUS) if route.redirect_to else None,
                middleware=(*spec.spec.middleware, *route.middleware),
                rate_limit=_rate_limit(route),
                description=route.description,
                params={name: param.type for name, param in route.params.items()},
                view=view,
                chain=tuple(chain),
            )
            self._check_unique(doc, key, entry, (*key, "name") if route.name else handler_key)
            self.entries.append(entry)

    def _check_shape(self, doc: Document, key: KeyPath, label: str, route: Route, path: str) -> None:
        targets = [
            target
            for target, value in (
                ("handler", route.handler),
                ("handlers", route.handlers),
                ("template", route.template),
                ("redirectTo", route.redirect_to),
            )
            if value
        ]
        if not targets:
            self._problem(doc, key, label, f"the route has no {TARGET_KEYS}")
        elif len(targets) > 1:
            both = f"{targets[0]} and {targets[1]}"
            self._problem(doc, key, label, f"the route has both {both}; give only one of {TARGET_KEYS}")
        if route.handlers and "method" in route.model_fields_set:
            self._problem(doc, (*key, "method"), label, "give method or handlers, not both: handlers names the methods")
        if route.status is not None and not route.redirect_to:
            self._problem(doc, (*key, "status"), label, "status is only used with redirectTo")
        names = path_params(path)
        for name in sorted({n for n in names if names.count(n) > 1}):
            self._problem(doc, (*key, "path"), label, f"':{name}' appears more than once in the path")
        for name in route.params:
            if name not in names:
                self._problem(doc, (*key, "params", name), label, f"':{name}' is not a parameter of the path")
        for name in path_params(route.redirect_to):
            if name not in names:
                self._problem(doc, (*key, "redirectTo"), label, f"redirectTo uses ':{name}', which the path lacks")
        if route.template and self.template_check is not None:
            problem = self.template_check(route.template)
            if problem:
                self._problem(doc, (*key, "template"), label, problem)

    def _check_unique(self, doc: Document, key: KeyPath, entry: RouteEntry, endpoint_key: KeyPath) -> None:
        shape = path_shape(entry.path)
        first = self.seen.get((entry.method, shape))
        if first is not None:
            self._problem(doc, (*key, "path"), entry.label, f"duplicate route: already declared at {first}")
        self.seen.setdefault((entry.method, shape), entry.source)
        for rule in self.existing:
            if rule.endpoint == entry.endpoint:
                message = f"endpoint '{entry.endpoint}' is already a Flask view; give the route another name"
                self._problem(doc, endpoint_key, entry.label, message)
            elif path_shape(_colon_params(rule.rule)) == shape and entry.method in rule.methods - {"HEAD", "OPTIONS"}:
                message = f"duplicate route: Flask already serves it (endpoint '{rule.endpoint}')"
                self._problem(doc, (*key, "path"), entry.label, message)

    def _handler(self, doc: Document, key: KeyPath, label: str, name: str, reported: set[str]) -> View | None:
        view = self.registry.handlers.get(name)
        if view is None and name not in reported:
            reported.add(name)
            hint = _did_you_mean(name, self.registry.handlers) or "; no imported module registers it"
            self._problem(doc, key, label, f"unknown handler '{name}'{hint}")
        return view

    def _chain(self, doc: Document, key: KeyPath, label: str, tokens: list[str]) -> list[Middleware]:
        chain = []
        for index, token in enumerate(tokens):
            found = self._token(token)
            if isinstance(found, str):
                self._problem(doc, (*key, index), label, found)
            else:
                chain.append(found)
        return chain

    def _token(self, token: str) -> Middleware | str:
        if token not in self.tokens:
            try:
                found = self.registry.resolve_middleware(token)
            except (RegistryError, ValueError, TypeError) as exc:
                self.tokens[token] = f"middleware token '{token}' is refused: {exc}"
            else:
                self.tokens[token] = found if found is not None else self._unknown_token(token)
        return self.tokens[token]

    def _unknown_token(self, token: str) -> str:
        hint = _did_you_mean(token, self.registry.token_names())
        if not hint:
            hint = "; known tokens: " + (", ".join(self.registry.known_tokens()) or "none")
        return f"unknown middleware token '{token}'{hint}"

    def _problem(self, doc: Document, key: KeyPath, label: str, message: str) -> None:
        dotted = ".".join(str(part) for part in key)
        self.problems.append(Problem(str(doc.path), doc.line_of(key), dotted, f"{label}: {message}"))

    def _shown(self, path: Path) -> str:
        """Paths in messages are relative to the routes directory's parent: ``routes/core.yaml``."""
        try:
            return str(path.relative_to(self.directory.parent))
        except ValueError:
            return str(path)


def _methods(route: Route) -> list[HttpMethod]:
    declared: list[HttpMethod] = list(route.handlers) or (
        [route.method] if isinstance(route.method, str) else route.method
    )
    return list(dict.fromkeys(declared))


def _rate_limit(route: Route) -> RateLimitRule | None:
    limit = route.rate_limit
    return RateLimitRule(limit.requests, limit.period, limit.key) if limit else None


def _colon_params(rule: str) -> str:
    """A werkzeug rule in gin syntax, so it can be compared with route paths: ``/static/<path:f>`` → ``/static/:f``."""
    return re.sub(r"<(?:[^>:]+:)?([^>]+)>", r":\1", rule)


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""

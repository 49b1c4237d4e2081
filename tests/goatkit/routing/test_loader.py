"""The loader refuses route files it cannot serve, naming file:line, key and route, and suggesting the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from goatkit.routing import Registry, RouteError, load_routes
from goatkit.routing.registry import expand_pattern
from tests.goatkit.routing.conftest import AppMaker, group, write_routes


def errors(tmp_path: Path, registry: Registry, files: dict[str, str]) -> list[str]:
    write_routes(tmp_path / "routes", files)
    with pytest.raises(RouteError) as caught:
        load_routes(tmp_path / "routes", registry=registry)
    assert str(caught.value).splitlines()[0] == f"{len(caught.value.problems)} route error(s):"
    assert str(caught.value).splitlines()[1:] == [str(p) for p in caught.value.problems]
    return [str(problem) for problem in caught.value.problems]


def test_unknown_handler_suggests_the_close_name(tmp_path: Path, registry: Registry) -> None:
    routes = (
        "  prefix: /x\n  routes:\n    - {path: /one, handler: t.helo}\n    - {path: /two, handler: nothing.like.it}\n"
    )
    assert errors(tmp_path, registry, {"a.yaml": group("a", routes)}) == [
        "routes/a.yaml:7: spec.routes.0.handler: GET /x/one: unknown handler 't.helo'; did you mean 't.hello'?",
        "routes/a.yaml:8: spec.routes.1.handler: GET /x/two: unknown handler 'nothing.like.it'; "
        "no imported module registers it",
    ]


def test_unknown_handler_in_a_handlers_map(tmp_path: Path, registry: Registry) -> None:
    routes = "  routes:\n    - path: /x\n      handlers:\n        GET: t.hello\n        POST: t.craete\n"
    assert errors(tmp_path, registry, {"a.yaml": group("a", routes)}) == [
        "routes/a.yaml:9: spec.routes.0.handlers.POST: GET,POST /x: unknown handler 't.craete'; "
        "did you mean 't.create'?",
    ]


def test_unknown_middleware_tokens_suggest_names_and_pattern_expansions(tmp_path: Path, registry: Registry) -> None:
    routes = (
        "  middleware: [first, frist]\n"
        "  routes:\n"
        "    - {path: /a, handler: t.hello, middleware: [role_rx]}\n"
        "    - {path: /b, method: [GET, POST], handler: t.hello, middleware: [zzz, frist]}\n"
    )
    assert errors(tmp_path, registry, {"a.yaml": group("g", routes)}) == [
        "routes/a.yaml:5: spec.middleware.1: group 'g': unknown middleware token 'frist'; did you mean 'first'?",
        "routes/a.yaml:7: spec.routes.0.middleware.0: GET /a: unknown middleware token 'role_rx'; "
        "did you mean 'role_rw'?",
        "routes/a.yaml:8: spec.routes.1.middleware.0: GET,POST /b: unknown middleware token 'zzz'; known tokens: "
        "deny, first, second, sign_in, third, role_(?P<role>ro|rw)",
        "routes/a.yaml:8: spec.routes.1.middleware.1: GET,POST /b: unknown middleware token 'frist'; "
        "did you mean 'first'?",
    ]


def test_a_token_factory_may_refuse_its_arguments(tmp_path: Path, registry: Registry) -> None:
    def only_small(size: str) -> None:
        raise ValueError(f"size {size} is too large")

    registry.middleware_pattern(r"size_(?P<size>\d+)")(only_small)
    routes = "  routes:\n    - {path: /a, handler: t.hello, middleware: [size_99]}\n"
    assert errors(tmp_path, registry, {"a.yaml": group("g", routes)}) == [
        "routes/a.yaml:6: spec.routes.0.middleware.0: GET /a: middleware token 'size_99' is refused: "
        "size 99 is too large",
    ]


def test_a_route_needs_exactly_one_target(tmp_path: Path, registry: Registry) -> None:
    routes = (
        "  routes:\n"
        "    - path: /nothing\n"
        "      description: serves nothing\n"
        "    - {path: /both, handler: t.hello, redirectTo: /x}\n"
        "    - {path: /mixed, handler: t.hello, handlers: {POST: t.create}}\n"
        "    - {path: /tpl, template: page.html, redirectTo: /x}\n"
    )
    assert errors(tmp_path, registry, {"a.yaml": group("g", routes)}) == [
        "routes/a.yaml:6: spec.routes.0: GET /nothing: the route has no handler, handlers, template or redirectTo",
        "routes/a.yaml:8: spec.routes.1: GET /both: the route has both handler and redirectTo; "
        "give only one of handler, handlers, template or redirectTo",
        "routes/a.yaml:9: spec.routes.2: POST /mixed: the route has both handler and handlers; "
        "give only one of handler, handlers, template or redirectTo",
        "routes/a.yaml:10: spec.routes.3: GET /tpl: the route has both template and redirectTo; "
        "give only one of handler, handlers, template or redirectTo",
    ]


def test_keys_that_would_be_silently_ignored_are_errors(tmp_path: Path, registry: Registry) -> None:
    routes = (
        "  routes:\n"
        "    - {path: /a, handler: t.hello, status: 301}\n"
        "    - {path: /b, method: POST, handlers: {GET: t.hello}}\n"
        "    - {path: /c/:id, handler: t.show, params: {id: {type: int}, other: {type: int}}}\n"
        "    - {path: /d/:id, redirectTo: '/e/:id/:name'}\n"
        "    - {path: '/f/:id/:id', handler: t.show}\n"
    )
    assert errors(tmp_path, registry, {"a.yaml": group("g", routes)}) == [
        "routes/a.yaml:6: spec.routes.0.status: GET /a: status is only used with redirectTo",
        "routes/a.yaml:7: spec.routes.1.method: GET /b: give method or handlers, not both: handlers names the methods",
        "routes/a.yaml:8: spec.routes.2.params.other: GET /c/:id: ':other' is not a parameter of the path",
        "routes/a.yaml:9: spec.routes.3.redirectTo: GET /d/:id: redirectTo uses ':name', which the path lacks",
        "routes/a.yaml:10: spec.routes.4.path: GET /f/:id/:id: ':id' appears more than once in the path",
    ]


def test_duplicate_routes_across_two_files_name_both_places(tmp_path: Path, registry: Registry) -> None:
    first = group("a", "  prefix: /t\n  routes:\n    - {path: /:id, method: [GET, POST], handler: t.show}\n")
    second = group("b", "  routes:\n    - {path: /t/:ticket, method: [PUT, POST], handler: t.show}\n")
    assert errors(tmp_path, registry, {"a.yaml": first, "b.yaml": second}) == [
        "routes/b.yaml:6: spec.routes.0.path: POST /t/:ticket: duplicate route: already declared at routes/a.yaml:7",
    ]


def test_duplicate_group_names_and_shape_errors(tmp_path: Path, registry: Registry) -> None:
    files = {
        "a.yaml": group("same", "  routes:\n    - {path: /a, handler: t.hello}\n"),
        "b.yaml": group("same", "  routes:\n    - {path: /b, handler: t.hello, handlr: x}\n")
        + "---\n"
        + group("c", "  routes:\n    - {path: /c, handler: t.hello}\n"),
        "c.yaml": "apiVersion: v1\nkind: [unclosed\n",
    }
    assert errors(tmp_path, registry, files) == [
        "routes/b.yaml:6: spec.routes.0.handlr: unknown key; did you mean 'handler'?",
        "routes/c.yaml:3: invalid YAML: expected ',' or ']', but got '<stream end>'",
    ]
    files["b.yaml"] = group("same", "  routes:\n    - {path: /b, handler: t.hello}\n")
    assert errors(tmp_path, registry, files | {"c.yaml": group("c", "  routes: []\n")}) == [
        "routes/b.yaml:3: metadata.name: group 'same': already defined at routes/a.yaml:1",
    ]


def test_disabled_groups_are_skipped_unresolved(tmp_path: Path, registry: Registry) -> None:
    disabled = group("later", "  routes:\n    - {path: /later, handler: not.written.yet}\n").replace(
        "{name: later}", "{name: later, enabled: false}"
    )
    write_routes(tmp_path / "routes", {"a.yaml": group("live", "  routes:\n    - {path: /, handler: t.hello}\n")})
    write_routes(tmp_path / "routes", {"later.yaml": disabled})
    assert [e.label for e in load_routes(tmp_path / "routes", registry=registry)] == ["GET /"]


def test_templates_and_flask_views_are_checked_against_the_app(make_app: AppMaker) -> None:
    routes = (
        "  routes:\n"
        "    - {path: /missing, template: nowhere.html}\n"
        "    - {path: /static/:filename, handler: t.hello}\n"
        "    - {path: /named, handler: t.hello, name: static}\n"
    )
    with pytest.raises(RouteError) as caught:
        make_app({"a.yaml": group("g", routes)})
    assert [str(p) for p in caught.value.problems] == [
        "routes/a.yaml:6: spec.routes.0.template: GET /missing: template 'nowhere.html' not found",
        "routes/a.yaml:7: spec.routes.1.path: GET /static/:filename: duplicate route: "
        "Flask already serves it (endpoint 'static')",
        "routes/a.yaml:8: spec.routes.2.name: GET /named: endpoint 'static' is already a Flask view; "
        "give the route another name",
    ]


@pytest.mark.parametrize(
    ("pattern", "names"),
    [
        ("queue_(?P<perm>ro|rw)", ["queue_ro", "queue_rw"]),
        ("(?:a|b)_(?P<x>1|2)", ["a_1", "a_2", "b_1", "b_2"]),
        ("plain", ["plain"]),
        (r"size_(?P<n>\d+)", []),
        ("any.*", []),
    ],
)
def test_simple_patterns_expand_for_suggestions(pattern: str, names: list[str]) -> None:
    assert expand_pattern(pattern) == names

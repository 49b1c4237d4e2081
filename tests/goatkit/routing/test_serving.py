"""Every route key works when served: methods, handler maps, templates, redirects, params, middleware, url_for."""

from __future__ import annotations

from flask import url_for

from goatkit.routing import Registry, current_route, current_router
from tests.goatkit.routing.conftest import SEEN, AppMaker, group


def test_a_method_list_answers_each_method_and_405_otherwise(make_app: AppMaker) -> None:
    app = make_app({"a.yaml": group("g", "  routes:\n    - {path: /x, method: [GET, POST], handler: t.hello}\n")})
    client = app.test_client()
    assert client.get("/x").get_data(as_text=True) == "hello"
    assert client.post("/x").get_data(as_text=True) == "hello"
    refused = client.put("/x")
    assert refused.status_code == 405
    assert set(refused.headers["Allow"].split(", ")) >= {"GET", "POST"}
    options = client.options("/x")
    assert options.status_code == 200 and set(options.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_a_handlers_map_sends_each_method_to_its_handler(make_app: AppMaker) -> None:
    routes = "  routes:\n    - path: /items\n      handlers: {GET: t.hello, POST: t.create}\n"
    app = make_app({"a.yaml": group("g", routes)})
    client = app.test_client()
    assert (client.get("/items").status_code, client.get("/items").get_data(as_text=True)) == (200, "hello")
    created = client.post("/items")
    assert (created.status_code, created.get_data(as_text=True)) == (201, "created")
    with app.test_request_context():
        assert url_for("t.hello") == url_for("t.create") == "/items"


def test_a_template_only_route_renders_its_template_with_the_path_params(make_app: AppMaker) -> None:
    app = make_app({"a.yaml": group("g", "  routes:\n    - {path: /pages/:id, template: page.html, name: page}\n")})
    assert app.test_client().get("/pages/7").get_data(as_text=True) == "Page 7"
    with app.test_request_context():
        assert url_for("page", id="intro") == "/pages/intro"


def test_redirects_substitute_params_and_default_to_302(make_app: AppMaker) -> None:
    routes = (
        "  routes:\n"
        "    - {path: /old/:id, redirectTo: /new/:id}\n"
        "    - {path: /gone, redirectTo: 'https://example.org/x', status: 301}\n"
    )
    client = make_app({"a.yaml": group("g", routes)}).test_client()
    moved = client.get("/old/a%20b")
    assert (moved.status_code, moved.headers["Location"]) == (302, "/new/a%20b")
    gone = client.get("/gone")
    assert (gone.status_code, gone.headers["Location"]) == (301, "https://example.org/x")


def test_typed_params_convert_and_refuse_what_does_not_fit(make_app: AppMaker) -> None:
    routes = (
        "  routes:\n"
        "    - {path: /items/:id, handler: t.show, params: {id: {type: int}}}\n"
        "    - {path: /names/:id, handler: t.show}\n"
    )
    client = make_app({"a.yaml": group("g", routes)}).test_client()
    assert client.get("/items/5").get_data(as_text=True) == "show 5"
    assert client.get("/items/abc").status_code == 404
    assert client.get("/names/5").get_data(as_text=True) == "show '5'"


def test_prefixes_join_like_gin(make_app: AppMaker) -> None:
    files = {
        "a.yaml": group("root", "  prefix: /\n  routes:\n    - {path: /hello, handler: t.hello}\n"),
        "b.yaml": group("admin", "  prefix: /admin\n  routes:\n    - {path: /, handler: t.create}\n"),
    }
    app = make_app(files)
    assert [entry.label for entry in current_router(app).entries] == ["GET /hello", "GET /admin/"]
    client = app.test_client()
    assert client.get("/hello").status_code == 200
    assert client.get("/admin/").status_code == 201


def test_group_middleware_runs_before_route_middleware_in_order(make_app: AppMaker) -> None:
    routes = (
        "  middleware: [first, second]\n"
        "  routes:\n"
        "    - {path: '/trail/:id', handler: t.trail, middleware: [third, role_ro]}\n"
    )
    app = make_app({"a.yaml": group("g", routes)})
    assert app.test_client().get("/trail/3").get_data(as_text=True) == "first,second,third,role ro"
    context = SEEN[0]
    assert context.tokens == ("first", "second", "third", "role_ro")
    assert (context.route_name, context.path, context.methods) == ("t.trail", "/trail/:id", ("GET",))
    assert context.view_args == {"id": "3"} and context.source == "routes/a.yaml:7"
    assert context.route is not None and context.route.handler == "t.trail"


def test_a_middleware_response_stops_the_chain(make_app: AppMaker) -> None:
    routes = "  middleware: [first, deny]\n  routes:\n    - {path: /closed, handler: t.trail, middleware: [third]}\n"
    app = make_app({"a.yaml": group("g", routes)})
    response = app.test_client().get("/closed", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "No entry."
    assert [context.tokens[0] for context in SEEN] == ["first"]  # neither 'third' nor the handler ran


def test_url_for_builds_routes_by_handler_or_name_and_static_survives(make_app: AppMaker) -> None:
    routes = (
        "  routes:\n"
        "    - {path: '/items/:id', handler: t.show, params: {id: {type: int}}}\n"
        "    - {path: /link, handler: t.link}\n"
        "    - {path: /about, handler: t.hello, name: about}\n"
    )
    app = make_app({"a.yaml": group("g", routes)})
    assert app.test_client().get("/link").get_data(as_text=True) == "/items/5"
    with app.test_request_context():
        assert url_for("about") == "/about"
        assert url_for("static", filename="app.css") == "/static/app.css"


def test_views_added_to_the_app_survive_a_reload(make_app: AppMaker) -> None:
    app = make_app({"a.yaml": group("g", "  routes:\n    - {path: /a, handler: t.hello}\n")})

    @app.get("/extra")
    def extra() -> str:
        return "extra"

    assert current_router(app).reload() is True
    client = app.test_client()
    assert client.get("/extra").get_data(as_text=True) == "extra"
    assert client.get("/a").get_data(as_text=True) == "hello"


def test_a_handler_can_read_its_route(make_app: AppMaker, registry: Registry) -> None:
    registry.handler("t.describe")(lambda: f"{current_route().description} ({current_route().group})")
    routes = "  routes:\n    - {path: /a, handler: t.describe, description: Says hi}\n"
    app = make_app({"a.yaml": group("g", routes)})
    assert app.test_client().get("/a").get_data(as_text=True) == "Says hi (g)"
    with app.app_context():
        assert current_route() is None  # outside a request

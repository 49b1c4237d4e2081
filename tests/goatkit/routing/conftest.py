"""A test registry (handlers and tokens of its own) and a small Flask app that serves a temporary routes folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, g, url_for
from jinja2 import ChoiceLoader, FileSystemLoader

from goatkit.auth.identity import Identity, set_identity
from goatkit.errors import error_response, init_error_handlers
from goatkit.platform import Platform, current_platform
from goatkit.routing import MiddlewareContext, Registry, init_routes
from goatkit.settings import load_settings

GOATKIT_TEMPLATES = Path(__file__).resolve().parents[3] / "goatkit" / "templates"
HEADER = "apiVersion: v1\nkind: RouteGroup\n"

#: What the recording middleware saw, across requests of one test.
SEEN: list[MiddlewareContext] = []


def group(name: str, body: str) -> str:
    """A RouteGroup document: ``body`` is the YAML under ``spec:``, indented by two spaces."""
    return f"{HEADER}metadata: {{name: {name}}}\nspec:\n{body}"


def build_registry() -> Registry:
    registry = Registry()
    registry.handler("t.hello")(lambda: "hello")
    registry.handler("t.create")(lambda: ("created", 201))
    registry.handler("t.show")(lambda id: f"show {id!r}")
    registry.handler("t.trail")(lambda **_: ",".join(g.get("trail", [])))
    registry.handler("t.link")(lambda: url_for("t.show", id=5))

    def recorder(name: str) -> Callable[[MiddlewareContext], Response | None]:
        def record(ctx: MiddlewareContext) -> None:
            g.setdefault("trail", []).append(name)
            SEEN.append(ctx)

        return record

    for name in ("first", "second", "third"):
        registry.middleware(name)(recorder(name))
    registry.middleware("deny")(lambda ctx: error_response(403, "No entry."))

    def sign_in(ctx: MiddlewareContext) -> None:
        set_identity(Identity(realm="agent", id=7, login="ann"))

    registry.middleware("sign_in")(sign_in)
    registry.middleware_pattern(r"role_(?P<role>ro|rw)")(lambda role: recorder(f"role {role}"))
    return registry


@pytest.fixture
def registry() -> Iterator[Registry]:
    SEEN.clear()
    yield build_registry()
    SEEN.clear()


def write_routes(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)


AppMaker = Callable[..., Flask]


@pytest.fixture
def make_app(tmp_path: Path, registry: Registry, sqlite_url: str) -> Iterator[AppMaker]:
    """``make_app({"a.yaml": ...}, redis_url=...)`` → a Flask app serving ``tmp_path/routes``."""
    apps: list[Flask] = []

    def make(files: dict[str, str], *, watch: bool = False, **settings: Any) -> Flask:
        write_routes(tmp_path / "routes", files)
        templates = tmp_path / "templates"
        templates.mkdir(exist_ok=True)
        (templates / "page.html").write_text("Page {{ id }}")
        app = Flask("routing_test", root_path=str(tmp_path))
        app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
            [FileSystemLoader(str(templates)), FileSystemLoader(str(GOATKIT_TEMPLATES))]
        )
        config = {"var_dir": tmp_path / "var", "database_url": sqlite_url, "log_format": "text", **settings}
        Platform(load_settings(**config), root=tmp_path).init_app(app)
        init_error_handlers(app)
        apps.append(app)
        init_routes(app, tmp_path / "routes", registry=registry, watch=watch)
        return app

    yield make
    for app in apps:
        router = app.extensions.get("goatkit.routing")
        if router is not None:
            router.stop()
        current_platform(app).close()

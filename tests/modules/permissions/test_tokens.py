"""The route tokens admin, queue_<key>, queue_access_<key> and ticket_access_<key>, served from a routes YAML."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient
from sqlalchemy import Engine

from goatkit.auth.identity import Identity, current_identity, set_identity
from goatkit.errors import init_error_handlers
from goatkit.platform import Platform, current_platform
from goatkit.routing import init_routes
from goatkit.routing.registry import REGISTRY, Registry
from goatkit.settings import load_settings
from modules.permissions import PERMISSION_KEYS, agent_permissions
from modules.permissions.tokens import register_tokens
from modules.settings import GotrsSettings
from tests.modules.permissions.world import ADMIN_GROUP, RAW_QUEUE, ROOT, StatementCounter, World

GOATKIT = Path(__file__).resolve().parents[3] / "goatkit"
JSON = {"Accept": "application/json"}


def routes_yaml() -> str:
    routes = ["    - {path: /admin, handler: test.ok, middleware: [admin]}"]
    for key in PERMISSION_KEYS:
        routes += [
            f"    - {{path: /any/{key}, handler: test.ok, middleware: [queue_{key}]}}",
            f"    - {{path: /queue/{key}/:queue_id, handler: test.ok, middleware: [queue_access_{key}]}}",
            f"    - {{path: /queue-id/{key}/:id, handler: test.ok, middleware: [queue_access_{key}]}}",
            f"    - {{path: /queue-query/{key}, handler: test.ok, middleware: [queue_access_{key}]}}",
            f"    - {{path: /ticket/{key}/:ticket_id, handler: test.ok, middleware: [ticket_access_{key}]}}",
            f"    - {{path: /ticket-id/{key}/:id, handler: test.ok, middleware: [ticket_access_{key}]}}",
        ]
    routes.append("    - {path: /checks/:ticket_id, handler: test.checks, middleware: [queue_ro, ticket_access_ro]}")
    head = "apiVersion: v1\nkind: RouteGroup\nmetadata: {name: permission-tokens}\nspec:\n  prefix: /t\n  routes:\n"
    return head + "\n".join(routes) + "\n"


def make_app(db_url: str, tmp_path: Path, **settings: Any) -> Flask:
    app = Flask(__name__, static_folder=str(GOATKIT / "static"), template_folder=str(GOATKIT / "templates"))
    Platform(load_settings(GotrsSettings, database_url=db_url, var_dir=tmp_path, **settings)).init_app(app)
    init_error_handlers(app)

    @app.before_request
    def sign_in() -> None:  # "agent:5" or "customer:jdoe", standing in for the auth layer
        realm, _, who = request.headers.get("X-Test-As", "").partition(":")
        if realm:
            set_identity(Identity(realm, int(who) if realm == "agent" else who, who))

    registry = Registry()
    register_tokens(registry)
    registry.handler("test.ok")(lambda **_: jsonify(ok=True))
    registry.handler("test.checks")(many_checks)
    routes = tmp_path / "routes"
    routes.mkdir()
    (routes / "permissions.yaml").write_text(routes_yaml())
    init_routes(app, routes, registry=registry)
    return app


def many_checks(ticket_id: str) -> Any:
    """A page that asks the permission map again and again, as a template with many links would."""
    identity = current_identity()
    assert identity is not None
    with current_platform().engine.connect() as conn:
        results = [agent_permissions(conn, int(identity.id)).has(1, "ro") for _ in range(int(request.args["n"]))]
    return jsonify(checks=len(results))


@pytest.fixture
def app(db_url: str, tmp_path: Path, engine: Engine) -> Iterator[Flask]:
    app = make_app(db_url, tmp_path)
    yield app
    current_platform(app).close()


def get(client: FlaskClient, path: str, who: str | None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    response = client.get(path, headers={**JSON, **({"X-Test-As": who} if who else {}), **(headers or {})})
    body = response.get_json(silent=True) or {}
    return response.status_code, body.get("error", {}).get("message", "ok" if response.status_code == 200 else "")


def test_every_token_allows_exactly_its_key(app: Flask, world: World) -> None:
    group = world.group("sales")
    queue = world.queue("Sales", group)
    ticket = world.ticket(queue)
    agents = {key: world.agent(f"only-{key}") for key in PERMISSION_KEYS}
    for key, user_id in agents.items():
        world.grant(user_id, group, key)
    client = app.test_client()
    for held, user_id in agents.items():
        for asked in PERMISSION_KEYS:
            allowed = held in (asked, "rw")
            expected = {
                f"/t/any/{asked}": f"You need the '{asked}' permission on at least one queue.",
                f"/t/queue/{asked}/{queue}": f"You need the '{asked}' permission on queue 'Sales'.",
                f"/t/queue-id/{asked}/{queue}": f"You need the '{asked}' permission on queue 'Sales'.",
                f"/t/queue-query/{asked}?queue_id={queue}": f"You need the '{asked}' permission on queue 'Sales'.",
                f"/t/ticket/{asked}/{ticket}": f"You need the '{asked}' permission on ticket {ticket}.",
                f"/t/ticket-id/{asked}/{ticket}": f"You need the '{asked}' permission on ticket {ticket}.",
            }
            for path, refusal in expected.items():
                answer = get(client, path, f"agent:{user_id}")
                assert answer == ((200, "ok") if allowed else (403, refusal)), (held, path)


def test_admin_token(app: Flask, world: World) -> None:
    reader, writer = world.agent("reader"), world.agent("writer")
    world.grant(reader, ADMIN_GROUP, "ro", "create", "note", "owner", "priority", "move_into")
    world.grant(writer, ADMIN_GROUP, "rw")
    world.company("acme"), world.customer("jdoe", "acme")
    client = app.test_client()
    assert get(client, "/t/admin", f"agent:{ROOT}") == (200, "ok")
    assert get(client, "/t/admin", f"agent:{writer}") == (200, "ok")
    assert get(client, "/t/admin", f"agent:{reader}") == (403, "You need the 'rw' permission on group 'admin'.")
    assert get(client, "/t/admin", "customer:jdoe") == (403, "This page is for agents.")
    assert get(client, "/t/admin", None) == (401, "Sign in first.")


def test_agent_only_tokens_refuse_customers_and_strangers(app: Flask, world: World) -> None:
    client = app.test_client()
    for path in ("/t/any/ro", f"/t/queue/ro/{RAW_QUEUE}", f"/t/queue-query/rw?queue_id={RAW_QUEUE}"):
        assert get(client, path, "customer:jdoe") == (403, "This page is for agents.")
        assert get(client, path, None) == (401, "Sign in first.")
    assert get(client, "/t/ticket/ro/1", None) == (401, "Sign in first.")
    assert get(client, "/t/ticket/ro/1", "robot:x") == (403, "This page is for agents and customers.")


def test_unknown_objects_are_404(app: Flask) -> None:
    client = app.test_client()
    root = f"agent:{ROOT}"
    assert get(client, "/t/ticket/ro/999999", root) == (404, "Ticket 999999 does not exist.")
    assert get(client, "/t/ticket-id/rw/0", "customer:jdoe") == (404, "Ticket 0 does not exist.")
    assert get(client, "/t/ticket/ro/99999999999999999999", root) == (
        404,
        "Ticket 99999999999999999999 does not exist.",
    )
    assert get(client, "/t/queue/ro/4242", root) == (404, "Queue 4242 does not exist.")
    assert get(client, "/t/queue-query/ro?queue_id=4242", root) == (404, "Queue 4242 does not exist.")


def test_bad_ids_are_400_naming_the_parameter(app: Flask) -> None:
    client = app.test_client()
    root = f"agent:{ROOT}"
    missing = "Parameter 'queue_id' is missing: give the queue's id in the path or the query."
    assert get(client, "/t/queue-query/ro", root) == (400, missing)
    assert get(client, "/t/queue-query/ro?queue_id=Raw", root) == (
        400,
        "Parameter 'queue_id' must be a whole number, not 'Raw'.",
    )
    assert get(client, "/t/queue/ro/-1", root) == (400, "Parameter 'queue_id' must be a whole number, not '-1'.")
    assert get(client, "/t/queue-id/ro/1.5", root) == (400, "Parameter 'id' must be a whole number, not '1.5'.")
    assert get(client, "/t/ticket/ro/abc", root) == (400, "Parameter 'ticket_id' must be a whole number, not 'abc'.")
    assert get(client, "/t/ticket-id/ro/x", "customer:jdoe") == (400, "Parameter 'id' must be a whole number, not 'x'.")


def test_customers_get_the_customer_rules(app: Flask, world: World) -> None:
    world.company("acme"), world.company("globex")
    world.customer("jdoe", "acme"), world.customer("bob", "globex")
    own = world.ticket(RAW_QUEUE, customer_user_id="jdoe", customer_id="acme")
    colleague = world.ticket(RAW_QUEUE, customer_user_id="jane", customer_id="acme")
    other = world.ticket(RAW_QUEUE, customer_user_id="bob", customer_id="globex")
    client = app.test_client()
    assert get(client, f"/t/ticket/ro/{own}", "customer:jdoe") == (200, "ok")
    assert get(client, f"/t/ticket-id/note/{colleague}", "customer:jdoe") == (200, "ok")
    assert get(client, f"/t/ticket/ro/{other}", "customer:jdoe") == (
        403,
        f"You need the 'ro' permission on ticket {other}.",
    )
    assert get(client, f"/t/ticket/ro/{other}", f"agent:{ROOT}") == (200, "ok")  # root has rw on "users" (Raw)


def test_customer_options_come_from_the_settings(db_url: str, tmp_path: Path, engine: Engine, world: World) -> None:
    world.company("acme"), world.customer("jdoe", "acme")
    own = world.ticket(RAW_QUEUE, customer_user_id="jdoe", customer_id="acme")
    colleague = world.ticket(RAW_QUEUE, customer_user_id="jane", customer_id="acme")
    app = make_app(db_url, tmp_path, customer_group_support=True, customer_disable_company_ticket_access=True)
    try:
        client = app.test_client()
        refusal = f"You need the 'ro' permission on ticket {own}."
        assert get(client, f"/t/ticket/ro/{own}", "customer:jdoe") == (403, refusal)  # not in group "users"
        world.customer_group("jdoe", 1, "ro")
        assert get(client, f"/t/ticket/ro/{own}", "customer:jdoe") == (200, "ok")
        assert get(client, f"/t/ticket/ro/{colleague}", "customer:jdoe")[0] == 403  # company access disabled
    finally:
        current_platform(app).close()


def test_browsers_get_the_message_as_a_page(app: Flask, world: World) -> None:
    agent = world.agent("ann")
    response = app.test_client().get(f"/t/queue/move_into/{RAW_QUEUE}", headers={"X-Test-As": f"agent:{agent}"})
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "You need the &#39;move_into&#39; permission on queue &#39;Raw&#39;." in response.get_data(as_text=True)


def test_statements_per_request_stay_constant_as_checks_repeat(app: Flask, world: World) -> None:
    ticket = world.ticket(RAW_QUEUE)
    counter = StatementCounter(current_platform(app).engine)
    client = app.test_client()
    counts = []
    for checks in (1, 10, 100):
        counter.reset()
        response = client.get(f"/t/checks/{ticket}?n={checks}", headers={**JSON, "X-Test-As": f"agent:{ROOT}"})
        assert response.get_json() == {"checks": checks}
        counts.append(len(counter))
    assert counts == [3, 3, 3]  # the permission map, the queue list of queue_ro, the ticket's row


def test_the_tokens_are_in_the_process_wide_registry() -> None:
    for token in ("admin", "queue_create", "queue_access_move_into", "ticket_access_priority"):
        assert REGISTRY.resolve_middleware(token) is not None, token
    assert REGISTRY.resolve_middleware("queue_write") is None
    assert REGISTRY.resolve_middleware("ticket_access_") is None
    assert "queue_access_move_into" in REGISTRY.token_names()

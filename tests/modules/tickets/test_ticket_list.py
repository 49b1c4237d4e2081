"""Ticket lists through the engine (modules/ticket.yaml): every agent sees exactly the tickets OTRS lets them read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from goatkit.engine.extension import modules
from tests.goatkit.engine.test_views import JSON, Browser, error_of
from tests.modules.auth import Helpdesk, make_helpdesk
from tests.modules.permissions.world import RAW_QUEUE, World

PASSWORD = "Agent-Pw-123"


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    made = make_helpdesk(db_url, tmp_path / "var")
    yield made
    modules(made.app).stop()
    made.close()


def agent(desk: Helpdesk, world: World, login: str) -> Browser:
    from goatkit.passwords import hash_password
    from tests.modules.permissions.world import T

    user_id = world.agent(login)
    with desk.engine.begin() as conn:
        conn.execute(T["users"].update().where(T["users"].c.id == user_id).values(pw=hash_password(PASSWORD)))
    return Browser(desk, Path("."), login, PASSWORD)


def test_an_agent_sees_the_queues_he_may_read_and_the_tickets_he_owns_is_responsible_for_or_watches(
    desk: Helpdesk,
) -> None:
    world = World(desk.engine)
    sales_group, secret_group = world.group("sales"), world.group("secret")
    sales, secret = world.queue("Sales", sales_group), world.queue("Secret", secret_group)
    in_sales = world.ticket(sales)
    hidden = world.ticket(secret)
    browser = agent(desk, world, "sam")
    sam = int(browser.get("/api/v1/auth/me", **JSON).get_json()["id"])
    world.grant(sam, sales_group, "ro")
    owned, responsible, watched = (
        world.ticket(secret, owner=sam),
        world.ticket(secret, responsible=sam),
        world.ticket(secret),
    )
    world.watch(watched, sam)
    world.ticket(RAW_QUEUE)  # group users: sam has no key there

    body = browser.get("/api/v1/modules/ticket?sort=id", **JSON).get_json()
    assert ([row["id"] for row in body["data"]], body["total"]) == ([in_sales, owned, responsible, watched], 4)
    assert browser.get(f"/api/v1/modules/ticket/{hidden}", **JSON).status_code == 404
    assert browser.get(f"/admin/modules/ticket/{owned}", **JSON).status_code == 200
    page = browser.html("/admin/modules/ticket")
    assert f'href="/agent/tickets/{owned}"' in page  # rows open the ticket screen
    assert browser.get(f"/api/v1/modules/ticket?filter_queue_id={sales}", **JSON).get_json()["total"] == 1


def test_agents_who_read_nothing_and_customers_are_refused(desk: Helpdesk) -> None:
    world = World(desk.engine)
    world.ticket(RAW_QUEUE)
    nobody = agent(desk, world, "nora")
    refused = nobody.get("/api/v1/modules/ticket", **JSON)
    assert (refused.status_code, error_of(refused)) == (
        403,
        "You need the 'ro' permission on group '*' to view ticket records.",
    )


def test_the_module_offers_no_writes(desk: Helpdesk) -> None:
    admin = Browser(desk, Path("."))
    created = admin.send("post", "/api/v1/modules/ticket", {"tn": "1"}, **{"Content-Type": "application/json", **JSON})
    assert (created.status_code, error_of(created)) == (403, "Module 'ticket' does not offer create.")

"""Live updates in a real browser (Debian's chromium through Playwright) under the strict CSP.

Three agents in three browser contexts: Anna has the ticket's zoom and the Raw queue view open; Ben changes the
ticket's priority and state through the zoom's forms; Carl may read another queue only.  Anna's zoom header and
queue table show Ben's change within seconds without a reload, with a notice naming Ben, while the note she was
typing stays as she typed it; Ben's own page shows no notice; Carl's page hears nothing.  Once with the in-process
broker, once with a Redis stream.  Screenshots go to /tmp/live-*.png.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from goatkit.engine.extension import modules
from goatkit.live import MemoryBroker, use_broker
from goatkit.live_redis import RedisBroker
from goatkit.passwords import hash_password
from goatkit.platform import current_platform
from modules.tickets.actor import Actor
from modules.tickets.drafts import ArticleDraft, TicketDraft
from modules.tickets.service import TicketService
from tests.browser.conftest import STRICT_CSP, PageProblems, expect, serve
from tests.conftest import require_service
from tests.modules.auth import make_helpdesk
from tests.modules.permissions.world import T, World

SHOTS = Path("/tmp")
PASSWORD = "Live-Pw-123"
USERS_GROUP, RAW = 1, 2  # OTRS's initial group "users" and its queue "Raw"


@pytest.fixture(scope="module", params=["memory", "redis"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp(f"live-browser-{request.param}")
    helpdesk = make_helpdesk(f"sqlite:///{root / 'gotrs.db'}", root / "var")
    world = World(helpdesk.engine)
    other_group = world.group("elsewhere")
    elsewhere = world.queue("Elsewhere", other_group)
    ids = {login: world.agent(login) for login in ("anna", "ben", "carl")}
    with helpdesk.engine.begin() as conn:
        users = T["users"]
        conn.execute(users.update().where(users.c.id.in_(list(ids.values()))).values(pw=hash_password(PASSWORD)))
    world.grant(ids["anna"], USERS_GROUP, "rw")
    world.grant(ids["ben"], USERS_GROUP, "rw")
    world.grant(ids["carl"], other_group, "rw")
    client = None
    platform = current_platform(helpdesk.app)
    if request.param == "redis":
        import redis

        client = redis.Redis.from_url(require_service("GOTRS_TEST_REDIS_URL", "Redis"), socket_timeout=2)
        key = f"goatkit:live:test:{uuid.uuid4().hex}"
        use_broker(platform, RedisBroker(client, key=key))
    else:
        use_broker(platform, MemoryBroker())
    with helpdesk.app.app_context(), helpdesk.engine.begin() as conn:
        service = TicketService(conn, Actor.system())
        ticket = service.create(
            TicketDraft(title="Server room is hot", queue=RAW),
            ArticleDraft(channel="Phone", sender_type="customer", history_type="PhoneCallCustomer", body="Hot."),
        ).ticket_id
        service.create(
            TicketDraft(title="Other business", queue=elsewhere),
            ArticleDraft(channel="Phone", sender_type="customer", history_type="PhoneCallCustomer", body="Hm."),
        )
    with serve(helpdesk.app) as url:
        yield {"url": url, "ticket": ticket, "broker": request.param}
    if client is not None:
        client.delete(key)
        client.close()
    modules(helpdesk.app).stop()
    helpdesk.close()


def sign_in(browser: Any, url: str, login: str) -> tuple[Any, PageProblems]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = PageProblems(page)
    response = page.goto(url + "/login?next=/agent", wait_until="load")
    assert response.headers["content-security-policy"] == STRICT_CSP
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url + "/agent")
    return context, problems


def open_page(context: Any, url: str) -> tuple[Any, PageProblems]:
    page = context.new_page()
    problems = PageProblems(page)
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.Alpine !== undefined && window.htmx !== undefined", timeout=5000)
    page.wait_for_function("() => !!document.querySelector('[x-data=liveUpdates]')._x_dataStack", timeout=5000)
    return page, problems


def test_another_agents_change_shows_up_without_a_reload(browser: Any, desk: dict[str, Any]) -> None:
    url, ticket = desk["url"], desk["ticket"]
    anna, anna_problems = sign_in(browser, url, "anna")
    ben, ben_problems = sign_in(browser, url, "ben")
    carl, carl_problems = sign_in(browser, url, "carl")
    zoom, zoom_problems = open_page(anna, f"{url}/agent/tickets/{ticket}")
    queue, queue_problems = open_page(anna, f"{url}/agent/queues/{RAW}")
    carls_queues, carls_problems = open_page(carl, f"{url}/agent/queues")
    row = queue.locator("tbody tr", has_text="Server room is hot")
    expect(row).to_contain_text("3 normal")
    expect(zoom.locator('[data-testid="ticket-header"] [data-priority]')).to_have_text("3 normal")

    # Anna starts a note; the refresh must leave it alone.
    zoom.locator('[data-action="note"]').click()
    expect(zoom.get_by_test_id("panel")).to_be_visible()
    zoom.fill("#f-body", "Half-written note")
    zoom.evaluate("window.__sameDocument = true")  # gone if the page were reloaded

    # Ben changes the priority through his zoom's form.
    bens_zoom, bens_problems = open_page(ben, f"{url}/agent/tickets/{ticket}")
    bens_zoom.locator('[data-action="priority"]').click()
    bens_zoom.select_option("#f-priority", label="5 very high")
    bens_zoom.get_by_test_id("submit").click()
    expect(bens_zoom.get_by_test_id("notice")).to_have_text("Priority changed.")

    header = zoom.locator('[data-testid="ticket-header"] [data-priority]')
    expect(header).to_have_text("5 very high", timeout=5000)
    notice = zoom.get_by_test_id("live-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("changed by ben Agent (ben): priority.")
    expect(notice).to_contain_text("Ticket#")
    assert zoom.evaluate("window.__sameDocument") is True
    expect(zoom.locator("#f-body")).to_have_value("Half-written note")
    expect(row).to_contain_text("5 very high", timeout=5000)
    expect(queue.get_by_test_id("live-notice")).to_be_visible()
    zoom.screenshot(path=str(SHOTS / f"live-zoom-{desk['broker']}.png"))
    queue.screenshot(path=str(SHOTS / f"live-queue-{desk['broker']}.png"))

    # Then the state, through the close form: the zoom's history tab and the queue list follow.
    bens_zoom.locator('[data-action="state"]').click()
    bens_zoom.select_option("#f-state", label="open")
    bens_zoom.get_by_test_id("submit").click()
    expect(bens_zoom.get_by_test_id("notice")).to_have_text("State changed.")
    expect(zoom.locator('[data-testid="ticket-header"] [data-state]')).to_have_text("open", timeout=5000)
    expect(row).to_contain_text("open", timeout=5000)

    # Ben's own page shows no live notice; Carl, who may not read Raw, heard nothing.
    bens_zoom.wait_for_timeout(1500)
    expect(bens_zoom.get_by_test_id("live-notice")).to_be_hidden()
    expect(carls_queues.get_by_test_id("live-notice")).to_be_hidden()
    assert "Server room" not in carls_queues.content()

    for problems in (anna_problems, ben_problems, carl_problems, zoom_problems, queue_problems, carls_problems,
                     bens_problems):  # fmt: skip
        assert problems.items == []
    for context in (anna, ben, carl):
        context.close()

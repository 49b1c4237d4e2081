"""The agent ticket screens in a real browser (Debian's chromium through Playwright) under the strict CSP.

An agent signs in, creates a phone ticket choosing the customer with the typeahead, finds it in the queue view,
opens the zoom, adds a note and closes the ticket through the htmx action panel, and reads the history tab.
Nothing may be refused by the Content-Security-Policy or fail to load.  Screenshots go to /tmp/tickets-*.png (light,
dark and phone width) for a person to look at.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from goatkit.engine.extension import modules
from modules.tickets.actor import Actor
from modules.tickets.drafts import ArticleDraft, TicketDraft
from modules.tickets.service import TicketService
from tests.browser.conftest import STRICT_CSP, PageProblems, expect, serve
from tests.modules.auth import AGENT, AGENT_PW, Helpdesk, make_helpdesk
from tests.modules.permissions.world import T, World

SHOTS = Path("/tmp")
USERS_GROUP, RAW = 1, 2  # OTRS's initial group "users" and its queue "Raw"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Helpdesk]:
    root = tmp_path_factory.mktemp("tickets-browser")
    made = make_helpdesk(f"sqlite:///{root / 'gotrs.db'}", root / "var")
    with made.engine.connect() as conn:
        jane = int(conn.execute(select(T["users"].c.id).where(T["users"].c.login == AGENT)).scalar_one())
    World(made.engine).grant(jane, USERS_GROUP, "rw")
    yield made
    modules(made.app).stop()
    made.close()


@pytest.fixture(scope="module")
def base_url(desk: Helpdesk) -> Iterator[str]:
    with serve(desk.app) as url:
        yield url


def _signed_in(
    browser: Any, base_url: str, login: str = AGENT, password: str = AGENT_PW, **options: Any
) -> tuple[Any, Any, PageProblems]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    problems = PageProblems(page)
    response = page.goto(base_url + "/login?next=/agent", wait_until="load")
    assert response.headers["content-security-policy"] == STRICT_CSP
    page.fill("#login", login)
    page.fill("#password", password)
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/agent")
    _ready(page)
    return context, page, problems


def _ready(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => window.Alpine !== undefined && window.htmx !== undefined", timeout=5000)


def _shot(page: Any, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header would show mid-page in a full-page shot
    page.screenshot(path=str(SHOTS / f"tickets-{name}.png"), full_page=True)


def test_create_find_open_note_and_close_a_ticket_in_chromium(browser: Any, base_url: str) -> None:
    context, page, problems = _signed_in(browser, base_url, color_scheme="light")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    _shot(page, "dashboard")

    # A phone ticket: the customer comes from the typeahead, the services follow the customer.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New phone ticket").click()
    _ready(page)
    page.locator("#f-customer_user").press_sequentially("Carl", delay=30)
    option = page.get_by_role("option", name="Carl Customer <cust@example.com>")
    expect(option).to_be_visible()
    option.click()
    expect(page.locator('input[name="customer_user"]')).to_have_value("cust@example.com")
    page.select_option("#f-queue", label="Raw")
    page.fill("#f-title", "Printer on fire")
    page.fill("#f-body", "Carl called: the printer in room 4 smokes.")
    _shot(page, "new")
    page.get_by_test_id("create-submit").click()
    page.wait_for_url("**/agent/tickets/*")
    _ready(page)
    zoom_url = page.url
    expect(page.get_by_role("heading", name="Printer on fire")).to_be_visible()

    # The queue view lists it, with the Raw queue's count in the tree.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Queues").click()
    _ready(page)
    page.locator('[data-queue="Raw"]').click()
    _ready(page)
    row = page.locator("tbody tr", has_text="Printer on fire")
    expect(row).to_have_count(1)
    _shot(page, "queue")

    # Bulk: the panel's fields arrive when it opens; raise the priority of the checked row.
    row.locator('input[name="ids"]').check()
    page.get_by_test_id("bulk-panel").locator("summary").click()
    page.select_option("#b-priority", label="4 high")
    _shot(page, "queue-bulk")
    page.get_by_test_id("bulk-submit").click()
    _ready(page)
    expect(page.get_by_text("1 ticket changed.")).to_be_visible()
    row = page.locator("tbody tr", has_text="Printer on fire")
    expect(row).to_contain_text("4 high")
    row.get_by_role("link").first.click()
    page.wait_for_url(zoom_url)
    _ready(page)

    # A note through the htmx panel: the zoom refreshes with the note and a notice.
    page.locator('[data-action="note"]').click()
    expect(page.get_by_test_id("panel")).to_be_visible()
    page.fill("#f-body", "Fire brigade called.")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("notice")).to_have_text("Note added.")
    expect(page.get_by_test_id("articles")).to_contain_text("Fire brigade called.")

    # Close it through the state form.
    page.locator('[data-action="state"]').click()
    page.select_option("#f-state", label="closed successful")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("notice")).to_have_text("State changed.")
    expect(page.locator('[data-testid="ticket-header"] [data-state]')).to_have_text("closed successful")
    _shot(page, "zoom")

    page.locator('[data-tab="history"]').click()
    expect(page.get_by_test_id("history")).to_contain_text('Changed state from "open" to "closed successful".')
    _shot(page, "history")
    assert problems.items == []
    context.close()


def test_the_screens_in_dark_mode_and_at_phone_width(browser: Any, base_url: str) -> None:
    context, page, problems = _signed_in(browser, base_url, color_scheme="dark")
    assert page.evaluate("document.documentElement.classList.contains('dark')")
    page.goto(base_url + "/agent/queues", wait_until="load")
    _shot(page, "queue-dark")
    page.goto(base_url + "/agent/search?text=printer", wait_until="load")
    _shot(page, "search-dark")
    page.locator("tbody a").first.click()
    _ready(page)
    _shot(page, "zoom-dark")
    page.locator('[data-action="reply"]').first.click()
    expect(page.get_by_test_id("panel")).to_be_visible()
    expect(page.locator("#f-body")).to_contain_text("> Carl called")  # the quoted article
    _shot(page, "reply-dark")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "zoom-phone")
    page.goto(base_url + "/agent/tickets/new?channel=email", wait_until="load")
    _shot(page, "new-phone")
    assert problems.items == []
    context.close()


def test_an_overdue_ticket_on_the_dashboard_and_in_the_queue_view(browser: Any, base_url: str, desk: Helpdesk) -> None:
    """The escalation column of the queue view is a lambda (``modules/ticket.yaml``): it runs in the sandbox here."""
    with desk.app.app_context(), desk.engine.begin() as conn:
        created = TicketService(conn, Actor.system()).create(
            TicketDraft(title="Overdue printer", queue="Raw"), ArticleDraft(channel="Phone", body="Still broken.")
        )
        due = int(time.time()) - 35 * 60 - 20  # as escalation.py stores a first response destination 35 min ago
        ticket = T["ticket"]
        conn.execute(
            update(ticket)
            .where(ticket.c.id == created.ticket_id)
            .values(escalation_response_time=due, escalation_time=due)
        )
    context, page, problems = _signed_in(browser, base_url, color_scheme="light")
    widget = page.locator('[data-widget="escalated"]')
    expect(widget.locator(f'[data-ticket="{created.ticket_id}"]')).to_contain_text("Overdue printer")
    expect(widget.locator('[data-escalation="red"]').first).to_have_text("overdue 35m")
    _shot(page, "dashboard-escalated")
    page.goto(base_url + "/agent/queues/2?sort=escalation_time", wait_until="load")
    _ready(page)
    row = page.locator("tbody tr", has_text="Overdue printer")
    expect(row).to_contain_text("overdue 35m")
    _shot(page, "queue-escalated")
    assert problems.items == []
    context.close()

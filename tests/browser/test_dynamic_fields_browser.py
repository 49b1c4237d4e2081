"""Dynamic fields in a real browser (Debian's chromium, strict CSP): a phone ticket with a required dropdown, a
multiselect and a date; the zoom's block; the free fields action through the htmx panel; the queue view column.
Screenshots go to /tmp/tickets-df-*.png for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from goatkit.engine.extension import modules
from tests.browser.conftest import PageProblems, expect, serve
from tests.browser.test_tickets_browser import SHOTS, USERS_GROUP, _ready, _signed_in
from tests.modules.auth import ADMIN, ADMIN_PW, AGENT, make_helpdesk
from tests.modules.permissions.world import T, World
from tests.modules.tickets.dynamic_field_world import make_field

CHOICES = {"hw": "Hardware", "sw": "Software", "net": "Network"}
EVERYWHERE = {"AgentTicketPhone": 1, "AgentTicketZoom": 1, "AgentTicketFreeText": 1, "OverviewSmall": 1}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("df-browser")
    desk = make_helpdesk(f"sqlite:///{root / 'gotrs.db'}", root / "var")
    with desk.engine.connect() as conn:
        jane = int(conn.execute(select(T["users"].c.id).where(T["users"].c.login == AGENT)).scalar_one())
    World(desk.engine).grant(jane, USERS_GROUP, "rw")
    names = {
        "category": make_field(desk.engine, "Dropdown", prefix="Category", PossibleValues=CHOICES,
                               screens={**EVERYWHERE, "AgentTicketPhone": 2}),
        "parts": make_field(desk.engine, "Multiselect", prefix="Parts", PossibleValues=CHOICES, screens=EVERYWHERE),
        "due": make_field(desk.engine, "Date", prefix="Due", screens=EVERYWHERE),
    }  # fmt: skip
    with serve(desk.app) as url:
        yield url, names
    modules(desk.app).stop()
    desk.close()


def _shot(page: Any, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"tickets-df-{name}.png"), full_page=True)


def test_fields_on_the_phone_form_the_zoom_the_free_fields_action_and_the_queue_view(
    browser: Any, site: tuple[str, dict[str, str]]
) -> None:
    base_url, names = site
    category, parts, due = (f"#f-DynamicField_{names[key]}" for key in ("category", "parts", "due"))
    context, page, problems = _signed_in(browser, base_url, color_scheme="light")
    page.goto(base_url + "/agent/tickets/new?channel=phone")
    _ready(page)
    page.select_option("#f-queue", label="Raw")
    page.fill("#f-title", "Laptop screen broken")
    page.fill("#f-body", "Carl dropped it.")
    page.select_option(parts, ["hw", "net"])
    page.fill(due, "2030-01-31")
    page.evaluate(f"document.querySelector('{category}').removeAttribute('required')")  # the server must refuse
    page.get_by_test_id("create-submit").click()
    _ready(page)
    expect(page.locator(f'[data-error="DynamicField_{names["category"]}"]')).to_have_text("Category label is required.")
    expect(page.locator(parts)).to_have_values(["hw", "net"])  # kept as chosen
    page.select_option(category, "sw")
    _shot(page, "new")
    page.get_by_test_id("create-submit").click()
    page.wait_for_url("**/agent/tickets/*")
    _ready(page)
    block = page.get_by_test_id("dynamic-fields")
    expect(block).to_contain_text("Software")
    expect(block).to_contain_text("Hardware, Network")
    expect(block).to_contain_text("2030-01-31")

    page.get_by_test_id("more").click()
    page.locator('[data-action="fields"]').click()
    expect(page.get_by_test_id("panel")).to_be_visible()
    page.select_option(category, "net")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("notice")).to_have_text("Fields saved.")
    expect(page.get_by_test_id("dynamic-fields")).to_contain_text("Network")
    _shot(page, "zoom")

    page.goto(base_url + "/agent/queues")
    _ready(page)
    row = page.locator("tbody tr", has_text="Laptop screen broken")
    expect(row).to_contain_text("Hardware, Network")
    expect(page.locator("thead")).to_contain_text("Category label")
    _shot(page, "queue")
    assert [p for p in problems.items if "422" not in p] == []  # only the refused create (422, as meant)
    context.close()


__all__ = ["PageProblems"]


def test_an_automation_job_with_dynamic_field_conditions_and_actions(
    browser: Any, site: tuple[str, dict[str, str]]
) -> None:
    base_url, names = site
    context, page, problems = _signed_in(browser, base_url, ADMIN, ADMIN_PW, color_scheme="light")
    page.goto(base_url + "/admin/automation/new")
    _ready(page)
    category = page.locator(f'[name="conditions.dynamic_fields.{names["category"]}"]')
    page.fill("#name", "Hardware due soon")
    page.select_option("#events", ["TicketCreate"])
    category.select_option(["hw", "net"])
    page.fill(f'[name="actions.dynamic_fields.{names["due"]}"]', "2031-05-06")
    page.select_option(f'[name="actions.dynamic_fields.{names["parts"]}"]', ["sw"])
    expect(page.locator(f'[name="conditions.dynamic_fields.{names["due"]}"]')).to_have_count(0)  # a time instead:
    due_at = f"conditions.dynamic_times.{names['due']}"
    page.select_option(f'[name="{due_at}.start"]', "Next")
    page.fill(f'[name="{due_at}.amount"]', "3")
    page.select_option(f'[name="{due_at}.unit"]', "week")
    page.get_by_test_id(f"field-time-{names['due']}").evaluate("e => e.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(SHOTS / "automation-df-time.png"))  # centred: clear of the sticky header
    page.get_by_test_id("save").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "automation-df-form.png"), full_page=True)
    page.get_by_test_id("save").click()
    page.wait_for_url(base_url + "/admin/automation")
    expect(page.locator('[data-job="Hardware due soon"]')).to_be_visible()
    page.goto(base_url + "/admin/automation/edit?name=Hardware+due+soon")
    _ready(page)
    expect(category).to_have_values(["hw", "net"])
    expect(page.locator(f'[name="actions.dynamic_fields.{names["due"]}"]')).to_have_value("2031-05-06")
    expect(page.locator(f'[name="{due_at}.amount"]')).to_have_value("3")
    expect(page.locator(f'[name="{due_at}.unit"]')).to_have_value("week")
    assert problems.items == []
    context.close()

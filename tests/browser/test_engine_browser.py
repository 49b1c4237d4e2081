"""A module's admin screens in a real browser: Debian's chromium driven by Playwright, under the app's strict CSP.

An administrator creates a record with one invalid value (the error shows beside the field), fixes it, finds it with
the debounced search (htmx swaps the table and pushes the URL), edits it, toggles its status in the list and deletes
it with the bulk action.  Nothing may be refused by the Content-Security-Policy.  Screenshots land in /tmp as
engine-*.png for a person to look at (light and dark).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from goatkit.engine.extension import modules
from tests.browser.conftest import STRICT_CSP, PageProblems, expect, serve
from tests.modules.auth import ADMIN, ADMIN_PW, make_helpdesk

SHOTS = Path("/tmp")
PRIORITY = """\
module: {name: priority, singular: Priority, plural: Priorities, table: ticket_priority,
         route_prefix: /admin/priorities, menu: {section: Tickets, order: 20}}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false, show_in_list: true}
  - {name: name, type: string, required: true, searchable: true, sortable: true, show_in_list: true,
     validation: "^[a-zA-Z0-9 ]+$", help: "Letters, digits and spaces"}
  - {name: color, type: color, default: "#2563eb", show_in_list: true}
  - {name: valid_id, type: int, default: 1, show_in_list: true, filterable: true,
     lookup_table: valid, lookup_key: id, lookup_display: name}
features: {status_toggle: true, search: true}
validation: {unique_fields: [name]}
"""
#: The same table, its validity chosen with a typeahead (a lookup searched on the server).
TYPED = """\
module: {name: typed, singular: Priority, plural: Typed priorities, table: ticket_priority}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false, show_in_list: true}
  - {name: name, type: string, required: true, show_in_list: true}
  - {name: valid_id, type: int, default: 1, show_in_list: true, widget: typeahead,
     lookup_table: valid, lookup_key: id, lookup_display: name}
"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("engine-browser")
    (root / "modules").mkdir()
    (root / "modules" / "priority.yaml").write_text(PRIORITY)
    (root / "modules" / "typed.yaml").write_text(TYPED)
    desk = make_helpdesk(
        f"sqlite:///{root / 'gotrs.db'}", root / "var", modules_path=str(root / "modules"), modules_builtin=False
    )
    with serve(desk.app) as url:
        yield url
    modules(desk.app).stop()
    desk.close()


def _signed_in(browser: Any, base_url: str, **options: Any) -> tuple[Any, Any, PageProblems]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    problems = PageProblems(page)
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    response = page.goto(base_url + "/login", wait_until="load")
    assert response.headers["content-security-policy"] == STRICT_CSP
    page.fill("#login", ADMIN)
    page.fill("#password", ADMIN_PW)
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/")
    return context, page, problems


def _go(page: Any, url: str) -> None:
    """Open ``url`` once the current page is quiet (leaving while the favicon loads would abort it: a failure)."""
    page.wait_for_load_state("networkidle")
    page.goto(url, wait_until="load")


def _ready(page: Any) -> None:
    page.wait_for_function("() => window.Alpine !== undefined && window.htmx !== undefined", timeout=5000)


def test_create_find_edit_toggle_and_bulk_delete_in_chromium(browser: Any, base_url: str) -> None:
    context, page, problems = _signed_in(browser, base_url, color_scheme="light")
    _go(page, base_url + "/admin/modules/priority")
    _ready(page)
    expect(page.get_by_test_id("total")).to_have_text("5 records")
    page.screenshot(path=str(SHOTS / "engine-list.png"), full_page=True)

    # Create with one invalid value: the error shows beside the field and the other values are kept.
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="New priority").click()
    page.fill("#f-name", "6 urgent!")
    page.fill("#f-color", "#dc2626")
    page.get_by_role("button", name="Create").click()
    expect(page.locator('[data-error="name"]')).to_have_text("Must match ^[a-zA-Z0-9 ]+$.")
    expect(page.locator("#f-name")).to_have_value("6 urgent!")
    expect(page.locator("#f-color")).to_have_value("#dc2626")
    page.screenshot(path=str(SHOTS / "engine-form-error.png"), full_page=True)
    page.fill("#f-name", "6 urgent")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Priority 6 urgent created.")).to_be_visible()
    expect(page.locator('[data-field="color"]')).to_contain_text("#dc2626")
    page.screenshot(path=str(SHOTS / "engine-detail.png"), full_page=True)

    # Find it: typing in the search box swaps the table (htmx, debounced) and pushes the URL.
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Priorities").click()
    _ready(page)
    page.fill("#gk-search", "urgent")
    expect(page.get_by_test_id("total")).to_have_text("1 record")
    expect(page).to_have_url(base_url + "/admin/modules/priority?search=urgent")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("6 urgent")

    # Edit it.
    row.get_by_role("link", name="Edit").click()
    page.fill("#f-name", "6 critical")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Priority 6 critical saved.")).to_be_visible()

    # Toggle its status in the list (htmx replaces the row), then delete it with the bulk action.
    _go(page, base_url + "/admin/modules/priority?search=critical")
    _ready(page)
    row = page.locator("tbody tr").first
    row.get_by_test_id("toggle").click()
    expect(page.locator("tbody tr").first).to_contain_text("invalid")
    expect(page.locator("tbody tr").first.get_by_test_id("toggle")).to_have_text("Make valid")
    page.screenshot(path=str(SHOTS / "engine-toggled.png"), full_page=True)
    page.locator('tbody input[name="ids"]').first.check()
    page.get_by_test_id("bulk-actions").get_by_role("button", name="Delete").click()
    page.wait_for_url(base_url + "/admin/modules/priority")
    expect(page.get_by_text("1 priorities deleted.")).to_be_visible()
    expect(page.get_by_test_id("total")).to_have_text("5 records")

    # The friendly URL serves the same list; /admin lists the module.
    _go(page, base_url + "/admin/priorities")
    expect(page.get_by_role("heading", name="Priorities")).to_be_visible()
    _go(page, base_url + "/admin")
    expect(page.locator('[data-module="priority"]')).to_have_attribute("href", "/admin/priorities")
    invalid_form = ("HTTP 422: " + base_url + "/admin/modules/priority", "status of 422 (UNPROCESSABLE ENTITY)")
    assert [p for p in problems.items if not p.endswith(invalid_form)] == []  # the 422 is on purpose
    context.close()


def test_list_and_form_in_dark_mode_and_on_a_phone(browser: Any, base_url: str) -> None:
    context, page, problems = _signed_in(browser, base_url, color_scheme="dark")
    _go(page, base_url + "/admin/modules/priority")
    _ready(page)
    assert page.evaluate("document.documentElement.classList.contains('dark')")
    page.screenshot(path=str(SHOTS / "engine-list-dark.png"), full_page=True)
    _go(page, base_url + "/admin/modules/priority/new")
    page.screenshot(path=str(SHOTS / "engine-form-dark.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    _go(page, base_url + "/admin/modules/priority")
    page.screenshot(path=str(SHOTS / "engine-list-mobile.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") == 390  # the table scrolls inside its card
    assert problems.items == []
    context.close()


def test_a_typeahead_finds_chooses_and_saves_a_lookup_value(browser: Any, base_url: str) -> None:
    context, page, problems = _signed_in(browser, base_url, color_scheme="light")
    _go(page, base_url + "/admin/modules/typed/2/edit")
    _ready(page)
    box = page.locator("#f-valid_id")
    expect(box).to_have_value("valid")
    box.fill("inv")
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option")).to_have_count(2)  # invalid, invalid-temporarily
    expect(box).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=str(SHOTS / "engine-typeahead.png"), full_page=True)
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "f-valid_id-opt-2")
    box.press("Enter")  # chooses; does not submit the form
    expect(box).to_have_value("invalid-temporarily")
    expect(page.locator('input[type="hidden"][name="valid_id"]')).to_have_value("3")
    expect(listbox).to_be_hidden()

    box.fill("zzz")  # typed but not chosen: leaving the box shows the held choice again
    expect(listbox).to_contain_text("No match for “zzz”.")
    page.locator("#f-name").click()
    expect(box).to_have_value("invalid-temporarily")

    box.fill("")
    box.type("valid")
    listbox.get_by_role("option", name="valid", exact=True).click()
    expect(page.locator('input[type="hidden"][name="valid_id"]')).to_have_value("1")
    box.fill("inv")
    listbox.get_by_role("option", name="invalid", exact=True).click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("saved.")).to_be_visible()
    expect(page.locator('[data-field="valid_id"]')).to_contain_text("invalid")
    assert problems.items == []
    context.close()

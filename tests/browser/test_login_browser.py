"""The sign-in pages and the sessions screen in Chromium, under the CSP the app itself sends.

Screenshots land in var/screenshots/ (login.png, login-error.png, login-customer-dark-mobile.png, sessions.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from goatkit.settings import DEFAULT_CSP
from tests.browser.conftest import SCREENSHOTS, STRICT_CSP, PageProblems, expect, serve
from tests.modules.auth import ADMIN, ADMIN_PW, AGENT, AGENT_PW, FAILED, Helpdesk, make_helpdesk


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Helpdesk, str]]:
    var_dir = tmp_path_factory.mktemp("login-browser")
    helpdesk = make_helpdesk(f"sqlite:///{var_dir / 'gotrs.db'}", Path(var_dir))
    with serve(helpdesk.app) as url:
        yield helpdesk, url
    helpdesk.close()


def open_page(browser: Any, url: str, **options: Any) -> tuple[Any, Any, PageProblems]:
    context = browser.new_context(**options)
    page = context.new_page()
    problems = PageProblems(page)
    response = page.goto(url, wait_until="load")
    assert response.headers["content-security-policy"] == DEFAULT_CSP == STRICT_CSP
    page.wait_for_function("() => window.Alpine !== undefined && window.htmx !== undefined", timeout=5000)
    return context, page, problems


def test_agent_sign_in_and_sessions_screen(browser: Any, desk: tuple[Helpdesk, str]) -> None:
    helpdesk, base = desk
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = open_page(browser, base + "/admin/sessions", viewport={"width": 1280, "height": 860})
    assert page.url == base + "/login?next=%2Fadmin%2Fsessions"
    expect(page.get_by_role("heading", name="Agent sign-in")).to_be_visible()
    assert page.locator("#login").evaluate("el => document.activeElement === el")
    page.screenshot(path=str(SCREENSHOTS / "login.png"), full_page=True)

    page.fill("#login", ADMIN)
    page.fill("#password", "not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("login-error")).to_have_text(FAILED)
    page.screenshot(path=str(SCREENSHOTS / "login-error.png"), full_page=True)
    assert problems.items == [  # the refused sign-in itself (a 401 page), and nothing else
        f"HTTP 401: {base}/login",
        "console: Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)",
    ]
    problems.items.clear()

    page.fill("#password", ADMIN_PW)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/admin/sessions")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["gotrs_agent_access"]["httpOnly"] and cookies["gotrs_agent_access"]["sameSite"] == "Lax"

    jane = helpdesk.token(AGENT, AGENT_PW)
    page.reload(wait_until="load")
    row = page.locator(f'tr[data-session="{jane["user"]["session_id"]}"]')
    expect(row).to_contain_text(AGENT)
    expect(page.locator("tbody tr")).to_have_count(2)
    page.screenshot(path=str(SCREENSHOTS / "sessions.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="End session").click()
    expect(row).to_have_count(0)
    refused = helpdesk.client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {jane['access_token']}"})
    assert refused.status_code == 401
    assert problems.items == []
    context.close()


def test_customer_sign_in_page_dark_and_mobile(browser: Any, desk: tuple[Helpdesk, str]) -> None:
    _, base = desk
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = open_page(
        browser, base + "/customer/login", viewport={"width": 390, "height": 844}, color_scheme="dark"
    )
    assert page.evaluate("document.documentElement.classList.contains('dark')")
    expect(page.get_by_role("heading", name="Customer sign-in")).to_be_visible()
    expect(page.get_by_role("link", name="Agent sign-in")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "login-customer-dark-mobile.png"), full_page=True)
    assert problems.items == []
    context.close()

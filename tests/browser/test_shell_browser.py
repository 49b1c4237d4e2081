"""The page shell in a real browser: Debian's chromium driven by Playwright, the app under a strict CSP.

Checks what the Flask test client cannot: the stylesheet applies, Alpine (CSP build) and htmx start, the theme
switch and the mobile menu work, and nothing is refused by the Content-Security-Policy or fails to load.  The figures
page is reached by signing in through the real form.  Screenshots land in var/screenshots/ for a person to look at
(home.png: an agent's start page; home-anonymous.png: a visitor's).

Chromium comes from Debian (`apt-get install -y chromium`); Playwright's own browser download is not used.  Without
it the test skips locally and fails under CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from goatkit.platform import current_platform
from gotrs_app import create_app
from tests.browser.conftest import SCREENSHOTS, STRICT_CSP, PageProblems, expect, serve
from tests.modules.web import ADMIN, ADMIN_NAME, ADMIN_PW, EXPECTED_BY_STATE, create_helpdesk


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("browser")
    app = create_app({"database_url": f"sqlite:///{var_dir / 'gotrs.db'}", "var_dir": var_dir, "log_format": "text"})
    create_helpdesk(current_platform(app).engine)
    with serve(app) as url:
        yield url
    current_platform(app).close()


def _open(browser: Any, url: str, **context_options: Any) -> tuple[Any, Any, PageProblems]:
    context = browser.new_context(**context_options)
    page = context.new_page()
    problems = PageProblems(page)
    response = page.goto(url, wait_until="load")
    assert response.headers["content-security-policy"] == STRICT_CSP  # the app's own policy
    _wait_for_scripts(page)
    return context, page, problems


def _wait_for_scripts(page: Any) -> None:
    page.wait_for_function("() => window.Alpine !== undefined && window.htmx !== undefined", timeout=5000)


def _sign_in(page: Any, base_url: str) -> None:
    """Sign in as root@localhost through the agent sign-in form, landing on the start page."""
    if page.url != base_url + "/login":
        page.wait_for_load_state("networkidle")  # let the favicon finish, or leaving aborts it (a failed request)
        page.goto(base_url + "/login", wait_until="load")
    page.fill("#login", ADMIN)
    page.fill("#password", ADMIN_PW)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/")
    _wait_for_scripts(page)


def _assert_styled(page: Any) -> None:
    """The stylesheet applied: the skip link is visually hidden and the vendored Inter font loads."""
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => getComputedStyle(el).position") == "absolute"
    assert skip.evaluate("el => getComputedStyle(el).width") == "1px"
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith('"Inter Variable"')
    assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('16px \"Inter Variable\"'))")
    # htmx 2 is loaded and took its configuration from the <meta name="htmx-config"> tag.
    assert page.evaluate("htmx.version").startswith("2.")
    assert page.evaluate("[htmx.config.allowEval, htmx.config.includeIndicatorStyles]") == [False, False]


def test_anonymous_start_page_in_chromium(browser: Any, base_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = _open(
        browser, base_url + "/", viewport={"width": 1280, "height": 900}, color_scheme="light"
    )
    _assert_styled(page)
    buttons = page.get_by_test_id("sign-in-buttons")
    agent, customer = (
        buttons.get_by_role("link", name="Agent sign-in"),
        buttons.get_by_role("link", name="Customer sign-in"),
    )
    expect(agent).to_have_attribute("href", "/login")
    expect(customer).to_have_attribute("href", "/customer/login")
    assert agent.evaluate("el => getComputedStyle(el).borderRadius") == "8px"  # styled as buttons
    assert customer.evaluate("el => getComputedStyle(el).borderTopWidth") == "1px"
    expect(page.locator("[data-state]")).to_have_count(0)  # no figures
    expect(page.get_by_text("Postmaster")).to_have_count(0)  # no queue names
    page.screenshot(path=str(SCREENSHOTS / "home-anonymous.png"), full_page=True)
    assert problems.items == []
    context.close()


def test_start_page_in_chromium(browser: Any, base_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = _open(
        browser, base_url + "/login", viewport={"width": 1280, "height": 900}, color_scheme="light"
    )
    _sign_in(page, base_url)
    _assert_styled(page)
    assert page.locator(".gk-card").first.evaluate("el => getComputedStyle(el).borderTopLeftRadius") == "12px"

    # The page shows the figures, and the header who is signed in.
    assert page.locator('[data-state="open"]').inner_text() == str(EXPECTED_BY_STATE["open"])
    top_bar = page.locator("header > div").first  # the mobile menu repeats the account, hidden at this width
    expect(top_bar.get_by_test_id("signed-in-as")).to_have_text(ADMIN_NAME)
    expect(top_bar.get_by_test_id("sign-out")).to_be_visible()
    expect(page.get_by_test_id("sign-in-buttons")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)

    # Alpine started (x-cloak removed) and its theme switch works, and the choice survives a reload.
    toggle = page.get_by_test_id("theme-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator("html")).to_have_class("h-full dark")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.reload(wait_until="load")
    assert page.evaluate("document.documentElement.classList.contains('dark')")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(250, 250, 250)"
    page.screenshot(path=str(SCREENSHOTS / "home-dark.png"), full_page=True)

    # Signing out ends on the sign-in page; the start page then hides the figures again.
    top_bar.get_by_test_id("sign-out").click()
    page.wait_for_url(base_url + "/login")
    page.wait_for_load_state("networkidle")  # the favicon loads after "load"; leaving at once would abort it
    page.goto(base_url + "/", wait_until="load")
    expect(page.get_by_test_id("sign-in-buttons")).to_be_visible()
    expect(page.locator("[data-state]")).to_have_count(0)
    assert problems.items == []
    context.close()


def test_mobile_menu_in_chromium(browser: Any, base_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = _open(
        browser, base_url + "/", viewport={"width": 390, "height": 844}, color_scheme="dark"
    )
    assert page.evaluate("document.documentElement.classList.contains('dark')")  # follows the OS until chosen
    # A visitor: the sign-in buttons are on the page, so the header has no menu.
    expect(page.get_by_test_id("sign-in-buttons").get_by_role("link", name="Customer sign-in")).to_be_visible()
    expect(page.get_by_test_id("menu-button")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") == 390  # nothing overflows sideways
    page.screenshot(path=str(SCREENSHOTS / "home-mobile.png"), full_page=True)

    # An agent: the menu opens with the sign-out form, and Escape closes it.
    _sign_in(page, base_url)
    menu, button = page.locator("#gk-mobile-menu"), page.get_by_test_id("menu-button")
    expect(page.locator("header > div").first.get_by_test_id("sign-out")).to_be_hidden()  # below sm: in the menu
    expect(menu).to_be_hidden()
    button.click()
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_test_id("sign-out")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "home-mobile-agent.png"), full_page=True)
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    assert problems.items == []
    context.close()

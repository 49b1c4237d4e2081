"""The page shell in a real browser: Debian's chromium driven by Playwright, the app under a strict CSP.

Checks what the Flask test client cannot: the stylesheet applies, Alpine (CSP build) and htmx start, the theme
switch and the mobile menu work, and nothing is refused by the Content-Security-Policy or fails to load.
Screenshots land in var/screenshots/ for a person to look at.

Chromium comes from Debian (`apt-get install -y chromium`); Playwright's own browser download is not used.  Without
it the test skips locally and fails under CI=true.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from goatkit.platform import current_platform
from gotrs_app import create_app
from tests.modules.web import EXPECTED_BY_STATE, create_helpdesk

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("GOTRS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: What production will send: no inline scripts or styles, no eval.  Any violation is a console error.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _require_browser() -> Any:
    problem = None
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        problem = "the playwright package is not installed: .venv/bin/pip install -e '.[dev]'"
    if problem is None and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        problem = f"chromium is not installed at {CHROMIUM}: apt-get install -y chromium"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    return sync_playwright, expect


def _expect(target: Any) -> Any:
    """Playwright's auto-waiting assertion (Alpine applies state changes on the next tick)."""
    return _require_browser()[1](target)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("browser")
    app = create_app({"database_url": f"sqlite:///{var_dir / 'gotrs.db'}", "var_dir": var_dir, "log_format": "text"})
    create_helpdesk(current_platform(app).engine)

    @app.after_request
    def _csp(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", STRICT_CSP)
        return response

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    current_platform(app).close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _require_browser()[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """Collects everything a person would call broken: console errors, script errors, failed or 4xx/5xx loads."""

    def __init__(self, page: Any) -> None:
        self.items: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.items.append(f"page error: {exc}"))
        page.on("requestfailed", lambda req: self.items.append(f"failed: {req.url} {req.failure}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":  # CSP violations are reported here too
            self.items.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.items.append(f"HTTP {response.status}: {response.url}")


def _open(browser: Any, url: str, **context_options: Any) -> tuple[Any, Any, PageProblems]:
    context = browser.new_context(**context_options)
    page = context.new_page()
    problems = PageProblems(page)
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.Alpine !== undefined && window.htmx !== undefined", timeout=5000)
    return context, page, problems


def test_start_page_in_chromium(browser: Any, base_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = _open(
        browser, base_url + "/", viewport={"width": 1280, "height": 900}, color_scheme="light"
    )

    # The stylesheet applied: the skip link is visually hidden, cards are rounded, the vendored Inter font loads.
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => getComputedStyle(el).position") == "absolute"
    assert skip.evaluate("el => getComputedStyle(el).width") == "1px"
    assert page.locator(".gk-card").first.evaluate("el => getComputedStyle(el).borderTopLeftRadius") == "12px"
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith('"Inter Variable"')
    assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('16px \"Inter Variable\"'))")

    # htmx 2 is loaded and took its configuration from the <meta name="htmx-config"> tag.
    assert page.evaluate("htmx.version").startswith("2.")
    assert page.evaluate("[htmx.config.allowEval, htmx.config.includeIndicatorStyles]") == [False, False]

    # The page shows the figures.
    assert page.locator('[data-state="open"]').inner_text() == str(EXPECTED_BY_STATE["open"])
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)

    # Alpine started (x-cloak removed) and its theme switch works, and the choice survives a reload.
    toggle = page.get_by_test_id("theme-toggle")
    _expect(toggle).to_be_visible()
    _expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    _expect(page.locator("html")).to_have_class("h-full dark")
    _expect(toggle).to_have_attribute("aria-pressed", "true")
    page.reload(wait_until="load")
    assert page.evaluate("document.documentElement.classList.contains('dark')")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(250, 250, 250)"
    page.screenshot(path=str(SCREENSHOTS / "home-dark.png"), full_page=True)

    assert problems.items == []
    context.close()


def test_mobile_menu_in_chromium(browser: Any, base_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, problems = _open(
        browser, base_url + "/", viewport={"width": 390, "height": 844}, color_scheme="dark"
    )
    assert page.evaluate("document.documentElement.classList.contains('dark')")  # follows the OS until chosen
    menu, button = page.locator("#gk-mobile-menu"), page.get_by_test_id("menu-button")
    _expect(menu).to_be_hidden()
    button.click()
    _expect(menu).to_be_visible()
    _expect(button).to_have_attribute("aria-expanded", "true")
    _expect(menu.get_by_role("link", name="Sign in")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "home-mobile.png"), full_page=True)
    page.keyboard.press("Escape")
    _expect(menu).to_be_hidden()
    assert problems.items == []
    context.close()

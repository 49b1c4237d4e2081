"""Shared plumbing of the browser tests: Debian's chromium through Playwright, the app served on loopback.

Chromium comes from Debian (`apt-get install -y chromium`, done by scripts/ensure-browser.sh); Playwright's own
browser download is not used.  Without it the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

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
#: What the app sends (goatkit.settings.DEFAULT_CSP): no inline scripts or styles, no eval.  Any violation is a
#: console error.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def require_browser() -> Any:
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


def expect(target: Any) -> Any:
    """Playwright's auto-waiting assertion (Alpine applies state changes on the next tick)."""
    return require_browser()[1](target)


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = require_browser()[0]
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
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _failed(self, request: Any) -> None:
        # A live event stream is cut when the page is left or the stream ends: normal, not a failure.
        if request.resource_type == "eventsource" and request.failure == "net::ERR_ABORTED":
            return
        self.items.append(f"failed: {request.url} {request.failure}")

    def _console(self, message: Any) -> None:
        if message.type == "error":  # CSP violations are reported here too
            self.items.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.items.append(f"HTTP {response.status}: {response.url}")

"""Every response carries the security headers: pages, JSON, redirects, errors and static files."""

from __future__ import annotations

import pytest
from flask import Flask

from goatkit.settings import DEFAULT_CSP
from tests.modules.auth import Helpdesk

EXPECTED = {
    "Content-Security-Policy": DEFAULT_CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/login", 200),
        ("GET", "/static/css/gotrs.css", 200),
        ("GET", "/static/nope.js", 404),
        ("GET", "/no-such-page", 404),
        ("GET", "/api/v1/auth/me", 401),
        ("GET", "/admin/sessions", 302),
        ("POST", "/api/v1/auth/login", 422),
        ("DELETE", "/login", 405),
        ("GET", "/healthz", 200),
    ],
)
def test_headers_on_every_response(make, method: str, path: str, status: int) -> None:  # type: ignore[no-untyped-def]
    desk: Helpdesk = make()
    response = desk.client().open(path, method=method)
    assert response.status_code == status
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    assert "Strict-Transport-Security" not in response.headers


def test_headers_on_unexpected_errors_and_https(make) -> None:  # type: ignore[no-untyped-def]
    desk: Helpdesk = make()
    app: Flask = desk.app

    @app.get("/boom-for-test")
    def boom() -> str:
        raise RuntimeError("kaboom")

    response = desk.client().get("/boom-for-test", base_url="https://localhost")
    assert response.status_code == 500
    assert response.headers["Content-Security-Policy"] == DEFAULT_CSP
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_policy_is_a_setting(make) -> None:  # type: ignore[no-untyped-def]
    desk: Helpdesk = make(content_security_policy="default-src 'self'")
    assert desk.client().get("/").headers["Content-Security-Policy"] == "default-src 'self'"

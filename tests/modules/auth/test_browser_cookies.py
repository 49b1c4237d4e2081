"""Browsers: the sign-in form, HttpOnly cookies, CSRF on every cookie-authenticated change, silent refresh."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.modules.auth import ADMIN, ADMIN_PW, AGENT, AGENT_PW, FAILED, Helpdesk

CSRF_MESSAGE = "This form has expired or did not come from this site. Reload the page and try again."


def cookie_headers(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_sign_in_form_sets_httponly_cookies_and_redirects(helpdesk: Helpdesk) -> None:
    client = helpdesk.client()
    response = helpdesk.browser_login(client, ADMIN, ADMIN_PW, next="/admin/sessions")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/sessions"
    cookies = cookie_headers(response)
    for name in ("gotrs_agent_access", "gotrs_agent_refresh"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name] and "Path=/" in cookies[name]
        assert "Secure" not in cookies[name]  # plain http in tests; https or auth_cookie_secure=always adds it
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.get_json()["login"] == ADMIN
    assert client.get("/login").headers["Location"] == "/"  # already signed in: the sign-in page moves on


def test_cookies_are_secure_over_https_or_by_setting(make: Callable[..., Helpdesk]) -> None:
    desk = make(auth_cookie_secure="always")
    response = desk.browser_login(desk.client(), ADMIN, ADMIN_PW)
    assert "Secure" in cookie_headers(response)["gotrs_agent_access"]
    desk = make()
    client = desk.client()
    page = client.get("/login", base_url="https://localhost")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login", base_url="https://localhost", data={"login": ADMIN, "password": ADMIN_PW, "csrf_token": token}
    )
    assert "Secure" in cookie_headers(response)["gotrs_agent_access"]


def test_unsafe_next_targets_are_ignored(make: Callable[..., Helpdesk]) -> None:
    desk = make()
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = desk.browser_login(desk.client(), ADMIN, ADMIN_PW, next=target)
        assert response.headers["Location"] == "/", target


def test_wrong_password_on_the_form_shows_the_message(make: Callable[..., Helpdesk]) -> None:
    desk = make()
    response = desk.browser_login(desk.client(), ADMIN, "wrong")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert FAILED in html and 'value="root@localhost"' in html
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("gotrs_agent")]


def test_the_sign_in_form_needs_its_csrf_token(make: Callable[..., Helpdesk]) -> None:
    desk = make()
    client = desk.client()
    client.get("/login")
    response = client.post("/login", data={"login": ADMIN, "password": ADMIN_PW, "csrf_token": "forged"})
    assert response.status_code == 403 and CSRF_MESSAGE in response.get_data(as_text=True)
    fresh = desk.client()  # no cookie at all: a cross-site form post
    assert fresh.post("/login", data={"login": ADMIN, "password": ADMIN_PW}).status_code == 403


def test_cookie_requests_that_change_state_need_the_csrf_token(helpdesk: Helpdesk) -> None:
    client = helpdesk.client()
    helpdesk.browser_login(client, AGENT, AGENT_PW)
    refused = client.post("/api/v1/auth/logout")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == CSRF_MESSAGE
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert client.get("/api/v1/auth/me").status_code == 200  # still signed in

    token = helpdesk.page_csrf(client)
    accepted = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401


def test_bearer_requests_need_no_csrf_token(make: Callable[..., Helpdesk]) -> None:
    desk = make()
    token = desk.token(AGENT, AGENT_PW)["access_token"]
    response = desk.client().post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_browser_logout_ends_the_session_and_clears_cookies(make: Callable[..., Helpdesk]) -> None:
    desk = make()
    client = desk.client()
    desk.browser_login(client, AGENT, AGENT_PW)
    stolen = client.get_cookie("gotrs_agent_access").value
    token = desk.page_csrf(client)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    cleared = cookie_headers(response)
    assert "Expires=Thu, 01 Jan 1970" in cleared["gotrs_agent_access"]
    assert client.get("/api/v1/auth/me").status_code == 401
    other = desk.client()  # a copy of the cookie taken before sign-out is dead too
    other.set_cookie("gotrs_agent_access", stolen)
    assert other.get("/api/v1/auth/me").status_code == 401


def test_an_expired_access_cookie_is_renewed_from_the_refresh_cookie(make: Callable[..., Helpdesk]) -> None:
    desk = make(auth_access_token_seconds=1)
    client = desk.client()
    desk.browser_login(client, AGENT, AGENT_PW)
    first = client.get_cookie("gotrs_agent_access").value
    time.sleep(2.1)
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 200 and response.get_json()["login"] == AGENT
    assert "gotrs_agent_access" in cookie_headers(response)
    assert client.get_cookie("gotrs_agent_access").value != first
    token = desk.page_csrf(client)
    refreshed = client.post("/api/v1/auth/refresh", headers={"X-CSRF-Token": token})
    assert refreshed.status_code == 200 and "gotrs_agent_access" in cookie_headers(refreshed)


def test_unauthenticated_browsers_go_to_the_sign_in_page(make: Callable[..., Helpdesk]) -> None:
    desk = make()
    client = desk.client()
    page = client.get("/admin/sessions?sort=login")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=%2Fadmin%2Fsessions%3Fsort%3Dlogin"
    htmx = client.get("/admin/sessions", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/login?next=%2Fadmin%2Fsessions"
    api = client.get("/api/v1/admin/sessions")
    assert api.status_code == 401
    assert api.get_json()["error"]["message"] == "Sign in first."
    assert client.get("/customer/auth/x").status_code == 404

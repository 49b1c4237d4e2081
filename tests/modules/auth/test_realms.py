"""Agents and customers are separate realms: separate pages, cookies and tokens; neither passes for the other."""

from __future__ import annotations

from tests.modules.auth import ADMIN, ADMIN_PW, AGENT, CUSTOMER, CUSTOMER_PW, FAILED, Helpdesk


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_customers_sign_in_on_their_own_endpoints(helpdesk: Helpdesk) -> None:
    client = helpdesk.client()
    body = helpdesk.token(CUSTOMER.upper(), CUSTOMER_PW, realm="customer")  # customer logins ignore case
    assert body["user"]["realm"] == "customer" and body["user"]["login"] == CUSTOMER
    assert body["user"]["name"] == "Carl Customer"
    me = client.get("/api/v1/customer/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["realm"] == "customer"
    # A customer's password does not open the agent realm, and an agent's does not open the customer realm.
    assert helpdesk.api_login(client, CUSTOMER, CUSTOMER_PW).get_json()["error"]["message"] == FAILED
    assert helpdesk.api_login(client, ADMIN, ADMIN_PW, realm="customer").status_code == 401


def test_a_customer_token_cannot_reach_agent_routes_and_vice_versa(helpdesk: Helpdesk) -> None:
    client = helpdesk.client()
    customer = helpdesk.token(CUSTOMER, CUSTOMER_PW, realm="customer")["access_token"]
    agent = helpdesk.token()["access_token"]
    refused = client.get("/api/v1/admin/sessions", headers=bearer(customer))
    assert refused.status_code in (401, 403)
    wrong_realm = client.get("/api/v1/customer/auth/me", headers=bearer(agent))
    assert wrong_realm.status_code == 403
    assert wrong_realm.get_json()["error"]["message"] == "This needs a customer sign-in."
    assert client.get("/api/v1/admin/sessions", headers=bearer(agent)).status_code == 200


def test_cookies_of_both_realms_the_path_decides(helpdesk: Helpdesk) -> None:
    client = helpdesk.client()
    helpdesk.browser_login(client, ADMIN, ADMIN_PW)
    helpdesk.browser_login(client, CUSTOMER, CUSTOMER_PW, realm="customer")
    assert client.get_cookie("gotrs_agent_access") and client.get_cookie("gotrs_customer_access")
    assert client.get("/api/v1/auth/me").get_json()["realm"] == "agent"
    assert client.get("/api/v1/customer/auth/me").get_json()["realm"] == "customer"
    # Customer sign-out ends the customer session only.
    token = helpdesk.page_csrf(client, "/customer/no-portal-yet")  # any page under /customer: the 404 page
    assert client.post("/customer/logout", data={"csrf_token": token}).headers["Location"] == "/customer/login"
    assert client.get("/api/v1/customer/auth/me").status_code == 403  # the agent is still signed in
    assert client.get("/api/v1/auth/me").get_json()["login"] == ADMIN


def test_a_customer_browser_on_an_agent_page_is_sent_to_the_agent_sign_in(helpdesk: Helpdesk) -> None:
    client = helpdesk.client()
    helpdesk.browser_login(client, CUSTOMER, CUSTOMER_PW, realm="customer")
    response = client.get("/admin/sessions")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")


def test_the_customer_sign_in_page(helpdesk: Helpdesk) -> None:
    html = helpdesk.client().get("/customer/login").get_data(as_text=True)
    assert "<h1" in html and "Customer sign-in" in html and 'action="/customer/login"' in html
    assert 'href="/login"' in html  # "Not a customer? Agent sign-in"
    assert AGENT not in html

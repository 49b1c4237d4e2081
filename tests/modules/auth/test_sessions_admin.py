"""Administrators list sessions and end them; an ended session's tokens are refused at once."""

from __future__ import annotations

from tests.modules.auth import ADMIN, AGENT, AGENT_PW, CUSTOMER, CUSTOMER_PW, Helpdesk


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admins_list_and_end_sessions(helpdesk: Helpdesk) -> None:
    client = helpdesk.client()
    admin = helpdesk.token()
    jane = (
        helpdesk.client()
        .post(
            "/api/v1/auth/login",
            json={"login": AGENT, "password": AGENT_PW},
            headers={"User-Agent": "JaneBrowser/1.0"},
            environ_base={"REMOTE_ADDR": "10.0.0.7"},
        )
        .get_json()
    )
    customer = helpdesk.token(CUSTOMER, CUSTOMER_PW, realm="customer")

    listed = client.get("/api/v1/admin/sessions", headers=bearer(admin["access_token"]))
    assert listed.status_code == 200
    sessions = {row["id"]: row for row in listed.get_json()["sessions"]}
    assert set(sessions) == {admin["user"]["session_id"], jane["user"]["session_id"], customer["user"]["session_id"]}
    row = sessions[jane["user"]["session_id"]]
    assert (row["realm"], row["login"], row["ip"], row["user_agent"]) == ("agent", AGENT, "10.0.0.7", "JaneBrowser/1.0")
    assert row["created_at"].endswith("Z") and row["user_id"] == str(jane["user"]["id"])
    assert sessions[admin["user"]["session_id"]]["current"] is True and row["current"] is False

    ended = client.delete(f"/api/v1/admin/sessions/{jane['user']['session_id']}", headers=bearer(admin["access_token"]))
    assert ended.status_code == 200 and ended.get_json() == {"ended": jane["user"]["session_id"]}
    assert client.get("/api/v1/auth/me", headers=bearer(jane["access_token"])).status_code == 401
    assert client.post("/api/v1/auth/refresh", headers=bearer(jane["refresh_token"])).status_code == 401
    again = client.delete(f"/api/v1/admin/sessions/{jane['user']['session_id']}", headers=bearer(admin["access_token"]))
    assert again.status_code == 404
    assert again.get_json()["error"]["message"] == "No active session with this id: it has ended or expired."
    remaining = client.get("/api/v1/admin/sessions", headers=bearer(admin["access_token"])).get_json()["sessions"]
    assert jane["user"]["session_id"] not in {row["id"] for row in remaining}


def test_only_admins_see_sessions(helpdesk: Helpdesk) -> None:
    jane = helpdesk.token(AGENT, AGENT_PW)["access_token"]
    client = helpdesk.client()
    refused = client.get("/api/v1/admin/sessions", headers=bearer(jane))
    assert refused.status_code == 403
    assert client.delete("/api/v1/admin/sessions/whatever", headers=bearer(jane)).status_code == 403


def test_sessions_page_lists_rows_with_end_buttons(make) -> None:  # type: ignore[no-untyped-def]
    desk: Helpdesk = make()
    client = desk.client()
    desk.browser_login(client, ADMIN, "admin-Pw-1")
    other = desk.token(AGENT, AGENT_PW)
    page = client.get("/admin/sessions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<meta name="csrf-token"' in html
    assert f'hx-delete="/api/v1/admin/sessions/{other["user"]["session_id"]}"' in html
    assert 'hx-swap="delete"' in html and ">End session</button>" in html and ">you</span>" in html
    for heading in ("Realm", "User", "Created", "Last seen", "IP", "Agent string"):
        assert f">{heading}</th>" in html
    # The button's request: a cookie DELETE with the page's CSRF header, as htmx sends it.
    token = html.split('<meta name="csrf-token" content="')[1].split('"')[0]
    url = f"/api/v1/admin/sessions/{other['user']['session_id']}"
    assert client.delete(url).status_code == 403
    assert client.delete(url, headers={"X-CSRF-Token": token, "HX-Request": "true"}).status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(other["access_token"])).status_code == 401


def test_last_seen_is_saved_but_not_on_every_request(make) -> None:  # type: ignore[no-untyped-def]
    import time

    from sqlalchemy import select

    from goatkit.db.tables import goatkit_session

    # Seconds are stored whole: with 1 s the second request could cross a second boundary and touch again.
    desk: Helpdesk = make(auth_session_touch_seconds=3)
    token = desk.token()
    client = desk.client()
    sid = token["user"]["session_id"]

    def last_seen() -> int:
        with desk.engine.connect() as conn:
            query = select(goatkit_session.c.last_seen).where(goatkit_session.c.session_id == sid)
            return int(conn.execute(query).scalar_one())

    created = last_seen()
    time.sleep(3.1)
    client.get("/api/v1/auth/me", headers=bearer(token["access_token"]))
    touched = last_seen()
    assert touched >= created + 3
    client.get("/api/v1/auth/me", headers=bearer(token["access_token"]))
    assert last_seen() == touched

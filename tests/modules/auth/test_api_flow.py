"""The JSON API end to end: login, me, refresh, logout, and the revoked tokens refused afterwards."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.modules.auth import ADMIN, ADMIN_PW, AGENT, AGENT_PW, Helpdesk


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def check_full_cycle(desk: Helpdesk) -> None:
    client = desk.client()
    login = desk.api_login(client, ADMIN, ADMIN_PW)
    assert login.status_code == 200
    body = login.get_json()
    assert body["expires_in"] == 900 and body["token_type"] == "Bearer"
    assert body["user"] == {
        "id": 1,
        "login": ADMIN,
        "name": "Admin OTRS",
        "realm": "agent",
        "session_id": body["user"]["session_id"],
    }
    assert not login.headers.getlist("Set-Cookie")  # API clients get tokens, not cookies
    access, refresh = body["access_token"], body["refresh_token"]

    me = client.get("/api/v1/auth/me", headers=bearer(access))
    assert me.status_code == 200
    assert me.get_json() == {
        "id": 1,
        "login": ADMIN,
        "name": "Admin OTRS",
        "realm": "agent",
        "session_id": body["user"]["session_id"],
    }

    assert client.post("/api/v1/auth/refresh", headers=bearer(access)).status_code == 401  # not a refresh token
    assert client.get("/api/v1/auth/me", headers=bearer(refresh)).status_code == 401  # not an access token
    renewed = client.post("/api/v1/auth/refresh", headers=bearer(refresh))
    assert renewed.status_code == 200
    new_access = renewed.get_json()["access_token"]
    assert new_access != access and renewed.get_json()["expires_in"] == 900
    assert client.get("/api/v1/auth/me", headers=bearer(new_access)).get_json()["login"] == ADMIN

    out = client.post("/api/v1/auth/logout", headers=bearer(new_access))
    assert out.status_code == 200 and out.get_json() == {"message": "Signed out."}
    for token in (new_access, access):  # the session ended: every access token of it is refused
        refused = client.get("/api/v1/auth/me", headers=bearer(token))
        assert refused.status_code == 401
        assert refused.get_json()["error"]["message"] == "Sign in first."
    again = client.post("/api/v1/auth/refresh", headers=bearer(refresh))
    assert again.status_code == 401
    assert again.get_json()["error"]["message"] == "Sign in again: the refresh token is invalid, expired or revoked."


def test_login_me_refresh_logout(helpdesk: Helpdesk) -> None:
    check_full_cycle(helpdesk)


@pytest.mark.redis
def test_login_me_refresh_logout_with_redis_revocations(make: Callable[..., Helpdesk], clean_redis: str) -> None:
    desk = make(redis_url=clean_redis)
    check_full_cycle(desk)
    import redis

    keys = redis.Redis.from_url(clean_redis).keys("goatkit:revoked:*")
    assert len(keys) == 2  # the access token's jti and the session id, with a TTL
    assert all(redis.Redis.from_url(clean_redis).ttl(key) > 0 for key in keys)


def test_revocation_is_stored_in_the_database_without_redis(helpdesk: Helpdesk) -> None:
    from sqlalchemy import func, select

    from goatkit.db.tables import goatkit_revoked_token

    token = helpdesk.token()
    helpdesk.client().post("/api/v1/auth/logout", headers=bearer(token["access_token"]))
    with helpdesk.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(goatkit_revoked_token)).scalar_one() == 2


def test_access_tokens_expire_and_refresh_really_refreshes(make: Callable[..., Helpdesk]) -> None:
    desk = make(auth_access_token_seconds=1)
    client = desk.client()
    body = desk.token(AGENT, AGENT_PW)
    assert body["expires_in"] == 1
    assert client.get("/api/v1/auth/me", headers=bearer(body["access_token"])).status_code == 200
    time.sleep(2.1)
    expired = client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert expired.status_code == 401 and expired.headers["WWW-Authenticate"].startswith("Bearer")
    renewed = client.post("/api/v1/auth/refresh", headers=bearer(body["refresh_token"]))
    assert renewed.status_code == 200
    assert (
        client.get("/api/v1/auth/me", headers=bearer(renewed.get_json()["access_token"])).get_json()["login"] == AGENT
    )


def test_refresh_tokens_expire_with_their_session(make: Callable[..., Helpdesk]) -> None:
    desk = make(auth_access_token_seconds=1, auth_refresh_token_seconds=2)
    body = desk.token()
    time.sleep(2.1)
    assert desk.client().post("/api/v1/auth/refresh", headers=bearer(body["refresh_token"])).status_code == 401


def test_an_invalidated_user_cannot_refresh(helpdesk: Helpdesk) -> None:
    from sqlalchemy import update

    from tests.modules.auth import USERS

    body = helpdesk.token(AGENT, AGENT_PW)
    with helpdesk.engine.begin() as conn:
        conn.execute(update(USERS).where(USERS.c.login == AGENT).values(valid_id=2))
    client = helpdesk.client()
    assert client.post("/api/v1/auth/refresh", headers=bearer(body["refresh_token"])).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(body["access_token"])).status_code == 401  # session ended
    assert helpdesk.api_login(client, AGENT, AGENT_PW).status_code == 401


def test_garbage_and_foreign_tokens_are_refused(helpdesk: Helpdesk) -> None:
    import jwt

    client = helpdesk.client()
    forged = jwt.encode(
        {
            "sub": "1",
            "type": "access",
            "realm": "agent",
            "sid": "x",
            "uid": 1,
            "login": ADMIN,
            "exp": int(time.time()) + 60,
        },
        "not-the-key-of-this-app-but-long-enough",
        algorithm="HS256",
    )
    for header in ("Bearer nonsense", f"Bearer {forged}", "Basic cm9vdDpyb290", "Bearer"):
        response = client.get("/api/v1/auth/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.get_json()["error"]["message"] == "Sign in first."

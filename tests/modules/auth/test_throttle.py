"""Failed sign-ins are throttled per login and per IP, with growing lock-outs; the message never tells more."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.modules.auth import ADMIN, ADMIN_PW, AGENT, AGENT_PW, FAILED, Helpdesk


def attempt(desk: Helpdesk, login: str, password: str, ip: str = "10.1.1.1"):  # type: ignore[no-untyped-def]
    return desk.client().post(
        "/api/v1/auth/login", json={"login": login, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def check_throttle(desk: Helpdesk) -> None:
    for login in (AGENT, "nobody-has-this-login"):  # a known and an unknown login behave alike
        answers = [attempt(desk, login, "wrong") for _ in range(5)]
        assert [a.status_code for a in answers] == [401] * 5
        assert {a.get_json()["error"]["message"] for a in answers} == {FAILED}
        sixth = attempt(desk, login, "wrong")
        assert sixth.status_code == 429
        assert sixth.headers["Retry-After"] in ("1", "2")
        wait = sixth.headers["Retry-After"]
        assert sixth.get_json()["error"]["message"] == f"Too many failed sign-ins. Try again in {wait} seconds."
        if login == AGENT:  # locked: even the right password is refused, without being checked
            assert attempt(desk, AGENT, AGENT_PW).status_code == 429
    # Another login from another IP is not affected.
    assert attempt(desk, ADMIN, ADMIN_PW, ip="10.2.2.2").status_code == 200

    time.sleep(2.1)  # the first lock-out (auth_lockout_seconds=2) is over; the next failure locks for twice as long
    assert attempt(desk, AGENT, "wrong").status_code == 401
    again = attempt(desk, AGENT, "wrong")
    assert again.status_code == 429 and int(again.headers["Retry-After"]) in (3, 4)

    time.sleep(int(again.headers["Retry-After"]) + 0.1)
    assert attempt(desk, AGENT, AGENT_PW).status_code == 200  # success clears the login's count
    assert attempt(desk, AGENT, "wrong").status_code == 401


def test_throttle_in_the_database(make: Callable[..., Helpdesk]) -> None:
    check_throttle(make(auth_lockout_seconds=2))


@pytest.mark.redis
def test_throttle_in_redis(make: Callable[..., Helpdesk], clean_redis: str) -> None:
    check_throttle(make(auth_lockout_seconds=2, redis_url=clean_redis))


def test_per_ip_limit_across_logins(make: Callable[..., Helpdesk]) -> None:
    desk = make(auth_ip_failures=3, auth_lockout_seconds=30)
    for number in range(3):
        assert attempt(desk, f"spray{number}", "guess", ip="10.9.9.9").status_code == 401
    blocked = attempt(desk, ADMIN, ADMIN_PW, ip="10.9.9.9")
    assert blocked.status_code == 429 and 28 <= int(blocked.headers["Retry-After"]) <= 30
    assert attempt(desk, ADMIN, ADMIN_PW, ip="10.8.8.8").status_code == 200


def test_the_form_is_throttled_too(make: Callable[..., Helpdesk]) -> None:
    desk = make()
    client = desk.client()
    for _ in range(5):
        assert desk.browser_login(client, AGENT, "wrong").status_code == 401
    page = desk.browser_login(client, AGENT, "wrong")
    wait = page.headers["Retry-After"]  # 30 s lockout, counted from the fifth failure: a slow second may pass
    assert page.status_code == 429 and 28 <= int(wait) <= 30
    assert f"Too many failed sign-ins. Try again in {wait} seconds." in page.get_data(as_text=True)


def test_unknown_logins_take_as_long_as_known_ones(make: Callable[..., Helpdesk]) -> None:
    desk = make(auth_login_failures=100, auth_ip_failures=100)

    def timed(login: str) -> float:
        start = time.perf_counter()
        attempt(desk, login, "wrong")
        return time.perf_counter() - start

    known = min(timed(AGENT) for _ in range(5))
    unknown = min(timed("ghost") for _ in range(5))
    assert unknown > known * 0.5  # both pay one argon2 verification

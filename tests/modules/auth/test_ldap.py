"""Agents sign in through a real OpenLDAP server (scripts/test-ldap.sh starts Debian's slapd)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from sqlalchemy import select

from tests.conftest import require_service
from tests.modules.auth import ADMIN, ADMIN_PW, FAILED, USERS, Helpdesk

pytestmark = pytest.mark.ldap


@pytest.fixture
def ldap_settings() -> dict[str, str]:
    url = require_service("GOTRS_TEST_LDAP_URL", "The test LDAP server (scripts/test-ldap.sh start)")
    return {
        "url": url,
        "base_dn": os.environ["GOTRS_TEST_LDAP_BASE_DN"],
        "bind_dn": os.environ["GOTRS_TEST_LDAP_BIND_DN"],
        "bind_password": os.environ["GOTRS_TEST_LDAP_BIND_PASSWORD"],
        "user_filter": "(&(objectClass=inetOrgPerson)(uid={login}))",
    }


def user_row(desk: Helpdesk, login: str):  # type: ignore[no-untyped-def]
    with desk.engine.connect() as conn:
        return conn.execute(select(USERS).where(USERS.c.login == login)).mappings().first()


def test_ldap_user_signs_in_and_is_created(make: Callable[..., Helpdesk], ldap_settings: dict[str, str]) -> None:
    desk = make(ldap=ldap_settings)
    client = desk.client()
    assert user_row(desk, "lena") is None
    body = desk.api_login(client, "lena", "lena-ldap-pw").get_json()
    assert body["user"]["login"] == "lena" and body["user"]["name"] == "Lena Dapper"
    row = user_row(desk, "lena")
    assert (row["first_name"], row["last_name"], row["valid_id"]) == ("Lena", "Dapper", 1)
    assert row["pw"].startswith("$argon2id$")  # random: the row signs in through LDAP only
    assert desk.api_login(client, "lena", "lena-ldap-pw").status_code == 200  # second time: the same row
    with desk.engine.connect() as conn:
        assert len(conn.execute(select(USERS.c.id).where(USERS.c.login == "lena")).all()) == 1


def test_wrong_ldap_password_and_filter_injection_fail(
    make: Callable[..., Helpdesk], ldap_settings: dict[str, str]
) -> None:
    desk = make(ldap=ldap_settings)
    client = desk.client()
    for login, password in (("lena", "wrong"), ("*", "lena-ldap-pw"), ("lena)(uid=*", "lena-ldap-pw")):
        response = desk.api_login(client, login, password)
        assert response.status_code == 401, login
        assert response.get_json()["error"]["message"] == FAILED
    assert user_row(desk, "lena") is None


def test_local_accounts_still_sign_in_with_ldap_on(
    make: Callable[..., Helpdesk], ldap_settings: dict[str, str]
) -> None:
    desk = make(ldap=ldap_settings)
    client = desk.client()
    assert desk.api_login(client, ADMIN, ADMIN_PW).status_code == 200  # local password (LDAP says no)
    assert desk.api_login(client, ADMIN, "ldap-root-pw").status_code == 200  # the directory's password too


def test_no_user_creation_when_switched_off(make: Callable[..., Helpdesk], ldap_settings: dict[str, str]) -> None:
    desk = make(ldap={**ldap_settings, "create_users": False})
    assert desk.api_login(desk.client(), "omar", "omar-ldap-pw").status_code == 401
    assert user_row(desk, "omar") is None


def test_an_unreachable_directory_falls_back_to_local_passwords(make: Callable[..., Helpdesk]) -> None:
    desk = make(ldap={"url": "ldap://127.0.0.1:9", "base_dn": "dc=nowhere", "timeout_seconds": 1})
    client = desk.client()
    assert desk.api_login(client, ADMIN, ADMIN_PW).status_code == 200
    assert desk.api_login(client, "lena", "lena-ldap-pw").status_code == 401


def test_an_empty_password_never_binds(ldap_settings: dict[str, str]) -> None:
    from goatkit.auth.ldap import LdapDirectory, LdapSettings

    directory = LdapDirectory(LdapSettings(**ldap_settings))
    assert directory.authenticate("lena", "") is None  # LDAP would accept it as an "unauthenticated bind"
    assert directory.authenticate("lena", "lena-ldap-pw") is not None

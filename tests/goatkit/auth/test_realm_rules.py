"""Which realm a path prefers, and which ``next`` targets are safe."""

from __future__ import annotations

import pytest

from goatkit.auth.guards import safe_next
from goatkit.auth.realm import Realm, Realms

STAFF = Realm(name="staff", label="Staff", table="staff", cookie_prefix="app")
CLIENT = Realm(
    name="client", label="Client", table="clients", login_path="/client/login", path_prefixes=("/client", "/api/client")
)


def test_cookie_names_follow_prefix_and_realm() -> None:
    assert (STAFF.access_cookie, STAFF.refresh_cookie) == ("app_staff_access", "app_staff_refresh")
    assert CLIENT.access_cookie == "goatkit_client_access"


@pytest.mark.parametrize(
    ("path", "order"),
    [
        ("/", ["staff", "client"]),
        ("/admin/x", ["staff", "client"]),
        ("/client", ["client", "staff"]),
        ("/client/tickets/1", ["client", "staff"]),
        ("/clientele", ["staff", "client"]),
        ("/api/client/me", ["client", "staff"]),
    ],
)
def test_the_paths_own_realm_comes_first(path: str, order: list[str]) -> None:
    realms = Realms([STAFF, CLIENT])
    assert [realm.name for realm in realms.preference(path)] == order
    assert realms.for_path(path).name == order[0]
    assert realms.default is STAFF


def test_realm_names_are_unique() -> None:
    with pytest.raises(ValueError, match="repeated: staff"):
        Realms([STAFF, STAFF])
    with pytest.raises(ValueError, match="at least one realm"):
        Realms([])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/admin/sessions", "/admin/sessions"),
        ("/tickets?queue=2&x=%2F", "/tickets?queue=2&x=%2F"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("/a\\b", "/"),
        ("relative/path", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_safe_next(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected

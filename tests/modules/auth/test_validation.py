"""Every field of the login body is checked, and the 422 names the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.modules.auth import Helpdesk


@pytest.mark.parametrize(
    ("body", "message", "fields"),
    [
        ({"password": "x"}, "login is required.", {"login": "is required"}),
        ({"login": "root@localhost"}, "password is required.", {"password": "is required"}),
        ({"login": "   ", "password": "x"}, "login must not be blank.", {"login": "must not be blank"}),
        ({"login": 5, "password": "x"}, "login must be a string.", {"login": "must be a string"}),
        (
            {"login": "a" * 201, "password": "x" * 1025},
            "login must be at most 200 characters.",
            {"login": "must be at most 200 characters", "password": "must be at most 1024 characters"},
        ),
        (["root", "pw"], "The request must be a JSON object.", {"body": "must be a JSON object"}),
    ],
)
def test_login_body_is_validated(make: Callable[..., Helpdesk], body: Any, message: str, fields: dict) -> None:
    desk = make()
    for path in ("/api/v1/auth/login", "/api/v1/customer/auth/login"):
        response = desk.client().post(path, json=body)
        assert response.status_code == 422
        error = response.get_json()["error"]
        assert error["message"] == message and error["fields"] == fields and error["status"] == 422


def test_a_body_that_is_not_json_is_a_422(make: Callable[..., Helpdesk]) -> None:
    desk = make()
    response = desk.client().post("/api/v1/auth/login", data="login=root", content_type="text/plain")
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "The request must be a JSON object."

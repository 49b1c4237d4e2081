"""The OTRS admin entities shipped as YAML modules (modules/*.yaml), driven through the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.modules.auth import Helpdesk

API = "/api/v1/modules"


class AdminApi:
    """``api.post("/queue", json=...)`` as root@localhost (rw on group admin) against ``/api/v1/modules``."""

    def __init__(self, desk: Helpdesk) -> None:
        self.desk = desk
        self.client: FlaskClient = desk.client()
        self.headers = {"Authorization": "Bearer " + desk.token()["access_token"]}

    def __getattr__(self, method: str) -> Callable[..., Any]:
        call = getattr(self.client, method)
        return lambda path, **kw: call(API + path, headers=kw.pop("headers", self.headers), **kw)


def message(response: Any) -> str:
    """The one-sentence error of a JSON error answer."""
    return str(response.get_json()["error"]["message"])

"""The HTML screens of the admin modules render under their ``route_prefix``, and an agent's password can be reset."""

from __future__ import annotations

import pytest

from tests.modules.admin import AdminApi
from tests.modules.admin.test_admin_modules import ADMIN_MODULES, READ_ONLY
from tests.modules.auth import AGENT

HTML = {"Accept": "text/html"}


@pytest.mark.parametrize("readonly", [False, True], ids=["crud", "read-only"])
def test_every_admin_screen_renders_under_its_route_prefix(api: AdminApi, readonly: bool) -> None:
    headers = api.headers | HTML
    for name, prefix in ADMIN_MODULES.items():
        if (name in READ_ONLY) != readonly:
            continue
        listed = api.client.get(prefix, headers=headers)
        assert listed.status_code == 200, (name, listed.get_data(as_text=True)[:500])
        assert "<table" in listed.get_data(as_text=True), name
        new = api.client.get(prefix + "/new", headers=headers)
        assert new.status_code == (403 if readonly else 200), name


def test_an_admin_resets_an_agent_password_and_the_agent_signs_in_with_it(api: AdminApi) -> None:
    agent = api.get("/agent", query_string={"search": AGENT}).get_json()["data"][0]
    json_headers = api.headers | {"Accept": "application/json"}
    reset = api.client.post(f"/admin/agents/{agent['id']}/reset-password", headers=json_headers)
    assert reset.status_code == 200, reset.get_data(as_text=True)[:500]
    assert reset.headers["Cache-Control"] == "no-store"
    password = reset.get_json()["password"]
    assert len(password) == 20
    assert api.desk.api_login(api.desk.client(), AGENT, password).status_code == 200

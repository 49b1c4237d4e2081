"""A GOTRS app on a real database with agents and customers, for the sign-in tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, insert, select, update

from goatkit.lambdas.extension import runtime as lambdas_runtime
from goatkit.passwords import hash_password
from goatkit.platform import current_platform
from gotrs_app import create_app
from modules.db import MIGRATIONS
from modules.db.schema import metadata
from modules.db.seed import insert_initial_data

ADMIN, ADMIN_PW = "root@localhost", "admin-Pw-1"
AGENT, AGENT_PW = "jane", "jane-Pw-1"
CUSTOMER, CUSTOMER_PW = "cust@example.com", "cust-Pw-1"
FAILED = "Login failed: wrong login or password."
USERS, CUSTOMER_USER = metadata.tables["users"], metadata.tables["customer_user"]
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_FIELD_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Helpdesk:
    app: Flask
    engine: Engine

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def api_login(self, client: FlaskClient, login: str, password: str, realm: str = "agent") -> Any:
        path = "/api/v1/auth/login" if realm == "agent" else "/api/v1/customer/auth/login"
        return client.post(path, json={"login": login, "password": password})

    def token(self, login: str = ADMIN, password: str = ADMIN_PW, realm: str = "agent") -> dict[str, Any]:
        response = self.api_login(self.client(), login, password, realm)
        assert response.status_code == 200, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def browser_login(self, client: FlaskClient, login: str, password: str, realm: str = "agent", **extra: str) -> Any:
        path = "/login" if realm == "agent" else "/customer/login"
        page = client.get(path)
        token = _FIELD_CSRF.search(page.get_data(as_text=True))
        assert token, "the sign-in page has no csrf_token field"
        return client.post(path, data={"login": login, "password": password, "csrf_token": token.group(1), **extra})

    def page_csrf(self, client: FlaskClient, path: str = "/") -> str:
        match = _META_CSRF.search(client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True))
        assert match, f"{path} has no csrf-token meta tag"
        return match.group(1)

    def password_hash(self, login: str) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(select(USERS.c.pw).where(USERS.c.login == login)).scalar_one())

    def set_password_hash(self, login: str, stored: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(USERS).where(USERS.c.login == login).values(pw=stored))

    def close(self) -> None:
        found = lambdas_runtime(self.app)
        if found is not None:
            found.close()  # its sandbox processes, when a test started them
        current_platform(self.app).close()


def make_helpdesk(db_url: str, var_dir: Path, **config: Any) -> Helpdesk:
    app = create_app({"database_url": db_url, "var_dir": var_dir, "log_format": "text", **config})
    engine = current_platform(app).engine
    MIGRATIONS.upgrade(engine)
    now = datetime.now().replace(microsecond=0)
    audit = {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
    with engine.begin() as conn:
        insert_initial_data(conn, admin_password=ADMIN_PW)
        conn.execute(
            insert(USERS).values(
                login=AGENT, pw=hash_password(AGENT_PW), first_name="Jane", last_name="Agent", valid_id=1, **audit
            )
        )
        conn.execute(
            insert(CUSTOMER_USER).values(
                login=CUSTOMER,
                email=CUSTOMER,
                customer_id="ACME",
                pw=hash_password(CUSTOMER_PW),
                first_name="Carl",
                last_name="Customer",
                valid_id=1,
                **audit,
            )
        )
    return Helpdesk(app, engine)

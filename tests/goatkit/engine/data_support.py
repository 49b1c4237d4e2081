"""A helpdesk with a temporary modules directory, for the history and CSV tests (only these modules load).

Import the fixtures ``desk_fixture`` and ``make_desk_fixture`` into a test module; tests ask for ``desk``/``make_desk``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from goatkit.engine.extension import modules
from goatkit.engine.model import ResolvedModule
from modules.admin.history_users import init_app as init_history_users
from tests.modules.auth import AGENT, AGENT_PW, Helpdesk, make_helpdesk

PRIORITY = """\
module: {name: priority, singular: Priority, plural: Priorities, table: ticket_priority}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false}
  - {name: name, type: string, label: Name, required: true, searchable: true, sortable: true}
  - {name: color, type: color, label: Colour}
  - {name: valid_id, type: int, label: Validity, default: 1, filterable: true,
     lookup_table: valid, lookup_key: id, lookup_display: name}
  - {name: create_time, type: datetime, label: Created, show_in_form: false}
features: {soft_delete: true, export_csv: true, import_csv: true}
validation: {unique_fields: [name]}
"""

#: Agents with their password hash as a password field, and no soft delete.
AGENT_MODULE = """\
module: {name: agent, singular: Agent, table: users}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false}
  - {name: login, type: string, required: true}
  - {name: first_name, type: string, required: true}
  - {name: last_name, type: string, required: true}
  - {name: pw, type: password}
  - {name: valid_id, type: int, default: 1}
features: {export_csv: true}
"""

#: Hard delete, and history switched off.
SALUTATION = """\
module: {name: salutation, singular: Salutation, table: salutation}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false}
  - {name: name, type: string, required: true, sortable: true}
  - {name: text, type: textarea, required: true}
  - {name: valid_id, type: int, default: 1}
"""

#: Many value types (numbers, a checkbox on an integer column, text), on a table no initial data refers to.
SLA = """\
module: {name: sla, singular: SLA, plural: SLAs, table: sla}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false}
  - {name: name, type: string, label: Name, required: true, searchable: true}
  - {name: calendar_name, type: string, label: Calendar}
  - {name: first_response_time, type: int, label: First response (minutes), default: 0}
  - {name: first_response_notify, type: checkbox, label: Notify}
  - {name: update_time, type: int, default: 0}
  - {name: solution_time, type: int, default: 0}
  - {name: valid_id, type: int, label: Validity, default: 1, lookup_table: valid, lookup_key: id, lookup_display: name}
  - {name: comments, type: textarea}
features: {export_csv: true, import_csv: true}
validation: {unique_fields: [name]}
"""


class Desk:
    """A helpdesk app serving only the test modules, with an admin API client."""

    def __init__(self, helpdesk: Helpdesk, modules_dir: Path) -> None:
        self.helpdesk, self.modules_dir = helpdesk, modules_dir
        self.app, self.engine = helpdesk.app, helpdesk.engine
        init_history_users(self.app)  # as create_app registers it
        self.client: FlaskClient = helpdesk.client()
        self.headers = {"Authorization": "Bearer " + helpdesk.token()["access_token"]}

    def module(self, name: str) -> ResolvedModule:
        found = modules(self.app).snapshot().get(name)
        assert found is not None, f"module {name} did not load"
        return found

    def agent_headers(self) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.helpdesk.token(AGENT, AGENT_PW)["access_token"]}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=kw.pop("headers", self.headers), **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.client.post(path, headers=kw.pop("headers", self.headers), **kw)


@pytest.fixture(name="make_desk")
def make_desk_fixture(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Desk]]:
    made: list[Desk] = []

    def build(specs: dict[str, str] | None = None, **config: Any) -> Desk:
        path = tmp_path / f"modules{len(made)}"
        path.mkdir()
        for name, text in (
            specs or {"priority": PRIORITY, "agent": AGENT_MODULE, "salutation": SALUTATION, "sla": SLA}
        ).items():
            (path / f"{name}.yaml").write_text(text)
        config = {"modules_path": str(path), "modules_builtin": False, "modules_watch": False} | config
        desk = Desk(make_helpdesk(db_url, tmp_path / f"var{len(made)}", **config), path)
        made.append(desk)
        return desk

    yield build
    for desk in made:
        modules(desk.app).stop()
        desk.helpdesk.close()


@pytest.fixture(name="desk")
def desk_fixture(make_desk: Callable[..., Desk]) -> Desk:
    return make_desk()

"""A helpdesk serving only the composite admin modules (dynamic fields, notifications, postmaster filters, mail
accounts, standard attachments): the shipped YAML files themselves, copied, so other modules cannot disturb them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from goatkit.engine.extension import modules
from tests.modules.admin import AdminApi
from tests.modules.auth import Helpdesk, make_helpdesk

ROOT = Path(__file__).resolve().parents[3]
FILES = ("dynamic_field", "notification_event", "postmaster_filter", "mail_account", "standard_attachment")


@pytest.fixture
def composite(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    specs = tmp_path / "modules"
    specs.mkdir()
    for name in FILES:
        if (ROOT / "modules" / f"{name}.yaml").exists():  # TEMP
            shutil.copy(ROOT / "modules" / f"{name}.yaml", specs)
    helpdesk = make_helpdesk(db_url, tmp_path / "var", modules_path=str(specs), modules_builtin=False)
    yield helpdesk
    modules(helpdesk.app).stop()
    helpdesk.close()


@pytest.fixture
def capi(composite: Helpdesk) -> AdminApi:
    return AdminApi(composite)


class Statements:
    """Counts the SQL statements run on an engine inside ``with``: ``with Statements(engine) as seen: ...``."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.seen = engine, list[str]()

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.seen.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

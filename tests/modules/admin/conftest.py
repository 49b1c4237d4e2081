"""A helpdesk with the shipped modules (modules/*.yaml and their companions), and an admin client of its JSON API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from goatkit.engine.extension import modules
from tests.modules.admin import AdminApi
from tests.modules.auth import Helpdesk, make_helpdesk


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    helpdesk = make_helpdesk(db_url, tmp_path / "var")
    yield helpdesk
    modules(helpdesk.app).stop()
    helpdesk.close()


@pytest.fixture
def api(desk: Helpdesk) -> AdminApi:
    return AdminApi(desk)

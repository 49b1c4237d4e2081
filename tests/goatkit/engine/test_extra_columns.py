"""Extra list columns (``ModuleHook.extra_columns`` / ``fill_columns``): a hook adds columns decided per request,
their values loaded once per page, shown escaped after the spec's columns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from goatkit.engine import hooks
from goatkit.engine.extension import modules
from goatkit.engine.hooks import ExtraColumn
from goatkit.engine.model import ResolvedModule
from tests.goatkit.engine.test_views import Browser
from tests.modules.auth import Helpdesk, make_helpdesk

PRIORITY = """\
module: {name: priority, singular: Priority, plural: Priorities, table: ticket_priority}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false, show_in_list: true}
  - {name: name, type: string, required: true, show_in_list: true, searchable: true}
  - {name: valid_id, type: int, default: 1}
hooks: [tagged]
"""


class Tagged(hooks.ModuleHook):
    """Adds the columns named in ``shown`` (changed by the test between requests); records each fill."""

    def __init__(self) -> None:
        self.shown: list[str] = ["Tag"]
        self.fills: list[list[Any]] = []

    def extra_columns(self, conn: Connection, module: ResolvedModule) -> Sequence[ExtraColumn]:
        return [ExtraColumn(f"x_{label.lower()}", label, source=label) for label in self.shown] + [
            ExtraColumn("name", "Clash")  # a field's name: left out
        ]

    def fill_columns(
        self, conn: Connection, module: ResolvedModule, columns: Sequence[ExtraColumn], rows: list[dict[str, Any]]
    ) -> None:
        self.fills.append([row["id"] for row in rows])
        for row in rows:
            for column in columns:
                row[column.name] = [f"<{column.source}>", str(row["id"])] if row["id"] % 2 else None


@pytest.fixture
def tagged() -> Tagged:
    hook = Tagged()
    hooks.register("tagged", hook)
    return hook


@pytest.fixture
def desk(db_url: str, tmp_path: Path, tagged: Tagged) -> Iterator[Helpdesk]:
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "priority.yaml").write_text(PRIORITY)
    made = make_helpdesk(db_url, tmp_path / "var", modules_path=str(folder), modules_builtin=False)
    yield made
    modules(made.app).stop()
    made.close()


def test_a_hook_adds_columns_filled_once_per_page(desk: Helpdesk, tagged: Tagged, tmp_path: Path) -> None:
    admin = Browser(desk, tmp_path / "modules")

    page = admin.html("/admin/modules/priority?sort=id")

    header = page.split("<thead", 1)[1].split("</thead>", 1)[0]
    assert "Tag" in header and "Clash" not in header
    assert tagged.fills == [[1, 2, 3, 4, 5]]  # one call for the whole page
    row_one = page.split('data-id="1"', 1)[1].split("</tr>", 1)[0]
    row_two = page.split('data-id="2"', 1)[1].split("</tr>", 1)[0]
    assert "&lt;Tag&gt;, 1" in row_one and "<Tag>" not in page  # escaped, a list joined
    assert "&lt;Tag&gt;" not in row_two and "—" in row_two  # no value: the empty mark

    tagged.shown = ["Tag", "Size"]
    header = admin.html("/admin/modules/priority?sort=id").split("<thead", 1)[1].split("</thead>", 1)[0]
    assert "Tag" in header and "Size" in header  # decided per request, no spec change
    tagged.shown = []
    assert "Size" not in admin.html("/admin/modules/priority?sort=id").split("<thead", 1)[1].split("</thead>", 1)[0]

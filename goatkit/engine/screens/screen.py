"""A module as one request sees it: the module, the base URL it is served under and what the agent may do there.

Example::

    screen = open_screen("priority", base="/admin/priorities")   # Stop(404 "No module named ...") if unknown
    screen.require("update")                                      # AccessDenied if the agent may not
    screen.url(4, "edit")                                         # '/admin/priorities/4/edit'
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote

from flask import Response, current_app
from sqlalchemy import Connection, Integer
from sqlalchemy.exc import SQLAlchemyError

from goatkit.auth.identity import current_identity
from goatkit.engine import access
from goatkit.engine.extension import modules
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.hooks import ModuleHook, hooks_of
from goatkit.engine.model import ResolvedModule
from goatkit.engine.query import QueryError, convert, get_row, pk_field
from goatkit.engine.screens.cells import Cell
from goatkit.engine.screens.listing import detail_cells
from goatkit.engine.screens.respond import Stop, error, optional_url

UNAVAILABLE = "The modules cannot be loaded right now (database unavailable); try again shortly."


@dataclass(frozen=True)
class Screen:
    """``module`` served under ``base`` (``/admin/modules/<name>`` or its ``route_prefix``) to the current agent."""

    module: ResolvedModule
    base: str

    @cached_property
    def actions(self) -> frozenset[str]:
        return access.allowed_actions(self.module)

    def can(self, action: str) -> bool:
        return action in self.actions

    def require(self, action: str) -> None:
        access.require(self.module, action)

    @property
    def name(self) -> str:
        return self.module.name

    @property
    def singular(self) -> str:
        return label_text(self.module.spec.module.singular, self.module.name)

    @property
    def plural(self) -> str:
        return label_text(self.module.spec.module.plural, self.singular + "s")

    @property
    def description(self) -> str:
        text = self.module.spec.module.description
        return label_text(text, "") if text else ""

    @property
    def hooks(self) -> list[ModuleHook]:
        return hooks_of(self.module)

    @property
    def cells(self) -> tuple[Cell, ...]:
        """The detail page's fields."""
        return detail_cells(self.module)

    @property
    def pk_name(self) -> str:
        return pk_field(self.module)

    @property
    def toggles(self) -> bool:
        return "valid_id" in self.module.table.c

    def url(self, *parts: Any) -> str:
        return "/".join([self.base, *(quote(str(p), safe="") for p in parts)])

    def pk(self, record_id: str | None) -> Any:
        """The path's id as the primary key's type; 400 naming it when it cannot be one."""
        try:
            return convert(self.module.primary_key, str(record_id), "the record id")
        except QueryError:
            expected = "a whole number" if isinstance(self.module.primary_key.type, Integer) else "a valid key"
            raise Stop(error(400, f"The record id must be {expected}, not '{record_id}'.")) from None

    def row(self, conn: Connection, record_id: str | None) -> dict[str, Any]:
        found = get_row(conn, self.module, self.pk(record_id))
        if found is None:
            raise Stop(error(404, self.missing(record_id)))
        return found

    def missing(self, record_id: str | None) -> str:
        return f"{self.singular} {record_id} does not exist."

    def title_of(self, row: Mapping[str, Any], pk: Any = None) -> str:
        """A record's name for headings and messages: its first text column shown in the list, else its id."""
        for cell in detail_cells(self.module):
            rf = self.module.by_name[cell.name]
            if rf.kind == "str" and rf.lookup is None and not rf.spec.options and row.get(cell.name):
                return str(row[cell.name])
        return str(pk if pk is not None else row.get(self.pk_name, ""))

    def password_field(self) -> str | None:
        """The password field a ``password_reset`` module resets, or ``None``."""
        if not self.module.spec.features.get("password_reset"):
            return None
        return next((f.name for f in self.module.fields if f.spec.type == "password" and f.column is not None), None)

    def user_id(self) -> int:
        identity = current_identity()
        if identity is None or not isinstance(identity.id, int):  # access.require let an agent through
            raise Stop(error(403, "Only agents can change records."))
        return identity.id

    def history_url(self, record_id: Any) -> str | None:
        return optional_url("engine.history.page", module=self.name, record_id=str(record_id))

    def export_url(self) -> str | None:
        return optional_url("engine.csv.export", module=self.name) if self.can("export") else None

    def import_url(self) -> str | None:
        return optional_url("engine.csv.import_page", module=self.name) if self.can("import") else None


def open_screen(name: str, base: str = "") -> Screen:
    """The screen of module ``name``; ``Stop`` with 404 (and a suggestion) or 503 when it cannot be had."""
    try:
        snapshot = modules().snapshot()
    except SQLAlchemyError:
        raise Stop(error(503, UNAVAILABLE)) from None
    module = snapshot.get(name)
    if module is None:
        close = difflib.get_close_matches(name, sorted(snapshot), n=1)
        raise Stop(error(404, f"No module named '{name}'." + (f" Did you mean '{close[0]}'?" if close else "")))
    if module.relation is not None:  # a matrix, not records: goatkit/engine/relation_views.py serves it
        raise Stop(Response(status=303, headers={"Location": f"/admin/relations/{name}"}))
    return Screen(module, base or f"/admin/modules/{name}")


@dataclass(frozen=True)
class AdminTool:
    """A hand-written admin screen listed on ``/admin`` beside the modules (the lambda playground, an app's own).

    Listed only for administrators (``access.is_admin``); the screen itself still checks on every request."""

    name: str
    label: str
    url: str
    description: str = ""
    section: str = "Administration"
    order: int = 100


_TOOLS: dict[str, AdminTool] = {}


def register_tool(tool: AdminTool) -> None:
    """List ``tool`` on the admin index (registering a name again replaces it)."""
    _TOOLS[tool.name] = tool


def screen_index() -> list[dict[str, Any]]:
    """The modules the agent may view, by ``menu.section`` (sections and modules ordered by ``menu.order``), and
    the registered :class:`AdminTool` s for administrators."""
    try:
        snapshot = modules().snapshot()
    except SQLAlchemyError:
        raise Stop(error(503, UNAVAILABLE)) from None
    sections: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    for module in snapshot.values():
        if not access.may(module, "view"):
            continue
        prefix = module.spec.module.route_prefix.rstrip("/")
        screen = Screen(module, prefix if prefix.startswith("/admin/") else f"/admin/modules/{module.name}")
        menu = module.spec.module.menu
        section, order = (menu.section, menu.order) if menu else ("Administration", 100)
        entry = {"name": module.name, "label": screen.plural, "description": screen.description, "url": screen.base}
        sections.setdefault(label_text(section, "Administration"), []).append((order, screen.plural, entry))
    if _TOOLS and access.is_admin():
        routes = current_app.url_map.bind("localhost")
        for tool in _TOOLS.values():
            if not routes.test(tool.url, "GET"):  # this app does not serve it
                continue
            entry = {"name": tool.name, "label": tool.label, "description": tool.description, "url": tool.url}
            sections.setdefault(label_text(tool.section, "Administration"), []).append((tool.order, tool.label, entry))
    ordered = sorted(sections.items(), key=lambda item: (min(o for o, _, _ in item[1]), item[0]))
    return [
        {"title": title, "modules": [e for _, _, e in sorted(items, key=lambda i: i[:2])]} for title, items in ordered
    ]

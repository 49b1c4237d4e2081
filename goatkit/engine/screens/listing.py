"""The list screen of a module: its columns, filter controls, sort and page links, and the rendered table.

Everything per module (columns and their formatters) is built once per module object and reused; a page costs the
queries of :func:`query.list_page` (one keyset query, one ``IN`` query per lookup column, one count) plus one query
per lookup or ``source: database`` filter, never one per row.

Example::

    with app.app_context():
        html = render_list_page("priority", {"sort": "-name", "page_size": "50"})   # the table fragment
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape as html_escape
from typing import Any
from urllib.parse import urlencode

from flask import render_template
from markupsafe import Markup
from sqlalchemy import Connection

from goatkit.engine import access
from goatkit.engine.computed import add_computed
from goatkit.engine.extension import modules
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.hooks import hooks_of
from goatkit.engine.lookups import cached_lookup_options, distinct_values
from goatkit.engine.model import ResolvedField, ResolvedModule
from goatkit.engine.query import (
    ListRequest,
    Page,
    QueryError,
    filter_type,
    list_page,
    pk_field,
)
from goatkit.engine.screens import rows
from goatkit.engine.screens.actions import UiAction, ui_actions
from goatkit.engine.screens.cells import Cell, cell_for, computed_cell, extra_cell
from goatkit.i18n import current_language
from goatkit.lambdas.programs import Program
from goatkit.platform import current_platform

Params = Mapping[str, Any]  # request arguments: text, or a list for a repeated key
_BOOL_OPTIONS = [("1", "Yes"), ("0", "No")]
_CELLS: dict[tuple[int, str, str], tuple[weakref.ref[ResolvedModule], tuple[Cell, ...]]] = {}


def _cached(module: ResolvedModule, what: str, build: Any) -> tuple[Cell, ...]:
    """Cells built once per module object and language (their labels are translated)."""
    key = (id(module), what, current_language())
    hit = _CELLS.get(key)
    if hit is not None and hit[0]() is module:
        return hit[1]
    cells: tuple[Cell, ...] = build(module)
    _CELLS[key] = (weakref.ref(module, lambda _ref: _CELLS.pop(key, None)), cells)
    return cells


def _shown(rf: ResolvedField) -> bool:
    return rf.spec.type != "password" and rf.column is not None


def _list_fields(module: ResolvedModule) -> tuple[Cell, ...]:
    """``ui.list_columns`` in order, else the ``show_in_list`` fields and computed fields by ``list_position``
    (computed fields without one come last), else the first five fields."""
    by_name = module.by_name
    computed = {p.name: p for p in module.lambdas.computed}
    if module.spec.ui.list_columns:
        named: list[ResolvedField | Program] = [
            by_name.get(n) or computed[n] for n in module.spec.ui.list_columns if n in by_name or n in computed
        ]
    else:
        big = len(module.fields) + len(computed) + 1
        listed: list[tuple[int, int, ResolvedField | Program]] = [
            (f.spec.list_position if f.spec.list_position is not None else big, i, f)
            for i, f in enumerate(module.fields) if f.spec.show_in_list
        ]  # fmt: skip
        listed += [
            (p.computed.list_position if p.computed.list_position is not None else big + 1, big + i, p)
            for i, p in enumerate(computed.values()) if p.computed is not None and p.computed.show_in_list
        ]  # fmt: skip
        named = [item for _position, _order, item in sorted(listed, key=lambda t: t[:2])]
    if not named:
        named = list(module.fields[:5])
    return tuple(_cell(item, module) for item in named if not isinstance(item, ResolvedField) or _shown(item))


def _cell(item: ResolvedField | Program, module: ResolvedModule) -> Cell:
    return computed_cell(item) if isinstance(item, Program) else cell_for(item, module)


def list_cells(module: ResolvedModule) -> tuple[Cell, ...]:
    """The list's columns, each with its label and formatter."""
    return _cached(module, "list", _list_fields)


def detail_cells(module: ResolvedModule) -> tuple[Cell, ...]:
    """Every ``show_in_detail`` field (never a password), in spec order."""

    def build(m: ResolvedModule) -> tuple[Cell, ...]:
        fields = [cell_for(f, m) for f in m.fields if f.spec.show_in_detail and _shown(f)]
        shown = [p for p in m.lambdas.computed if p.computed is not None and p.computed.show_in_detail]
        return (*fields, *(computed_cell(p) for p in shown))

    return _cached(module, "detail", build)


def link(base: str, params: Params, **changes: Any) -> str:
    """``base`` with ``params`` changed (``None`` removes a key); any change but a cursor starts at page one."""
    merged = {k: v for k, v in params.items() if v not in ("", None, [])}
    if "cursor" not in changes:
        merged.pop("cursor", None)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    query = urlencode(merged, doseq=True)
    return base + ("?" + query if query else "")


@dataclass(frozen=True)
class Filter:
    """One filter control: ``type`` is select, text, date_range or multi_select; ``value`` what the request set."""

    name: str
    label: str
    type: str
    options: list[tuple[str, str]]
    value: Any

    def options_html(self) -> Markup:
        """The ``<option>`` elements with the chosen ones selected.  A queue filter has hundreds of options: their
        markup is built once per options list (lookup choices are reused for a few seconds, see ``lookups.py``) and
        only the ``selected`` marks are added per request."""
        html = _options_markup(self.options)
        chosen = self.value if self.type == "multi_select" else [self.value]
        for value in chosen:
            if value:
                attribute = f'value="{html_escape(str(value))}"'
                html = html.replace(attribute + ">", attribute + " selected>", 1)
        return Markup(html)  # noqa: S704 - built from escaped values and labels only


_OPTIONS_HTML: dict[int, tuple[list[tuple[str, str]], str]] = {}


def _options_markup(options: list[tuple[str, str]]) -> str:
    hit = _OPTIONS_HTML.get(id(options))
    if hit is not None and hit[0] is options:
        return hit[1]
    html = "".join(f'<option value="{html_escape(v)}">{html_escape(label)}</option>' for v, label in options)
    if len(_OPTIONS_HTML) > 256:
        _OPTIONS_HTML.clear()
    _OPTIONS_HTML[id(options)] = (options, html)  # the list is kept, so its id cannot be reused meanwhile
    return html


def _filter_options(conn: Connection, module: ResolvedModule, rf: ResolvedField) -> list[tuple[str, str]]:
    declared = next((flt for flt in module.spec.filters if flt.field == rf.name), None)
    if declared is not None and declared.options:
        return [(str(o.value), label_text(o.label, str(o.value))) for o in declared.options]
    if rf.spec.options:
        return [(str(o.value), label_text(o.label, str(o.value))) for o in rf.spec.options]
    if rf.name in module.filter_lookups:  # the filter's own lookup_table (GOTRS)
        return cached_lookup_options(conn, rf, module.filter_lookups[rf.name])
    if rf.lookup is not None:
        return cached_lookup_options(conn, rf)
    if rf.kind == "bool":
        return list(_BOOL_OPTIONS)
    return [(str(v), str(v)) for v in distinct_values(conn, rf)]


def filter_controls(conn: Connection, module: ResolvedModule, params: Params) -> list[Filter]:
    """The controls of the module's filterable fields, with the values ``params`` gives them."""
    controls = []
    labels = {flt.field: flt.label for flt in module.spec.filters}
    for rf in module.filterable:
        kind = filter_type(module, rf)
        key = "filter_" + rf.name
        label = label_text(labels.get(rf.name) or rf.spec.label, rf.name)
        if kind == "date_range":
            value: Any = (params.get(key + "_from") or "", params.get(key + "_to") or "")
        elif kind == "multi_select":
            raw = params.get(key) or []
            value = [str(v) for v in (raw.split(",") if isinstance(raw, str) else raw)]
        else:
            value = str(params.get(key) or "")
        options = _filter_options(conn, module, rf) if kind in ("select", "multi_select") else []
        controls.append(Filter(rf.name, label, kind, options, value))
    return controls


@dataclass(frozen=True)
class Listing:
    """What the list templates need: the module, its base URL, columns, the page and the request behind it."""

    module: ResolvedModule
    base: str
    params: Params
    request: ListRequest
    page: Page
    columns: tuple[Cell, ...]
    actions: frozenset[str]

    @property
    def pk(self) -> str:
        return pk_field(self.module)

    @property
    def row_actions(self) -> tuple[UiAction, ...]:
        """The spec's per-row links (``ui.actions``) whose permission the agent has."""
        return tuple(a for a in ui_actions(self.module) if a.scope == "row" and a.permission in self.actions)

    @property
    def page_actions(self) -> tuple[UiAction, ...]:
        """The spec's links above the list."""
        return tuple(a for a in ui_actions(self.module) if a.scope == "page" and a.permission in self.actions)

    @property
    def toggles(self) -> bool:
        return "update" in self.actions and "valid_id" in self.module.table.c

    def sort_link(self, cell: Cell) -> str:
        ascending = self.request.sort != cell.name or self.request.descending
        return link(self.base, self.params, sort=cell.name if ascending else "-" + cell.name)

    def sorted_by(self, cell: Cell) -> str:
        """``ascending``/``descending`` for the sorted column, else ``none`` (``aria-sort``)."""
        if self.request.sort != cell.name:
            return "none"
        return "descending" if self.request.descending else "ascending"

    def rows_html(self, *, selectable: bool, toggles: bool, editable: bool) -> Markup:
        """The page's rows as HTML (``screens/rows.py``)."""
        return rows.rows_html(self, rows.Buttons(selectable, toggles, editable, self.row_actions))

    def row_html(self, row: Mapping[str, Any]) -> Markup:
        """One row alone, with the buttons this listing offers."""
        selectable = "delete" in self.actions or self.toggles
        buttons = rows.Buttons(selectable, self.toggles, "update" in self.actions, self.row_actions)
        return rows.row_html(self, row, buttons)

    def page_link(self, cursor: str | None) -> str | None:
        return link(self.base, self.params, cursor=cursor) if cursor else None


def load_listing(
    conn: Connection,
    module: ResolvedModule,
    params: Params,
    *,
    base: str,
    actions: frozenset[str],
    every_display: bool = False,
) -> Listing:
    """Validate ``params`` (raises :class:`QueryError` naming the bad one) and read the page.  The rows carry the
    display values of the lookups the list shows (and those its computed fields see); ``every_display``: of all
    lookups, as a JSON answer gives them."""
    request = ListRequest.parse(module, params)
    cells = list_cells(module)
    displays = None if every_display else {cell.name for cell in cells}
    page = list_page(conn, module, request, key=modules().cursor_key, displays=displays)
    add_computed(conn, module, page.rows)
    columns = cells + extra_cells(conn, module, page.rows)
    return Listing(module, base, params, request, page, columns, actions)


def extra_cells(conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]]) -> tuple[Cell, ...]:
    """The columns the module's hooks add (``ModuleHook.extra_columns``), their values filled into ``rows`` with
    one batched call per hook; a column named like a field is left out (the field's column is already there)."""
    cells: list[Cell] = []
    for hook in hooks_of(module):
        columns = [c for c in hook.extra_columns(conn, module) if c.name not in module.by_name]
        if columns:
            hook.fill_columns(conn, module, columns, rows)
            cells.extend(extra_cell(column) for column in columns)
    return tuple(cells)


def render_list_page(module_name: str, params: Params, *, base: str = "") -> str:
    """The table of ``module_name``'s list as HTML (what an htmx search, sort or page swaps in); needs an app context.

    For benchmarks and previews: no request or identity is needed; the buttons shown are those the module offers.
    Raises ``KeyError`` for an unknown module and :class:`QueryError` for bad parameters.
    """
    module = modules().snapshot()[module_name]
    actions = frozenset(access.requirements(module))
    with current_platform().reading() as conn:
        listing = load_listing(conn, module, params, base=base or f"/admin/modules/{module_name}", actions=actions)
        return render_template("goatkit/engine/_table.html", listing=listing)


__all__ = [
    "Filter",
    "Listing",
    "QueryError",
    "detail_cells",
    "filter_controls",
    "link",
    "list_cells",
    "render_list_page",
]

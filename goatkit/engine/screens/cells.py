"""How one value of a row is shown: in list cells and on the detail page, the same way.

A :class:`Cell` is built once per field (per module object) and formats values with no database access: lookups
show the ``<field>_display`` value :func:`lookups.add_lookup_displays` added to the page, ``display_map`` and
``options`` show their labels, ``display_as: chip`` and ``valid_id`` show a chip, colours a swatch (an SVG ``fill``
attribute: inline styles are refused by the CSP), booleans Yes/No, dates ISO-like, files their names as download
links.  Passwords are never shown.

Example::

    cell = cell_for(module.field_named("color"))
    cell.label                 # 'Color'
    cell.show({"color": "#ff0000"})   # Markup('<span class="gk-swatch">...#ff0000</span>')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from html import escape as html_escape
from typing import Any

from markupsafe import Markup, escape

from goatkit.engine import uploads
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.hooks import ExtraColumn
from goatkit.engine.model import ResolvedField, ResolvedModule
from goatkit.engine.query import pk_field
from goatkit.lambdas.programs import Program
from goatkit.lambdas.render import cell_html
from goatkit.lambdas.sandbox import Outcome

_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
EMPTY = Markup('<span class="text-zinc-400 dark:text-zinc-600">—</span>')
_EMPTY_HTML = str(EMPTY)
_CHIP = "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium "
_CHIP_TONES = {
    "on": "bg-emerald-50 text-emerald-700 ring-1 ring-emerald-600/20 dark:bg-emerald-950 dark:text-emerald-300",
    "off": "bg-zinc-100 text-zinc-600 ring-1 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-400",
    "plain": "bg-brand-50 text-brand-700 ring-1 ring-brand-600/20 dark:bg-brand-950 dark:text-brand-300",
}
Format = Callable[[Any, Mapping[str, Any]], Markup]
Text = Callable[[Any, Mapping[str, Any]], str]  # the shown text, not yet escaped
_FILE_LINK = Markup('<a href="%s" class="gk-link" download>%s</a>')


@dataclass(frozen=True)
class Cell:
    """A field as shown: ``name``, ``label``, whether the list may sort by it, and its formatter."""

    name: str
    label: str
    sortable: bool
    format: Format
    numeric: bool = False
    text: Text | None = None  # set when the value shows as plain text: list rows escape it without a Markup object

    def show(self, row: Mapping[str, Any]) -> Markup:
        value = row.get(self.name)
        return EMPTY if value is None or value == "" else self.format(value, row)

    def html(self, row: Mapping[str, Any]) -> str:
        """:meth:`show` as a string, for the list rows built in Python (``rows.py``)."""
        value = row.get(self.name)
        if value is None or value == "":
            return _EMPTY_HTML
        if self.text is not None:
            return html_escape(self.text(value, row)).replace("&#x27;", "&#39;")  # as markupsafe writes it
        return str(self.format(value, row))


_CHIP_CLASSES = {tone: _CHIP + classes for tone, classes in _CHIP_TONES.items()}
_SWATCH = Markup(
    '<span class="inline-flex items-center gap-2 font-mono text-xs"><svg class="size-4 shrink-0 rounded ring-1 '
    'ring-zinc-900/10 dark:ring-white/20" viewBox="0 0 16 16" aria-hidden="true"><rect width="16" height="16" '
    'rx="3" fill="%s"/></svg>%s</span>'
)


def chip(text: Any, tone: str = "plain") -> Markup:
    # Markup's % escapes the values and costs far less than Markup.format, on every cell of every row.
    return Markup('<span class="%s">%s</span>') % (_CHIP_CLASSES[tone], text)


def when(value: Any) -> str:
    """Dates as ``2026-01-02``, times as ``09:30``, datetimes as ``2026-01-02 09:30``."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def _plain(value: Any, row: Mapping[str, Any]) -> Markup:
    return escape(when(value))


def _plain_text(value: Any, row: Mapping[str, Any]) -> str:
    return when(value)


def _flag(value: Any, row: Mapping[str, Any]) -> Markup:
    on = str(value).strip().lower() in {"1", "true", "yes", "on", "y"}
    return chip("Yes", "on") if on else chip("No", "off")


def _color(value: Any, row: Mapping[str, Any]) -> Markup:
    text = str(value)
    if not _COLOR.fullmatch(text):
        return escape(text)
    return _SWATCH % (text, text)


def _labelled(labels: Mapping[str, str], as_chip: bool, valid: bool) -> Format:
    """Values shown by a label (``display_map``, ``options``, lookups); chips when the spec or ``valid_id`` asks."""

    def show(value: Any, row: Mapping[str, Any]) -> Markup:
        text = labels.get(str(value), when(value))
        if valid:
            return chip(text, "on" if str(value) == "1" else "off")
        return chip(text) if as_chip else escape(text)

    return show


def _lookup(name: str, as_chip: bool, valid: bool) -> Format:
    key = name + "_display"

    def show(value: Any, row: Mapping[str, Any]) -> Markup:
        text = row.get(key)
        text = when(value) if text is None else text
        if valid:
            return chip(text, "on" if str(value) == "1" else "off")
        return chip(text) if as_chip else escape(text)

    return show


def _many(labels: Mapping[str, str]) -> Format:
    def show(value: Any, row: Mapping[str, Any]) -> Markup:
        items = value if isinstance(value, list | tuple) else str(value).split(",")
        return Markup(" ").join(chip(labels.get(str(v).strip(), str(v).strip())) for v in items if str(v).strip())

    return show


def _files(rf: ResolvedField, module: ResolvedModule | None) -> Format:
    """File names, each a download link when the module (its name and key) is known."""
    many, key = uploads.holds_many(rf), pk_field(module) if module is not None else ""

    def show(value: Any, row: Mapping[str, Any]) -> Markup:
        names = uploads.file_names(rf, value)
        if module is None or row.get(key) is None:
            return escape(", ".join(names))
        links = [
            _FILE_LINK % (uploads.download_url(module.name, row[key], rf.name, i if many else None), name)
            for i, name in enumerate(names)
        ]
        return Markup(", ").join(links)

    return show


def _text_of(rf: ResolvedField) -> Text | None:
    """The plain-text form of what :func:`_formatter` shows, when it is plain text (no chip, swatch or link)."""
    spec = rf.spec
    valid = rf.name == "valid_id" or (rf.column is not None and rf.column.name == "valid_id")
    if rf.kind in {"multi", "bool"} or spec.display_as == "chip" or valid or spec.type == "color":
        return None
    if spec.display_map or spec.options:
        return None
    if rf.lookup is not None:
        key = rf.name + "_display"
        return lambda value, row: when(value) if row.get(key) is None else str(row[key])
    return _plain_text


def _formatter(rf: ResolvedField) -> Format:
    spec = rf.spec
    labels = {str(k): label_text(v, str(k)) for k, v in spec.display_map.items()}
    labels |= {str(o.value): label_text(o.label, str(o.value)) for o in spec.options if str(o.value) not in labels}
    as_chip, valid = (
        spec.display_as == "chip",
        rf.name == "valid_id" or (rf.column is not None and rf.column.name == "valid_id"),
    )
    if rf.kind == "multi":
        return _many(labels)
    if rf.lookup is not None and not spec.display_map:
        return _lookup(rf.name, as_chip, valid)
    if labels or as_chip or valid:
        return _labelled(labels, as_chip, valid)
    if rf.kind == "bool":
        return _flag
    if spec.type == "color":
        return _color
    return _plain


def computed_cell(program: Program) -> Cell:
    """The cell of a computed field: its lambda's result (``lambdas/render.py``), never sortable."""
    spec = program.computed
    html = spec.html if spec is not None else None

    def show(value: Any, row: Mapping[str, Any]) -> Markup:
        return cell_html(value, html=html) if isinstance(value, Outcome) else escape(str(value))

    return Cell(program.name, label_text(spec.label if spec is not None else "", program.name), False, show)


def _joined(value: Any, row: Mapping[str, Any]) -> str:
    return ", ".join(when(item) for item in value) if isinstance(value, list | tuple) else when(value)


def _joined_html(value: Any, row: Mapping[str, Any]) -> Markup:
    return escape(_joined(value, row))


def extra_cell(column: ExtraColumn) -> Cell:
    """The cell of a hook's extra list column (``ModuleHook.extra_columns``): its values as text (a list joined
    by commas), never sortable."""
    return Cell(column.name, column.label, False, _joined_html, column.numeric, _joined)


def cell_for(rf: ResolvedField, module: ResolvedModule | None = None) -> Cell:
    """The :class:`Cell` of a field (build once per module; formatting a value needs no database).

    ``module`` lets file fields link each file to its download (``/admin/modules/<module>/<id>/files/<field>``).
    """
    numeric = rf.kind in {"int", "decimal"} and rf.lookup is None and not rf.spec.options and rf.name != "valid_id"
    sortable = rf.spec.sortable and rf.column is not None
    if rf.spec.type in uploads.FILE_TYPES:
        return Cell(rf.name, label_text(rf.spec.label, rf.name), sortable, _files(rf, module), numeric)
    return Cell(rf.name, label_text(rf.spec.label, rf.name), sortable, _formatter(rf), numeric, _text_of(rf))

"""The rows of a list page as HTML, built in Python: one call per page instead of a template macro per row.

A 50-row page has hundreds of cells; through a Jinja macro each row cost a context, a call and a dozen escapes, the
largest share of a page's time.  Here each value is escaped once with ``html.escape`` (no ``Markup`` object per
value; ``Markup %`` costs ten times more), as Django's admin builds its result rows in Python too.  The markup is
what the template had: ``_table.html`` and ``_row.html`` (an htmx toggle's answer) call :func:`rows_html` and
:func:`row_html`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from markupsafe import Markup

from goatkit.engine.computed import row_tone
from goatkit.engine.screens.actions import UiAction

#: Row tints of ``ui.row_style`` (the tones of ``lambdas/render.py``), light enough to keep text readable.
_ROW_TONES = {
    "zinc": "bg-zinc-50 dark:bg-zinc-800/40",
    "red": "bg-red-50/70 hover:bg-red-50 dark:bg-red-950/40",
    "amber": "bg-amber-50/70 hover:bg-amber-50 dark:bg-amber-950/40",
    "green": "bg-emerald-50/70 hover:bg-emerald-50 dark:bg-emerald-950/40",
    "blue": "bg-brand-50/70 hover:bg-brand-50 dark:bg-brand-950/40",
    "violet": "bg-violet-50/70 hover:bg-violet-50 dark:bg-violet-950/40",
}

if TYPE_CHECKING:
    from goatkit.engine.screens.listing import Listing


@dataclass(frozen=True)
class Buttons:
    """What each row offers: a selection box, the status toggle, an Edit link."""

    selectable: bool
    toggles: bool
    editable: bool
    extra: tuple[UiAction, ...] = ()  # the spec's row actions (``ui.actions``) the agent may see


def rows_html(listing: Listing, buttons: Buttons) -> Markup:
    """Every row of the listing's page."""
    classes, pk = _classes(listing), listing.pk
    return Markup("\n").join([_row(listing, row, pk, classes, buttons) for row in listing.page.rows])


def row_html(listing: Listing, row: Mapping[str, Any], buttons: Buttons) -> Markup:
    """One row (the answer to a status toggle)."""
    return _row(listing, row, listing.pk, _classes(listing), buttons)


def _classes(listing: Listing) -> list[str]:
    """Each column's cell classes, once per page: numbers align right, except in the first (link) column; then the
    spec's ``list_class`` (only classes the stylesheet has take effect)."""
    fields = listing.module.by_name
    classes = []
    for index, cell in enumerate(listing.columns):
        rf = fields.get(cell.name)
        extra = escape(rf.spec.list_class) if rf is not None and rf.spec.list_class else ""
        classes.append(" ".join(filter(None, ["text-right tabular-nums" if cell.numeric and index else "", extra])))
    return classes


def _row(listing: Listing, row: Mapping[str, Any], pk: str, classes: Sequence[str], buttons: Buttons) -> Markup:
    raw_key = row[pk]
    key = escape(str(raw_key))
    quoted = quote(str(raw_key), safe="")
    url = escape(f"{listing.base}/{quoted}")
    row_url = listing.module.spec.ui.row_url
    link = escape(row_url.replace("{id}", quoted)) if row_url else url
    tone = row_tone(row)
    if tone is None:
        out = [f'<tr data-id="{key}" class="align-middle hover:bg-zinc-50 dark:hover:bg-zinc-800/40">']
    else:
        title = f' title="{escape(tone[1])}"' if tone[1] else ""
        out = [f'<tr data-id="{key}" data-tone="{tone[0]}" class="align-middle {_ROW_TONES[tone[0]]}"{title}>']
    if buttons.selectable:
        out.append(
            f'<td class="w-px py-2.5 pr-0 pl-4"><input type="checkbox" name="ids" value="{key}" class="gk-check"'
            f' aria-label="Select {key}"></td>'
        )
    for index, (cell, css) in enumerate(zip(listing.columns, classes, strict=True)):
        shown = cell.html(row)  # escaped by the cell
        linked = f'<a href="{link}" class="gk-link">{shown}</a>' if index == 0 else shown
        out.append(f'<td class="max-w-xs truncate px-4 py-2.5 {css}">{linked}</td>')
    out.append('<td class="px-2 py-1.5 text-right whitespace-nowrap">')
    if buttons.toggles:
        label = "Make invalid" if row.get("valid_id") in (1, "1") else "Make valid"
        out.append(
            f'<button type="button" class="gk-btn-quiet py-1" hx-post="{url}/toggle" hx-target="closest tr"'
            f' hx-swap="outerHTML" data-testid="toggle">{label}</button>'
        )
    for action in buttons.extra:
        out.append(f'<a href="{escape(action.href(raw_key))}" class="gk-btn-quiet py-1">{escape(action.label)}</a>')
    if buttons.editable:
        out.append(f'<a href="{url}/edit" class="gk-btn-quiet py-1">Edit</a>')
    out.append("</td></tr>")
    return Markup("".join(out))  # noqa: S704 - every value above is escape()d or a cell's Markup

"""What a lambda's result looks like: HTML for a cell (escaped, or sanitized by nh3) and a value for JSON.

A lambda returns data, never trusted markup:

* ``null`` is an empty cell; numbers show as text; booleans as a Yes/No chip;
* a string is text.  When the computed field says ``html: true``, or says nothing and the string holds markup (the
  Go GOTRS modules return HTML), it is sanitized with nh3: a few inline tags, ``http(s)``/``mailto``/relative links,
  badge classes from a fixed list (:data:`BADGE_CLASSES`); no scripts, event handlers, styles or images.  Row data a
  lambda pastes into its HTML therefore cannot run script nor cover the page;
* an object ``{text, tone, color, icon, href, title}`` is a chip: ``tone`` one of :data:`TONES`, ``color`` a
  ``#rrggbb`` dot, ``icon`` a short prefix (an emoji), ``href`` a link (same-site paths and ``http(s)`` only);
* a list shows its items side by side;
* a failure shows a small warning marker whose tooltip names the cause.

The JSON of a record carries the same value (sanitized where the cell sanitizes), and a failure as
``{"error": {"kind": "timeout", "message": "Timed out after 50 ms."}}``.

Example::

    cell_html(Outcome(value={"text": "VIP", "tone": "amber"}), html=None)
    # Markup('<span class="... bg-amber-50 ...">VIP</span>')
"""

from __future__ import annotations

import re
from typing import Any

import nh3
from markupsafe import Markup, escape

from goatkit.lambdas.sandbox import Outcome

TONES = {
    "zinc": "bg-zinc-100 text-zinc-700 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-300",
    "red": "bg-red-50 text-red-700 ring-red-600/20 dark:bg-red-950 dark:text-red-300",
    "amber": "bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-950 dark:text-amber-300",
    "green": "bg-emerald-50 text-emerald-700 ring-emerald-600/20 dark:bg-emerald-950 dark:text-emerald-300",
    "blue": "bg-brand-50 text-brand-700 ring-brand-600/20 dark:bg-brand-950 dark:text-brand-300",
    "violet": "bg-violet-50 text-violet-700 ring-violet-600/20 dark:bg-violet-950 dark:text-violet-300",
}
_CHIP = "inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ring-1 "
_CHIPS = {tone: f'<span class="{_CHIP}{classes}">' for tone, classes in TONES.items()}
_TAGS = {"a", "abbr", "b", "br", "code", "del", "em", "i", "kbd", "mark", "s", "small", "span", "strong", "sub"}
_TAGS |= {"sup", "time", "u"}
#: Classes a lambda's HTML may use (Tailwind utilities the stylesheet builds; see app.css): colours, spacing and
#: shape of a badge, never position or size, so lambda output cannot lay itself over the page.
BADGE_CLASSES = frozenset(
    [f"{kind}-{colour}-{shade}" for kind in ("bg", "text") for colour in ("zinc", "gray", "red", "amber", "yellow",
     "green", "emerald", "blue", "indigo", "violet", "purple", "pink") for shade in ("50", "100", "600", "700", "800")]
    + ["px-1", "px-1.5", "px-2", "px-2.5", "py-0.5", "py-1", "rounded", "rounded-md", "rounded-full", "text-xs",
       "text-sm", "font-medium", "font-semibold", "font-bold", "font-mono", "italic", "underline", "uppercase",
       "inline-flex", "items-center", "gap-1", "ring-1", "ring-inset", "whitespace-nowrap", "badge"]
)  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "span": {"title"}, "time": {"datetime"}}
_MARKUP = re.compile(r"<[a-zA-Z/!]")
_SAFE_URL = re.compile(r"(/(?!/)|https?://|mailto:)[^\s\"'<>]*", re.IGNORECASE)
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_DOT = Markup(
    '<svg class="size-2.5 shrink-0 rounded-full" viewBox="0 0 10 10" aria-hidden="true">'
    '<circle cx="5" cy="5" r="5" fill="%s"/></svg>'
)
_EMPTY = Markup('<span class="text-zinc-400 dark:text-zinc-600">—</span>')
_SHORT = {"timeout": "timed out", "memory": "out of memory", "skipped": "not run", "crash": "crashed"}


def sanitize(html: str) -> str:
    """``html`` reduced to safe inline markup (see the module docstring)."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        allowed_classes={"span": set(BADGE_CLASSES)},
        link_rel="noopener noreferrer",
    )


def as_html(value: str, html: bool | None) -> bool:
    """Whether a string result renders as sanitized HTML (``html`` is the computed field's setting)."""
    return bool(html) if html is not None else bool(_MARKUP.search(value))


def cell_html(outcome: Outcome, *, html: bool | None = None) -> Markup:
    """The cell of one result: see the module docstring."""
    if outcome.failure is not None:
        return error_marker(outcome.failure.kind, outcome.failure.message)
    return _value_html(outcome.value, html, depth=0)


def error_marker(kind: str, message: str) -> Markup:
    """A small visible marker for a failed lambda; the tooltip and ``data-lambda-error`` name the cause."""
    short = _SHORT.get(kind, "error")
    return Markup(
        '<span class="inline-flex items-center gap-1 rounded px-1.5 py-0.5 text-xs font-medium text-red-700 '
        'ring-1 ring-red-600/20 dark:text-red-300" title="%s" data-lambda-error="%s">⚠ %s</span>'
    ) % (message, kind, short)


def json_value(outcome: Outcome, *, html: bool | None = None) -> Any:
    """The result as the JSON API sends it: the value (sanitized where the cell sanitizes), or the failure."""
    if outcome.failure is not None:
        return {"error": {"kind": outcome.failure.kind, "message": outcome.failure.message}}
    value = outcome.value
    if isinstance(value, str) and as_html(value, html):
        return sanitize(value)
    return value


def _value_html(value: Any, html: bool | None, depth: int) -> Markup:
    if value is None or value == "":
        return _EMPTY
    if isinstance(value, bool):
        return _chip("Yes" if value else "No", "green" if value else "zinc")
    if isinstance(value, int | float):
        return escape(_number(value))
    if isinstance(value, str):
        return Markup(sanitize(value)) if as_html(value, html) else escape(value)  # noqa: S704 - nh3 cleaned it
    if isinstance(value, list) and depth == 0:
        return Markup(" ").join(_value_html(item, html, depth + 1) for item in value[:20])
    return _object_html(value) if isinstance(value, dict) else escape(str(value))


def _object_html(value: dict[str, Any]) -> Markup:
    text = value.get("text", value.get("label", ""))
    text = "" if text is None else _number(text) if isinstance(text, int | float) else str(text)
    tone = str(value.get("tone") or value.get("color") or "")
    inner = escape(text)
    icon = value.get("icon")
    if isinstance(icon, str) and icon:
        inner = escape(icon[:4]) + Markup(" ") + inner
    colour = str(value.get("color") or "")
    if _HEX.fullmatch(colour):
        inner = (_DOT % colour) + inner
    shown = _chip_markup(inner, tone if tone in TONES else "zinc") if tone or colour or icon else inner
    title = value.get("title")
    if isinstance(title, str) and title:
        shown = Markup(f'<span title="{escape(title)}">{shown}</span>')  # noqa: S704 - parts escaped or Markup
    href = value.get("href")
    if isinstance(href, str) and _SAFE_URL.fullmatch(href):
        shown = Markup(f'<a href="{escape(href)}" class="gk-link" rel="noopener noreferrer">{shown}</a>')  # noqa: S704
    return shown


def _chip(text: str, tone: str) -> Markup:
    return _chip_markup(escape(text), tone)


def _chip_markup(inner: Markup, tone: str) -> Markup:
    return Markup("".join((_CHIPS[tone], inner, "</span>")))  # noqa: S704 - constants around Markup


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)

"""The form of a module: one widget per editable field, grouped by ``ui.form_sections``.

Each spec type gets its HTML control (``string`` a text input, ``email`` an email input, ``int`` a number input
with step 1, ``textarea`` a textarea, ``select``/lookups a dropdown, ``multiselect`` a multiple select, ``radio``
radio buttons, ``bool`` a checkbox, ``date``/``datetime``/``time`` the browser's pickers ...), with the spec's
required mark, help, placeholder and bounds as attributes.  ``file``/``files`` get a file input (``accept``,
``multiple``) listing the stored files, with a "remove" checkbox (``<field>-remove``) when the field may be
empty.  Conversion and validation stay on the server (``forms.clean``); these attributes only help the browser help
the user.  Password inputs are always empty.

Example::

    sections = form_sections(conn, module, form_values(module, row), errors={}, action="update")
    sections[0].widgets[0].control      # 'input'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, String

from goatkit.engine import uploads
from goatkit.engine.fieldtypes import label_text, number_text
from goatkit.engine.forms import Action, FormErrors, editable, required_names
from goatkit.engine.lookups import capped_options, display_of, lookup_options
from goatkit.engine.model import ResolvedField, ResolvedModule
from goatkit.engine.screens.respond import optional_url

_INPUT_TYPES = {
    "email": "email",
    "url": "url",
    "phone": "tel",
    "tel": "tel",
    "color": "color",
    "password": "password",
    "int": "number",
    "integer": "number",
    "decimal": "number",
    "float": "number",
    "number": "number",
    "range": "range",
    "date": "date",
    "datetime": "datetime-local",
    "time": "time",
}
_TEXTAREAS = frozenset({"textarea", "notes"})
_CHECKBOXES = frozenset({"bool", "boolean", "checkbox"})
_WHOLE = frozenset({"int", "integer", "range"})


@dataclass(frozen=True)
class Widget:
    """One form control: ``control`` is input, textarea, select, multiselect, radio, checkbox or file."""

    name: str
    label: str
    control: str
    input_type: str = "text"
    required: bool = False
    help: str = ""
    placeholder: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    errors: list[str] = field(default_factory=list)
    removable: bool = False  # a file field holding files it may clear (its "remove" checkbox)
    search_url: str = ""  # a typeahead's source of matches (``engine.views.choices``)
    shown: str = ""  # a typeahead's text: the display value of the key it holds

    def selected(self, option: str) -> bool:
        return option in self.value if isinstance(self.value, list) else option == str(self.value)


@dataclass(frozen=True)
class Section:
    title: str
    description: str
    collapsed: bool
    widgets: list[Widget]


def input_text(rf: ResolvedField, value: Any) -> Any:
    """A stored (or submitted) value as the control shows it: text, a list of texts, or a bool for a checkbox."""
    if rf.spec.type == "password" or value is None:
        return False if rf.spec.type in _CHECKBOXES else ""
    if rf.spec.type in _CHECKBOXES:
        return str(value).strip().lower() in {"1", "true", "on", "yes", "y"}
    if rf.kind == "multi":
        items = value if isinstance(value, list | tuple) else str(value).split(",")
        return [str(v).strip() for v in items if str(v).strip()]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date | time):
        return value.isoformat(timespec="minutes") if isinstance(value, time) else value.isoformat()
    return str(value)


def form_values(module: ResolvedModule, source: Mapping[str, Any]) -> dict[str, Any]:
    """The values to show in the form, from a stored row, the defaults or a submitted form (``MultiDict``)."""
    getlist = getattr(source, "getlist", None)
    values = {}
    for rf in editable(module):
        if rf.spec.type in uploads.FILE_TYPES:  # a browser cannot be given a file back: show the stored ones
            stored = source.get(rf.name) if getlist is None else None
            values[rf.name] = uploads.file_names(rf, stored)
        elif rf.kind == "multi" and getlist is not None:
            values[rf.name] = input_text(rf, getlist(rf.name))
        elif rf.name in source:
            values[rf.name] = input_text(rf, source[rf.name])
    return values


def _attrs(rf: ResolvedField, input_type: str) -> dict[str, str]:
    spec = rf.spec
    attrs: dict[str, str] = {}
    for key, bound in (("min", spec.min), ("max", spec.max), ("step", spec.step)):
        if bound is not None and input_type in ("number", "range"):
            attrs[key] = number_text(bound)
    if input_type == "number" and "step" not in attrs:
        attrs["step"] = "1" if spec.type in _WHOLE else "any"
    limit = spec.max_length
    if limit is None and rf.column is not None and isinstance(rf.column.type, String):
        limit = rf.column.type.length
    if limit and input_type in ("text", "email", "url", "tel", "password", "textarea"):
        attrs["maxlength"] = str(limit)
    if spec.min_length and input_type in ("text", "email", "url", "tel", "password", "textarea"):
        attrs["minlength"] = str(spec.min_length)
    if input_type == "password":
        attrs["autocomplete"] = "new-password"
    if input_type == "textarea":
        attrs["rows"] = str(spec.rows or 4)
    if input_type == "file":
        attrs |= ({"accept": spec.accept} if spec.accept else {}) | ({"multiple": ""} if uploads.holds_many(rf) else {})
    return attrs


def _options(conn: Connection, rf: ResolvedField) -> list[tuple[str, str]] | None:
    """The choices of a dropdown; ``None`` when a lookup has too many for one (it becomes a typeahead)."""
    if rf.lookup is not None:
        found = capped_options(conn, rf)
        return None if found is None else [(str(key), str(display)) for key, display in found]
    return [(str(o.value), label_text(o.label, str(o.value))) for o in rf.spec.options]


def _typeahead(conn: Connection, rf: ResolvedField, made: Widget, module: str) -> Widget:
    """``made`` as a search box: the key in a hidden field, its display value shown, matches from the server."""
    assert rf.lookup is not None
    shown = display_of(conn, rf.lookup, made.value) if made.value not in ("", None) else None
    url = optional_url("engine.views.choices", module=module, field=rf.name) or ""
    return replace(made, control="typeahead", options=[], search_url=url, shown="" if shown is None else str(shown))


def _control(rf: ResolvedField) -> tuple[str, str]:
    """``(control, input type)`` of a field: lookups and option lists are dropdowns whatever their type."""
    kind = rf.spec.type
    choice = rf.lookup is not None or kind == "select" or (rf.spec.options and kind not in _CHECKBOXES | {"password"})
    if kind in ("file", "files", "multiselect", "radio"):
        control = {"files": "file"}.get(kind, kind)
    elif choice:
        control = "select"
    elif kind in _CHECKBOXES:
        control = "checkbox"
    elif kind in _TEXTAREAS:
        control = "textarea"
    else:
        return "input", _INPUT_TYPES.get(kind, "text")
    return control, control


def widget(
    conn: Connection, rf: ResolvedField, value: Any, errors: list[str], *, required: bool, module: str = ""
) -> Widget:
    """The control of one field, holding ``value`` (see :func:`input_text`) and its error messages.

    A lookup is a dropdown, or a typeahead when the spec says ``widget: typeahead`` or the lookup has more than
    ``TYPEAHEAD_OVER`` choices (``module`` names the module whose ``choices`` route answers the searches).
    """
    made = _plain_widget(rf, value, errors, required=required)
    ahead = rf.lookup is not None and rf.kind != "multi" and module != ""
    if ahead and rf.spec.widget == "typeahead":
        return _typeahead(conn, rf, made, module)
    options = _options(conn, rf) if made.control in ("select", "multiselect", "radio") else []
    if options is None:
        if ahead:
            return _typeahead(conn, rf, made, module)
        options = [(str(k), str(d)) for k, d in lookup_options(conn, rf)]  # a multiselect: every choice
    held = str(made.value) if made.control == "select" and rf.lookup is not None and made.value != "" else ""
    if held and all(key != held for key, _ in options):  # an invalid row still held: keep it, or a save drops it
        shown = display_of(conn, rf.lookup, held) if rf.lookup is not None else None
        options = [(held, held if shown is None else str(shown)), *options]
    return replace(made, options=options)


def _plain_widget(rf: ResolvedField, value: Any, errors: list[str], *, required: bool) -> Widget:
    control, input_type = _control(rf)
    if input_type == "color" and value and not (isinstance(value, str) and len(value) == 7):
        input_type = "text"  # <input type=color> shows only #rrggbb; keep what the user typed visible
    spec = rf.spec
    return Widget(
        name=rf.name,
        label=label_text(spec.label, rf.name),
        control=control,
        input_type=input_type,
        required=required,
        help=label_text(spec.help, "") if spec.help else "",
        placeholder=label_text(spec.placeholder, "") if spec.placeholder else "",
        attrs=_attrs(rf, input_type),
        value=value if value is not None else "",
        errors=errors,
        removable=control == "file" and bool(value) and not required,
    )


def form_sections(
    conn: Connection, module: ResolvedModule, values: Mapping[str, Any], errors: FormErrors, *, action: Action
) -> list[Section]:
    """The widgets of every editable field, in the spec's ``form_sections`` and then one untitled section."""
    needed = required_names(module)
    fields = {rf.name: rf for rf in editable(module)}

    def make(name: str) -> Widget:
        rf = fields[name]
        kept = rf.spec.type == "password" or rf.spec.type in uploads.FILE_TYPES  # empty on edit keeps the stored
        required = name in needed and not (action == "update" and kept)
        made = widget(conn, rf, values.get(name), errors.get(name, []), required=required, module=module.name)
        return replace(made, removable=False) if made.removable and name in needed else made

    sections, placed = [], set()
    for spec in module.spec.ui.form_sections:
        names = [n for n in spec.fields if n in fields and n not in placed]
        placed.update(names)
        if names:
            title = label_text(spec.title, "")
            description = label_text(spec.description, "") if spec.description else ""
            sections.append(Section(title, description, spec.collapsed, [make(n) for n in names]))
    rest = [make(n) for n in fields if n not in placed]
    if rest:
        sections.append(Section("", "", False, rest))
    return sections

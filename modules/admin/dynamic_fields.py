"""Dynamic fields (``modules/dynamic_field.yaml``): the per-type configuration OTRS keeps as YAML in ``config``.

OTRS 6 stores a field's configuration as the YAML dump of a hash (``---\\nDefaultValue: ''\\n...``), keys sorted,
every scalar a string as the admin form sent it (``PossibleNone: '0'``).  The hook ``dynamic_field_config``:

* renders a per-type editor in the HTML form (``config_<Key>`` inputs, ``config_pv_key``/``config_pv_value`` rows
  for ``PossibleValues``, ``config_regex``/``config_regex_error`` rows for ``RegExList``), or takes ``config`` as a
  JSON object in the API (merged over the stored configuration, so a PATCH may give one key);
* validates it per type, keeps keys it does not know from the stored YAML (configurations written by OTRS extensions
  survive an edit), and stores the YAML in the ``config`` column;
* refuses a name OTRS would refuse (letters and digits, unique ignoring case) and a change of ``field_type`` or
  ``object_type`` once values exist in ``dynamic_field_value``;
* adds ``config`` (the parsed hash) to rows read for answers; deleting a field deletes its values first, as OTRS.

Example::

    to_yaml({"DefaultValue": "", "PossibleValues": {"a": "A"}})
    # "---\\nDefaultValue: ''\\nPossibleValues:\\n  a: A\\n"
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml
from markupsafe import Markup
from sqlalchemy import Connection, delete, func, select

from goatkit.engine.forms import FormErrors
from goatkit.engine.hooks import ModuleHook, Refused, WriteContext, register
from goatkit.engine.model import ResolvedModule
from modules.admin.partials import partial
from modules.admin.regexes import regex_problem
from modules.db.schema import metadata
from modules.tickets import dynamic_fields_screens as screens

log = logging.getLogger("gotrs.admin.dynamic_fields")
FIELD = metadata.tables["dynamic_field"]
VALUE = metadata.tables["dynamic_field_value"]
NAME = re.compile(r"[A-Za-z0-9]+")
FLAGS = ("PossibleNone", "TranslatableValues", "TreeView", "YearsPeriod")
_DATE = {"DefaultValue": "0", "YearsPeriod": "0", "YearsInPast": "5", "YearsInFuture": "5", "DateRestriction": "",
         "Link": "", "LinkPreview": ""}  # fmt: skip
_CHOICE = {"PossibleNone": "0", "PossibleValues": {}, "TranslatableValues": "0", "TreeView": "0"}
#: The configuration of a new field of each type: OTRS 6's admin form defaults.
DEFAULTS: dict[str, dict[str, Any]] = {
    "Text": {"DefaultValue": "", "Link": "", "LinkPreview": "", "RegExList": []},
    "TextArea": {"DefaultValue": "", "Rows": "7", "Cols": "42", "RegExList": []},
    "Checkbox": {"DefaultValue": "0"},
    "Dropdown": {"DefaultValue": "", "Link": "", "LinkPreview": "", **_CHOICE},
    "Multiselect": {"DefaultValue": [], **_CHOICE},
    "Date": _DATE,
    "DateTime": _DATE,
}
RESTRICTIONS = ("", "DisablePastDates", "DisableFutureDates")
ALL_KEYS = frozenset(key for keys in DEFAULTS.values() for key in keys)


def to_yaml(config: Mapping[str, Any]) -> str:
    """The configuration as OTRS stores it: ``---`` then the keys sorted, block style, strings quoted as needed."""
    return yaml.safe_dump(dict(config), explicit_start=True, default_flow_style=False, allow_unicode=True)


def from_yaml(raw: Any) -> dict[str, Any]:
    """The stored ``config`` (bytes or text) as a hash; ``{}`` when empty or not a YAML hash."""
    if isinstance(raw, memoryview | bytearray | bytes):
        raw = bytes(raw).decode("utf-8", "replace")
    try:
        data = yaml.safe_load(raw) if raw else None
    except yaml.YAMLError:
        log.warning("a dynamic field's config is not valid YAML")
        return {}
    return data if isinstance(data, dict) else {}


class DynamicFieldConfig(ModuleHook):
    """The per-type configuration of a dynamic field; see the module docstring."""

    def validate(self, ctx: WriteContext) -> FormErrors:
        old = ctx.old or {}
        if old.get("internal_field"):
            return {"name": [f"{old.get('name')} is an internal field of OTRS: it cannot be changed here."]}
        errors: FormErrors = {}
        name = ctx.values.get("name")
        if name is not None:
            errors.update(_name_errors(ctx.conn, str(name), ctx.pk))
        field_type = str(ctx.values.get("field_type") or old.get("field_type") or "")
        if ctx.old is not None:
            errors.update(_type_change_errors(ctx))
        stored = from_yaml(old.get("config_yaml"))
        given = _given_config(ctx.data)
        if field_type not in DEFAULTS:
            return errors
        if given is None and ctx.old is not None and field_type == old.get("field_type"):
            return errors  # configuration untouched
        base = stored if field_type == old.get("field_type") else {}
        config, problems = build_config(field_type, base, given or {}, complete=_is_form(ctx.data))
        if problems:
            errors["config"] = problems
        else:
            ctx.values["config_yaml"] = to_yaml(config).encode("utf-8")
        return errors

    def before_delete(self, conn: Connection, module: ResolvedModule, pks: Sequence[Any], user_id: int) -> None:
        stmt = select(FIELD.c.name).where(FIELD.c.id.in_(list(pks)), FIELD.c.internal_field == 1)
        internal = list(conn.execute(stmt).scalars())
        if internal:
            raise Refused(f"{internal[0]} is an internal field of OTRS and cannot be deleted.")
        conn.execute(delete(VALUE).where(VALUE.c.field_id.in_(list(pks))))

    def extend_rows(self, conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if "config_yaml" in row:
                row["config"] = from_yaml(row["config_yaml"])

    def form_html(
        self, conn: Connection, module: ResolvedModule, record: Mapping[str, Any] | None, errors: FormErrors
    ) -> Markup:
        record = record or {}
        field_type = str(record.get("field_type") or "")
        config = DEFAULTS.get(field_type, {}) | from_yaml(record.get("config_yaml"))
        return partial(
            "admin/dynamic_field_config.html",
            config=config,
            values=_pairs(config.get("PossibleValues")),
            regexes=[r for r in config.get("RegExList") or [] if isinstance(r, dict)],
            restrictions=RESTRICTIONS,
            screens=screens.SCREENS,
            shown_on=config.get(screens.KEY) if isinstance(config.get(screens.KEY), dict) else {},
            errors=errors.get("config", []),
        )

    def detail_html(self, conn: Connection, module: ResolvedModule, record: Mapping[str, Any]) -> Markup:
        config = from_yaml(record.get("config_yaml"))
        return partial("admin/dynamic_field_detail.html", config=config, text=to_yaml(config))


def _is_form(data: Mapping[str, Any]) -> bool:
    return hasattr(data, "getlist")


def _pairs(values: Any) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in values.items()] if isinstance(values, dict) else []


def _name_errors(conn: Connection, name: str, pk: Any) -> FormErrors:
    if not NAME.fullmatch(name):
        return {"name": ["Name may contain only letters and digits (A-Z, a-z, 0-9), as OTRS requires."]}
    stmt = select(FIELD.c.id).where(func.lower(FIELD.c.name) == name.lower())
    if pk is not None:
        stmt = stmt.where(FIELD.c.id != pk)
    if conn.execute(stmt.limit(1)).first() is not None:
        return {"name": [f"Another dynamic field is already named '{name}' (names ignore case)."]}
    return {}


def _type_change_errors(ctx: WriteContext) -> FormErrors:
    old = ctx.old or {}
    changed = [k for k in ("field_type", "object_type") if k in ctx.values and ctx.values[k] != old.get(k)]
    if not changed:
        return {}
    has_values = select(VALUE.c.id).where(VALUE.c.field_id == ctx.pk).limit(1)
    if ctx.conn.execute(has_values).first() is None:
        return {}
    what = {"field_type": "type", "object_type": "object type"}
    return {k: [f"The {what[k]} cannot change: this field already holds values."] for k in changed}


def _given_config(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The configuration submitted: the ``config`` JSON object, else the form editor's inputs, else ``None``."""
    raw = data.get("config")
    if isinstance(raw, str) and raw.strip():
        raw = json.loads(raw)  # JSON text typed into the form's field (the engine checked that it parses)
    if isinstance(raw, dict):
        return raw
    if not _is_form(data):
        return None  # a JSON body without config
    getlist = data.getlist  # type: ignore[attr-defined]
    given: dict[str, Any] = {k: data[f"config_{k}"] for k in ALL_KEYS if f"config_{k}" in data}
    given |= {flag: "1" if data.get(f"config_{flag}") else "0" for flag in FLAGS}
    shown_on = screens.form_values(data)
    if shown_on is not None:
        given[screens.KEY] = shown_on
    given["PossibleValues"] = _form_rows(getlist("config_pv_key"), getlist("config_pv_value"))
    given["RegExList"] = _form_rows(getlist("config_regex"), getlist("config_regex_error"))
    return given


def _form_rows(keys: list[str], values: list[str]) -> list[tuple[str, str]]:
    return [(k.strip(), v) for k, v in zip(keys, values, strict=False) if k.strip() or v.strip()]


def build_config(
    field_type: str, stored: Mapping[str, Any], given: Mapping[str, Any], *, complete: bool
) -> tuple[dict[str, Any], list[str]]:
    """The configuration to store for ``field_type`` and the problems found (one sentence each).

    ``stored`` is the current hash (its unknown keys are kept), ``given`` what the client sent: from a form the whole
    editor (``complete``), from JSON only the keys to change.
    """
    known = DEFAULTS[field_type]
    given = dict(given)
    shown_on = given.pop(screens.KEY, None)  # where a ticket or article field shows (GOTRS; OTRS ignores the key)
    extra = sorted(set(given) - ALL_KEYS)
    if extra:
        return {}, [f"Unknown configuration key '{extra[0]}' for a {field_type} field; known: {', '.join(known)}."]
    base = {k: v for k, v in stored.items() if k not in ALL_KEYS}
    current = {k: stored.get(k, v) for k, v in known.items()}
    config = base | current
    problems: list[str] = []
    for key in known:
        if key in given:
            value, problem = _convert(field_type, key, given[key])
            config[key] = value
            if problem:
                problems.append(problem)
    misplaced = sorted(set(given) - set(known))
    if misplaced and not complete:
        problems.append(f"{', '.join(misplaced)} does not apply to a {field_type} field.")
    problems += _cross_checks(field_type, config)
    if shown_on is not None:
        stored_screens, problem = screens.parse_screens(shown_on)
        config.pop(screens.KEY, None)
        if stored_screens:
            config[screens.KEY] = stored_screens
        if problem:
            problems.append(problem)
    return config, problems


def _positive(text: str) -> bool:
    return text.isdigit() and int(text) > 0


#: Scalar keys: the test a value must pass and the sentence when it does not.
_SCALAR_CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "Rows": (_positive, "Rows must be a whole number above 0."),
    "Cols": (_positive, "Cols must be a whole number above 0."),
    "YearsInPast": (str.isdigit, "YearsInPast must be a whole number of years (0 or more)."),
    "YearsInFuture": (str.isdigit, "YearsInFuture must be a whole number of years (0 or more)."),
    "DateRestriction": (
        RESTRICTIONS.__contains__,
        "DateRestriction must be empty, DisablePastDates or DisableFutureDates.",
    ),
    "Link": (lambda t: len(t) <= 2000, "Link must be at most 2000 characters."),
    "LinkPreview": (lambda t: len(t) <= 2000, "LinkPreview must be at most 2000 characters."),
}


def _convert(field_type: str, key: str, raw: Any) -> tuple[Any, str]:
    if key == "PossibleValues":
        return _possible_values(raw)
    if key == "RegExList":
        return _regex_list(raw)
    if key == "DefaultValue":
        return _default_value(field_type, raw)
    text = _scalar(raw)
    if key in FLAGS:
        return ("1" if text in ("1", "true", "True") else "0"), ""
    test, message = _SCALAR_CHECKS.get(key, (lambda _text: True, ""))
    return text, "" if test(text) else message


def _scalar(raw: Any) -> str:
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    if isinstance(raw, bool):
        return "1" if raw else "0"
    return "" if raw is None else str(raw)


def _default_value(field_type: str, raw: Any) -> tuple[Any, str]:
    if field_type == "Multiselect":
        items = raw if isinstance(raw, list) else str(raw or "").split(",")  # a form sends keys comma-separated
        return [str(v).strip() for v in items if str(v).strip()], ""
    text = _scalar(raw)
    if field_type == "Checkbox" and text not in ("0", "1"):
        return text, "DefaultValue of a Checkbox must be 0 or 1."
    if field_type in ("Date", "DateTime") and not re.fullmatch(r"-?[0-9]+", text or "0"):
        return text, "DefaultValue of a date must be a difference from now in seconds (a whole number)."
    return (text or "0") if field_type in ("Date", "DateTime") else text, ""


def _possible_values(raw: Any) -> tuple[dict[str, str], str]:
    rows = raw.items() if isinstance(raw, dict) else raw if isinstance(raw, list) else None
    if rows is None:
        return {}, "PossibleValues must be an object of key: value."
    values: dict[str, str] = {}
    for raw_key, value in rows:
        key = _scalar(raw_key).strip()
        if not key:
            return values, "Every possible value needs a key."
        if key in values:
            return values, f"The possible value key '{key}' is given twice."
        values[key] = _scalar(value)
    return values, ""


def _regex_list(raw: Any) -> tuple[list[dict[str, str]], str]:
    items: list[dict[str, str]] = []
    for entry in raw if isinstance(raw, list) else [None]:
        item = {"Value": entry[0], "ErrorMessage": entry[1]} if isinstance(entry, tuple) else entry
        if not isinstance(item, dict) or not _scalar(item.get("Value")):
            return items, "Each RegExList entry needs a Value (the regular expression) and may have an ErrorMessage."
        value = _scalar(item["Value"])
        problem = regex_problem(value)
        if problem:
            return items, f"RegEx '{value}': {problem}"
        items.append({"ErrorMessage": _scalar(item.get("ErrorMessage")), "Value": value})
    return items, ""


def _cross_checks(field_type: str, config: Mapping[str, Any]) -> list[str]:
    if field_type not in ("Dropdown", "Multiselect"):
        return []
    values = config.get("PossibleValues") or {}
    if not values:
        return [f"A {field_type} field needs at least one possible value."]
    default = config.get("DefaultValue")
    for item in default if isinstance(default, list) else [default] if default else []:
        if item not in values:
            return [f"DefaultValue '{item}' is not one of the possible values ({', '.join(values)})."]
    return []


register("dynamic_field_config", DynamicFieldConfig())

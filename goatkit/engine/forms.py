"""Conversion and validation of submitted values, generated from a module's spec (marshmallow).

One schema per module and action converts what an HTML form or a JSON client sent into column-ready values, or
collects one clear sentence per bad field (``{"name": ["Name is required."]}``): the HTML page shows each beside
its field, the JSON API answers 422 naming the field.  Uniqueness needs the database and is checked apart
(:func:`check_unique`), after the values are clean.

Which fields a request may write: the form-visible, non-readonly ones (``show_in_form``, not ``readonly``), for
HTML and JSON alike.  A JSON body naming any other key is refused, naming the key; an HTML form may carry extra
keys (``csrf_token``, buttons) and they are ignored.

Example::

    try:
        values = clean(module, request.get_json(), "create", source="json")
    except FormInvalid as invalid:
        return jsonify(errors=invalid.errors), 422
    errors = check_unique(conn, module, values)       # {"name": ["Already used by another Priority."]}
"""

from __future__ import annotations

import difflib
import re
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Literal, cast

from marshmallow import EXCLUDE, Schema, ValidationError
from marshmallow.fields import Field
from sqlalchemy import Connection, Integer, literal, select

from goatkit.engine.fieldtypes import field_for, label_text
from goatkit.engine.model import ResolvedField, ResolvedModule
from goatkit.i18n import current_language
from goatkit.passwords import hash_password
from goatkit.specs.module import FieldSpec, ModuleSpec

Action = Literal["create", "update"]
Source = Literal["json", "form"]
#: Field name to its messages, each one sentence for the user.
FormErrors = dict[str, list[str]]
#: Extra rules run on converted values (``service.py`` runs the lambda validators and ``custom_rules`` here).
RuleRunner = Callable[[ResolvedModule, dict[str, Any], Action], Mapping[str, list[str]]]
#: Marks a field without a default; ``None`` is a real default ("empty").
NO_DEFAULT: Any = object()


class FormInvalid(ValueError):
    """Submitted values that do not convert or validate; ``errors`` says which and why."""

    def __init__(self, errors: FormErrors) -> None:
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items()))
        self.errors = errors


def static_default(spec: FieldSpec) -> Any:
    """The spec's ``default``; ``NO_DEFAULT`` for a lambda default (``default: {lambda: ...}``), which
    ``service.py`` computes and passes to :func:`clean` as another resolver::

        defaults_for(module, resolve=lambda spec: computed.get(spec.name, NO_DEFAULT))
    """
    if spec.default is None or (isinstance(spec.default, dict) and "lambda" in spec.default):
        return NO_DEFAULT
    return spec.default


DefaultResolver = Callable[[FieldSpec], Any]


def editable(module: ResolvedModule) -> tuple[ResolvedField, ...]:
    """The fields a request may write: shown in the form and not read-only."""
    return tuple(f for f in module.fields if f.spec.show_in_form and not f.spec.readonly)


def required_names(module: ResolvedModule) -> frozenset[str]:
    """Fields that need a value on create: ``required``, ``validation.required_fields``, and NOT NULL columns that
    have no default (the database would refuse the row anyway; this says so beside the field)."""
    names = {f.name for f in module.fields if f.spec.required} | set(module.spec.validation.required_fields)
    for f in editable(module):
        column = f.column
        if column is None or column.nullable or column.default is not None or column.server_default is not None:
            continue
        if column.primary_key and column.autoincrement in (True, "auto") and isinstance(column.type, Integer):
            continue
        if f.spec.type not in ("file", "files"):
            names.add(f.name)
    return frozenset(names)


def defaults_for(module: ResolvedModule, resolve: DefaultResolver = static_default) -> dict[str, Any]:
    """Initial values of a create form: each editable field's default (never a password's)."""
    values = {f.name: resolve(f.spec) for f in editable(module) if f.spec.type != "password"}
    return {name: value for name, value in values.items() if value is not NO_DEFAULT}


_SCHEMAS: dict[tuple[int, str, str], tuple[weakref.ref[ResolvedModule], Schema]] = {}


def schema_for(module: ResolvedModule, action: Action) -> Schema:
    """The marshmallow schema converting ``module``'s editable fields for ``action``, built once per module object
    and language (its messages name the fields by their labels).

    On ``create`` the required fields must be present; ``update`` is loaded with ``partial=True`` by :func:`clean`
    (only the given fields change), where a required field may still not be emptied.
    """
    key = (id(module), action, current_language())
    hit = _SCHEMAS.get(key)
    if hit is not None and hit[0]() is module:
        return hit[1]
    required = required_names(module) if action == "create" else frozenset()
    patterns = module.spec.validation.field_patterns
    declared = {
        f.name: field_for(f, required=f.name in required, pattern=patterns.get(f.name, "")) for f in editable(module)
    }
    for name in (required_names(module) & declared.keys()) - required:  # on update: may be left out, never emptied
        declared[name].allow_none = False
        declared[name].needed = True
    schema = Schema.from_dict(cast("dict[str, Field[Any]]", declared), name=f"{module.name}_{action}")(unknown=EXCLUDE)
    _SCHEMAS[key] = (weakref.ref(module, lambda _ref: _SCHEMAS.pop(key, None)), schema)
    return schema


def clean(
    module: ResolvedModule,
    data: Mapping[str, Any],
    action: Action,
    *,
    source: Source,
    rules: RuleRunner | None = None,
    resolve: DefaultResolver = static_default,
) -> dict[str, Any]:
    """Convert and validate ``data`` for ``action``; return column-ready values or raise :class:`FormInvalid`.

    - ``source="form"``: HTML semantics. A checkbox or multiselect that is absent was left empty (``False``, ``[]``);
      extra keys are ignored; ``data`` may be a werkzeug ``MultiDict`` (multiselects read with ``getlist``).
    - ``source="json"``: a key that is not an editable field is an error naming it; absent means "not given".
    - ``create`` fills spec defaults of fields not given (hidden ones too, such as ``valid_id``); ``update`` changes
      only the fields given.  A password is hashed; an empty password on update keeps the stored one.
    - ``virtual`` fields are validated (and seen by ``rules``) but not returned: they have no column.
    """
    if not isinstance(data, Mapping):
        raise FormInvalid({"_schema": ["Expected an object of field values."]})
    errors: FormErrors = _unknown_keys(module, data) if source == "json" else {}
    submitted = _submitted(module, data, action, source)
    defaults: dict[str, Any] = {}
    if action == "create":
        missing = [f for f in module.fields if f.name not in submitted and f.spec.type != "password"]
        defaults = {f.name: resolve(f.spec) for f in missing}  # a default password would be a known password
        defaults = {name: value for name, value in defaults.items() if value is not NO_DEFAULT}
        submitted.update({name: value for name, value in defaults.items() if name in module.by_name})
    try:
        values: dict[str, Any] = schema_for(module, action).load(submitted, partial=action == "update")
    except ValidationError as exc:
        errors.update(_messages(exc))
        values = {}
    if errors:
        raise FormInvalid(errors)
    if action == "create":  # defaults of fields the form does not show, as the spec wrote them
        values.update({k: v for k, v in defaults.items() if k not in values})
    for f in module.fields:
        if f.spec.type == "password" and values.get(f.name):
            values[f.name] = hash_password(values[f.name])
    if rules is not None and (problems := dict(rules(module, values, action))):
        raise FormInvalid({name: list(messages) for name, messages in problems.items()})
    return {name: value for name, value in values.items() if module.by_name[name].column is not None}


def _unknown_keys(module: ResolvedModule, data: Mapping[str, Any]) -> FormErrors:
    writable = {f.name for f in editable(module)}
    errors: FormErrors = {}
    for key in data:
        if key in writable:
            continue
        if key in module.by_name:
            errors[key] = ["Cannot be set: this field is not editable."]
        else:
            close = difflib.get_close_matches(str(key), sorted(writable), n=1)
            errors[str(key)] = [f"Unknown field; did you mean '{close[0]}'?" if close else "Unknown field."]
    return errors


def _submitted(module: ResolvedModule, data: Mapping[str, Any], action: Action, source: Source) -> dict[str, Any]:
    """The raw values of editable fields, with HTML form semantics applied for ``source="form"``."""
    out: dict[str, Any] = {}
    getlist = getattr(data, "getlist", None)
    for f in editable(module):
        name, kind = f.name, f.spec.type
        if name in data:
            out[name] = getlist(name) if kind == "multiselect" and getlist is not None else data[name]
        elif source == "form" and f.kind == "bool":
            out[name] = False  # an unchecked checkbox is not sent at all
        elif source == "form" and kind == "multiselect":
            out[name] = []
        if kind in ("password", "file", "files") and name in out and out[name] in ("", None, []):
            del out[name]  # update: keep the stored password; create: no password given (required says so)
    return out


def _messages(exc: ValidationError) -> FormErrors:
    raw = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return {str(name): [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])] for name, msgs in raw.items()}


def check_unique(
    conn: Connection, module: ResolvedModule, values: Mapping[str, Any], exclude_pk: Any = None
) -> FormErrors:
    """Fields of ``values`` (``unique`` or ``validation.unique_fields``) whose value another row already holds.

    One indexed query per unique field given; values compare as the database compares them (case-insensitive
    under MySQL's usual collations, case-sensitive on PostgreSQL and SQLite).  ``exclude_pk`` is the record being
    updated.  The database's unique constraint remains the guard against races; this gives the clear message.
    """
    names = [f.name for f in module.fields if f.spec.unique] + list(module.spec.validation.unique_fields)
    singular = label_text(module.spec.module.singular, module.name)
    errors: FormErrors = {}
    for name in dict.fromkeys(names):
        column = module.by_name[name].column if name in module.by_name else None
        if column is None or values.get(name) is None:
            continue
        query = select(literal(1)).select_from(module.table).where(column == values[name])
        if exclude_pk is not None:
            query = query.where(module.primary_key != exclude_pk)
        if conn.execute(query.limit(1)).first() is not None:
            errors[name] = [f"Already used by another {singular}."]
    return errors


def pattern_problems(spec: ModuleSpec) -> list[tuple[tuple[str | int, ...], str]]:
    """Bad regular expressions and unknown field names in a spec's validation keys, as (key path, message).

    The key path is the YAML location (``("fields", 1, "validation")``) so the registry can name file and line.
    """
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for index, field in enumerate(spec.fields):
        for key in ("pattern", "validation"):
            problem = _regex_problem(getattr(field, key))
            if problem:
                problems.append((("fields", index, key), problem))
    names = [f.name for f in spec.fields]
    rules = spec.validation
    for key, listed in (("unique_fields", rules.unique_fields), ("required_fields", rules.required_fields)):
        problems += [(("validation", key), _unknown_field(n, names)) for n in listed if n not in names]
    for name, pattern in rules.field_patterns.items():
        if name not in names:
            problems.append((("validation", "field_patterns", name), _unknown_field(name, names)))
        elif problem := _regex_problem(pattern):
            problems.append((("validation", "field_patterns", name), problem))
    return problems


def check_patterns(spec: ModuleSpec) -> list[str]:
    """:func:`pattern_problems` as ``key: message`` lines (``fields.1.validation: not a valid regular ...``)."""
    return [f"{'.'.join(str(p) for p in loc)}: {message}" for loc, message in pattern_problems(spec)]


def _regex_problem(pattern: str) -> str:
    if not pattern:
        return ""
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    return ""


def _unknown_field(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1)
    return f"unknown field '{name}'" + (f"; did you mean '{close[0]}'?" if close else "")

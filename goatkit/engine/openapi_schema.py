"""JSON Schema (OpenAPI 3.1 dialect) for module records, list parameters and errors; used by :mod:`.openapi`.

A field's schema says what the JSON API sends and accepts: integers, decimals of exact columns as strings (the API
never rounds through a float), booleans, ISO 8601 ``date``/``date-time``/``time`` strings, ``email`` and ``uri``
formats, an ``enum`` of the spec's options (typed like the column), ``maxLength`` from the column and the spec,
``readOnly`` for fields a request may not write, ``writeOnly`` for passwords, ``null`` for optional nullable columns.

Example::

    record_schemas(module)["priority"]["properties"]["valid_id"]
    # {'type': 'integer', 'enum': [1, 2], 'title': 'Validity', 'default': 1}
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, Numeric, Time

from goatkit.engine.fieldtypes import Choice, field_for, is_choice, label_text
from goatkit.engine.forms import editable, required_names
from goatkit.engine.model import ResolvedField, ResolvedModule
from goatkit.engine.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_SEARCH, filter_type

Schema = dict[str, Any]
_DECIMAL_PATTERN = r"^[+-]?[0-9]+(\.[0-9]+)?$"
_FORMATS = {"email": "email", "url": "uri", "date": "date", "datetime": "date-time", "time": "time"}

ERROR_SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message"],
                "properties": {
                    "status": {"type": "integer"},
                    "message": {"type": "string", "description": "One sentence for the user."},
                    "ref": {"type": "string", "description": "The request id, for the logs."},
                },
            }
        },
    },
    "ValidationError": {
        "allOf": [{"$ref": "#/components/schemas/Error"}],
        "type": "object",
        "required": ["error", "errors"],
        "properties": {
            "errors": {
                "type": "object",
                "description": "Field name to its messages, each one sentence.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            }
        },
    },
}


def value_schema(column: Column[Any] | None) -> Schema:
    """The JSON form of a column's values: ``integer``, decimal ``string``, ``number``, ISO strings, ``string``."""
    kind = column.type if column is not None else None
    if isinstance(kind, Boolean):
        return {"type": "boolean"}
    if isinstance(kind, Integer):
        return {"type": "integer"}
    if isinstance(kind, Float):
        return {"type": "number"}
    if isinstance(kind, Numeric):
        return {"type": "string", "format": "decimal", "pattern": _DECIMAL_PATTERN}
    for sql_type, fmt in ((DateTime, "date-time"), (Date, "date"), (Time, "time")):
        if isinstance(kind, sql_type):
            return {"type": "string", "format": fmt}
    length = getattr(kind, "length", None)
    return {"type": "string", "maxLength": length} if isinstance(length, int) else {"type": "string"}


def field_schema(module: ResolvedModule, rf: ResolvedField, *, writable: bool) -> Schema:
    """The schema of one field's value, with its title, help, default and read/write-only flags."""
    spec = rf.spec
    schema = _typed(rf)
    schema["title"] = label_text(spec.label, rf.name)
    if spec.help:
        schema["description"] = label_text(spec.help, "")
    if spec.default is not None and not isinstance(spec.default, dict) and spec.type != "password":
        schema["default"] = spec.default
    if spec.type == "password":
        schema["writeOnly"] = True
    elif not writable:
        schema["readOnly"] = True
    column = rf.column
    if column is not None and column.nullable and rf.name not in required_names(module):
        _allow_null(schema)
    return schema


def _typed(rf: ResolvedField) -> Schema:
    spec = rf.spec
    if spec.type == "password":
        return {"type": "string", "format": "password"}
    if is_choice(rf):
        return _choice(rf)
    if rf.kind == "bool":
        flag = value_schema(rf.column)
        return {"type": "boolean"} if flag["type"] == "boolean" else {"type": ["boolean", flag["type"]]}
    if rf.kind in ("date", "datetime", "time"):
        return {"type": "string", "format": _FORMATS[rf.kind]}
    schema: Schema = value_schema(rf.column) if rf.column is not None else {"type": "string"}
    if rf.kind in ("int", "decimal"):
        if schema["type"] not in ("integer", "number") and "format" not in schema:
            schema = {"type": "integer" if rf.kind == "int" else "number"}
        schema.update({k: v for k, v in (("minimum", spec.min), ("maximum", spec.max)) if v is not None})
        return schema
    schema = {"type": "string"} | ({"maxLength": schema["maxLength"]} if "maxLength" in schema else {})
    if spec.max_length is not None:
        schema["maxLength"] = min(spec.max_length, schema.get("maxLength", spec.max_length))
    if spec.min_length:
        schema["minLength"] = spec.min_length
    if spec.type in _FORMATS:
        schema["format"] = _FORMATS[spec.type]
    if spec.pattern or spec.validation:
        schema["pattern"] = spec.pattern or spec.validation
    return schema


def _choice(rf: ResolvedField) -> Schema:
    """One value of the options (or of the lookup's key column); a list for ``multiselect``."""
    converter = field_for(rf, required=False)
    item = value_schema(rf.lookup.key if rf.lookup is not None else rf.column)
    item.pop("maxLength", None)
    if isinstance(converter, Choice) and converter.options:
        item["enum"] = list(converter.options)
    if rf.spec.type != "multiselect":
        return item
    joined = isinstance(converter, Choice) and converter.join  # stored (and sent back) as "a,b"
    return {"type": ["array", "string"] if joined else "array", "items": item}


def _allow_null(schema: Schema) -> None:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]


def record_schemas(module: ResolvedModule) -> dict[str, Schema]:
    """``<module>`` (records; the create body, with its required fields) and ``<module>_update`` (none required)."""
    writable = {f.name for f in editable(module)}
    properties: dict[str, Schema] = {}
    for rf in module.fields:
        if rf.column is None and rf.name not in writable:
            continue  # a virtual field nobody may send is never seen
        properties[rf.name] = field_schema(module, rf, writable=rf.name in writable)
        if rf.lookup is not None:
            properties[f"{rf.name}_display"] = {"type": ["string", "null"], "readOnly": True}
    for program in module.lambdas.computed:
        label = label_text(program.computed.label if program.computed else "", program.name)
        properties[program.name] = {
            "description": f'{label}: computed by a lambda; a failure is {{"error": {{"kind", "message"}}}}',
            "readOnly": True,
        }
    pk = module.primary_key.name
    if not any(rf.column is not None and rf.column.name == pk for rf in module.fields):
        properties[pk] = value_schema(module.primary_key) | {"readOnly": True}
    title = label_text(module.spec.module.singular, module.name)
    record: Schema = {"type": "object", "title": title, "properties": properties}
    required = sorted(required_names(module) & writable)
    if required:
        record["required"] = required
    update = {"type": "object", "title": title, "properties": properties}
    return {module.name: record, f"{module.name}_update": update}


def list_parameters(module: ResolvedModule) -> list[Schema]:
    """``page_size``, ``sort`` (sortable fields), ``search``, ``filter_<field>`` (filterable fields), ``cursor``."""
    size = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
    params = [_query("page_size", size | {"default": module.spec.ui.page_size or DEFAULT_PAGE_SIZE}, "Rows per page")]
    sortable = [f.name for f in module.sortable]
    if sortable:
        order = [name for field in sortable for name in (field, f"-{field}")]
        params.append(_query("sort", {"type": "string", "enum": order}, "A sortable field; '-' sorts descending"))
    if module.searchable:
        fields = ", ".join(f.name for f in module.searchable)
        params.append(_query("search", {"type": "string", "maxLength": MAX_SEARCH}, f"Text contained in: {fields}"))
    for rf in module.filterable:
        params.extend(_filter_parameters(module, rf))
    params.append(_query("cursor", {"type": "string"}, "next_cursor or prev_cursor of the previous page"))
    return params


def _filter_parameters(module: ResolvedModule, rf: ResolvedField) -> list[Schema]:
    name, kind = f"filter_{rf.name}", filter_type(module, rf)
    if kind == "date_range":
        day = {"type": "string", "format": "date"}
        return [_query(f"{name}_from", day, "From this day"), _query(f"{name}_to", day, "To this day (included)")]
    if kind == "text":
        return [_query(name, {"type": "string"}, f"Text contained in {rf.name}")]
    value = _choice(rf) if is_choice(rf) and rf.spec.type != "multiselect" else value_schema(rf.column)
    value.pop("maxLength", None)
    if kind == "multi_select":
        return [_query(name, {"type": "array", "items": value}, f"Any of these {rf.name} values") | {"explode": True}]
    return [_query(name, value, f"Equal to this {rf.name}")]


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}

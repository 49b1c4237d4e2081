"""The OpenAPI 3.1 document of the module JSON API (``GET /api/openapi.json``), generated from the loaded specs.

Every module of the registry snapshot gets the paths of ``goatkit/engine/api.py`` for the actions it offers
(:func:`~goatkit.engine.access.requirements`): the list with its ``page_size``, ``sort`` (only sortable fields),
``search`` (when a field is searchable), ``filter_<field>`` (only filterable ones) and ``cursor`` parameters; create;
get; ``PUT``/``PATCH``; ``DELETE``.  Each module has a record schema (``<module>``, the create body and every
response) and an update schema (``<module>_update``, the same properties, none required); the field schemas come
from :mod:`goatkit.engine.openapi_schema`.  Labels are in the request's language.

The document is built once per registry snapshot and language: a reload installs a new snapshot object and the next
request rebuilds.

Example::

    doc = document(modules().snapshot(), realms=[("agent", "gotrs_agent_access")])
    doc["paths"]["/api/v1/modules/priority"]["get"]["operationId"]     # 'list_priority'
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, current_app, jsonify

from goatkit import i18n
from goatkit.engine.access import requirements
from goatkit.engine.extension import modules
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.model import ResolvedModule
from goatkit.engine.openapi_schema import ERROR_SCHEMAS, list_parameters, record_schemas, value_schema
from goatkit.engine.registry import Snapshot
from goatkit.routing.registry import handler

API_PREFIX = "/api/v1/modules"
JSON = "application/json"
Schema = dict[str, Any]


class _Cache:
    """The documents of one snapshot, by language; emptied when the registry installs a new snapshot."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: Snapshot | None = None
        self.by_language: dict[str, Schema] = {}


_cache = _Cache()


@handler("engine.openapi")
def openapi_json() -> Response:
    """The document for the current snapshot, in the request's language."""
    return jsonify(document(modules().snapshot(), realms=_realm_cookies()))


def document(snapshot: Snapshot, *, realms: Sequence[tuple[str, str]] = (), title: str = "") -> Schema:
    """The OpenAPI document of ``snapshot`` (cached per snapshot object and language).

    ``realms`` names the sign-in cookies, ``(realm, cookie name)``, each a cookie security scheme.
    """
    language = i18n.current_language()
    with _cache.lock:
        if _cache.snapshot is not snapshot:
            _cache.snapshot, _cache.by_language = snapshot, {}
        built = _cache.by_language.get(language)
        if built is None:
            records = [m for m in snapshot.values() if m.relation is None]  # relations: relation_views.py
            built = build(records, realms=realms, title=title or _app_title())
            _cache.by_language[language] = built
        return built


def build(mods: Iterable[ResolvedModule], *, realms: Sequence[tuple[str, str]] = (), title: str = "API") -> Schema:
    """The OpenAPI 3.1 document of ``mods`` (uncached; :func:`document` is the cached entry point)."""
    ordered = sorted((m for m in mods if m.relation is None), key=lambda m: m.name)  # relations: no record API
    paths: dict[str, Any] = {}
    schemas: dict[str, Schema] = dict(ERROR_SCHEMAS)
    for module in ordered:
        offered = requirements(module)
        collection, item = _collection_path(module, offered), _item_path(module, offered)
        if collection:
            paths[f"{API_PREFIX}/{module.name}"] = collection
        if item:
            paths[f"{API_PREFIX}/{module.name}/{{record_id}}"] = item
        schemas.update(record_schemas(module))
    schemes: dict[str, Schema] = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    schemes.update({f"cookie_{realm}": {"type": "apiKey", "in": "cookie", "name": name} for realm, name in realms})
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1", "description": "The JSON API of every module, from its spec."},
        "tags": [{"name": m.name, "description": label_text(m.spec.module.plural, m.name)} for m in ordered],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": schemes},
        "security": [{name: []} for name in schemes],
    }


# ------------------------------------------------------------------------------------------------------------ paths


def _collection_path(module: ResolvedModule, offered: Iterable[str]) -> Schema:
    name, plural = module.name, label_text(module.spec.module.plural, module.name)
    path: Schema = {}
    if "view" in offered:
        path["get"] = _operation(
            module,
            f"list_{name}",
            f"A page of {plural}",
            parameters=list_parameters(module),
            responses={"200": _json("A page of records", _list_schema(module)), "400": _error("A bad parameter")},
        )
    if "create" in offered:
        created = _json("The new record", _ref(name))
        created["headers"] = {"Location": {"description": "The record's URL", "schema": {"type": "string"}}}
        path["post"] = _operation(
            module,
            f"create_{name}",
            f"Create a {_singular(module)}",
            body=_ref(name),
            responses={"201": created, **_write_errors()},
        )
    return path


def _item_path(module: ResolvedModule, offered: Iterable[str]) -> Schema:
    name, singular = module.name, _singular(module)
    record_id = {
        "name": "record_id",
        "in": "path",
        "required": True,
        "description": f"The {singular}'s {module.primary_key.name}",
        "schema": value_schema(module.primary_key),
    }
    path: Schema = {"parameters": [record_id]}
    found = {"404": _error("No such record")}
    if "view" in offered:
        path["get"] = _operation(
            module, f"get_{name}", f"One {singular}", responses={"200": _json("The record", _ref(name)), **found}
        )
    if "update" in offered:
        changed = {"200": _json("The record after the change", _ref(name)), **found, **_write_errors()}
        for method, verb in (("put", "replace"), ("patch", "update")):
            path[method] = _operation(
                module,
                f"{verb}_{name}",
                f"Change a {singular} (only the fields given)",
                body=_ref(f"{name}_update"),
                responses=changed,
            )
    if "delete" in offered:
        gone = "Deleted (marked invalid)" if module.soft_delete else "Deleted"
        path["delete"] = _operation(
            module,
            f"delete_{name}",
            f"Delete a {singular}",
            responses={"204": {"description": gone}, **found, "409": _error("Still referenced elsewhere")},
        )
    return path if len(path) > 1 else {}


def _operation(
    module: ResolvedModule,
    operation_id: str,
    summary: str,
    *,
    responses: dict[str, Any],
    parameters: list[Schema] | None = None,
    body: Schema | None = None,
) -> Schema:
    op: Schema = {"operationId": operation_id, "summary": summary, "tags": [module.name]}
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    op["responses"] = {
        **responses,
        "401": _error("Not signed in"),
        "403": _error("Not allowed, or not offered by this module"),
    }
    return op


def _write_errors() -> dict[str, Any]:
    return {
        "400": _error("The body is not a JSON object"),
        "409": _error("Refused by the database or a rule"),
        "422": {"description": "Invalid values", "content": {JSON: {"schema": _ref("ValidationError")}}},
    }


def _list_schema(module: ResolvedModule) -> Schema:
    cursor = {"type": ["string", "null"]}
    return {
        "type": "object",
        "required": ["data", "page", "total", "total_is_estimate"],
        "properties": {
            "data": {"type": "array", "items": _ref(module.name)},
            "page": {
                "type": "object",
                "properties": {"size": {"type": "integer"}, "next_cursor": cursor, "prev_cursor": cursor},
            },
            "total": {"type": "integer"},
            "total_is_estimate": {"type": "boolean"},
        },
    }


def _json(description: str, schema: Schema) -> Schema:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> Schema:
    return _json(description, _ref("Error"))


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _singular(module: ResolvedModule) -> str:
    return label_text(module.spec.module.singular, module.name)


def _app_title() -> str:
    return f"{current_app.config.get('APP_NAME') or current_app.name} modules API"


def _realm_cookies() -> list[tuple[str, str]]:
    from goatkit.auth.state import EXTENSION_KEY

    state = current_app.extensions.get(EXTENSION_KEY)
    return [(realm.name, realm.access_cookie) for realm in state.realms] if state is not None else []

"""The JSON API of every module: ``/api/v1/modules/<module>[/<id>]``, served from the module's spec alone.

Handlers (declared in ``routes/modules.yaml``; who may call them is the route file's middleware, in GOTRS ``[auth,
admin]``, rw on group admin; per-action permissions from the spec come later):

* ``engine.api.list``    ``GET``     ``?page_size&sort&search&filter_<field>&cursor`` ->
  ``{"data": [row...], "page": {"size", "next_cursor", "prev_cursor"}, "total", "total_is_estimate"}``
* ``engine.api.create``  ``POST``    JSON object of field values -> 201, the row, ``Location``
* ``engine.api.get``     ``GET``     -> the row
* ``engine.api.update``  ``PUT``/``PATCH`` (both partial: only the fields given change) -> the row
* ``engine.api.delete``  ``DELETE``  -> 204 (``valid_id = 2`` when the module soft-deletes)

The module's ``permissions`` list says which actions it offers (view, create, update, delete); asking for another
is a 403.  A module without the key offers all four, as every GOTRS module did.  Errors are one sentence in
``{"error": {"status", "message", "ref"}}``; invalid values answer 422 with ``"errors": {field: [messages]}`` too.

A row is serialised field by field: dates and times as ISO 8601, decimals as strings (no float rounding), lookup
fields with their ``<field>_display`` value, file fields as ``{"name", "size", "url"}``; binary values and password
fields are never sent.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any

from flask import Response, g, jsonify, request, url_for
from sqlalchemy import Connection, Integer
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from goatkit.auth.identity import current_identity
from goatkit.engine import access, service, uploads
from goatkit.engine.computed import ROW_STYLE
from goatkit.engine.extension import modules
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.forms import FormErrors, FormInvalid
from goatkit.engine.model import ResolvedModule
from goatkit.engine.query import (
    ListRequest,
    Page,
    QueryError,
    convert,
    get_row,
    list_page,
    pk_field,
)
from goatkit.errors import error_response
from goatkit.lambdas.render import json_value
from goatkit.lambdas.sandbox import Outcome
from goatkit.platform import current_platform
from goatkit.routing.registry import handler

log = logging.getLogger("goatkit.engine.api")

CONFLICT = "The database refused this change: a value is missing, already used, or still referenced elsewhere."
_ACTION_OF_METHOD = {"GET": "view", "HEAD": "view", "POST": "create", "PUT": "update", "PATCH": "update"}


class ApiError(Exception):
    """Ends a request with ``response`` (a 4xx or 503 already rendered)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _fail(status: int, message: str) -> ApiError:
    return ApiError(error_response(status, message))


# ------------------------------------------------------------------------------------------------------- handlers


@handler("engine.api.list")
def list_records(module: str) -> Response:
    return _run(module, None, _list)


@handler("engine.api.create")
def create_record(module: str) -> Response:
    return _run(module, None, _create)


@handler("engine.api.get")
def get_record(module: str, record_id: str) -> Response:
    return _run(module, record_id, _get)


@handler("engine.api.update")
def update_record(module: str, record_id: str) -> Response:
    return _run(module, record_id, _update)


@handler("engine.api.delete")
def delete_record(module: str, record_id: str) -> Response:
    return _run(module, record_id, _delete)


def _run(name: str, record_id: str | None, action: Any) -> Response:
    """Resolve the module, check it offers the action, run ``action`` in one transaction; errors become responses."""
    try:
        module = _module(name)
        _check_offered(module, _ACTION_OF_METHOD.get(request.method, "delete"))
        with current_platform().engine.begin() as conn:
            response: Response = action(conn, module) if record_id is None else action(conn, module, record_id)
            return response
    except ApiError as error:
        return error.response
    except QueryError as error:
        return error_response(400, str(error))
    except IntegrityError:  # a race past check_unique, a row other tables point at, a column the spec leaves out
        log.warning("integrity error on %s %s", request.method, request.path, exc_info=True)
        return error_response(409, CONFLICT)


def _module(name: str) -> ResolvedModule:
    try:
        snapshot = modules().snapshot()
    except SQLAlchemyError:
        log.exception("cannot load the module registry")
        raise _fail(503, "The modules cannot be loaded right now (database unavailable); try again shortly.") from None
    found = snapshot.get(name)
    if found is None:
        close = difflib.get_close_matches(name, sorted(snapshot), n=1)
        raise _fail(404, f"No module named '{name}'." + (f" Did you mean '{close[0]}'?" if close else ""))
    if found.relation is not None:  # a matrix, not records: goatkit/engine/relation_views.py serves it
        raise _fail(404, f"Module '{name}' is a relation: use /api/v1/relations/{name}/left/<id>.")
    return found


def _check_offered(module: ResolvedModule, action: str) -> None:
    try:
        access.require(module, action)
    except access.AccessDenied as denied:
        raise _fail(denied.status, denied.message) from None


# --------------------------------------------------------------------------------------------------------- actions


def _list(conn: Connection, module: ResolvedModule) -> Response:
    page_request = ListRequest.parse(module, request_params())
    page = list_page(conn, module, page_request, key=modules().cursor_key)
    service.extend_rows(conn, module, page.rows)
    return jsonify(list_body(module, page_request, page))


def _get(conn: Connection, module: ResolvedModule, record_id: str) -> Response:
    return jsonify(serialise(module, _answer(conn, module, _existing(conn, module, record_id))))


def _create(conn: Connection, module: ResolvedModule) -> Response:
    pk = _write(module, None, lambda: service.create(conn, module, _body(), source="json", user_id=_user_id()))
    response = jsonify(serialise(module, _answer(conn, module, get_row(conn, module, pk) or {})))
    response.status_code = 201
    response.headers["Location"] = url_for("engine.api.get", module=module.name, record_id=str(pk))
    return response


def _update(conn: Connection, module: ResolvedModule, record_id: str) -> Response:
    pk = _pk(module, record_id)
    _write(module, record_id, lambda: service.update(conn, module, pk, _body(), source="json", user_id=_user_id()))
    return jsonify(serialise(module, _answer(conn, module, get_row(conn, module, pk) or {})))


def _delete(conn: Connection, module: ResolvedModule, record_id: str) -> Response:
    pk = _pk(module, record_id)
    if not _write(module, record_id, lambda: service.delete(conn, module, [pk], user_id=_user_id())):
        raise _not_found(module, record_id)
    return Response(status=204)


def _write(module: ResolvedModule, record_id: str | None, action: Callable[[], Any]) -> Any:
    """Run a service call; its errors become a 422 naming fields, a 409 with the hook's sentence, or a 404."""
    try:
        return action()
    except FormInvalid as invalid:
        raise invalid_response(invalid.errors) from None
    except service.Refused as refused:
        raise _fail(409, str(refused)) from None
    except service.NotFound:
        raise _not_found(module, str(record_id)) from None


# ---------------------------------------------------------------------------------------------------------- helpers


def _pk(module: ResolvedModule, record_id: str) -> Any:
    """The path's id as the primary key's type; 400 naming it when it cannot be one (``/priority/abc``)."""
    try:
        return convert(module.primary_key, record_id, "the record id")
    except QueryError:
        expected = "a whole number" if isinstance(module.primary_key.type, Integer) else "a valid key"
        raise _fail(400, f"The record id must be {expected}, not '{record_id}'.") from None


def _existing(conn: Connection, module: ResolvedModule, record_id: str) -> dict[str, Any]:
    row = get_row(conn, module, _pk(module, record_id))
    if row is None:
        raise _not_found(module, record_id)
    return row


def _answer(conn: Connection, module: ResolvedModule, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with what the module's hooks add (``extend_rows``), ready to serialise."""
    if row:
        service.extend_rows(conn, module, [row])
    return row


def _not_found(module: ResolvedModule, record_id: str) -> ApiError:
    singular = label_text(module.spec.module.singular, module.name)
    return _fail(404, f"{singular} {record_id} does not exist.")


def _body() -> Mapping[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _fail(400, "Send a JSON object.")
    return data


def _user_id() -> int:
    identity = current_identity()
    if identity is None or not isinstance(identity.id, int):  # the route's middleware guarantees an agent
        raise _fail(403, "Only agents can change records.")
    return identity.id


def invalid_response(errors: FormErrors) -> ApiError:
    """422 naming each bad field: ``{"error": {...}, "errors": {"name": ["Name is required."]}}``."""
    message = f"Some values are not valid: {', '.join(errors)}."
    response = jsonify(error={"status": 422, "message": message, "ref": g.get("request_id", "-")}, errors=errors)
    response.status_code = 422
    return ApiError(response)


def request_params() -> dict[str, Any]:
    """The query string as list parameters: one value as text, a repeated key (``multi_select``) as a list."""
    return {key: values[0] if len(values) == 1 else values for key, values in request.args.lists()}


def list_body(module: ResolvedModule, page_request: ListRequest, page: Page) -> dict[str, Any]:
    """A list page as JSON: the shape of the API and of the admin screens' JSON answers."""
    return {
        "data": [serialise(module, row) for row in page.rows],
        "page": {"size": page_request.page_size, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor},
        "total": page.total,
        "total_is_estimate": page.total_is_estimate,
    }


def serialise(module: ResolvedModule, row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as JSON-safe values: ISO 8601 dates, decimals as text; no bytes, no password fields.

    A file field shows ``{"name", "size", "url"}`` (a list of them for ``files``), never the bytes.  A computed
    field (``service.extend_rows`` computed it) shows its value, or ``{"error": {"kind", "message"}}``.
    """
    hidden = {f.name for f in module.fields if f.spec.type == "password"}
    files = {f.name: f for f in module.fields if f.spec.type in uploads.FILE_TYPES}
    pk = row.get(pk_field(module)) if files else None
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, Outcome):  # a computed field: its value, or {"error": {kind, message}}
            if name != ROW_STYLE:
                program = next((p for p in module.lambdas.computed if p.name == name), None)
                html = program.computed.html if program is not None and program.computed is not None else None
                out[name] = json_value(value, html=html)
            continue
        if name in files:
            out[name] = uploads.described(module, files[name], value, pk) if pk is not None else None
            continue
        if name in hidden or isinstance(value, bytes | bytearray | memoryview):
            continue
        if isinstance(value, date | time):
            out[name] = value.isoformat()
        elif isinstance(value, Decimal):
            out[name] = str(value)
        else:
            out[name] = value
    return out

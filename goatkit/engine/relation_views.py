"""The screens and JSON API of relation modules (``relation.py``): pick an item of one side, tick its grants.

Handlers (``routes/relations.yaml``, middleware ``[auth]``; reading needs the module's ``view`` action, saving its
``update`` action, ``access.py``: by default rw on group admin):

* ``engine.relations.overview``  ``GET /admin/relations/<module>?side=left|right&search&cursor``: a page of one
  side's items (keyset paging, searchable), each linking to its matrix.
* ``engine.relations.matrix``  ``GET /admin/relations/<module>/<side>/<id>?search&cursor``: the item and a page of
  the other side's items, one checkbox per key; ``POST`` saves the page shown (items of other pages keep theirs).
* ``engine.relations.api.items``  ``GET /api/v1/relations/<module>/<side>``: ``{"data": [{"id", "label"}],
  "next_cursor"}``.
* ``engine.relations.api.grants``  ``GET /api/v1/relations/<module>/<side>/<id>``: ``{"<other id>": ["ro", ...]}``
  (granted items only); ``PUT`` replaces them all with the body (items left out lose theirs); ``PATCH`` changes
  only the items the body names (``[]`` revokes).  Both answer the grants as they are after the save.

Errors are one sentence: 400 for a malformed id or body, 404 naming an unknown module, side or id, 409 for a broken
constraint, 422 naming unknown keys.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Response, flash, jsonify, render_template, request, url_for
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from goatkit.auth.identity import current_identity
from goatkit.engine import access
from goatkit.engine.extension import modules
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.model import ResolvedModule
from goatkit.engine.relation import (
    ASSIGNED,
    Relation,
    RelationError,
    Side,
    as_json,
    existing_item,
    parse_grants,
    read_grants,
    save_grants,
    side_page,
)
from goatkit.errors import error_response
from goatkit.platform import current_platform
from goatkit.routing.registry import handler

log = logging.getLogger("goatkit.engine.relations")
GRANT_PREFIX = "grant:"  # form fields: grant:<key> = <other id>, one per ticked box
MAX_PAGE_SIZE = 200
CONFLICT = "The database refused this change: an item no longer exists or is still referenced elsewhere."


# ------------------------------------------------------------------------------------------------------ handlers


@handler("engine.relations.overview")
def overview(module: str) -> Response:
    return _run(module, "view", _overview)


@handler("engine.relations.matrix")
def matrix(module: str, side: str, item_id: str) -> Response:
    action = "update" if request.method == "POST" else "view"
    return _run(module, action, lambda conn, found: _matrix(conn, found, side, item_id))


@handler("engine.relations.api.items")
def api_items(module: str, side: str) -> Response:
    return _run(module, "view", lambda conn, found: _items(conn, found, side))


@handler("engine.relations.api.grants")
def api_grants(module: str, side: str, item_id: str) -> Response:
    action = "view" if request.method == "GET" else "update"
    return _run(module, action, lambda conn, found: _grants(conn, _relation(found), side, item_id))


def _run(name: str, action: str, body: Callable[[Connection, ResolvedModule], Response]) -> Response:
    """Find the relation module, check the action, run ``body`` in one transaction; errors become one sentence."""
    try:
        module = _module(name)
        access.require(module, action)
        with current_platform().engine.begin() as conn:
            return body(conn, module)
    except access.AccessDenied as denied:
        return error_response(denied.status, denied.message)
    except RelationError as failed:
        return error_response(failed.status, failed.message)
    except IntegrityError:  # an item deleted meanwhile (foreign keys), a race on the same grant
        log.warning("integrity error on %s %s", request.method, request.path, exc_info=True)
        return error_response(409, CONFLICT)


def _module(name: str) -> ResolvedModule:
    try:
        snapshot = modules().snapshot()
    except SQLAlchemyError:
        log.exception("cannot load the module registry")
        raise RelationError(503, "The modules cannot be loaded right now (database unavailable); try again.") from None
    relations = sorted(n for n, m in snapshot.items() if m.relation is not None)
    found = snapshot.get(name)
    if found is None or found.relation is None:
        close = difflib.get_close_matches(name, relations, n=1)
        raise RelationError(404, f"No relation named '{name}'." + (f" Did you mean '{close[0]}'?" if close else ""))
    return found


# --------------------------------------------------------------------------------------------------------- views


def _relation(module: ResolvedModule) -> Relation:
    assert module.relation is not None  # _module returns relation modules only
    return module.relation


def _overview(conn: Connection, module: ResolvedModule) -> Response:
    relation = _relation(module)
    side = relation.side(request.args.get("side", "left"))
    search = request.args.get("search", "").strip()
    page = side_page(conn, module.name, side, signing_key=modules().cursor_key, search=search, **_paging())
    return _html(
        "goatkit/engine/relation_overview.html",
        module,
        side=side,
        other=relation.other(side),
        page=page,
        search=search,
    )


def _matrix(conn: Connection, module: ResolvedModule, side_name: str, item_id: str) -> Response:
    relation = _relation(module)
    side = relation.side(side_name)
    item, label = existing_item(conn, side, item_id)
    if request.method == "POST":
        return _save_form(conn, relation, side, item, label)
    other = relation.other(side)
    search = request.args.get("search", "").strip()
    page = side_page(conn, module.name, other, signing_key=modules().cursor_key, search=search, **_paging())
    return _html(
        "goatkit/engine/relation_matrix.html",
        module,
        side=side,
        other=other,
        item=item,
        item_label=label,
        page=page,
        search=search,
        grants=read_grants(conn, relation, side, item),
        keys=[(key, _key_label(key)) for key in relation.keys],
    )


def _save_form(conn: Connection, relation: Relation, side: Side, item: Any, label: str) -> Response:
    """The ticked boxes of the page shown become the grants of those items; other pages are not touched."""
    form = request.form
    body: dict[str, list[str]] = {other_id: [] for other_id in form.getlist("shown")}
    for field in form:
        if field.startswith(GRANT_PREFIX):
            for other_id in form.getlist(field):
                body.setdefault(other_id, []).append(field.removeprefix(GRANT_PREFIX))
    wanted = parse_grants(conn, relation, side, body)
    change = save_grants(conn, relation, side, item, wanted, replace_all=False, user_id=_user_id())
    flash(f"Saved {label}: {len(change.added)} granted, {len(change.removed)} revoked.", "success")
    back = {k: v for k in ("search", "cursor") if (v := form.get(k, ""))}
    return Response(status=303, headers={"Location": request.path + ("?" + urlencode(back) if back else "")})


def _items(conn: Connection, module: ResolvedModule, side_name: str) -> Response:
    side = _relation(module).side(side_name)
    search = request.args.get("search", "").strip()
    page = side_page(conn, module.name, side, signing_key=modules().cursor_key, search=search, **_paging())
    return jsonify(data=[{"id": key, "label": label} for key, label in page.items], next_cursor=page.next_cursor)


def _grants(conn: Connection, relation: Relation, side_name: str, item_id: str) -> Response:
    side = relation.side(side_name)
    item, _label = existing_item(conn, side, item_id)
    if request.method in {"PUT", "PATCH"}:
        wanted = parse_grants(conn, relation, side, request.get_json(silent=True))
        replace_all = request.method == "PUT"
        save_grants(conn, relation, side, item, wanted, replace_all=replace_all, user_id=_user_id())
    return jsonify(as_json(relation, read_grants(conn, relation, side, item)))


# ------------------------------------------------------------------------------------------------------- helpers


def _paging() -> dict[str, Any]:
    raw = request.args.get("page_size", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise RelationError(400, f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}, not '{raw}'.")
    return {"cursor": request.args.get("cursor", ""), "size": int(raw)}


def _user_id() -> int:
    identity = current_identity()
    if identity is None or not isinstance(identity.id, int):
        raise RelationError(403, "Only agents can change relations.")
    return identity.id


def _key_label(key: str) -> str:
    return "Assigned" if key == ASSIGNED else key.replace("_", " ")


def _html(template: str, module: ResolvedModule, **context: Any) -> Response:
    """A relation page in the shell, with the module's title and the link to any item's matrix."""

    def matrix_url(side: Side, key: Any) -> str:
        return url_for("engine.relations.matrix", module=module.name, side=side.name, item_id=str(key))

    info = module.spec.module
    context |= {"relation": _relation(module), "module_name": module.name, "matrix_url": matrix_url}
    context |= {"title": label_text(info.plural, module.name), "description": info.description}
    return Response(render_template(template, **context), mimetype="text/html")

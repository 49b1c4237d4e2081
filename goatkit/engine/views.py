"""The admin screens of every module: list, detail, create, edit, delete, status toggle, bulk actions, password reset.

One set of view functions serves ``/admin/modules/<name>/...`` and the module's ``route_prefix`` alias
(``/admin/priorities/...``), answering a full page, an htmx fragment or JSON from the same function
(``screens/respond.py``).  Routes (``routes/modules.yaml``, middleware ``[auth]``):

* ``engine.views.index``  ``GET /admin``: the modules the agent may view, grouped by ``menu.section``
* ``engine.views.list`` / ``.create``  ``GET`` / ``POST /admin/modules/<module>``
* ``engine.views.new``  ``GET .../new``; ``engine.views.bulk``  ``POST .../bulk`` (``action`` + ``ids``)
* ``engine.views.detail`` / ``.update`` / ``.delete``  ``GET`` / ``POST|PUT`` / ``DELETE .../<id>``
* ``engine.views.edit``  ``GET .../<id>/edit``; ``engine.views.toggle``  ``POST .../<id>/toggle``;
  ``engine.views.reset_password``  ``POST .../<id>/reset-password``
* ``engine.views.download``  ``GET .../<id>/files/<field>[/<index>]``: a stored file of a ``file``/``files`` field
* ``engine.views.choices``  ``GET .../choices/<field>?q=``: a typeahead's matches (options HTML, or JSON)
* ``engine.views.alias``  ``/admin/<path>``: the same screens under a module's ``route_prefix``.  Explicit routes
  (``/admin/sessions``) are static rules and win; a path no module claims is a 404.  Aliases are read from the
  registry snapshot per request, so a module added by a reload gets its alias at once.

Each action is authorised by ``access.require(module, action)``; ``access.allowed_actions`` decides which buttons
show.  Lists, reads and writes go through ``query.py`` and ``service.py``: no SQL here.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, request, url_for
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from goatkit.engine import access, api, service, uploads
from goatkit.engine.computed import add_computed, lambda_defaults
from goatkit.engine.extension import modules
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.forms import Action as FormAction
from goatkit.engine.forms import FormErrors, FormInvalid, defaults_for
from goatkit.engine.lookups import search_options
from goatkit.engine.model import ResolvedModule
from goatkit.engine.query import ListRequest, Page, QueryError, get_row
from goatkit.engine.screens import respond
from goatkit.engine.screens.listing import Listing, filter_controls, list_cells, load_listing
from goatkit.engine.screens.respond import Stop, error, json, json_wanted, page
from goatkit.engine.screens.screen import Screen, open_screen, screen_index
from goatkit.engine.screens.widgets import form_sections, form_values
from goatkit.platform import current_platform
from goatkit.routing.registry import handler

log = logging.getLogger("goatkit.engine.views")
BULK_ACTIONS = {"delete": "delete", "activate": "update", "deactivate": "update"}
Action = Callable[[Screen, str | None], Response]


# ------------------------------------------------------------------------------------------------------ handlers


@handler("engine.views.index")
def index() -> Response:
    return _guard(_index)


@handler("engine.views.list")
def list_view(module: str) -> Response:
    return _serve(module, _list)


@handler("engine.views.create")
def create_view(module: str) -> Response:
    return _serve(module, _create)


@handler("engine.views.new")
def new_view(module: str) -> Response:
    return _serve(module, _new)


@handler("engine.views.bulk")
def bulk_view(module: str) -> Response:
    return _serve(module, _bulk)


@handler("engine.views.detail")
def detail_view(module: str, record_id: str) -> Response:
    return _serve(module, _detail, record_id)


@handler("engine.views.update")
def update_view(module: str, record_id: str) -> Response:
    return _serve(module, _update, record_id)


@handler("engine.views.delete")
def delete_view(module: str, record_id: str) -> Response:
    return _serve(module, _delete, record_id)


@handler("engine.views.edit")
def edit_view(module: str, record_id: str) -> Response:
    return _serve(module, _edit, record_id)


@handler("engine.views.toggle")
def toggle_view(module: str, record_id: str) -> Response:
    return _serve(module, _toggle, record_id)


@handler("engine.views.reset_password")
def reset_password_view(module: str, record_id: str) -> Response:
    return _serve(module, _reset_password, record_id)


@handler("engine.views.download")
def download_view(module: str, record_id: str, field: str, index: str | None = None) -> Response:
    return _serve(module, lambda screen, rid: _download(screen, rid, field, index), record_id)


@handler("engine.views.choices")
def choices_view(module: str, field: str) -> Response:
    return _serve(module, lambda screen, _: _choices(screen, field))


@handler("engine.views.alias")
def alias_view(alias: str) -> Response:
    """``/admin/<alias>``: the screens of the module whose ``route_prefix`` starts the path (the longest wins)."""
    path = "/admin/" + alias.strip("/")
    owners = [m for m in modules().snapshot().values() if _under(path, m.spec.module.route_prefix)]
    if not owners:
        return error(404, f"There is no page at {path}.")
    module = max(owners, key=lambda m: len(m.spec.module.route_prefix))
    prefix = module.spec.module.route_prefix.rstrip("/")
    shape, record_id = _shape([p for p in path[len(prefix) :].split("/") if p])
    if shape is None:
        return error(404, f"There is no page at {path}.")
    action = _SHAPES[shape].get(request.method)
    if action is None:
        return error(405, f"{request.method} is not allowed on {path}.")
    return _serve(module.name, action, record_id, base=prefix)


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return bool(prefix) and (path == prefix or path.startswith(prefix + "/"))


def _shape(parts: list[str]) -> tuple[str | None, str | None]:
    """The screen a path below a module's base names (a key of ``_SHAPES``), and the record id in it."""
    if not parts:
        return "", None
    if len(parts) == 1:
        return (parts[0], None) if parts[0] in ("new", "bulk") else ("<id>", parts[0])
    if len(parts) == 2 and parts[1] in ("edit", "toggle", "reset-password"):
        return "<id>/" + parts[1], parts[0]
    return None, None


def _serve(name: str, action: Action, record_id: str | None = None, *, base: str = "") -> Response:
    return _guard(lambda: action(open_screen(name, base), record_id))


def _guard(run: Callable[[], Response]) -> Response:
    """Run a view; its refusals become answers (never a 500 for bad input)."""
    try:
        return run()
    except Stop as stop:
        return stop.response
    except access.AccessDenied as denied:
        return error(denied.status, denied.message)
    except QueryError as bad:
        return error(400, str(bad))
    except IntegrityError:  # a race past check_unique, a row other tables point at
        log.warning("integrity error on %s %s", request.method, request.path, exc_info=True)
        return error(409, api.CONFLICT)
    except SQLAlchemyError:
        log.exception("database error on %s %s", request.method, request.path)
        return error(503, "The database cannot be reached right now; try again shortly.")


# ------------------------------------------------------------------------------------------------------- reading


def _index() -> Response:
    sections = screen_index()
    if json_wanted():
        return json({"sections": sections})
    return page("goatkit/engine/index.html", sections=sections)


def _list(screen: Screen, _: str | None) -> Response:
    screen.require("view")
    params = api.request_params()
    with _connect() as conn:
        as_json = json_wanted()
        listing = load_listing(
            conn, screen.module, params, base=screen.base, actions=screen.actions, every_display=as_json
        )
        if as_json:
            service.extend_rows(conn, screen.module, listing.page.rows)
            return json(api.list_body(screen.module, listing.request, listing.page))
        if respond.wants_table():
            return respond.fragment("goatkit/engine/_table.html", listing=listing)
        filters = filter_controls(conn, screen.module, params)
    return page("goatkit/engine/list.html", screen=screen, listing=listing, filters=filters)


def _detail(screen: Screen, record_id: str | None) -> Response:
    screen.require("view")
    with _connect() as conn:
        row = screen.row(conn, record_id)
        if not json_wanted():
            add_computed(conn, screen.module, [row], detail=True)  # the detail page's computed fields only
        service.extend_rows(conn, screen.module, [row])
        if json_wanted():
            return json(api.serialise(screen.module, row))
        extra = [hook.detail_html(conn, screen.module, row) for hook in screen.hooks]
    return page("goatkit/engine/detail.html", screen=screen, row=row, record_id=record_id, extra=extra)


def _download(screen: Screen, record_id: str | None, field: str, index: str | None) -> Response:
    """One stored file of a file field, as an attachment (``uploads.download``)."""
    screen.require("view")
    rf = screen.module.by_name.get(field)
    if rf is None or rf.spec.type not in uploads.FILE_TYPES:
        return error(404, f"{screen.plural} have no file field '{field}'.")
    with _connect() as conn:
        row = screen.row(conn, record_id)
    what = f"{label_text(rf.spec.label, rf.name)} of {screen.singular} {record_id}"
    try:
        return uploads.download(rf, row.get(field), index, what)
    except uploads.FileMissing as missing:
        return error(404, str(missing))


def _choices(screen: Screen, field: str) -> Response:
    """The rows of a lookup matching ``?q=`` (at most ``SEARCH_LIMIT``), for whoever may fill the module's form."""
    if not (screen.can("create") or screen.can("update")):
        screen.require("update")  # the refusal names the permission
    rf = screen.module.by_name.get(field)
    if rf is None or rf.lookup is None or rf.column is None:
        return error(404, f"{screen.plural} have no lookup field '{field}'.")
    term = request.args.get("q", "")
    if len(term) > 100:
        return error(400, "The search text must be at most 100 characters.")
    with _connect() as conn:
        found = search_options(conn, rf.lookup, term)
    if json_wanted():
        return json({"data": [{"value": key, "label": display} for key, display in found]})
    return respond.fragment("goatkit/engine/_choices.html", field=field, choices=found, term=term)


def _new(screen: Screen, _: str | None) -> Response:
    screen.require("create")
    defaults = defaults_for(screen.module)
    defaults |= lambda_defaults(screen.module, defaults)
    if json_wanted():
        return json({"defaults": api.serialise(screen.module, defaults)})
    return _form(screen, None, form_values(screen.module, defaults), {})


def _edit(screen: Screen, record_id: str | None) -> Response:
    screen.require("update")
    with _connect() as conn:
        row = screen.row(conn, record_id)
    if json_wanted():
        return json(api.serialise(screen.module, row))
    return _form(screen, record_id, form_values(screen.module, row), {}, row=row)


def _form(
    screen: Screen,
    record_id: str | None,
    values: Mapping[str, Any],
    errors: FormErrors,
    *,
    row: Mapping[str, Any] | None = None,
    refused: str = "",
    status: int = 200,
) -> Response:
    action: FormAction = "create" if record_id is None else "update"
    with _connect() as conn:
        sections = form_sections(conn, screen.module, values, errors, action=action)
        extra = [hook.form_html(conn, screen.module, row, errors) for hook in screen.hooks]
    context = {"screen": screen, "record_id": record_id, "sections": sections, "errors": errors, "extra": extra}
    return page("goatkit/engine/form.html", status=status, refused=refused, **context)


# ------------------------------------------------------------------------------------------------------- writing


def _submission(module: ResolvedModule | None = None) -> tuple[Mapping[str, Any], str]:
    """What the client sent and how: a JSON object, or an HTML form (``MultiDict``) with the ``module``'s uploads."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise Stop(error(400, "Send a JSON object."))
        return body, "json"
    return (request.form if module is None else uploads.form_data(module, request.form, request.files)), "form"


def _create(screen: Screen, _: str | None) -> Response:
    screen.require("create")
    data, source = _submission(screen.module)
    try:
        with _begin() as conn:
            pk = service.create(conn, screen.module, data, source=source, user_id=screen.user_id())  # type: ignore[arg-type]
            row = get_row(conn, screen.module, pk) or {}
    except (FormInvalid, service.Refused) as problem:
        return _invalid(screen, None, data, problem)
    if json_wanted():
        location = url_for("engine.api.get", module=screen.module.name, record_id=str(pk))
        return json(api.serialise(screen.module, row), 201, Location=location)
    return respond.done(screen.url(pk), f"{screen.singular} {screen.title_of(row, pk)} created.")


def _update(screen: Screen, record_id: str | None) -> Response:
    screen.require("update")
    pk = screen.pk(record_id)
    data, source = _submission(screen.module)
    try:
        with _begin() as conn:
            service.update(conn, screen.module, pk, data, source=source, user_id=screen.user_id())  # type: ignore[arg-type]
            row = get_row(conn, screen.module, pk) or {}
    except service.NotFound:
        raise Stop(error(404, screen.missing(record_id))) from None
    except (FormInvalid, service.Refused) as problem:
        return _invalid(screen, record_id, data, problem)
    if json_wanted():
        return json(api.serialise(screen.module, row))
    return respond.done(screen.url(pk), f"{screen.singular} {screen.title_of(row, pk)} saved.")


def _invalid(
    screen: Screen, record_id: str | None, data: Mapping[str, Any], problem: FormInvalid | service.Refused
) -> Response:
    """422 with each error beside its field (values kept), or 409 with the hook's sentence in a banner."""
    if isinstance(problem, FormInvalid):
        if json_wanted():
            return api.invalid_response(problem.errors).response
        return _form(screen, record_id, form_values(screen.module, data), problem.errors, status=422)
    if json_wanted():
        return error(409, str(problem))
    return _form(screen, record_id, form_values(screen.module, data), {}, refused=str(problem), status=409)


def _delete(screen: Screen, record_id: str | None) -> Response:
    screen.require("delete")
    pk = screen.pk(record_id)
    try:
        with _begin() as conn:
            affected = service.delete(conn, screen.module, [pk], user_id=screen.user_id())
    except service.Refused as refused:
        return error(409, str(refused))
    if not affected:
        return error(404, screen.missing(record_id))
    if json_wanted():
        return Response(status=204)
    done = "marked invalid" if screen.module.soft_delete else "deleted"
    return respond.done(screen.base, f"{screen.singular} {record_id} {done}.")


def _toggle(screen: Screen, record_id: str | None) -> Response:
    screen.require("update")
    if "valid_id" not in screen.module.table.c:
        return error(404, f"{screen.plural} have no status to toggle.")
    with _begin() as conn:
        old = screen.row(conn, record_id)
        pk = screen.pk(record_id)
        service.set_valid(conn, screen.module, [pk], str(old.get("valid_id")) != "1", user_id=screen.user_id())
        row = get_row(conn, screen.module, pk) or {}
    if json_wanted():
        return json(api.serialise(screen.module, row))
    if respond.is_htmx():
        listing = Listing(screen.module, screen.base, {}, ListRequest(sort=""), Page([row], None, None, 1, False),
                          list_cells(screen.module), screen.actions)  # fmt: skip
        return respond.fragment("goatkit/engine/_row.html", listing=listing, row=row)
    state = "valid" if str(row.get("valid_id")) == "1" else "invalid"
    return respond.done(screen.url(pk), f"{screen.singular} {record_id} is now {state}.")


def _bulk(screen: Screen, _: str | None) -> Response:
    data, _source = _submission()
    action = str(data.get("action") or "")
    if action not in BULK_ACTIONS:
        return error(400, f"The bulk action must be delete, activate or deactivate, not '{action}'.")
    screen.require(BULK_ACTIONS[action])
    raw = data.getlist("ids") if hasattr(data, "getlist") else data.get("ids")
    ids = [str(v) for v in (raw if isinstance(raw, list) else [])]
    if not ids:
        return error(400, "Select at least one record.")
    pks = [screen.pk(record_id) for record_id in ids]
    try:
        with _begin() as conn:
            if action == "delete":
                affected = service.delete(conn, screen.module, pks, user_id=screen.user_id())
            else:
                affected = service.set_valid(conn, screen.module, pks, action == "activate", user_id=screen.user_id())
    except service.Refused as refused:
        return error(409, str(refused))
    if json_wanted():
        return json({"action": action, "affected": affected})
    verb = {"delete": "marked invalid" if screen.module.soft_delete else "deleted", "activate": "made valid"}
    return respond.done(screen.base, f"{affected} {screen.plural.lower()} {verb.get(action, 'made invalid')}.")


def _reset_password(screen: Screen, record_id: str | None) -> Response:
    screen.require("update")
    target = screen.password_field()
    if target is None:
        return error(404, f"{screen.plural} have no password reset.")
    password = secrets.token_urlsafe(15)  # 20 characters, 120 bits
    try:
        with _begin() as conn:
            service.update(conn, screen.module, screen.pk(record_id), {target: password}, source="form",
                           user_id=screen.user_id())  # fmt: skip
    except service.NotFound:
        return error(404, screen.missing(record_id))
    except (FormInvalid, service.Refused) as problem:
        return error(409, f"The password could not be reset: {problem}")
    if json_wanted():
        response = json({"password": password})
    else:
        response = page("goatkit/engine/password.html", screen=screen, record_id=record_id, password=password)
    response.headers["Cache-Control"] = "no-store"  # shown once, never kept by a cache
    return response


#: The alias's paths, as routes/modules.yaml declares them for /admin/modules/<module>.
_SHAPES: dict[str, dict[str, Action]] = {
    "": {"GET": _list, "HEAD": _list, "POST": _create},
    "new": {"GET": _new, "HEAD": _new},
    "bulk": {"POST": _bulk},
    "<id>": {"GET": _detail, "HEAD": _detail, "POST": _update, "PUT": _update, "DELETE": _delete},
    "<id>/edit": {"GET": _edit, "HEAD": _edit},
    "<id>/toggle": {"POST": _toggle},
    "<id>/reset-password": {"POST": _reset_password},
}


def _connect() -> Any:
    return current_platform().reading()


def _begin() -> Any:
    return current_platform().engine.begin()

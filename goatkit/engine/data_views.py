"""The change history, CSV export and CSV import screens and API of every module (``routes/modules-data.yaml``).

Handlers (the route file asks only for ``auth``; each handler authorises with :func:`access.require`):

* ``engine.history.page`` ``GET /admin/modules/<m>/<id>/history``: an HTML fragment (the detail page loads it with
  htmx), newest first, "Show older" pages with ``?before=<change id>``; ``engine.history.api`` the same as JSON
  ``{"data": [{"id", "action", "changed_at", "changed_by": {"id", "name"}, "changes": [{"field", "label", "old",
  "new"}]}], "next_before"}``.  Needs ``view``.
* ``engine.csv.export`` / ``engine.csv.export_api`` ``GET .../<m>/export.csv``: the list's rows (``search``,
  ``filter_<field>``, ``sort``) streamed as CSV (:mod:`csv_export`).  Needs ``export``.
* ``engine.csv.import_page`` ``GET|POST /admin/modules/<m>/import``: upload, then a background job checks every
  row while the page polls ``engine.csv.import_job`` (``every 1s``) for progress and the report; "Import" posts to
  ``engine.csv.import_commit``, a second job writing all rows or none.  Only the job's owner may see it.
* ``engine.csv.import_api`` ``POST /api/v1/modules/<m>/import?dry_run=1|0``, the CSV as the body or the multipart
  field ``file``: the report (200, or 422 when a line is wrong and nothing was written).  Needs ``import``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request, stream_with_context
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from goatkit import jobs
from goatkit.auth.identity import current_identity
from goatkit.engine import access, csv_export, history
from goatkit.engine.csv_import import Report, run
from goatkit.engine.csv_read import MAX_BYTES, CsvError, FileTooLarge, decode, too_large
from goatkit.engine.extension import modules
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.model import ResolvedModule
from goatkit.engine.query import ListRequest, QueryError, convert
from goatkit.engine.screens.respond import is_htmx, optional_url, page
from goatkit.errors import error_response
from goatkit.platform import current_platform
from goatkit.routing.registry import handler

#: ``app.config`` key overriding the upload limit (bytes).
MAX_BYTES_CONFIG = "GOATKIT_CSV_MAX_BYTES"
CHECK, IMPORT = "csv_check", "csv_import"


class Stop(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _guarded(view: Callable[..., Response]) -> Callable[..., Response]:
    def wrapped(**kwargs: Any) -> Response:
        try:
            return view(**kwargs)
        except Stop as stop:
            return stop.response
        except QueryError as error:
            return error_response(400, str(error))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _module(name: str, action: str) -> ResolvedModule:
    snapshot = modules().snapshot()
    module = snapshot.get(name)
    if module is None:
        close = difflib.get_close_matches(name, sorted(snapshot), n=1)
        raise Stop(
            error_response(404, f"No module named '{name}'." + (f" Did you mean '{close[0]}'?" if close else ""))
        )
    try:
        access.require(module, action)
    except access.AccessDenied as denied:
        raise Stop(error_response(denied.status, denied.message)) from None
    return module


# ---------------------------------------------------------------------------------------------------------- history


def _history(name: str, record_id: str) -> dict[str, Any]:
    module = _module(name, "view")
    pk = convert(module.primary_key, record_id, "the record id")
    limit, before = _int_arg("limit", history.DEFAULT_LIMIT), _int_arg("before", None)
    with current_platform().engine.connect() as conn:
        changes = history.history_of(conn, module, pk, limit=limit, before_id=before)
        fields = history.describe(conn, module, changes)
        names = history.user_names(conn, {c.changed_by for c in changes})
    items = [
        {
            "id": c.id,
            "action": c.action,
            "changed_at": c.changed_at.isoformat(),
            "changed_by": {"id": c.changed_by, "name": names[c.changed_by]},
            "changes": [vars(f) for f in fields[c.id]],
        }
        for c in changes
    ]
    next_before = changes[-1].id if changes and len(changes) == limit else None
    return {"module": module, "record_id": record_id, "data": items, "next_before": next_before}


def _int_arg(name: str, default: int | None) -> Any:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not 0 < int(raw) < 2**62:
        raise QueryError(f"The parameter '{name}' must be a positive whole number, not '{raw}'.")
    return int(raw)


@handler("engine.history.page")
@_guarded
def history_page(module: str, record_id: str) -> Response:
    found = _history(module, record_id)
    enabled = history.enabled(found["module"])
    return Response(render_template("goatkit/engine/_history.html", enabled=enabled, **found), mimetype="text/html")


@handler("engine.history.api")
@_guarded
def history_api(module: str, record_id: str) -> Response:
    found = _history(module, record_id)
    return jsonify(data=found["data"], next_before=found["next_before"])


# ---------------------------------------------------------------------------------------------------------- export


def _export(name: str) -> Response:
    module = _module(name, "export")
    params = {key: values[0] if len(values) == 1 else values for key, values in request.args.lists()}
    params.pop("page_size", None)
    list_request = ListRequest.parse(module, params)
    chunks = csv_export.stream(current_platform().engine, module, list_request, key=modules().cursor_key)
    response = Response(stream_with_context(chunks), mimetype="text/csv")  # the reader's scope needs the request
    response.headers["Content-Disposition"] = f'attachment; filename="{module.name}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@handler("engine.csv.export")
@_guarded
def export_page(module: str) -> Response:
    return _export(module)


@handler("engine.csv.export_api")
@_guarded
def export_api(module: str) -> Response:
    return _export(module)


# ---------------------------------------------------------------------------------------------------------- import


def _agent() -> tuple[int, str]:
    """The signed-in agent's id and the owner label of their jobs."""
    identity = current_identity()
    if identity is None or not isinstance(identity.id, int):
        raise Stop(error_response(403, "Only agents can import records."))
    return identity.id, f"{identity.realm}:{identity.id}"


def _max_bytes() -> int:
    return int(current_app.config.get(MAX_BYTES_CONFIG, MAX_BYTES))


#: Room for the multipart envelope around the file itself.
_MULTIPART_SLACK = 64 * 1024


def _upload() -> FileStorage | None:
    """The multipart field ``file``; a request far over the limit is refused before werkzeug spools it."""
    request.max_content_length = _max_bytes() + _MULTIPART_SLACK
    try:
        return request.files.get("file")
    except RequestEntityTooLarge:
        raise too_large(_max_bytes()) from None


def _read_upload(upload: FileStorage | None) -> str:
    """The text of the uploaded file or body; :class:`CsvError` for a missing, large, empty or non-UTF-8 file."""
    limit = _max_bytes()
    if upload is not None:
        data = upload.stream.read(limit + 1)
    elif request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    else:
        data = request.get_data(cache=False)
    if not data and upload is None:
        raise CsvError("Send the CSV file as the request body or as the form field 'file'.")
    return decode(data, max_bytes=limit)


def _status(error: CsvError) -> int:
    return 413 if isinstance(error, FileTooLarge) else 400


@handler("engine.csv.import_page")
@_guarded
def import_page(module: str) -> Response:
    found = _module(module, "import")
    context = _import_context(found)
    if request.method == "GET":
        return page("goatkit/engine/csv_import.html", **context)
    user_id, owner = _agent()
    try:
        upload = _upload()
        if upload is None or not upload.filename:
            return page("goatkit/engine/csv_import.html", status=400, error="Choose a CSV file to upload.", **context)
        text = _read_upload(upload)
    except CsvError as error:
        return page("goatkit/engine/csv_import.html", status=_status(error), error=str(error), **context)
    job = _start(found, text, user_id=user_id, owner=owner, dry_run=True)
    return page("goatkit/engine/csv_import.html", job=job, **context)


@handler("engine.csv.import_job")
@_guarded
def import_job(module: str, job_id: str) -> Response:
    found = _module(module, "import")
    job = jobs.get(current_platform().engine, job_id, owner=_agent()[1])
    if job is None:
        return error_response(404, "No import with this id: it has expired or belongs to someone else.")
    return Response(render_template("goatkit/engine/csv_job.html", module=found, job=job), mimetype="text/html")


@handler("engine.csv.import_commit")
@_guarded
def import_commit(module: str, job_id: str) -> Response:
    found = _module(module, "import")
    user_id, owner = _agent()
    text = jobs.payload_of(current_platform().engine, job_id, owner=owner)
    if text is None:
        return error_response(404, "No import with this id: it has expired or belongs to someone else.")
    job = _start(found, text, user_id=user_id, owner=owner, dry_run=False)
    if is_htmx():
        return Response(render_template("goatkit/engine/csv_job.html", module=found, job=job), mimetype="text/html")
    return page("goatkit/engine/csv_import.html", job=job, **_import_context(found))


def _import_context(module: ResolvedModule) -> dict[str, Any]:
    title = label_text(module.spec.module.plural, module.name)
    return {"module": module, "title": title, "list_url": optional_url("engine.views.list", module=module.name)}


def _start(module: ResolvedModule, text: str, *, user_id: int, owner: str, dry_run: bool) -> jobs.Job:
    engine = current_platform().engine
    job_id = jobs.create(engine, kind=CHECK if dry_run else IMPORT, owner=owner, payload=text)
    sqlite = engine.dialect.name == "sqlite"

    def work(progress: jobs.Progress) -> dict[str, Any]:
        def step(done: int, total: int, writing: bool) -> None:
            progress.step(done, total, persist=not (writing and sqlite))

        try:
            return run(engine, module, text, user_id=user_id, dry_run=dry_run, step=step).as_json()
        except CsvError as error:
            return Report(dry_run, errors=[str(error)]).as_json()

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs.start(app, engine, job_id, work)
    job = jobs.get(engine, job_id, owner=owner)
    assert job is not None
    return job


@handler("engine.csv.import_api")
@_guarded
def import_api(module: str) -> Response:
    found = _module(module, "import")
    user_id, _ = _agent()
    flag = request.args.get("dry_run", "0").strip().lower()
    if flag not in ("0", "1", "true", "false"):
        return error_response(400, f"dry_run must be 1 or 0, not '{flag}'.")
    try:
        text = _read_upload(_upload() if request.mimetype == "multipart/form-data" else None)
        report = run(current_platform().engine, found, text, user_id=user_id, dry_run=flag in ("1", "true"))
    except CsvError as error:
        return error_response(_status(error), str(error))
    if report.ok:
        return jsonify(report.as_json())
    count = len(report.errors)
    message = f"The file has {count} problem{'s' if count != 1 else ''}; nothing was imported."
    response = jsonify(error={"status": 422, "message": message, "ref": g.get("request_id", "-")}, **report.as_json())
    response.status_code = 422
    return response

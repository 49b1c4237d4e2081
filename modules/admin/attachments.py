"""Standard attachments (``modules/standard_attachment.yaml``): files agents add to answers, stored in the database.

The hook ``standard_attachment_file`` takes the file from an HTML upload (``<input type="file" name="upload">``, a
multipart form) or, in the JSON API, from ``file``: ``{"filename": "terms.pdf", "content_type": "application/pdf",
"content": "<base64>"}``.  It stores ``content`` (bytes), ``content_type`` and ``filename``; a file is required on
create and optional on edit (the stored one stays).  Files above :data:`MAX_BYTES` are refused with their size.

The detail page links to ``GET /admin/attachment-files/<id>`` (``routes/admin-attachments.yaml``), which needs
the module's ``view`` permission and always answers as a download (``Content-Disposition: attachment``), so a stored
HTML file never renders in the GOTRS origin.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from collections.abc import Mapping
from typing import Any

from flask import Response, has_request_context, request, url_for
from markupsafe import Markup
from sqlalchemy import Connection, select
from werkzeug.datastructures import FileStorage

from goatkit.engine import access
from goatkit.engine.extension import modules
from goatkit.engine.forms import FormErrors
from goatkit.engine.hooks import ModuleHook, WriteContext, register
from goatkit.engine.model import ResolvedModule
from goatkit.errors import error_response
from goatkit.platform import current_platform
from goatkit.routing.registry import handler
from modules.admin.partials import partial
from modules.db.schema import metadata

ATTACHMENT = metadata.tables["standard_attachment"]
MAX_BYTES = 10 * 1024 * 1024
MAX_NAME = 250  # filename and content_type are VARCHAR(250)
TOO_BIG = f"The file is larger than {MAX_BYTES // 1_048_576} MB, the limit for a standard attachment."
Upload = tuple[str, str, bytes]  # filename, content type, content


class StandardAttachmentFile(ModuleHook):
    """The uploaded file of a standard attachment; see the module docstring."""

    def validate(self, ctx: WriteContext) -> FormErrors:
        upload, problem = _upload(ctx.data)
        if problem:
            return {"file": [problem]}
        if upload is None:
            return {"file": ["Choose the file to attach."]} if ctx.old is None else {}
        filename, content_type, content = upload
        if len(content) > MAX_BYTES:
            return {"file": [TOO_BIG]}
        ctx.values |= {"filename": filename, "content_type": content_type, "content": content}
        return {}

    def extend_rows(self, conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            content = row.pop("content", None)
            if content is not None:
                row["size"] = len(content)

    def form_html(
        self, conn: Connection, module: ResolvedModule, record: Mapping[str, Any] | None, errors: FormErrors
    ) -> Markup:
        return partial("admin/standard_attachment_upload.html", record=record, limit=MAX_BYTES // 1_048_576)

    def detail_html(self, conn: Connection, module: ResolvedModule, record: Mapping[str, Any]) -> Markup:
        link = url_for("admin.attachments.download", attachment_id=record["id"])
        return partial("admin/standard_attachment_download.html", record=record, link=link)


def _upload(data: Mapping[str, Any]) -> tuple[Upload | None, str]:
    """The file sent (``None`` if none) and a problem with it (``""`` if none)."""
    given = data.get("file")
    if isinstance(given, dict):
        return _from_json(given)
    stored = data.get("upload")
    if not isinstance(stored, FileStorage) and has_request_context():
        stored = request.files.get("upload")
    if not isinstance(stored, FileStorage) or not stored.filename:
        return None, ""
    content = stored.stream.read(MAX_BYTES + 1)
    kind = stored.mimetype or _guess(stored.filename)
    return _named(stored.filename, kind, content)


def _from_json(given: Mapping[str, Any]) -> tuple[Upload | None, str]:
    filename, encoded = given.get("filename"), given.get("content")
    if not isinstance(filename, str) or not isinstance(encoded, str):
        return None, 'Send the file as {"filename": ..., "content_type": ..., "content": "<base64>"}.'
    if len(encoded) > (MAX_BYTES + 2) // 3 * 4 + 4:  # refuse before decoding a huge string
        return None, TOO_BIG
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None, "The file content must be base64."
    return _named(filename, str(given.get("content_type") or _guess(filename)), content)


def _named(filename: str, content_type: str, content: bytes) -> tuple[Upload | None, str]:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()  # browsers on Windows may send a path
    if not name or len(name) > MAX_NAME or len(content_type) > MAX_NAME:
        return None, f"The file name and type must be 1 to {MAX_NAME} characters."
    return (name, content_type, content), ""


def _guess(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


@handler("admin.attachments.download")
def download(attachment_id: str) -> Response:
    """The stored file as a download, for whoever may view standard attachments."""
    module = modules().snapshot().get("standard_attachment")
    if module is None:
        return error_response(404, "Standard attachments are not available.")
    try:
        access.require(module, "view")
    except access.AccessDenied as denied:
        return error_response(denied.status, denied.message)
    if not attachment_id.isdigit():
        return error_response(400, f"The attachment id must be a whole number, not '{attachment_id}'.")
    cols = (ATTACHMENT.c.filename, ATTACHMENT.c.content_type, ATTACHMENT.c.content)
    with current_platform().engine.connect() as conn:
        row = conn.execute(select(*cols).where(ATTACHMENT.c.id == int(attachment_id))).first()
    if row is None:
        return error_response(404, f"Standard attachment {attachment_id} does not exist.")
    response = Response(bytes(row.content), mimetype=row.content_type or "application/octet-stream")
    response.headers.set("Content-Disposition", "attachment", filename=row.filename)
    return response


register("standard_attachment_file", StandardAttachmentFile())

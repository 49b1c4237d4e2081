"""Article attachments on the agent screens: taking uploads from a form, and downloads.

Uploads go through the platform's checks (``goatkit/engine/uploads.py``): safe names, the type sniffed from the
content, the ``upload_max_bytes`` limit per file and :data:`MAX_FILES` files per form.

``GET /agent/tickets/<id>/attachments/<attachment_id>`` (``ticket_access_ro``) sends one file of the ticket's
articles.  The client's name is never trusted (the stored name is cleaned again); the type is sniffed from the
bytes and only allow-listed types are sent as themselves (HTML and SVG go out as ``application/octet-stream``).
Everything is an attachment, except images asked for ``?inline=1`` (the inline images of an HTML body).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request

from goatkit.engine.uploads import UploadProblem, max_bytes, receive, safe_name, servable_type, sniff
from goatkit.routing import handler
from modules.tickets.articles import attachment
from modules.tickets.drafts import AttachmentDraft
from modules.tickets.errors import TicketInvalid
from modules.tickets.web.common import guarded, reading, refuse

MAX_FILES = 20
FIELD = "attachments"
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def uploaded(field: str = FIELD) -> list[AttachmentDraft]:
    """The files of the form's ``field`` as attachment drafts; raises TicketInvalid naming ``field``."""
    files = [item for item in request.files.getlist(field) if item and item.filename]
    if len(files) > MAX_FILES:
        raise TicketInvalid(field, f"Attach at most {MAX_FILES} files at once.")
    drafts = []
    for item in files:
        try:
            upload = receive(item, "Attachment", max_bytes(None))
        except UploadProblem as problem:
            raise TicketInvalid(field, str(problem)) from None
        drafts.append(AttachmentDraft(filename=upload.name, content_type=upload.content_type, content=upload.data))
    return drafts


def download_response(filename: str, content: bytes, *, inline: bool) -> Response:
    """The file as a response: a checked type, a safe name, inline only for allow-listed images."""
    name = safe_name(filename)
    kind = sniff(name, content)
    response = Response(content, mimetype=servable_type(kind))
    disposition = "inline" if inline and kind in INLINE_TYPES else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


@handler("tickets.attachment")
@guarded
def download(ticket_id: int, attachment_id: int) -> Response:
    with reading() as conn:
        found = attachment(conn, attachment_id)
    if found is None or found[1] != ticket_id:
        return refuse(404, f"Attachment {attachment_id} of ticket {ticket_id} does not exist.")
    meta, _ticket_id, content = found
    return download_response(meta.filename, content, inline=request.args.get("inline") == "1")

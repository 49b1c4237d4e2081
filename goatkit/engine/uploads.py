"""The files of ``file`` and ``files`` fields: safe names, type sniffing, checks, storage and download.

Where a file goes is decided by its column:

* a binary column (``LargeBinary``/``BLOB``/``bytea``) stores the bytes (one file);
* a text column stores a reference to a file under ``<var_dir>/uploads/<module>/<random id>/<safe name>``: the path
  relative to ``<var_dir>/uploads`` for ``file``, a JSON list of them for ``files`` (or ``multiple: true``).

The client's file name is never trusted: :func:`safe_name` drops directories and keeps letters, digits and
``. _ - + ( )`` (at most :data:`MAX_NAME` characters).  The type is sniffed from the content (:func:`sniff`), and a
download is always an attachment with a type from a safe list (HTML and SVG go out as ``application/octet-stream``)
read only from inside the uploads directory.

Files are written by :func:`store` in the write's transaction: a rollback removes the new files, a commit removes
the files an update replaced or cleared.

Example::

    upload = receive({"name": "../../etc/passwd", "content_base64": "aGk="}, "Attachment", 1024)
    upload.name, upload.content_type       # ('passwd', 'text/plain')
    store(conn, module, values)            # values["attachment"]: 'case_note/Xq3.../passwd'
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import json
import mimetypes
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Response, has_app_context, send_file
from sqlalchemy import Connection, LargeBinary, event
from werkzeug.datastructures import FileStorage, MultiDict

from goatkit.engine.model import ResolvedField, ResolvedModule
from goatkit.platform import current_platform

FILE_TYPES = frozenset({"file", "files"})
#: Longest stored file name (the extension is kept when a name is cut).
MAX_NAME = 100
#: Most files one ``files`` field takes unless its spec says ``max_length``.
MAX_FILES = 20
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_SNIFF_BYTES = 4096


class _Remove:
    """The form's "remove" checkbox: clear the stored file(s)."""

    def __repr__(self) -> str:
        return "REMOVE"


REMOVE: Any = _Remove()


class UploadProblem(ValueError):
    """A file that cannot be taken; ``str(problem)`` is one sentence naming the field."""


@dataclass(frozen=True)
class Upload:
    """A received file: its safe name, its bytes and the type sniffed from them."""

    name: str
    data: bytes
    content_type: str


class FileBytes(bytes):
    """The bytes a binary column stores, carrying the file name so the change history can name the file."""

    file_name = ""


# ------------------------------------------------------------------------------------------------ names and types


def safe_name(raw: str) -> str:
    """The last path segment of ``raw`` with only safe characters, at most :data:`MAX_NAME` long.

    Example::

        safe_name("../../etc/passwd")          # 'passwd'
        safe_name("C:\\\\Temp\\\\my <report>.pdf")    # 'my _report_.pdf'
    """
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c if c.isalnum() or c in "._-+() " else "_" for c in name).strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and 0 < len(ext) <= 16 else ""
        name = (stem if ext else name)[: MAX_NAME - len(ext) - 1].rstrip(" .") + (f".{ext}" if ext else "")
    return name or "file"


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
)
_NAMED_TYPES = {
    ".md": "text/markdown",
    ".webp": "image/webp",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".7z": "application/x-7z-compressed",
}
_MIME = mimetypes.MimeTypes()  # the built-in table only: the same answers on every machine
_TEXT_TYPES = frozenset({"text/plain", "text/csv", "text/markdown", "text/tab-separated-values", "application/json"})
#: Types a download may carry; anything else (HTML, SVG, scripts) is sent as application/octet-stream.
_SERVABLE = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "application/zip", "application/gzip"}
    | {"application/x-7z-compressed", "application/msword", "application/vnd.ms-excel"}
    | set(_NAMED_TYPES.values()) - {"text/markdown"}
)


def name_type(name: str) -> str | None:
    """The type a file name suggests (``report.pdf``: ``application/pdf``), ``None`` when it suggests none."""
    ext = Path(name.lower()).suffix
    guessed, encoding = _MIME.guess_type("x" + ext if ext else name.lower())
    return "application/gzip" if encoding == "gzip" else _NAMED_TYPES.get(ext, guessed)


def sniff(name: str, data: bytes) -> str:
    """The content's type by its first bytes; a container (zip, OLE) or plain text takes its name's precise type.

    Example::

        sniff("a.png", b"\\x89PNG\\r\\n\\x1a\\n...")    # 'image/png'
        sniff("notes.csv", b"a,b\\n1,2\\n")          # 'text/csv'
        sniff("x.txt", b"<!DOCTYPE html><p>")      # 'text/html'
    """
    head = data[:_SNIFF_BYTES]
    named = name_type(name) or ""
    kind = _magic_type(head)
    if kind in ("application/zip", "application/x-ole-storage") and named.startswith("application/"):
        return named if named not in _TEXT_TYPES else kind
    if kind is not None:
        return kind
    return _text_type(head, named, final=len(data) <= _SNIFF_BYTES)


def _magic_type(head: bytes) -> str | None:
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    found = next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)
    return "application/octet-stream" if found is None and b"\x00" in head else found


def _text_type(head: bytes, named: str, *, final: bool) -> str:
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=final)
    except UnicodeDecodeError:
        return "application/octet-stream"
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if lowered.startswith(("<!doctype html", "<html", "<script")) or "<script" in lowered:
        return "text/html"
    if "<svg" in lowered[:1024]:
        return "image/svg+xml"
    return named if named in _TEXT_TYPES else "text/plain"


def servable_type(kind: str) -> str:
    """The Content-Type a download may carry for a sniffed type."""
    if kind in _TEXT_TYPES:
        return f"{kind}; charset=utf-8"
    return kind if kind in _SERVABLE else "application/octet-stream"


def size_text(size: int) -> str:
    """``512 bytes``, ``1.5 KB``, ``10 MB``."""
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    value, unit = (size / 1024, "KB") if size < 1024 * 1024 else (size / 1024 / 1024, "MB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


# ----------------------------------------------------------------------------------------------------- receiving


def max_bytes(spec_max: float | None) -> int:
    """The size limit of a field: its spec's ``max`` (bytes), else the platform's ``upload_max_bytes``."""
    if spec_max is not None:
        return int(spec_max)
    if has_app_context():
        return int(current_platform().settings.upload_max_bytes)
    return DEFAULT_MAX_BYTES


def receive(item: Any, label: str, limit: int) -> Upload:
    """One file from a form (``FileStorage``) or JSON (``{"name", "content_base64"}``), within ``limit`` bytes."""
    if isinstance(item, FileStorage):
        raw_name, data = item.filename or "", item.stream.read(limit + 1)
    elif isinstance(item, Mapping) and all(isinstance(item.get(k), str) for k in ("name", "content_base64")):
        raw_name, data = item["name"], _decoded(item["content_base64"], item["name"], label, limit)
    else:
        raise UploadProblem(f'{label} must be a file: {{"name": "...", "content_base64": "..."}}.')
    name = safe_name(raw_name)
    if len(data) > limit:
        raise UploadProblem(f"{label}: '{name}' is larger than {size_text(limit)}, the limit.")
    return Upload(name, data, sniff(name, data))


def _decoded(encoded: str, name: str, label: str, limit: int) -> bytes:
    if len(encoded) > (limit + 2) // 3 * 4 + 4:  # refused before decoding a huge string
        raise UploadProblem(f"{label}: '{safe_name(name)}' is larger than {size_text(limit)}, the limit.")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise UploadProblem(f"{label}: the content of '{safe_name(name)}' is not valid base64.") from None


def accept_problem(accept: str, upload: Upload, label: str) -> str:
    """Why ``upload`` does not fit an HTML ``accept`` list (``.pdf, image/*``); ``""`` when it fits.

    Extensions are checked against the name, types against the sniffed type; a name whose type the content
    contradicts (``photo.png`` holding HTML) is refused whatever the list says.
    """
    tokens = [t.strip().lower() for t in accept.split(",") if t.strip()]
    if not tokens:
        return ""
    named, kind = name_type(upload.name), upload.content_type
    if named and kind not in ("application/octet-stream", "text/plain") and named != kind:
        return f"{label}: '{upload.name}' is not what its name says (its content is {kind})."
    for token in tokens:
        if upload.name.lower().endswith(token) if token.startswith(".") else _type_matches(token, kind):
            return ""
    return f"{label}: '{upload.name}' ({kind}) is not an accepted type; accepted: {', '.join(tokens)}."


def _type_matches(token: str, kind: str) -> bool:
    return kind.startswith(token[:-1]) if token.endswith("/*") else token == kind


def form_data(module: ResolvedModule, form: MultiDict[str, Any], files: MultiDict[str, FileStorage]) -> Any:
    """An HTML form with its uploads, as ``forms.clean(source="form")`` reads it.

    Each file field holds the list of files chosen (absent when none: the stored files stay), or :data:`REMOVE`
    when its "remove" checkbox (``<field>-remove``) is ticked; other uploads (a hook's own inputs) are kept as sent.
    """
    if not files and not any(f.spec.type in FILE_TYPES for f in module.fields):
        return form
    data: MultiDict[str, Any] = MultiDict(form)
    for key in files:
        data.setlist(key, files.getlist(key))
    for rf in module.fields:
        if rf.spec.type not in FILE_TYPES:
            continue
        chosen = [f for f in files.getlist(rf.name) if f.filename]
        data.poplist(rf.name)
        if chosen:
            data.setlist(rf.name, [chosen])
        elif form.get(f"{rf.name}-remove"):
            data.setlist(rf.name, [REMOVE])
    return data


# -------------------------------------------------------------------------------------------------------- storing


def is_binary(rf: ResolvedField) -> bool:
    return rf.column is not None and isinstance(rf.column.type, LargeBinary)


def holds_many(rf: ResolvedField) -> bool:
    """Whether the field keeps a list of files (``files`` or ``multiple: true`` in a text column)."""
    return (rf.spec.type == "files" or rf.spec.multiple) and not is_binary(rf)


def root() -> Path:
    """``<var_dir>/uploads``."""
    return Path(current_platform().settings.var_dir) / "uploads"


def store(conn: Connection, module: ResolvedModule, values: dict[str, Any], old: Mapping[str, Any] | None) -> None:
    """Turn the :class:`Upload` values of file fields into what their columns hold, writing files to disk.

    New files are removed again if ``conn``'s transaction rolls back; files of ``old`` that the write replaces or
    clears are removed when it commits.
    """
    written: list[Path] = []
    replaced: list[Path] = []
    for rf in module.stored:
        if rf.spec.type not in FILE_TYPES or rf.name not in values:
            continue
        value = values[rf.name]
        if old is not None and not is_binary(rf):
            replaced += [root() / rel for rel in relative_paths(old.get(rf.name))]
        if isinstance(value, Upload) and is_binary(rf):
            blob = FileBytes(value.data)
            blob.file_name = value.name
            values[rf.name] = blob
        elif value is not None:
            paths = [_write(module, u, written) for u in (value if isinstance(value, list) else [value])]
            values[rf.name] = json.dumps(paths) if holds_many(rf) else paths[0]
    if written:
        event.listen(conn, "rollback", lambda _conn: _remove(written), once=True)
    if replaced:
        event.listen(conn, "commit", lambda _conn: _remove(replaced), once=True)


def _write(module: ResolvedModule, upload: Upload, written: list[Path]) -> str:
    folder = root() / module.name / secrets.token_urlsafe(16)
    folder.mkdir(parents=True)
    path = folder / upload.name
    path.write_bytes(upload.data)
    written.append(path)
    return path.relative_to(root()).as_posix()


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        if _inside(path):
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # not empty: leave it
                path.parent.rmdir()


def _inside(path: Path) -> bool:
    base = root().resolve()
    return path.resolve().is_relative_to(base) and path.resolve() != base


def relative_paths(value: Any) -> list[str]:
    """The stored references of a text column: one path, or a JSON list of them."""
    if not isinstance(value, str) or not value:
        return []
    if value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return []
        return [str(item) for item in items if isinstance(item, str) and item] if isinstance(items, list) else []
    return [value]


# ------------------------------------------------------------------------------------------------- reading, serving


@dataclass(frozen=True)
class StoredFile:
    """A stored file of a record: its name, and its bytes (binary column) or its path (text column)."""

    name: str
    data: bytes | None = None
    path: Path | None = None

    @property
    def size(self) -> int | None:
        if self.data is not None:
            return len(self.data)
        return self.path.stat().st_size if self.path is not None and _readable(self.path) else None


class FileMissing(LookupError):
    """No such file; ``str(missing)`` says which (a 404)."""


def stored_files(rf: ResolvedField, value: Any) -> list[StoredFile]:
    """The files a stored value names, in order.  A binary value is named ``<field>.<ext>`` by its sniffed type."""
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        ext = _MIME.guess_extension(sniff("", data)) or ".bin"
        return [StoredFile(f"{rf.name}{ext}", data=data)]
    return [StoredFile(rel.rsplit("/", 1)[-1], path=root() / rel) for rel in relative_paths(value)]


def file_names(rf: ResolvedField, value: Any) -> list[str]:
    """The names of the stored files (no disk access for text columns)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return [f.name for f in stored_files(rf, value)]
    return [rel.rsplit("/", 1)[-1] for rel in relative_paths(value)]


def download_url(module: str, pk: Any, field: str, index: int | None) -> str:
    """``/admin/modules/<module>/<id>/files/<field>[/<index>]`` (the index only for fields holding a list)."""
    url = f"/admin/modules/{module}/{quote(str(pk), safe='')}/files/{field}"
    return url if index is None else f"{url}/{index}"


def described(module: ResolvedModule, rf: ResolvedField, value: Any, pk: Any) -> Any:
    """A file field's value for JSON: ``{"name", "size", "url"}`` (a list for ``files``), never the bytes."""
    many = holds_many(rf)
    files = [
        {"name": f.name, "size": f.size, "url": download_url(module.name, pk, rf.name, i if many else None)}
        for i, f in enumerate(stored_files(rf, value))
    ]
    return files if many else (files[0] if files else None)


def download(rf: ResolvedField, value: Any, index: str | None, what: str) -> Response:
    """The ``index``-th file of a stored value as an attachment; :class:`FileMissing` names what is missing.

    ``what`` names the record's field in messages (``Attachment of Note 7``).
    """
    files = stored_files(rf, value)
    if not files:
        raise FileMissing(f"{what} has no file.")
    position = int(index) if index is not None and index.isdigit() else (0 if index is None else -1)
    if not 0 <= position < len(files) or (index is not None and not holds_many(rf) and position != 0):
        raise FileMissing(f"{what} has no file {index}; it has {len(files)}.")
    chosen = files[position]
    if chosen.data is not None:
        response, kind = Response(chosen.data), sniff(chosen.name, chosen.data)
    elif chosen.path is not None and _readable(chosen.path):
        with chosen.path.open("rb") as handle:
            kind = sniff(chosen.name, handle.read(_SNIFF_BYTES))
        response = send_file(chosen.path.resolve(), conditional=False)
    else:
        raise FileMissing(f"The file '{chosen.name}' of {what} is missing from the server.")
    response.headers["Content-Type"] = servable_type(kind)
    response.headers.set("Content-Disposition", "attachment", filename=chosen.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _readable(path: Path) -> bool:
    """Whether ``path`` is a regular file inside the uploads directory (never a path that escapes it)."""
    return _inside(path) and path.resolve().is_file()

"""CSV export of any module: the rows a list shows (same search, filters and sort), streamed page by page.

The file is built for people and spreadsheets, and reads back in with :mod:`goatkit.engine.csv_import`:

* the header is the field labels; every stored field is a column, except passwords and binary columns;
* lookup fields hold their display value (``Queue`` = ``Raw``), booleans ``Yes``/``No``, dates ``YYYY-MM-DD``,
  times ``YYYY-MM-DD HH:MM:SS``, decimals exact, multiselects comma-separated;
* text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return)
  gets a leading apostrophe (the OWASP rule); the import removes it again;
* UTF-8 with a byte order mark, so spreadsheet programs detect the encoding.

Rows are read with keyset pages of :data:`PAGE_SIZE` through :func:`query.list_page`, each page in its own short
connection, so a table of a million rows streams in constant memory and holds no connection while the client reads.

Example::

    request = ListRequest.parse(module, {"search": "high", "sort": "-name"})
    for chunk in stream(engine, module, request, key=cursor_key):
        out.write(chunk)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Engine, LargeBinary

from goatkit.engine.fieldtypes import label_text
from goatkit.engine.model import ResolvedField, ResolvedModule
from goatkit.engine.query import ListRequest, list_page

__all__ = ["FORMULA_START", "PAGE_SIZE", "cell", "export_fields", "guard", "stream", "unguard"]

PAGE_SIZE = 1000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def export_fields(module: ResolvedModule) -> list[ResolvedField]:
    """The columns of an export: stored fields in spec order, never passwords or binary columns."""
    return [
        rf
        for rf in module.stored
        if rf.spec.type != "password" and rf.column is not None and not isinstance(rf.column.type, LargeBinary)
    ]


def header(fields: Sequence[ResolvedField]) -> list[str]:
    return [label_text(rf.spec.label, rf.name) for rf in fields]


def guard(text: str) -> str:
    """``=SUM(A1)`` as ``'=SUM(A1)``: a cell a spreadsheet would evaluate, made plain text."""
    return "'" + text if text.startswith(FORMULA_START) else text


def unguard(text: str) -> str:
    """The inverse of :func:`guard`, for reading an export back in."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def cell(rf: ResolvedField, row: dict[str, Any]) -> str:
    """One value as export text (see the module docstring)."""
    value = row.get(rf.name)
    if rf.lookup is not None and value is not None:
        display = row.get(rf.name + "_display")
        value = display if display is not None else value
    if value is None:
        return ""
    if rf.kind == "bool":
        return "Yes" if value not in (0, "0", False, "") else "No"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    return guard(value) if isinstance(value, str) else str(value)


def rows(engine: Engine, module: ResolvedModule, request: ListRequest, *, key: bytes) -> Iterator[list[str]]:
    """The export's rows (without the header), one keyset page at a time."""
    fields = export_fields(module)
    page_request = replace(request, page_size=PAGE_SIZE, cursor="")
    while True:
        with engine.connect() as conn:  # count_threshold=0: the exact count is not needed, only the rows
            page = list_page(conn, module, page_request, key=key, count_threshold=0)
        for row in page.rows:
            yield [cell(rf, row) for rf in fields]
        if page.next_cursor is None:
            return
        page_request = replace(page_request, cursor=page.next_cursor)


def stream(engine: Engine, module: ResolvedModule, request: ListRequest, *, key: bytes) -> Iterator[str]:
    """The whole file as text chunks: the byte order mark and header, then about one chunk per page of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header(export_fields(module)))
    yield BOM + _drain(buffer)
    for count, values in enumerate(rows(engine, module, request, key=key), start=1):
        writer.writerow(values)
        if count % PAGE_SIZE == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text

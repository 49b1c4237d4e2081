"""Reading an uploaded CSV file for a module: encoding, delimiter, the header mapped to fields, and the rows.

* The file must be UTF-8 (a byte order mark is allowed) and at most ``max_bytes`` long.
* The delimiter is ``,`` or ``;``, whichever the header line uses more (spreadsheets in many locales write ``;``).
* Each header cell names a field by name or by label, ignoring case.  A column no field matches is *unknown*
  (an error that stops the import, with a suggestion); a field that cannot be written from a form (``id``,
  ``create_time``) is *ignored*, except the primary key, which selects the record to update.
* A cell starting with an apostrophe followed by ``=``, ``+``, ``-``, ``@``, tab or CR loses the apostrophe: it is
  how :mod:`goatkit.engine.csv_export` protects spreadsheets from formulas.
* Blank lines are skipped; each row remembers the line where it starts, for the report.

Example::

    text = decode(upload_bytes, max_bytes=10 * 1024 * 1024)
    table = read(module, text)
    table.columns, table.unknown, table.rows[0].line, table.rows[0].values   # values by field name, as text
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field

from goatkit.engine.csv_export import unguard
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.forms import editable
from goatkit.engine.model import ResolvedField, ResolvedModule

__all__ = ["CsvError", "CsvRow", "CsvTable", "FileTooLarge", "decode", "read"]

MAX_BYTES = 10 * 1024 * 1024


class CsvError(ValueError):
    """The file as a whole cannot be read; ``str(error)`` is one sentence for the user."""


class FileTooLarge(CsvError):
    """The file is over the size limit (HTTP 413)."""


@dataclass
class CsvRow:
    """One data row: the line it starts on and its cells by field name (text as written)."""

    line: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)  # sentences without the "Line n: " prefix


@dataclass
class CsvTable:
    """The readable part of a file: mapped columns, what was left out, and the rows."""

    header: list[str]
    columns: list[ResolvedField | None]  # per header cell: the field it fills, or None (unknown or ignored)
    unknown: list[str]  # "Colour (did you mean 'Color'?)"
    ignored: list[str]
    key_field: ResolvedField | None  # the primary key's field when the file has that column
    rows: list[CsvRow]


def decode(data: bytes, *, max_bytes: int = MAX_BYTES) -> str:
    """The file's text; :class:`CsvError` when it is too large, empty or not UTF-8."""
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvError(
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read); save it as 'CSV UTF-8' and try again."
        ) from None
    if not text.strip():
        raise CsvError("The file is empty: the first line must name the columns.")
    return text


def too_large(max_bytes: int) -> FileTooLarge:
    return FileTooLarge(f"The file is larger than {_size(max_bytes)}; split it into smaller files.")


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{count / 1024:g} KB" if count >= 1024 else f"{count} bytes"


def delimiter(text: str) -> str:
    """``;`` when the header line has more semicolons than commas, else ``,``."""
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def read(module: ResolvedModule, text: str) -> CsvTable:
    """Map the header to ``module``'s fields and read every row (see the module docstring)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text), strict=True)
    try:
        header = [cell.strip() for cell in next(reader)]
        table = _map_header(module, header)
        last = reader.line_num
        for cells in reader:
            start, last = last + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                table.rows.append(_row(table, start, cells))
    except csv.Error as error:
        raise CsvError(f"Line {reader.line_num}: the file is not valid CSV ({error}).") from None
    return table


def _map_header(module: ResolvedModule, header: list[str]) -> CsvTable:
    by_key: dict[str, ResolvedField] = {}
    spelled: dict[str, str] = {}
    for each in module.fields:  # a name wins over another field's label
        label = label_text(each.spec.label, each.name)
        by_key.setdefault(label.casefold(), each)
        spelled.setdefault(label.casefold(), label)
    by_key |= {f.name.casefold(): f for f in module.fields}
    spelled |= {f.name.casefold(): f.name for f in module.fields}
    writable = {rf.name for rf in editable(module)}
    columns: list[ResolvedField | None] = []
    unknown, ignored, seen = [], [], set()
    key_field: ResolvedField | None = None
    for title in header:
        rf = by_key.get(title.casefold())
        is_key = rf is not None and rf.column is not None and rf.column.name == module.primary_key.name
        if rf is None:
            close = difflib.get_close_matches(title.casefold(), sorted(by_key), n=1)
            unknown.append(f"'{title}'" + (f" (did you mean '{spelled[close[0]]}'?)" if close else ""))
        elif rf.name in seen:
            unknown.append(f"'{title}' (a second column for {label_text(rf.spec.label, rf.name)})")
            rf = None
        elif rf.name not in writable and not is_key:
            ignored.append(title)
            rf = None
        if rf is not None:
            seen.add(rf.name)
            key_field = rf if is_key else key_field
        columns.append(rf)
    return CsvTable(header, columns, unknown, ignored, key_field, [])


def _row(table: CsvTable, line: int, cells: list[str]) -> CsvRow:
    row = CsvRow(line, {})
    if len(cells) > len(table.header):
        row.problems.append(f"It has {len(cells)} values but the header has {len(table.header)} columns.")
    for rf, cell in zip(table.columns, cells, strict=False):
        if rf is not None:
            row.values[rf.name] = unguard(cell)
    return row

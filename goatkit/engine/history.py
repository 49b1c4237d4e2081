"""The change history of every module record: who changed which fields, when, from what to what.

:mod:`goatkit.engine.query` records every write here, in the caller's transaction: a failed write leaves no
history and a history row never describes a write that did not happen.  Each row of ``goatkit_change`` holds one
record's change as JSON ``{field: [old, new]}`` with only the fields that changed; an update that changes nothing
writes nothing.  Password fields are recorded as ``"(changed)"`` (never a hash), file fields by their file names
(``uploads.py``), other binary values as short text or a marker.
A module turns it off with ``features: {audit: false}``.

Bulk writes cost a constant number of statements: the old values of every affected row are read with one query
(:func:`old_values`) and the history rows inserted with one ``executemany`` (:func:`record`).

GoatKit does not know the users table: the application registers who a user id is with :func:`init_app`.

Example::

    history.init_app(app, user_names=lambda conn, ids: {1: "Admin (root@localhost)"})
    for change in history_of(conn, module, 42, limit=20):
        change.action, change.changed_by, change.changed_at, change.changes   # 'update', 1, datetime, {...}
    older = history_of(conn, module, 42, limit=20, before_id=change.id)      # the next page
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Connection, insert, select

from goatkit.db.tables import goatkit_change
from goatkit.engine import uploads
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.model import ResolvedField, ResolvedModule

__all__ = ["Change", "UserNames", "describe", "enabled", "history_of", "init_app", "old_values", "record", "user_names"]

#: ``user_names(conn, ids) -> {id: "Display name"}``: one batched lookup for a page of changes.
UserNames = Callable[[Connection, Collection[int]], Mapping[int, str]]
#: Old and new values per field name: ``{"name": ["low", "very low"]}``.
Changes = dict[str, list[Any]]

PASSWORD_CHANGED = "(changed)"  # noqa: S105 (what the history shows instead of a hash)
DEFAULT_LIMIT, MAX_LIMIT = 20, 200
_EXTENSION_KEY = "goatkit.engine.history"
_SKIP = object()
BINARY_CHANGED = "(binary content)"
BINARY_TEXT_LIMIT = 4000


@dataclass(frozen=True)
class Change:
    """One recorded change of one record."""

    id: int
    module: str
    record_key: str
    action: str  # create, update, delete, valid, invalid
    changed_by: int
    changed_at: datetime
    changes: Changes


def init_app(app: Flask, user_names: UserNames) -> None:
    """Register how user ids are shown ("who") in the history."""
    app.extensions[_EXTENSION_KEY] = user_names


def user_names(conn: Connection, ids: Collection[int]) -> Mapping[int, str]:
    """Display names of ``ids`` from the application's resolver; ``"User <id>"`` without one."""
    resolver = current_app.extensions.get(_EXTENSION_KEY)
    found = dict(resolver(conn, ids)) if callable(resolver) and ids else {}
    return {uid: found.get(uid) or f"User {uid}" for uid in ids}


def enabled(module: ResolvedModule) -> bool:
    """Whether writes to ``module`` are recorded (``features.audit``, default on)."""
    return module.spec.features.get("audit", True) is not False


# ---------------------------------------------------------------------------------------------------------- writing


def _binary_text(raw: bytes) -> str:
    try:
        return raw.decode() if len(raw) <= BINARY_TEXT_LIMIT else BINARY_CHANGED
    except UnicodeDecodeError:
        return BINARY_CHANGED


def _jsonable(rf: ResolvedField | None, value: Any) -> Any:
    """A value as JSON stores it; ``_SKIP`` for unset passwords.  Binary values: their text when they are short
    UTF-8 (OTRS keeps YAML configs in binary columns), else a marker."""
    if isinstance(value, bytes | bytearray | memoryview):
        return _binary_text(bytes(value))
    if rf is not None and rf.spec.type == "password":
        return PASSWORD_CHANGED if value not in (None, "") else _SKIP
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(None, item) for item in value]
    return str(value)  # Decimal and anything else: exact text, no float rounding


def _file_text(rf: ResolvedField, value: Any) -> str | None:
    """``report.pdf`` or ``a.png, b.png`` (a file of a binary column stored before: ``(a file of 12 KB)``)."""
    if isinstance(value, uploads.FileBytes) and value.file_name:
        return value.file_name
    if isinstance(value, bytes | bytearray | memoryview):
        return f"(a file of {uploads.size_text(len(value))})"
    names = uploads.file_names(rf, value)
    return ", ".join(names) if names else None


def diff(module: ResolvedModule, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> Changes:
    """``{field: [old, new]}`` for the fields whose value differs (``None`` on the missing side)."""
    old, new = old or {}, new or {}
    changes: Changes = {}
    for name in dict.fromkeys([*new, *old]):
        rf = module.by_name.get(name)
        before, after = old.get(name), new.get(name)
        if name in new and name in old and before == after and (rf is None or rf.spec.type != "password"):
            continue
        if rf is not None and rf.spec.type in uploads.FILE_TYPES:  # file names, never bytes
            pair: list[Any] = [_file_text(rf, before), _file_text(rf, after)]
        else:
            pair = [_jsonable(rf, before), _jsonable(rf, after)]
        if rf is not None and rf.spec.type == "password":
            pair = [None, PASSWORD_CHANGED] if new.get(name) not in (None, "") else [_SKIP, _SKIP]
        binary = isinstance(before, bytes | bytearray | memoryview) or isinstance(after, bytes | bytearray | memoryview)
        if _SKIP in pair or (pair[0] == pair[1] and not binary):  # two different blobs may show the same marker
            continue
        changes[name] = pair
    return changes


def old_values(
    conn: Connection, module: ResolvedModule, keys: Sequence[Any], names: Iterable[str] | None = None
) -> dict[Any, dict[str, Any]]:
    """The stored values (by field name) of the rows with primary keys ``keys``: one query, whatever their number.

    ``names`` limits the fields read (default: every stored field).
    """
    wanted = [module.by_name[n] for n in names] if names is not None else list(module.stored)
    cols = [rf.column.label(rf.name) for rf in wanted if rf.column is not None]
    if not keys:
        return {}
    pk = module.primary_key
    stmt = select(pk.label("_gk_pk"), *cols).where(pk.in_(list(keys)))
    return {row["_gk_pk"]: {k: v for k, v in row.items() if k != "_gk_pk"} for row in conn.execute(stmt).mappings()}


def record(conn: Connection, module: ResolvedModule, user_id: int, entries: Iterable[tuple[Any, str, Changes]]) -> None:
    """Insert ``(key, action, changes)`` entries with one ``executemany``; updates that changed nothing are dropped."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    rows = [
        {
            "module": module.name,
            "record_key": str(key),
            "action": action,
            "changed_by": user_id,
            "changed_at": now,
            "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True),
        }
        for key, action, changes in entries
        if changes or action in ("create", "delete")
    ]
    if rows:
        conn.execute(insert(goatkit_change), rows)


# ---------------------------------------------------------------------------------------------------------- reading


def history_of(
    conn: Connection, module: ResolvedModule, pk: Any, limit: int = DEFAULT_LIMIT, before_id: int | None = None
) -> list[Change]:
    """The changes of one record, newest first; ``before_id`` (the last id of a page) gives the next page."""
    t = goatkit_change.c
    stmt = select(goatkit_change).where(t.module == module.name, t.record_key == str(pk))
    if before_id is not None:
        stmt = stmt.where(t.id < before_id)
    stmt = stmt.order_by(t.id.desc()).limit(max(1, min(limit, MAX_LIMIT)))
    return [
        Change(r.id, r.module, r.record_key, r.action, r.changed_by, r.changed_at, json.loads(r.changes))
        for r in conn.execute(stmt)
    ]


@dataclass(frozen=True)
class FieldChange:
    """One field of a change, ready to show: its label and the old and new values as text."""

    field: str
    label: str
    old: str
    new: str


def describe(conn: Connection, module: ResolvedModule, changes: Sequence[Change]) -> dict[int, list[FieldChange]]:
    """Each change's fields with labels, in spec order; lookup keys shown as their display values.

    One query per lookup field for the whole page of changes, none per change.
    """
    displays = _lookup_displays(conn, module, changes)
    order = {rf.name: index for index, rf in enumerate(module.fields)}
    out: dict[int, list[FieldChange]] = {}
    for change in changes:
        items = sorted(change.changes.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
        out[change.id] = [
            FieldChange(name, _label(module, name), _text(displays, name, old), _text(displays, name, new))
            for name, (old, new) in items
        ]
    return out


def _label(module: ResolvedModule, name: str) -> str:
    rf = module.by_name.get(name)
    return label_text(rf.spec.label, name) if rf is not None else name


def _text(displays: Mapping[str, Mapping[Any, Any]], name: str, value: Any) -> str:
    if value is None:
        return ""
    shown = displays.get(name, {}).get(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(shown if shown is not None else value)


def _lookup_displays(conn: Connection, module: ResolvedModule, changes: Sequence[Change]) -> dict[str, dict[Any, Any]]:
    out: dict[str, dict[Any, Any]] = {}
    for rf in module.stored:
        if rf.lookup is None:
            continue
        keys = {v for c in changes for v in c.changes.get(rf.name, []) if isinstance(v, int | str) and v != ""}
        if keys:
            stmt = select(rf.lookup.key, rf.lookup.display).where(rf.lookup.key.in_(sorted(keys, key=str)))
            out[rf.name] = {k: d for k, d in conn.execute(stmt)}
    return out

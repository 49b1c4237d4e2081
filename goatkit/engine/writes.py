"""Writes of module records: insert, update, delete (or soft delete) and the status toggle, each recorded in the
change history in the same transaction (``history.py``) and in as few statements as the rows allow.

These are the bottom of the write path; validation and hooks run above, in :mod:`goatkit.engine.service`.

Example::

    pk = insert_row(conn, module, {"name": "5 very high"}, user_id=1)
    update_rows(conn, module, [pk], {"color": "#ff0000"}, user_id=1)
    delete_rows(conn, module, [pk], user_id=1)     # valid_id = 2 when the module soft-deletes
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, false, insert, select, update

from goatkit.engine import history
from goatkit.engine.errors import QueryError
from goatkit.engine.lookups import INVALID, VALID, forget_choices
from goatkit.engine.model import ResolvedModule
from goatkit.engine.query import pk_value as _pk_value


def _values(module: ResolvedModule, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        rf = module.by_name.get(name)
        if rf is None or rf.column is None:
            raise QueryError(f"'{name}' is not a stored field of {module.name}.")
        out[rf.column.name] = value
    return out


def _audit(module: ResolvedModule, user_id: int, *, create: bool) -> dict[str, Any]:
    now = datetime.now().replace(microsecond=0)
    stamps = {"change_time": now, "change_by": user_id}
    if create:
        stamps |= {"create_time": now, "create_by": user_id}
    return {name: value for name, value in stamps.items() if name in module.table.c}


def insert_row(conn: Connection, module: ResolvedModule, values: Mapping[str, Any], user_id: int) -> Any:
    """Insert a row from field values, filling the audit columns the table has; return its primary key.

    The change history gets a ``create`` entry with the values given (:mod:`goatkit.engine.history`).
    """
    data = _values(module, values) | _audit(module, user_id, create=True)
    result = conn.execute(insert(module.table).values(data))
    forget_choices(conn, module.table.name)
    pk = module.primary_key.name
    key = data[pk] if pk in data else result.inserted_primary_key[0] if result.inserted_primary_key else None
    if history.enabled(module):
        history.record(conn, module, user_id, [(key, "create", history.diff(module, None, values))])
    return key


def update_rows(
    conn: Connection, module: ResolvedModule, pks: Sequence[Any], values: Mapping[str, Any], user_id: int
) -> int:
    """Set the same field values (and ``change_time``/``change_by``) on rows in one statement; rows found.

    With history on, the old values of all the rows are read first (one query), rows whose values would not change
    are left alone, and one history entry per changed row is inserted (one ``executemany``).
    """
    keys = [_pk_value(module, pk) for pk in pks]
    data = _values(module, values) | _audit(module, user_id, create=False)
    if not history.enabled(module):
        return _update(conn, module, keys, data)
    old = history.old_values(conn, module, keys, values)
    changes = {key: history.diff(module, row, values) for key, row in old.items()}
    changed = [key for key, diff in changes.items() if diff]
    if changed:
        _update(conn, module, changed, data)
        history.record(conn, module, user_id, [(key, "update", changes[key]) for key in changed])
    return len(old)


def _update(conn: Connection, module: ResolvedModule, keys: Sequence[Any], data: Mapping[str, Any]) -> int:
    forget_choices(conn, module.table.name)
    stmt = update(module.table).where(module.primary_key.in_(keys) if keys else false()).values(data)
    return conn.execute(stmt).rowcount


def update_row(conn: Connection, module: ResolvedModule, pk: Any, values: Mapping[str, Any], user_id: int) -> bool:
    """Update one row from field values (and ``change_time``/``change_by``); ``False`` if it does not exist."""
    return update_rows(conn, module, [pk], values, user_id) > 0


def delete_rows(conn: Connection, module: ResolvedModule, pks: Sequence[Any], user_id: int) -> int:
    """Delete rows in one statement: ``valid_id = 2`` when the module soft-deletes, else ``DELETE``; rows affected.

    With history on, a ``delete`` entry keeps each deleted row's values (read with one query before).
    """
    if module.soft_delete:
        return _set_valid(conn, module, pks, False, user_id, action="delete")
    keys = [_pk_value(module, pk) for pk in pks]
    old = history.old_values(conn, module, keys) if history.enabled(module) else {}
    count = conn.execute(delete(module.table).where(module.primary_key.in_(keys) if keys else false())).rowcount
    forget_choices(conn, module.table.name)
    if old:
        history.record(
            conn, module, user_id, [(key, "delete", history.diff(module, row, {})) for key, row in old.items()]
        )
    return count


def delete_row(conn: Connection, module: ResolvedModule, pk: Any, user_id: int) -> bool:
    """Delete (or soft-delete) one row; ``False`` if it does not exist."""
    return delete_rows(conn, module, [pk], user_id) > 0


def set_valid_rows(conn: Connection, module: ResolvedModule, pks: Sequence[Any], valid: bool, user_id: int) -> int:
    """Set ``valid_id`` to 1 (valid) or 2 (invalid) on rows in one statement; rows found.

    With history on, rows already in that state are left alone and the others get a ``valid``/``invalid`` entry.
    """
    return _set_valid(conn, module, pks, valid, user_id, action="valid" if valid else "invalid")


def _set_valid(
    conn: Connection, module: ResolvedModule, pks: Sequence[Any], valid: bool, user_id: int, *, action: str
) -> int:
    if "valid_id" not in module.table.c:
        raise QueryError(f"{module.name} has no validity to change.")
    keys = [_pk_value(module, pk) for pk in pks]
    target = VALID if valid else INVALID
    data = {"valid_id": target} | _audit(module, user_id, create=False)
    if not history.enabled(module):
        return _update(conn, module, keys, data)
    name = _valid_field(module)
    col = module.table.c.valid_id
    stmt = select(module.primary_key, col).where(module.primary_key.in_(keys) if keys else false())
    old = {key: value for key, value in conn.execute(stmt)}
    changed = [key for key, value in old.items() if value != target]
    if changed:
        _update(conn, module, changed, data)
        history.record(conn, module, user_id, [(key, action, {name: [old[key], target]}) for key in changed])
    return len(old)


def _valid_field(module: ResolvedModule) -> str:
    """The field name of the ``valid_id`` column (the column name when no field shows it)."""
    return next((rf.name for rf in module.stored if rf.column is not None and rf.column.name == "valid_id"), "valid_id")


def set_valid(conn: Connection, module: ResolvedModule, pk: Any, valid: bool, user_id: int) -> bool:
    """The status toggle: mark one row valid or invalid; ``False`` if it does not exist."""
    return set_valid_rows(conn, module, [pk], valid, user_id) > 0

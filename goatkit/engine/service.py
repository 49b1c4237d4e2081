"""The write path of every module: clean, check, run the module's hooks, write. One transaction, the caller's.

The JSON API, the HTML screens and CSV import all write through these functions, so a rule holds whichever way a
value arrives.  Errors are exceptions carrying what the user must read: :class:`FormInvalid` (per field),
:class:`Refused` (the write as a whole), :class:`NotFound`.

Example::

    with engine.begin() as conn:
        pk = create(conn, module, {"name": "5 very high"}, source="json", user_id=1)
        update(conn, module, pk, {"color": "#ff0000"}, source="json", user_id=1)
        delete(conn, module, [pk], user_id=1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from goatkit.engine import query, uploads, writes
from goatkit.engine.computed import add_computed, check_rules, lambda_defaults
from goatkit.engine.forms import (
    NO_DEFAULT,
    Action,
    DefaultResolver,
    FormErrors,
    FormInvalid,
    RuleRunner,
    Source,
    check_unique,
    clean,
    static_default,
)
from goatkit.engine.hooks import Refused, WriteContext, hooks_of
from goatkit.engine.model import ResolvedModule
from goatkit.engine.references import check_references
from goatkit.specs.module import FieldSpec

__all__ = ["FormInvalid", "NotFound", "Refused", "create", "delete", "set_valid", "update"]


class NotFound(LookupError):
    """The record does not exist (or no longer does)."""


def create(conn: Connection, module: ResolvedModule, data: Mapping[str, Any], *, source: Source, user_id: int) -> Any:
    """Validate ``data`` and insert one record; return its primary key.  Raises :class:`FormInvalid`."""
    values = clean(module, data, "create", source=source, rules=_rules(None), resolve=_defaults(module, data))
    ctx = WriteContext(conn, module, "create", values, None, data, user_id)
    _check(ctx, _database_checks(conn, module, values))
    uploads.store(conn, module, ctx.values, None)  # files to disk; removed again if the transaction rolls back
    ctx.pk = writes.insert_row(conn, module, ctx.values, user_id)
    for hook in hooks_of(module):
        hook.after_write(ctx)
    return ctx.pk


def update(
    conn: Connection, module: ResolvedModule, pk: Any, data: Mapping[str, Any], *, source: Source, user_id: int
) -> dict[str, Any]:
    """Validate ``data`` and change the fields it gives; return the stored row before the change.

    Raises :class:`NotFound`, :class:`FormInvalid`.
    """
    old = query.get_row(conn, module, pk)
    if old is None:
        raise NotFound(pk)
    values = clean(module, data, "update", source=source, rules=_rules(old))
    ctx = WriteContext(conn, module, "update", values, old, data, user_id, pk)
    _check(ctx, _database_checks(conn, module, values, old, pk))
    uploads.store(conn, module, ctx.values, old)
    if ctx.values:
        writes.update_row(conn, module, pk, ctx.values, user_id)
    for hook in hooks_of(module):
        hook.after_write(ctx)
    return old


def delete(conn: Connection, module: ResolvedModule, pks: Sequence[Any], *, user_id: int) -> int:
    """Delete (or soft-delete, when the module says so) records; the number affected.  Hooks may :class:`Refused`."""
    for hook in hooks_of(module):
        hook.before_delete(conn, module, pks, user_id)
    return writes.delete_rows(conn, module, pks, user_id)


def set_valid(conn: Connection, module: ResolvedModule, pks: Sequence[Any], valid: bool, *, user_id: int) -> int:
    """The status toggle over one or many records; the number affected."""
    return writes.set_valid_rows(conn, module, pks, valid, user_id)


def _rules(old: Mapping[str, Any] | None) -> RuleRunner | None:
    """The module's lambda validators and custom rules, seeing the record as it will be (``old`` updated)."""

    def run(module: ResolvedModule, values: dict[str, Any], _action: Action) -> Mapping[str, list[str]]:
        return check_rules(module, values, old)

    return run


def _defaults(module: ResolvedModule, data: Mapping[str, Any]) -> DefaultResolver:
    """Spec defaults, and lambda defaults computed once (for the fields ``data`` leaves out) from the given values."""
    if not module.lambdas.defaults:
        return static_default
    missing = [name for name in module.lambdas.defaults if name not in data]
    given = {name: data[name] for name in data if name in module.by_name}
    computed = lambda_defaults(module, given, missing) if missing else {}

    def resolve(spec: FieldSpec) -> Any:
        if spec.name in module.lambdas.defaults:
            return computed.get(spec.name, NO_DEFAULT)
        return static_default(spec)

    return resolve


def _database_checks(
    conn: Connection,
    module: ResolvedModule,
    values: Mapping[str, Any],
    old: Mapping[str, Any] | None = None,
    pk: Any = None,
) -> FormErrors:
    """The checks that read the database: unique values, then lookup keys (both per field, merged)."""
    errors = check_unique(conn, module, values, exclude_pk=pk)
    for name, messages in check_references(conn, module, values, old).items():
        errors.setdefault(name, []).extend(messages)
    return errors


def _check(ctx: WriteContext, errors: FormErrors) -> None:
    """Run every hook's ``validate`` (after the unique checks); raise :class:`FormInvalid` with all errors found."""
    for hook in hooks_of(ctx.module):
        for name, messages in hook.validate(ctx).items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise FormInvalid(errors)


def extend_rows(conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]]) -> None:
    """Let the module's hooks add their values to rows read for an answer (batched, one call per page), then its
    computed fields (one lambda evaluation for the page)."""
    for hook in hooks_of(module):
        hook.extend_rows(conn, module, rows)
    add_computed(conn, module, rows)

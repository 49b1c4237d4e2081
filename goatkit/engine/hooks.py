"""Per-module behaviour in hook classes registered by name: the engine's only extension point for writes and forms.

A module names its hooks in its spec (``hooks: [hierarchy]``); the Python that implements them registers a
:class:`ModuleHook` under that name when imported (the application imports its companions at start-up, like route
handlers).  A spec naming a hook nobody registered is refused at load with file, line and the known names.  GoatKit
never tests ``module.name``: what differs per entity lives in a hook.

Every method has a do-nothing default; override what you need.  ``data`` is what the client sent (a JSON object or
an HTML form ``MultiDict``), so a hook can read keys of its own (say ``children``) that are not spec fields.

Example::

    class Hierarchy(ModuleHook):
        '''Names such as ``Parent::Child``: the parent must exist.'''

        def validate(self, ctx: WriteContext) -> FormErrors:
            parent, _, _ = str(ctx.values.get("name", "")).rpartition("::")
            if parent and not name_exists(ctx.conn, ctx.module, parent):
                return {"name": [f"The parent '{parent}' does not exist."]}
            return {}

    register("hierarchy", Hierarchy())
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import has_request_context
from markupsafe import Markup
from sqlalchemy import ColumnElement, Connection

from goatkit.auth.identity import Identity, current_identity
from goatkit.engine.forms import FormErrors
from goatkit.engine.model import ResolvedModule


@dataclass
class WriteContext:
    """One create or update on its way to the database.

    ``values`` are the cleaned column values about to be written (a hook may change them in ``validate``), ``old``
    the stored row before an update (``None`` on create), ``data`` the raw submission, ``pk`` the key once known.
    """

    conn: Connection
    module: ResolvedModule
    action: str  # "create" | "update"
    values: dict[str, Any]
    old: dict[str, Any] | None
    data: Mapping[str, Any]
    user_id: int
    pk: Any = None


@dataclass(frozen=True)
class Scope:
    """The rows of a module one reader may see: a WHERE clause, and a key naming it for caches (two readers with
    the same key see the same rows, so a list's estimated count may be shared)."""

    clause: ColumnElement[bool]
    key: Hashable


@dataclass(frozen=True)
class ExtraColumn:
    """A column a hook adds to a module's list screens, after the spec's: ``name`` is the row key
    :meth:`ModuleHook.fill_columns` fills (it must not be a field's name), ``label`` the header, ``source`` whatever
    the hook needs to load the values (say, the definition of a user-defined attribute)."""

    name: str
    label: str
    numeric: bool = False
    source: Any = None


class Refused(Exception):
    """A hook refuses a write or delete as a whole: one sentence for the user (a 409 in JSON, a banner in HTML)."""


class ModuleHook:
    """Behaviour added to the modules that name this hook.  Override only what you need."""

    def validate(self, ctx: WriteContext) -> FormErrors:
        """Check (and possibly adjust) ``ctx.values`` before the write; return errors by field name."""
        return {}

    def after_write(self, ctx: WriteContext) -> None:
        """Runs in the same transaction after the row is written (``ctx.pk`` is set): dependent rows, renames."""

    def before_delete(self, conn: Connection, module: ResolvedModule, pks: Sequence[Any], user_id: int) -> None:
        """Raise :class:`Refused` to stop a delete, or clean up dependent rows first."""

    def scope(self, conn: Connection, module: ResolvedModule, identity: Identity | None) -> Scope | None:
        """The rows ``identity`` may read (``None``: every row).  Applied to every list, count, export, detail and
        record read of the module, so a row outside it is not found, whatever the URL.

        Example: agents see the rows of the groups they belong to::

            def scope(self, conn, module, identity):
                groups = member_groups(conn, identity.id) if identity else []
                return Scope(module.table.c.group_id.in_(groups), ("groups", tuple(sorted(groups))))
        """
        return None

    def extend_rows(self, conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]]) -> None:
        """Add values to rows read for a list, detail or JSON answer: one batched query for all rows, never per row."""

    def extra_columns(self, conn: Connection, module: ResolvedModule) -> Sequence[ExtraColumn]:
        """Columns to add to the module's list screens, decided per request (from data an administrator edits, for
        instance), so they need no spec change.  Their values come from :meth:`fill_columns`.

        Example: one column per attribute an administrator marked "show in lists"::

            def extra_columns(self, conn, module):
                return [ExtraColumn(f"attr_{a.id}", a.label, source=a) for a in listed_attributes(conn)]
        """
        return ()

    def fill_columns(
        self, conn: Connection, module: ResolvedModule, columns: Sequence[ExtraColumn], rows: list[dict[str, Any]]
    ) -> None:
        """Put the values of ``columns`` into the page's ``rows`` (``row[column.name]``: text, a number, or a list
        of texts): one batched query for the whole page, never one per row.

        Example::

            def fill_columns(self, conn, module, columns, rows):
                values = attribute_values(conn, [c.source for c in columns], [row["id"] for row in rows])
                for row in rows:
                    row.update(values.get(row["id"], {}))
        """

    def form_html(
        self, conn: Connection, module: ResolvedModule, record: Mapping[str, Any] | None, errors: FormErrors
    ) -> Markup:
        """Extra form controls after the spec's fields (their names are what :meth:`validate` reads from data)."""
        return Markup("")

    def detail_html(self, conn: Connection, module: ResolvedModule, record: Mapping[str, Any]) -> Markup:
        """Extra content on the detail page."""
        return Markup("")


_HOOKS: dict[str, ModuleHook] = {}


def register(name: str, hook: ModuleHook) -> None:
    """Register ``hook`` under ``name`` (a spec's ``hooks: [name]``); registering a name again replaces it."""
    _HOOKS[name] = hook


def registered() -> Mapping[str, ModuleHook]:
    return dict(_HOOKS)


def hooks_of(module: ResolvedModule) -> list[ModuleHook]:
    """The hooks ``module`` names, in spec order (names the registry accepted, so all are registered)."""
    return [_HOOKS[name] for name in module.spec.hooks if name in _HOOKS]


def scopes_of(conn: Connection, module: ResolvedModule) -> tuple[Scope, ...]:
    """The scopes the module's hooks set for the current reader (the signed-in identity, else nobody)."""
    hooks = hooks_of(module)
    if not hooks:
        return ()
    identity = current_identity() if has_request_context() else None
    found = (hook.scope(conn, module, identity) for hook in hooks)
    return tuple(scope for scope in found if scope is not None)


def unknown_hooks(names: Sequence[str]) -> list[str]:
    """The names nobody registered (the registry refuses a module naming one)."""
    return [name for name in names if name not in _HOOKS]

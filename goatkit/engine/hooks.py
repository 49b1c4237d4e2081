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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection

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

    def extend_rows(self, conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]]) -> None:
        """Add values to rows read for a list, detail or JSON answer: one batched query for all rows, never per row."""

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


def unknown_hooks(names: Sequence[str]) -> list[str]:
    """The names nobody registered (the registry refuses a module naming one)."""
    return [name for name in names if name not in _HOOKS]

"""Hierarchical names such as ``IT::Hardware::Printers``: the hook ``hierarchy`` (services and queues).

OTRS stores a service's (and a queue's) whole path in its ``name`` column; the parent is the part before the last
``::``.  This hook keeps such paths sound, as OTRS's ServiceAdd/ServiceUpdate (and QueueUpdate) do:

* every segment is filled in and has no surrounding spaces or colons (``IT::::Printers``, ``IT:::Printers``,
  ``IT:: Printers`` are refused);
* the parent must exist (create ``IT`` before ``IT::Hardware``), and a record cannot be moved below itself;
* renaming ``IT`` to ``Tech`` renames ``IT::Hardware`` to ``Tech::Hardware`` and every deeper record, in the same
  transaction, refusing the rename when one of the new names is already taken.

The separator and column come from the constructor (default ``::`` and ``name``), never from a spec, so another
table with paths in a column registers its own instance under another name.

Example::

    register("hierarchy", Hierarchy())          # modules/service.yaml: hooks: [hierarchy]
    register("path", Hierarchy(separator="/", column="path"))
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from goatkit.engine import writes
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.forms import FormErrors
from goatkit.engine.hooks import ModuleHook, WriteContext, register
from goatkit.engine.model import ResolvedModule

SEPARATOR = "::"


class Hierarchy(ModuleHook):
    """Path names (``Parent::Child``) in one column: sound segments, an existing parent, cascading renames."""

    def __init__(self, separator: str = SEPARATOR, column: str = "name") -> None:
        self.separator = separator
        self.column = column

    def validate(self, ctx: WriteContext) -> FormErrors:
        name = ctx.values.get(self.column)
        if not isinstance(name, str):  # an update that leaves the name alone
            return {}
        problem = self.segment_problem(name) or self.parent_problem(ctx, name) or self.rename_problem(ctx, name)
        return {self.column: [problem]} if problem else {}

    def after_write(self, ctx: WriteContext) -> None:
        """Rename the descendants of a renamed record: ``Old::X`` becomes ``New::X`` (history and audit per row)."""
        old, new = self._rename(ctx)
        if old is None or new is None:
            return
        for pk, name in self.descendants(ctx.conn, ctx.module, old):
            writes.update_row(ctx.conn, ctx.module, pk, {self.column: new + name[len(old) :]}, ctx.user_id)

    # ------------------------------------------------------------------------------------------------------- checks

    def segment_problem(self, name: str) -> str:
        """One sentence when a segment of ``name`` is empty or padded, else ``""``.

        >>> Hierarchy().segment_problem("IT::::Printers")
        "Each part of the name between '::' must be filled in."
        """
        sep = self.separator
        segments = name.split(sep)
        if any(not segment.strip() for segment in segments):
            return f"Each part of the name between '{sep}' must be filled in."
        padding = " " + sep[0] + sep[-1]
        if any(segment != segment.strip(padding) for segment in segments):
            return f"A part of the name may not start or end with a space or '{sep[0]}'."
        return ""

    def parent_problem(self, ctx: WriteContext, name: str) -> str:
        parent, sep, _leaf = name.rpartition(self.separator)
        if not sep:
            return ""
        singular = label_text(ctx.module.spec.module.singular, ctx.module.name)
        old = self._old_name(ctx)
        if old is not None and (parent == old or parent.startswith(old + self.separator)):
            return f"A {singular.lower()} cannot be placed below itself."
        if not self._exists(ctx.conn, ctx.module, parent):
            return f"The parent {singular.lower()} '{parent}' does not exist; create it first."
        return ""

    def rename_problem(self, ctx: WriteContext, name: str) -> str:
        """A renamed record's descendants must not collide with names already taken."""
        old = self._old_name(ctx)
        if old is None or old == name:
            return ""
        column = ctx.module.table.c[self.column]
        renamed = [name + child[len(old) :] for _pk, child in self.descendants(ctx.conn, ctx.module, old)]
        if not renamed:
            return ""
        taken = ctx.conn.execute(select(column).where(column.in_(renamed)).order_by(column).limit(1)).scalar()
        if taken is None:
            return ""
        singular = label_text(ctx.module.spec.module.singular, ctx.module.name)
        return f"Renaming would give a sub-{singular.lower()} the name '{taken}', which is already used."

    # ------------------------------------------------------------------------------------------------------ queries

    def descendants(self, conn: Connection, module: ResolvedModule, name: str) -> list[tuple[Any, str]]:
        """``(pk, name)`` of every record below ``name``, shallowest first."""
        column = module.table.c[self.column]
        prefix = column.startswith(name + self.separator, autoescape=True)
        rows = conn.execute(select(module.primary_key, column).where(prefix).order_by(column)).all()
        return [(pk, str(child)) for pk, child in rows]

    def _exists(self, conn: Connection, module: ResolvedModule, name: str) -> bool:
        column = module.table.c[self.column]
        return conn.execute(select(module.primary_key).where(column == name).limit(1)).first() is not None

    def _old_name(self, ctx: WriteContext) -> str | None:
        return str(ctx.old[self.column]) if ctx.old is not None and ctx.old.get(self.column) is not None else None

    def _rename(self, ctx: WriteContext) -> tuple[str | None, str | None]:
        old, new = self._old_name(ctx), ctx.values.get(self.column)
        if ctx.action != "update" or old is None or not isinstance(new, str) or new == old:
            return None, None
        return old, new


register("hierarchy", Hierarchy())

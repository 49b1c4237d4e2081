"""Dynamic fields as columns of the agents' ticket lists (the queue view): the hook ``ticket_dynamic_fields``.

``modules/ticket.yaml`` names this hook; the engine asks it for extra columns on every list page
(``ModuleHook.extra_columns``): one per valid ticket field whose configuration shows it in OTRS's small overview
(``Screens: {OverviewSmall: '1'}``, OTRS's ``Ticket::Frontend::OverviewSmall###DynamicField``), in field order.
The page's values are read in one statement for all its rows (``dynamic_fields.read_values``) and shown as a person
reads them (labels of possible values, Yes/No, dates).  A page costs two statements more: the field definitions
and the values; none for the values when no field is shown.

Example::

    hook = ColumnsOfFields()
    columns = hook.extra_columns(conn, module)        # [ExtraColumn('DynamicField_Category', 'Category', ...)]
    hook.fill_columns(conn, module, columns, rows)    # row['DynamicField_Category'] = 'Hardware'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from goatkit.engine.hooks import ExtraColumn, ModuleHook, register
from goatkit.engine.model import ResolvedModule
from modules.tickets.dynamic_fields import FieldDef, read_values
from modules.tickets.dynamic_fields_forms import screen_fields

SCREEN = "OverviewSmall"


class ColumnsOfFields(ModuleHook):
    """The dynamic field columns of the ticket lists (see the module docstring)."""

    def extra_columns(self, conn: Connection, module: ResolvedModule) -> Sequence[ExtraColumn]:
        return [
            ExtraColumn(field.key, field.label, source=field)
            for field, _how in screen_fields(conn, SCREEN, ("Ticket",))
        ]

    def fill_columns(
        self, conn: Connection, module: ResolvedModule, columns: Sequence[ExtraColumn], rows: list[dict[str, Any]]
    ) -> None:
        fields: list[FieldDef] = [column.source for column in columns]
        values = read_values(conn, fields, [int(row["id"]) for row in rows])
        for row in rows:
            found = values.get(int(row["id"]), {})
            for field in fields:
                row[field.key] = field.display(found[field.name]) if field.name in found else None


register("ticket_dynamic_fields", ColumnsOfFields())

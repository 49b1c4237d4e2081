"""The tickets an agent may see in lists: the hook behind ``modules/ticket.yaml`` (``hooks: [ticket_scope]``).

OTRS's ticket permission modules, as one WHERE clause for a whole list: the ticket's queue belongs to a group on
which the agent has ``ro``, or the agent owns it, or is responsible for it (``Ticket::Responsible``), or watches it
(``Ticket::Watcher``).  The engine adds it to every read of the module (lists, counts, export, records), so a ticket
the agent may not read is not found, whatever the URL.  Customers and anonymous readers see nothing.

Example::

    ticket_scope.scope(conn, module, identity).clause
    # ticket.queue_id IN (...) OR ticket.user_id = 7 OR ticket.responsible_user_id = 7 OR ticket.id IN (watched)
"""

from __future__ import annotations

from sqlalchemy import Connection, false, or_, select

from goatkit.auth.identity import Identity
from goatkit.engine.hooks import ModuleHook, Scope, register
from goatkit.engine.model import ResolvedModule
from modules.db.schema import metadata
from modules.permissions.agent import agent_permissions
from modules.permissions.options import current_options

WATCHER = metadata.tables["ticket_watcher"]


class TicketScope(ModuleHook):
    """Rows of the ``ticket`` table the signed-in agent may read (``ro``)."""

    def scope(self, conn: Connection, module: ResolvedModule, identity: Identity | None) -> Scope | None:
        if identity is None or identity.realm != "agent" or not isinstance(identity.id, int):
            return Scope(false(), "nobody")
        user_id, ticket = identity.id, module.table.c
        queues = sorted(q.id for q in agent_permissions(conn, user_id).queues_with(conn, "ro"))
        options = current_options()
        terms = [ticket.queue_id.in_(queues), ticket.user_id == user_id]
        if options.ticket_responsible:
            terms.append(ticket.responsible_user_id == user_id)
        if options.ticket_watcher:
            terms.append(ticket.id.in_(select(WATCHER.c.ticket_id).where(WATCHER.c.user_id == user_id)))
        key = ("agent", user_id, tuple(queues), options.ticket_responsible, options.ticket_watcher)
        return Scope(or_(*terms), key)


register("ticket_scope", TicketScope())

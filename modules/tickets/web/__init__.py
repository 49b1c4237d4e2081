"""The agent ticket screens: dashboard, queue view, search, create, zoom with its actions, bulk changes.

Views only: every change goes through :class:`modules.tickets.service.TicketService` (which checks the OTRS
permission again), every read through the small query helpers in :mod:`modules.tickets.web.queries`.  Routes are
in ``routes/agent.yaml``; templates in ``modules/templates/tickets/``.
"""

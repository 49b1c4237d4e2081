"""An index on ``ticket (ticket_state_id, queue_id)`` for the queue tree's open-ticket counts.

The queue view counts the viewable tickets of every readable queue (``WHERE ticket_state_id IN (...) AND queue_id
IN (...) GROUP BY queue_id``).  OTRS's ``ticket_queue_view`` index is (state, lock) and does not cover the queue, so
at a million tickets PostgreSQL read about 100,000 open rows for it (166 ms); with this index the count is an
index-only scan of about 5 ms (docs/PERFORMANCE.md, "Tickets at a million").  Like the search indexes it is not in
the frozen baseline metadata: ``modules.db.schema.gotrs_search.TICKET_INDEXES`` names it for the schema comparator.

Revision ID: 0007_queue_counts
Revises: 0006_escalation_calendars
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007_queue_counts"
down_revision = "0006_escalation_calendars"
branch_labels = None
depends_on = None

INDEX = "gotrs_ticket_state_queue"


def upgrade() -> None:
    op.create_index(INDEX, "ticket", ["ticket_state_id", "queue_id"])


def downgrade() -> None:
    op.drop_index(INDEX, "ticket")

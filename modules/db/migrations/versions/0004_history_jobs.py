"""Change history of module records, and background jobs with progress (CSV import).

Revision ID: 0004_history_jobs
Revises: 0003_sessions
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_history_jobs"
down_revision = "0003_sessions"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # only INTEGER auto-increments on SQLite


def upgrade() -> None:
    op.create_table(
        "goatkit_change",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("module", sa.String(100), nullable=False),
        sa.Column("record_key", sa.String(200), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("changed_by", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
    )
    op.create_index("goatkit_change_record", "goatkit_change", ["module", "record_key", "id"])
    op.create_table(
        "goatkit_job",
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("goatkit_job_updated_at", "goatkit_job", ["updated_at"])


def downgrade() -> None:
    op.drop_index("goatkit_job_updated_at", "goatkit_job")
    op.drop_table("goatkit_job")
    op.drop_index("goatkit_change_record", "goatkit_change")
    op.drop_table("goatkit_change")

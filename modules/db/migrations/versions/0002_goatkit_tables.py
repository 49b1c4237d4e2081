"""GoatKit's own tables: counters for rate limits and throttling, and revoked tokens.

Revision ID: 0002_goatkit_tables
Revises: 0001_baseline
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_goatkit_tables"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "goatkit_counter",
        sa.Column("counter_key", sa.String(200), primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("window_end", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "goatkit_revoked_token",
        sa.Column("token_id", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("goatkit_revoked_token_expires_at", "goatkit_revoked_token", ["expires_at"])


def downgrade() -> None:
    op.drop_index("goatkit_revoked_token_expires_at", "goatkit_revoked_token")
    op.drop_table("goatkit_revoked_token")
    op.drop_table("goatkit_counter")

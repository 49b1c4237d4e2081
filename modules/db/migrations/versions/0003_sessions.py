"""Sign-in sessions: one row per login, listed and ended by administrators.

Revision ID: 0003_sessions
Revises: 0002_goatkit_tables
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sessions"
down_revision = "0002_goatkit_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "goatkit_session",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("realm", sa.String(50), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("login", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_seen", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("ended_at", sa.BigInteger, nullable=True),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(250), nullable=False),
    )
    op.create_index("goatkit_session_expires_at", "goatkit_session", ["expires_at"])
    op.create_index("goatkit_session_realm_user", "goatkit_session", ["realm", "user_id"])


def downgrade() -> None:
    op.drop_index("goatkit_session_realm_user", "goatkit_session")
    op.drop_index("goatkit_session_expires_at", "goatkit_session")
    op.drop_table("goatkit_session")

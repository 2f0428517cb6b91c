"""The gaps table: one row per unanswered question (masked), with its review status.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gaps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("context", sa.Text, nullable=False, server_default=""),
        sa.Column("intents", sa.JSON, nullable=False),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("uid", name="uq_gaps_uid"),
    )
    op.create_index("ix_gaps_created_at", "gaps", ["created_at"])
    op.create_index("ix_gaps_reason", "gaps", ["reason"])
    op.create_index("ix_gaps_status", "gaps", ["status"])
    op.create_index("ix_gaps_conversation", "gaps", ["conversation"])


def downgrade() -> None:
    op.drop_table("gaps")

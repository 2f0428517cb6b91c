"""The notify_requests table: the people who asked to be told when NSSF has an answer for their
question, with the delivery state and the encrypted channel address (see
``bot/notifications/model.py``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("gap_uid", sa.String(32), nullable=False),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("answer_id", sa.Integer, nullable=True),
        sa.Column("asked_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.String(64), nullable=False, server_default=""),
    )
    for column in ("gap_uid", "conversation", "state", "answer_id"):
        op.create_index(f"ix_notify_requests_{column}", "notify_requests", [column])


def downgrade() -> None:
    for column in ("gap_uid", "conversation", "state", "answer_id"):
        op.drop_index(f"ix_notify_requests_{column}", "notify_requests")
    op.drop_table("notify_requests")

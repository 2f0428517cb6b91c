"""The question_log table: every user message, masked and pseudonymised, with its outcome (see
``bot/questions/model.py``), for the Topics page and the monthly report.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(32), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False, server_default=""),
        sa.Column("reason", sa.String(32), nullable=False, server_default=""),
        sa.Column("answer_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_question_log_created_at", "question_log", ["created_at"])
    op.create_index("ix_question_log_week", "question_log", ["week"])


def downgrade() -> None:
    op.drop_index("ix_question_log_week", "question_log")
    op.drop_index("ix_question_log_created_at", "question_log")
    op.drop_table("question_log")

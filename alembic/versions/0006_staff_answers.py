"""Staff answers: the answers staff publish from the dashboard for gap questions, every version
of their texts, and the questions each was written for (see ``bot/staff_answers/model.py``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_answers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_used_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_staff_answers_status", "staff_answers", ["status"])
    op.create_table(
        "staff_answer_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("answer_id", sa.Integer, sa.ForeignKey("staff_answers.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("text_en", sa.Text, nullable=False),
        sa.Column("text_km", sa.Text, nullable=False),
        sa.Column("source_name", sa.String(200), nullable=False),
        sa.Column("source_date", sa.Date, nullable=False),
        sa.Column("topic", sa.String(64), nullable=False, server_default=""),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("answer_id", "version", name="uq_staff_answer_versions_answer_version"),
    )
    op.create_table(
        "staff_answer_questions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("answer_id", sa.Integer, sa.ForeignKey("staff_answers.id"), nullable=False),
        sa.Column("gap_id", sa.Integer, nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
    )
    op.create_index("ix_staff_answer_questions_answer_id", "staff_answer_questions", ["answer_id"])


def downgrade() -> None:
    op.drop_table("staff_answer_questions")
    op.drop_table("staff_answer_versions")
    op.drop_index("ix_staff_answers_status", "staff_answers")
    op.drop_table("staff_answers")

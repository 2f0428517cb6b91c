"""The staff_preferences table: the language each staff member chose for the dashboard (Khmer
or English), by user name, so the choice follows them to another browser.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_preferences",
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("user_name", name="pk_staff_preferences"),
    )


def downgrade() -> None:
    op.drop_table("staff_preferences")

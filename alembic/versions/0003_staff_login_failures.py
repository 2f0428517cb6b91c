"""The staff_login_failures table: the dashboard's wrong passwords, so the log-in throttle is shared
by every web process and survives a restart.

One row per wrong password and key (the client's address, the user name typed): only the SHA-256
of the key is stored, never the key itself, with the failure's time in UTC.

Revision ID: 0003
Revises: 0002
Create Date: 2025-03-24
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_login_failures",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_login_failures"),
    )
    op.create_index(
        "ix_staff_login_failures_key_hash_failed_at",
        "staff_login_failures",
        ["key_hash", "failed_at"],
    )
    op.create_index("ix_staff_login_failures_failed_at", "staff_login_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_index("ix_staff_login_failures_failed_at", table_name="staff_login_failures")
    op.drop_index("ix_staff_login_failures_key_hash_failed_at", table_name="staff_login_failures")
    op.drop_table("staff_login_failures")

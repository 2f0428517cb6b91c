"""The gaps table's aspect column: what the knowledge did not answer ("local_facility",
"refund", "coverage_group" ...) for records with reason ``not_covered``; empty otherwise.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gaps") as batch:
        batch.add_column(sa.Column("aspect", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("gaps") as batch:
        batch.drop_column("aspect")

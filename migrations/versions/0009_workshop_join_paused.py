"""workshops.join_paused: a facilitator paused joining (issue 14.4)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (SQLite has one): batch mode may copy the table, and the copy's
    # DROP TABLE cascades to the rows that point at it (workshop_members, ballots, ...)
    op.add_column("workshops", sa.Column("join_paused", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.drop_column("join_paused")

"""participants.assisted: joined at a helper kiosk in the hall

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (SQLite has one): batch mode may copy the table, and the copy's
    # DROP TABLE cascades to the rows that point at it (workshop_members, ballots, ...)
    op.add_column("participants", sa.Column("assisted", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("assisted")

"""workshops.kiosks_stopped_at: a facilitator stopped the workshop's helper kiosks (issue 15.3)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN, as 0009 (batch mode's table copy cascades away the rows pointing at it)
    op.add_column("workshops", sa.Column("kiosks_stopped_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.drop_column("kiosks_stopped_at")

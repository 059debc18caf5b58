"""ballots.channel (hall | online | paper | kiosk) and stages.opened_by (hall | schedule)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stages") as batch:
        batch.add_column(sa.Column("opened_by", sa.String(length=8), nullable=False, server_default="hall"))
    with op.batch_alter_table("ballots") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=8), nullable=False, server_default="hall"))
    op.execute("UPDATE ballots SET channel = 'paper' WHERE source = 'paper'")


def downgrade() -> None:
    with op.batch_alter_table("ballots") as batch:
        batch.drop_column("channel")
    with op.batch_alter_table("stages") as batch:
        batch.drop_column("opened_by")

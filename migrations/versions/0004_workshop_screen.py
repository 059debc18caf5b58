"""workshops.screen, workshops.screen_stage: what the facilitator put on the projector

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("screen", sa.String(length=16), nullable=False, server_default="auto"))
        batch.add_column(sa.Column("screen_stage", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.drop_column("screen_stage")
        batch.drop_column("screen")

"""paper_batches (kept, voidable batches of paper ballots), ballots.batch_id, word_merges

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
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
        "paper_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("ballots", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_duplicate", sa.Boolean(), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["stage_id"], ["stages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["voided_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_paper_batches_stage_created", "paper_batches", ["stage_id", "created_at"])
    op.create_index("ix_paper_batches_fingerprint", "paper_batches", ["fingerprint"])
    with op.batch_alter_table("ballots") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_ballots_batch_id", "paper_batches", ["batch_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_index("ix_ballots_batch_id", ["batch_id"])
    op.create_table(
        "word_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("target_label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["stage_id"], ["stages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["undone_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_word_merges_stage", "word_merges", ["stage_id"])


def downgrade() -> None:
    op.drop_index("ix_word_merges_stage", table_name="word_merges")
    op.drop_table("word_merges")
    with op.batch_alter_table("ballots") as batch:
        batch.drop_index("ix_ballots_batch_id")
        batch.drop_constraint("fk_ballots_batch_id", type_="foreignkey")
        batch.drop_column("batch_id")
    op.drop_index("ix_paper_batches_fingerprint", table_name="paper_batches")
    op.drop_index("ix_paper_batches_stage_created", table_name="paper_batches")
    op.drop_table("paper_batches")

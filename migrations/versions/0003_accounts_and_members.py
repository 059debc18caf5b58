"""accounts and workshop members: admins, disabled accounts, one-time links, roles

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05

Existing data: the first account (lowest id) becomes the admin. Each existing
workshop is owned by the account that created it; a workshop whose creator is
unknown (loaded from the command line, or its creator gone) is owned by the first
account. Nobody else is a member: colleagues who worked on a workshop before are
added again by its owner (People, on the run sheet). Until then they get 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy: on SQLite a batch drops and re-creates `users`,
    # and with foreign keys on, dropping it would null workshops.created_by and delete
    # every API token (ON DELETE SET NULL / CASCADE).
    op.add_column("users", sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("users", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("account_links") as batch:
        batch.create_index(batch.f("ix_account_links_user_id"), ["user_id"], unique=False)

    op.create_table(
        "workshop_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshops.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workshop_id", "user_id", name="uq_workshop_member"),
    )
    with op.batch_alter_table("workshop_members") as batch:
        batch.create_index(batch.f("ix_workshop_members_workshop_id"), ["workshop_id"], unique=False)
        batch.create_index(batch.f("ix_workshop_members_user_id"), ["user_id"], unique=False)

    conn = op.get_bind()
    first = conn.execute(sa.text("SELECT MIN(id) FROM users")).scalar()
    if first is None:
        return  # no account yet: the first one made adopts every workshop (services.accounts)
    conn.execute(sa.text("UPDATE users SET is_admin = :yes WHERE id = :id"), {"yes": True, "id": first})
    users = {row[0] for row in conn.execute(sa.text("SELECT id FROM users"))}
    now = datetime.now(UTC)
    members = sa.table(
        "workshop_members",
        sa.column("workshop_id", sa.Integer()), sa.column("user_id", sa.Integer()),
        sa.column("role", sa.String()), sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = [
        {"workshop_id": wid, "user_id": creator if creator in users else first, "role": "owner"}
        for wid, creator in conn.execute(sa.text("SELECT id, created_by FROM workshops"))
    ]
    for row in rows:
        conn.execute(members.insert().values(**row, created_at=now))


def downgrade() -> None:
    with op.batch_alter_table("workshop_members") as batch:
        batch.drop_index(batch.f("ix_workshop_members_user_id"))
        batch.drop_index(batch.f("ix_workshop_members_workshop_id"))
    op.drop_table("workshop_members")
    with op.batch_alter_table("account_links") as batch:
        batch.drop_index(batch.f("ix_account_links_user_id"))
    op.drop_table("account_links")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_sign_in_at")
        batch.drop_column("disabled_at")
        batch.drop_column("is_admin")

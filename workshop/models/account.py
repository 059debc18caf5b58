"""Facilitator accounts and their credentials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ._types import UTCDateTime, utcnow
from .base import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: login name, unique, case-sensitive
    username: Mapped[str] = mapped_column(String(64), unique=True)
    #: werkzeug scrypt hash, never the password
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: manages accounts (invites, disables, resets); sees no workshop it is not a member of
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: set when an admin disables the account: it cannot sign in and its tokens stop working
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: the last successful sign-in (console or API), shown on the admins' Accounts page
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AccountLink(Base):
    """A one-time link to set an account's password: an invitation or a reset by an admin.

    Only the link's SHA-256 is kept; it works once, until ``expires_at``, and a newer
    link for the same account voids the older ones.
    """

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: invite | reset
    purpose: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WorkshopMember(Base):
    """Who may do what in one workshop (services.access decides what each role allows)."""

    __tablename__ = "workshop_members"
    __table_args__ = (UniqueConstraint("workshop_id", "user_id", name="uq_workshop_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: owner | facilitator | viewer (services.access.ROLES)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token for the HTTP API or a facilitator socket; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set on logout or revocation; a revoked token authorizes nothing
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SetupToken(Base):
    """The one-time URL printed on first start, to create the first account."""

    __tablename__ = "setup_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

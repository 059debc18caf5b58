"""What residents write: comments and ideas, both moderated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ._types import UTCDateTime, utcnow
from .base import Base


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_workshop_status", "workshop_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    stage_key: Mapped[str] = mapped_column(String(32))
    #: the item commented on, or None for the stage as a whole
    item_key: Mapped[str | None] = mapped_column(String(64), default=None)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), default=None
    )
    group_key: Mapped[str] = mapped_column(String(32))
    #: plain text as typed; always escaped when shown
    text: Mapped[str] = mapped_column(Text)
    #: pending | published | rejected
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Idea(Base):
    """A resident's proposal; an approved idea becomes an item of its stage."""

    __tablename__ = "ideas"
    __table_args__ = (Index("ix_ideas_workshop_status", "workshop_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    stage_key: Mapped[str] = mapped_column(String(32))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), default=None
    )
    group_key: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    #: pending | approved | rejected
    status: Mapped[str] = mapped_column(String(10), default="pending")
    #: key of the item it became, once approved
    item_key: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

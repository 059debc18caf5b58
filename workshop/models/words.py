"""Facilitators' merges of words entries ("เมือง สีเขียว" into "สีเขียว")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ._types import JSONType, UTCDateTime, utcnow
from .base import Base


class WordMerge(Base):
    """One merge of a words stage: entries counted as another from now on.

    Undoing keeps the row (``undone_at``), so the record of who merged what
    and when stays; only merges not undone apply to results and exports.
    """

    __tablename__ = "word_merges"
    __table_args__ = (Index("ix_word_merges_stage", "stage_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"))
    #: the entries merged away, each normalized (domain.words.entry_key)
    sources: Mapped[list[str]] = mapped_column(JSONType)
    #: the entry they count as, normalized
    target: Mapped[str] = mapped_column(String(200))
    #: the target as the facilitator typed it (tidied): shown if no resident typed it
    target_label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)

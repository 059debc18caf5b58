"""Who took part and what they cast: participants, join tokens, ballots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from ._types import JSONType, UTCDateTime, utcnow
from .base import Base


class Participant(Base):
    """A phone that joined a workshop. Anonymous: no name, no address, no IP."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    #: sha256 of the participant token (the token itself lives only on the phone)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    group_key: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: joined at a helper kiosk in the hall (a facilitator's tablet), so its ballots were assisted
    assisted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class JoinToken(Base):
    """A printed single-use card for ``join: tokens`` workshops."""

    __tablename__ = "join_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    #: the code printed on the card (kept so that the cards can be printed again)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    group_key: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), default=None
    )


class Ballot(Base):
    """The current ballot of one participant in one stage, or one paper ballot.

    The unique constraint makes the database itself refuse a second current
    ballot of a participant in a stage (paper ballots have no participant).
    """

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("stage_id", "participant_id", name="uq_ballot_stage_participant"),
        Index("ix_ballots_stage", "stage_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), default=None
    )
    #: stakeholder group the ballot counts for
    group_key: Mapped[str] = mapped_column(String(32))
    #: normalized choices (domain.methods.validate_ballot)
    choices: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: phone | paper
    source: Mapped[str] = mapped_column(String(8), default="phone")
    #: hall | online | paper | kiosk (domain.schedule.CHANNELS): where it was cast
    channel: Mapped[str] = mapped_column(String(8), default="hall", server_default="hall")
    #: 1 for the first ballot, +1 on every replacement
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the paper batch this ballot came in (paper ballots only); voiding it deletes the ballot
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("paper_batches.id", ondelete="CASCADE"), default=None, index=True
    )


class PaperBatch(Base):
    """One batch of paper ballots as a facilitator sent it: kept even once voided.

    Its ballots are rows of ``ballots`` while the batch counts; voiding deletes
    them and records when and by whom, so a void is a record, not a loss (the
    batch keeps a copy of its ballots' choices for the record and the exports).
    """

    __tablename__ = "paper_batches"
    __table_args__ = (Index("ix_paper_batches_stage_created", "stage_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"))
    #: stakeholder group of every ballot of the batch
    group_key: Mapped[str] = mapped_column(String(32))
    #: how many ballots the batch holds
    count: Mapped[int] = mapped_column(Integer)
    #: the batch's normalized choices, in the order sent
    ballots: Mapped[list[Any]] = mapped_column(JSONType)
    #: sha256 of the stage, group and sorted normalized ballots: what "identical" means
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the facilitator who sent it (None once that account is deleted)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    #: sent again on purpose although identical to a recent batch
    confirmed_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    voided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


class BallotReceipt(Base):
    """A client's ballot_id already stored: a retry gets the same acknowledgement."""

    __tablename__ = "ballot_receipts"
    __table_args__ = (UniqueConstraint("participant_id", "ballot_id", name="uq_receipt_participant_ballot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"))
    ballot_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

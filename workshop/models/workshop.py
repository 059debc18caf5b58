"""A workshop, its stages and their items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ._types import JSONType, UTCDateTime, utcnow
from .base import Base


class Workshop(Base):
    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: short join code residents type or scan (unambiguous letters and digits)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    #: secret key in the projector URL
    projector_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: the validated workshop object without its stages (title, city, date, languages, join, groups, ...)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: bumped on every state change, so clients can order `state` events
    revision: Mapped[int] = mapped_column(Integer, default=0)
    #: when a facilitator erased the residents' personal data (PDPA), if ever
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: what the projector shows (domain.screens): auto | welcome | stage | comments | ideas | participation
    screen: Mapped[str] = mapped_column(String(16), default="auto", server_default="auto")
    #: the stage key when ``screen`` is "stage"
    screen_stage: Mapped[str | None] = mapped_column(String(32), default=None)
    #: a facilitator paused joining (issue 14.4): new phones are refused, joined ones keep voting
    join_paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: when a facilitator last stopped the workshop's helper kiosks (issue 15.3): a kiosk started
    #: before it is a kiosk no more, and the residents seated at one can vote no further
    kiosks_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    stages: Mapped[list[Stage]] = relationship(
        back_populates="workshop", order_by="Stage.position", cascade="all, delete-orphan"
    )


class Stage(Base):
    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("workshop_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    #: the validated stage definition without its items
    config: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: draft | open | closed (transitions in domain.lifecycle)
    state: Mapped[str] = mapped_column(String(8), default="draft")
    #: facilitator override of show_results: None follows the policy
    revealed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: who opened it last: hall (a facilitator, live) | schedule (its opens_at window)
    opened_by: Mapped[str] = mapped_column(String(8), default="hall", server_default="hall")

    workshop: Mapped[Workshop] = relationship(back_populates="stages")
    items: Mapped[list[Item]] = relationship(
        back_populates="stage", order_by="Item.position", cascade="all, delete-orphan"
    )


class Item(Base):
    """An item of a stage: from the workshop file, or an approved idea."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("stage_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    #: the validated item (title, description, goal, horizon, budget, sdgs, indicator)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: definition | idea
    origin: Mapped[str] = mapped_column(String(16), default="definition")

    stage: Mapped[Stage] = relationship(back_populates="items")

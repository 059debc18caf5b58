"""A plan: a city's workshops over time (community forums, vision, goals, projects).

A workshop belongs to at most one plan (``plan_workshops.workshop_id`` is unique).
Who may see and change a plan is ``services.access`` (kind ``plan``), through
``plan_members`` of the same shape as ``workshop_members``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ._types import JSONType, UTCDateTime, utcnow
from .base import Base


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the validated plan object without its workshops: title, city, period {start, end}
    #: (Buddhist-era years), languages, description (services.plans.PlanInput)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: who made it (its first owner); kept for the record when that account goes
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: bumped on every change (definition or workshops), for PUT's stale check
    revision: Mapped[int] = mapped_column(Integer, default=0)

    workshops: Mapped[list[PlanWorkshop]] = relationship(
        back_populates="plan", order_by="PlanWorkshop.position", cascade="all, delete-orphan"
    )


class PlanWorkshop(Base):
    """A workshop's place in its plan (at most one plan per workshop)."""

    __tablename__ = "plan_workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), unique=True)
    #: 0, 1, 2 ...: the order of the plan's workshops (usually their dates)
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="workshops")


class PlanMember(Base):
    """Who may do what in one plan (the same roles as a workshop's)."""

    __tablename__ = "plan_members"
    __table_args__ = (UniqueConstraint("plan_id", "user_id", name="uq_plan_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: owner | facilitator | viewer (domain.access.ROLES)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

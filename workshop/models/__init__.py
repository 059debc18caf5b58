"""SQLAlchemy mapped classes, one module per aggregate."""

from .account import AccountLink, ApiToken, SetupToken, User, WorkshopMember
from .base import Base
from .content import Comment, Idea
from .participation import Ballot, BallotReceipt, JoinToken, Participant
from .plan import Plan, PlanMember, PlanWorkshop
from .workshop import Item, Stage, Workshop

__all__ = [
    "AccountLink", "ApiToken", "Ballot", "BallotReceipt", "Base", "Comment", "Idea", "Item", "JoinToken",
    "Participant", "Plan", "PlanMember", "PlanWorkshop", "SetupToken", "Stage", "User", "Workshop",
    "WorkshopMember",
]

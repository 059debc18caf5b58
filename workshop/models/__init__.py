"""SQLAlchemy mapped classes, one module per aggregate."""

from .account import AccountLink, ApiToken, SetupToken, User, WorkshopMember
from .base import Base
from .content import Comment, Idea
from .participation import Ballot, BallotReceipt, JoinToken, PaperBatch, Participant
from .plan import Plan, PlanMember, PlanWorkshop
from .words import WordMerge
from .workshop import Item, Stage, Workshop

__all__ = [
    "AccountLink", "ApiToken", "Ballot", "BallotReceipt", "Base", "Comment", "Idea", "Item", "JoinToken",
    "PaperBatch", "Participant", "Plan", "PlanMember", "PlanWorkshop", "SetupToken", "Stage", "User",
    "WordMerge", "Workshop", "WorkshopMember",
]

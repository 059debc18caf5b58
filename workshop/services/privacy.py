"""Residents' personal data (Thailand's PDPA): erase it, or delete a whole workshop.

Erasing keeps what the plan needs, anonymously: ballots (group and choices),
published comments and approved ideas, and how many joined by group. It removes
what could point to a person: participant tokens (so phones can act no more),
languages and join times, ballot receipts, links from comments and ideas to
participants, and every comment or idea that was never published.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from ..models import BallotReceipt, Comment, Idea, Participant
from ..models._types import utcnow
from ..storage import db
from .notify import notifier
from .security import new_token, token_hash
from .workshops import get_workshop


def erase_personal_data(workshop_id: int) -> dict[str, Any]:
    workshop = get_workshop(workshop_id)
    session = db.session()
    ids = list(session.scalars(select(Participant.id).where(Participant.workshop_id == workshop_id)))
    counts = {"participants": len(ids)}
    if ids:
        counts["receipts"] = session.execute(
            delete(BallotReceipt).where(BallotReceipt.participant_id.in_(ids))).rowcount  # type: ignore[attr-defined]
        language = workshop.definition["languages"][0]
        for pid in ids:  # a fresh random hash each: nobody holds the token for it
            session.execute(update(Participant).where(Participant.id == pid).values(
                token_hash=token_hash(f"erased:{new_token(24)}"), language=language,
                created_at=workshop.created_at))
    for name, model, kept in (("comments", Comment, "published"), ("ideas", Idea, "approved")):
        counts[f"{name}_deleted"] = session.execute(delete(model).where(
            model.workshop_id == workshop_id, model.status != kept)).rowcount  # type: ignore[attr-defined]
        session.execute(update(model).where(model.workshop_id == workshop_id).values(participant_id=None))
    workshop.erased_at = utcnow()
    workshop.revision += 1
    session.commit()
    notifier().moderation_changed(workshop_id)
    return {"erased_at": workshop.erased_at.isoformat(), **counts}


def delete_workshop(workshop_id: int) -> None:
    """Delete a workshop and everything in it (ballots, comments, participants, cards)."""
    workshop = get_workshop(workshop_id)
    db.session.delete(workshop)
    db.session.commit()

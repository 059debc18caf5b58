"""Residents' personal data (Thailand's PDPA): erase it, or delete a whole workshop.

Erasing keeps what the plan needs, anonymously: ballots (group and choices),
published comments and approved ideas, and how many joined by group. It removes
what could point to a person: participant tokens (so phones can act no more),
languages and join times, ballot receipts, links from comments and ideas to
participants, and every comment or idea that was never published; the printed
join cards (their codes, when each was used and by which participant: whoever
knew who got which card could read that person's votes); and every time finer
than the day on ballots, comments and ideas (a time can be matched with who
stood at the phone then).

On SQLite, deleted and replaced content is overwritten in the file
(``secure_delete``, storage.database) and the write-ahead log is checkpointed
and truncated after an erase or a delete, so the text is gone from the disk, not
only from the tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from ..models import Ballot, BallotReceipt, Comment, Idea, JoinToken, Participant, Stage
from ..models._types import utcnow
from ..storage import db
from ..storage.database import checkpoint_wal
from .notify import notifier
from .security import new_token, token_hash
from .workshops import definition_of, get_workshop


def erase_personal_data(workshop_id: int) -> dict[str, Any]:
    workshop = get_workshop(workshop_id)
    session = db.session()
    ids = list(session.scalars(select(Participant.id).where(Participant.workshop_id == workshop_id)))
    counts = {"participants": len(ids)}
    if ids:
        counts["receipts"] = session.execute(
            delete(BallotReceipt).where(BallotReceipt.participant_id.in_(ids))).rowcount  # type: ignore[attr-defined]
        language = definition_of(workshop).language
        for pid in ids:  # a fresh random hash each: nobody holds the token for it
            session.execute(update(Participant).where(Participant.id == pid).values(
                token_hash=token_hash(f"erased:{new_token(24)}"), language=language,
                created_at=workshop.created_at))
    counts["cards_deleted"] = session.execute(
        delete(JoinToken).where(JoinToken.workshop_id == workshop_id)).rowcount  # type: ignore[attr-defined]
    for name, model, kept in (("comments", Comment, "published"), ("ideas", Idea, "approved")):
        counts[f"{name}_deleted"] = session.execute(delete(model).where(
            model.workshop_id == workshop_id, model.status != kept)).rowcount  # type: ignore[attr-defined]
        session.execute(update(model).where(model.workshop_id == workshop_id).values(participant_id=None))
        _to_the_day(model, model.workshop_id == workshop_id, ("created_at", "moderated_at"))
    stage_ids = select(Stage.id).where(Stage.workshop_id == workshop_id).scalar_subquery()
    _to_the_day(Ballot, Ballot.stage_id.in_(stage_ids), ("created_at", "updated_at"))
    workshop.erased_at = utcnow()
    workshop.revision += 1
    session.commit()
    checkpoint()
    notifier().moderation_changed(workshop_id)
    return {"erased_at": workshop.erased_at.isoformat(), **counts}


def _day(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _to_the_day(model: Any, where: Any, fields: tuple[str, ...]) -> None:
    """Cut every time in ``fields`` of the rows ``where`` to its day (UTC midnight)."""
    session = db.session()
    columns = [getattr(model, name) for name in fields]
    rows = session.execute(select(model.id, *columns).where(where)).all()
    by_value: dict[tuple[datetime | None, ...], list[int]] = {}
    for row_id, *moments in rows:
        by_value.setdefault(tuple(_day(moment) for moment in moments), []).append(row_id)
    for days, ids in by_value.items():  # one UPDATE per distinct day (a workshop: one or two)
        for start in range(0, len(ids), 500):
            session.execute(update(model).where(model.id.in_(ids[start:start + 500]))
                            .values(dict(zip(fields, days, strict=True))))


def checkpoint() -> None:
    """SQLite: move the write-ahead log into the database file and truncate it (no-op elsewhere)."""
    engine = db.engine
    if engine is None or engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        checkpoint_wal(raw.driver_connection, "TRUNCATE")
    finally:
        raw.close()


def delete_workshop(workshop_id: int) -> None:
    """Delete a workshop and everything in it (ballots, comments, participants, cards)."""
    workshop = get_workshop(workshop_id)
    db.session.delete(workshop)
    db.session.commit()
    checkpoint()

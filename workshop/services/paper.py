"""Paper batches: every batch kept (when, by whom, group, stage, count), listed, voidable.

Counting a batch is ``ballots.cast_paper_ballots``; this module keeps its
record, refuses an accidental second copy, and voids a batch: its ballots
leave every result at once and the void is recorded (who, when).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from ..models import Ballot, PaperBatch, Stage, User
from ..models._types import utcnow
from ..storage import db
from .errors import Conflict, NotFound
from .notify import notifier
from .workshops import get_stage, get_workshop

#: a batch identical to one sent this recently is refused unless confirmed
DUPLICATE_WINDOW = timedelta(minutes=30)


class DuplicateBatch(Conflict):
    """The same ballots for the same stage and group were sent a moment ago."""

    code = "duplicate_batch"


def fingerprint(stage_id: int, group: str, ballots: list[Any]) -> str:
    """What makes two batches identical: stage, group and the ballots in any order."""
    canonical = sorted(json.dumps(b, sort_keys=True, ensure_ascii=False) for b in ballots)
    text = json.dumps([stage_id, group, canonical], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recent_duplicate(stage: Stage, group: str, ballots: list[Any]) -> PaperBatch | None:
    """The latest batch, not voided, of the last DUPLICATE_WINDOW identical to this one."""
    return db.session.scalars(
        select(PaperBatch)
        .where(PaperBatch.stage_id == stage.id,
               PaperBatch.fingerprint == fingerprint(stage.id, group, ballots),
               PaperBatch.voided_at.is_(None),
               PaperBatch.created_at >= utcnow() - DUPLICATE_WINDOW)
        .order_by(PaperBatch.created_at.desc(), PaperBatch.id.desc())
        .limit(1)
    ).first()


def record_batch(stage: Stage, group: str, ballots: list[Any], *, user_id: int | None,
                 confirm: bool) -> PaperBatch:
    """Add the batch's record to the session (flushed, not committed); DuplicateBatch if it
    repeats a recent one and ``confirm`` is false."""
    earlier = recent_duplicate(stage, group, ballots)
    if earlier is not None and not confirm:
        raise DuplicateBatch(
            f"an identical batch ({earlier.count} ballots, group '{group}') was counted at "
            f"{earlier.created_at.isoformat(timespec='seconds')}; send it with \"confirm\": true "
            "to count it again",
            details={"batch": batch_dict(earlier, stage.key)},
        )
    batch = PaperBatch(stage_id=stage.id, group_key=group, count=len(ballots), ballots=list(ballots),
                       fingerprint=fingerprint(stage.id, group, ballots), created_by=user_id,
                       confirmed_duplicate=earlier is not None, created_at=utcnow())
    db.session.add(batch)
    db.session.flush()
    return batch


def _usernames(ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all()
    return {int(uid): str(name) for uid, name in rows}


def batch_dict(batch: PaperBatch, stage_key: str, names: dict[int, str] | None = None,
               *, with_ballots: bool = False) -> dict[str, Any]:
    """A batch as the API and the exports give it."""
    if names is None:
        names = _usernames({batch.created_by, batch.voided_by})
    found: dict[str, Any] = {
        "id": batch.id,
        "stage": stage_key,
        "group": batch.group_key,
        "count": batch.count,
        "created_at": batch.created_at.isoformat(),
        "created_by": names.get(batch.created_by) if batch.created_by is not None else None,
        "confirmed_duplicate": batch.confirmed_duplicate,
        "voided": batch.voided_at is not None,
        "voided_at": batch.voided_at.isoformat() if batch.voided_at else None,
        "voided_by": names.get(batch.voided_by) if batch.voided_by is not None else None,
    }
    if with_ballots:
        found["ballots"] = batch.ballots
    return found


def list_batches(workshop_id: int, stage_key: str | None = None, *,
                 with_ballots: bool = False) -> list[dict[str, Any]]:
    """Every batch of a workshop (or of one stage), newest first, voided ones included."""
    workshop = get_workshop(workshop_id)
    stages = [get_stage(workshop, stage_key)] if stage_key is not None else list(workshop.stages)
    keys = {stage.id: stage.key for stage in stages}
    if not keys:
        return []
    batches = db.session.scalars(
        select(PaperBatch).where(PaperBatch.stage_id.in_(keys))
        .order_by(PaperBatch.created_at.desc(), PaperBatch.id.desc())
    ).all()
    names = _usernames({b.created_by for b in batches} | {b.voided_by for b in batches})
    return [batch_dict(b, keys[b.stage_id], names, with_ballots=with_ballots) for b in batches]


def void_batch(workshop_id: int, batch_id: int, *, stage_key: str | None = None,
               user_id: int | None = None) -> dict[str, Any]:
    """Void a batch: its ballots leave every result now; the void is recorded.

    Voiding a voided batch changes nothing and gives the batch as it is.
    """
    workshop = get_workshop(workshop_id)
    keys = {stage.id: stage.key for stage in workshop.stages}
    batch = db.session.get(PaperBatch, batch_id)
    if batch is None or batch.stage_id not in keys or (
            stage_key is not None and keys[batch.stage_id] != stage_key):
        raise NotFound(f"no paper batch {batch_id} in this workshop")
    if batch.voided_at is None:
        batch.voided_at = utcnow()
        batch.voided_by = user_id
        db.session.execute(delete(Ballot).where(Ballot.batch_id == batch.id)
                           .execution_options(synchronize_session=False))  # a plain DELETE, as Core
        db.session.commit()
        notifier().results_changed(workshop.id, keys[batch.stage_id])
    return batch_dict(batch, keys[batch.stage_id])

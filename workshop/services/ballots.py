"""Casting ballots: from phones (one current ballot each) and from paper.

Integrity rests on the database, not only on this code:
- ``uq_ballot_stage_participant`` keeps one current ballot per participant and
  stage; a later ballot replaces it through an atomic upsert;
- ``uq_receipt_participant_ballot`` stores each client ``ballot_id`` once, in the
  same transaction as the ballot, so a retried or duplicated ballot is never
  counted twice and gets the acknowledgement of the first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.methods import BallotRejected, validate_ballot
from ..extensions import db
from ..models import Ballot, BallotReceipt, Participant, Stage, Workshop
from ..models._types import utcnow
from .errors import BallotRefused, Conflict, Invalid, TooLarge
from .notify import notifier
from .workshops import get_stage, get_workshop, stage_spec

MAX_PAPER_BATCH = 1000
MAX_BALLOT_ID = 64


def _insert(model: type) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _find_stage(workshop: Workshop, key: object) -> Stage:
    if isinstance(key, str):
        for stage in workshop.stages:
            if stage.key == key:
                return stage
    raise BallotRefused(f"unknown stage {key!r}", code="unknown_stage")


def _receipt_version(participant_id: int, ballot_id: str) -> int | None:
    return db.session.scalar(
        select(BallotReceipt.version).where(
            BallotReceipt.participant_id == participant_id, BallotReceipt.ballot_id == ballot_id
        )
    )


def cast_ballot(
    participant: Participant, stage_key: object, choices: object, ballot_id: object = None
) -> tuple[Stage, int]:
    """Store a phone ballot; returns the stage and the ballot's version.

    Raises BallotRefused with the contract's code (invalid, stage_closed,
    unknown_stage, not_allowed) and stores nothing then.
    """
    if ballot_id is not None and (
        not isinstance(ballot_id, str) or not 0 < len(ballot_id) <= MAX_BALLOT_ID
    ):
        raise BallotRefused(f"ballot_id must be a string of 1-{MAX_BALLOT_ID} characters")
    workshop = get_workshop(participant.workshop_id)
    stage = _find_stage(workshop, stage_key)
    if ballot_id is not None:
        seen = _receipt_version(participant.id, ballot_id)
        if seen is not None:
            return stage, seen
    if stage.state != "open":
        raise BallotRefused(f"stage '{stage.key}' is not open", code="stage_closed")
    try:
        normalized = validate_ballot(stage_spec(stage), choices)
    except BallotRejected as exc:
        raise BallotRefused(exc.message, code="invalid") from exc

    session = db.session()
    now = utcnow()
    upsert = _insert(Ballot).values(
        stage_id=stage.id, participant_id=participant.id, group_key=participant.group_key,
        choices=normalized, source="phone", version=1, created_at=now, updated_at=now,
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=["stage_id", "participant_id"],
        set_={"choices": upsert.excluded.choices, "updated_at": now, "version": Ballot.version + 1},
    ).returning(Ballot.version)
    try:
        version = int(session.execute(upsert).scalar_one())
        if ballot_id is not None:
            receipt = _insert(BallotReceipt).values(
                participant_id=participant.id, stage_id=stage.id, ballot_id=ballot_id,
                version=version, created_at=now,
            ).on_conflict_do_nothing(index_elements=["participant_id", "ballot_id"])
            if session.execute(receipt.returning(BallotReceipt.id)).first() is None:
                # The same ballot_id was stored meanwhile (a parallel copy): keep that one.
                session.rollback()
                seen = _receipt_version(participant.id, ballot_id)
                return stage, int(seen or version)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    notifier().results_changed(workshop.id, stage.key)
    return stage, version


def cast_paper_ballots(
    workshop_id: int, stage_key: str, group: object, ballots: object
) -> dict[str, int]:
    """Count a batch of paper ballots for one group: all of them, or none."""
    workshop = get_workshop(workshop_id)
    stage = get_stage(workshop, stage_key)
    groups = [g["key"] for g in workshop.definition["groups"]]
    if not isinstance(group, str) or group not in groups:
        raise Invalid(f"group: must be one of {', '.join(groups)}")
    if not isinstance(ballots, list) or not ballots:
        raise Invalid("ballots: must be a non-empty list of choices")
    if len(ballots) > MAX_PAPER_BATCH:
        raise TooLarge(f"ballots: at most {MAX_PAPER_BATCH} in one request")
    if stage.state == "draft":
        raise Conflict(f"stage '{stage.key}' has not been opened yet")
    spec = stage_spec(stage)
    normalized, errors = [], []
    for index, choices in enumerate(ballots):
        try:
            normalized.append(validate_ballot(spec, choices))
        except BallotRejected as exc:
            errors.append({"loc": f"ballots[{index}]", "index": index, "message": exc.message})
    if errors:
        first = errors[0]
        raise Invalid(f"{first['loc']}: {first['message']}", details=errors)
    session = db.session()
    session.add_all(
        Ballot(stage_id=stage.id, participant_id=None, group_key=group, choices=c, source="paper")
        for c in normalized
    )
    session.commit()
    notifier().results_changed(workshop.id, stage.key)
    return {"stored": len(normalized)}


def ballots_of(participant: Participant) -> dict[str, dict[str, Any]]:
    """This participant's current ballots by stage key (for `sync`)."""
    rows = db.session.execute(
        select(Stage.key, Ballot.choices, Ballot.version)
        .join(Ballot, Ballot.stage_id == Stage.id)
        .where(Ballot.participant_id == participant.id)
    ).all()
    return {key: {"choices": choices, "version": version} for key, choices, version in rows}

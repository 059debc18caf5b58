"""Casting ballots: from phones (one current ballot each) and from paper.

Integrity rests on the database, not only on this code:
- ``uq_ballot_stage_participant`` keeps one current ballot per participant and
  stage; a later ballot replaces it through an atomic upsert;
- ``uq_receipt_participant_ballot`` stores each client ``ballot_id`` once, in the
  same transaction as the ballot, so a retried or duplicated ballot is never
  counted twice and gets the acknowledgement of the first.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import bindparam, select
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


class Voter(Protocol):
    """Who casts a phone ballot: a Participant row, or what a socket remembered of it."""

    id: int
    workshop_id: int
    group_key: str


def _find_stage(workshop: Workshop, key: object) -> Stage:
    if isinstance(key, str):
        for stage in workshop.stages:
            if stage.key == key:
                return stage
    raise BallotRefused(f"unknown stage {key!r}", code="unknown_stage")


class _Statements:
    """The hot path's SQL, built once per dialect (building it costs more than running it)."""

    def __init__(self, dialect: str) -> None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        b = bindparam
        # The voter must still hold its token (erasure voids it); the stage may be unknown.
        self.stage = (
            select(Stage.id, Stage.state, Workshop.revision)
            .select_from(Participant)
            .join(Workshop, Workshop.id == Participant.workshop_id)
            .outerjoin(Stage, (Stage.workshop_id == Workshop.id) & (Stage.key == b("key")))
            .where(Participant.id == b("participant_id"), Participant.token_hash == b("token_hash"))
        )
        self.receipt = select(BallotReceipt.version).where(
            BallotReceipt.participant_id == b("participant_id"), BallotReceipt.ballot_id == b("ballot_id")
        )
        upsert = insert(Ballot).values(
            stage_id=b("stage_id"),
            participant_id=b("participant_id"),
            group_key=b("group_key"),
            choices=b("choices", type_=Ballot.__table__.c.choices.type),
            source="phone",
            version=1,
            created_at=b("now", type_=Ballot.__table__.c.created_at.type),
            updated_at=b("now", type_=Ballot.__table__.c.updated_at.type),
        )
        self.upsert = upsert.on_conflict_do_update(
            index_elements=["stage_id", "participant_id"],
            set_={
                "choices": upsert.excluded.choices,
                "updated_at": upsert.excluded.updated_at,
                "version": Ballot.version + 1,
            },
        ).returning(Ballot.version)
        self.add_receipt = (
            insert(BallotReceipt)
            .values(
                participant_id=b("participant_id"),
                stage_id=b("stage_id"),
                ballot_id=b("ballot_id"),
                version=b("version"),
                created_at=b("now", type_=BallotReceipt.__table__.c.created_at.type),
            )
            .on_conflict_do_nothing(index_elements=["participant_id", "ballot_id"])
            .returning(BallotReceipt.id)
        )


@lru_cache(maxsize=4)
def _statements(dialect: str) -> _Statements:
    return _Statements(dialect)


#: (stage id, workshop revision) -> stage spec; a revision bump (any state or item
#: change) makes the entry stale, so a cached spec is never used out of date.
_specs: dict[int, tuple[int, dict[str, Any]]] = {}


def _spec(stage_id: int, revision: int) -> dict[str, Any]:
    cached = _specs.get(stage_id)
    if cached is not None and cached[0] == revision:
        return cached[1]
    stage = db.session.get(Stage, stage_id)
    assert stage is not None
    db.session.refresh(stage)
    spec = stage_spec(stage)
    if len(_specs) > 1000:
        _specs.clear()
    _specs[stage_id] = (revision, spec)
    return spec


def cast_ballot(
    voter: Voter, stage_key: object, choices: object, ballot_id: object = None
) -> tuple[str, int]:
    """Store a phone ballot; returns the stage key and the ballot's version.

    Raises BallotRefused with the contract's code (invalid, stage_closed,
    unknown_stage) and stores nothing then. One transaction reads the stage's
    state, upserts the ballot and stores the receipt: a stage closed by another
    process either committed before (refused) or is ordered after this ballot.
    """
    if ballot_id is not None and (not isinstance(ballot_id, str) or not 0 < len(ballot_id) <= MAX_BALLOT_ID):
        raise BallotRefused(f"ballot_id must be a string of 1-{MAX_BALLOT_ID} characters")
    if not isinstance(stage_key, str):
        raise BallotRefused(f"unknown stage {stage_key!r}", code="unknown_stage")
    session = db.session()
    conn = session.connection()
    sql = _statements(conn.dialect.name)
    try:
        row = conn.execute(
            sql.stage, {"participant_id": voter.id, "token_hash": voter.token_hash, "key": stage_key}
        ).first()
        if row is None:
            raise BallotRefused("this phone's participation has ended", code="not_allowed")
        stage_id, state, revision = row
        if stage_id is None:
            raise BallotRefused(f"unknown stage {stage_key!r}", code="unknown_stage")
        mine = {"participant_id": voter.id, "ballot_id": ballot_id}
        if ballot_id is not None:
            seen = conn.execute(sql.receipt, mine).scalar()
            if seen is not None:
                session.rollback()
                return stage_key, int(seen)
        if state != "open":
            raise BallotRefused(f"stage '{stage_key}' is not open", code="stage_closed")
        try:
            normalized = validate_ballot(_spec(stage_id, revision), choices)
        except BallotRejected as exc:
            raise BallotRefused(exc.message, code="invalid") from exc
        now = utcnow()
        version = int(
            conn.execute(
                sql.upsert,
                {
                    "stage_id": stage_id,
                    "participant_id": voter.id,
                    "group_key": voter.group_key,
                    "choices": normalized,
                    "now": now,
                },
            ).scalar_one()
        )
        if ballot_id is not None:
            stored = conn.execute(
                sql.add_receipt, {**mine, "stage_id": stage_id, "version": version, "now": now}
            ).first()
            if stored is None:
                # The same ballot_id was stored meanwhile (a parallel copy): keep that one.
                session.rollback()
                return stage_key, int(db.session.connection().execute(sql.receipt, mine).scalar() or version)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    notifier().results_changed(voter.workshop_id, stage_key)
    return stage_key, version


def _check(spec: dict[str, Any], ballots: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    normalized, errors = [], []
    for index, choices in enumerate(ballots):
        try:
            normalized.append(validate_ballot(spec, choices))
        except BallotRejected as exc:
            errors.append({"loc": f"ballots[{index}]", "index": index, "message": exc.message})
    return normalized, errors


def check_paper_ballots(workshop_id: int, stage_key: str, ballots: list[Any]) -> list[dict[str, Any]]:
    """The ballot rules' verdict on a batch, storing nothing (a preview for the console)."""
    stage = get_stage(get_workshop(workshop_id), stage_key)
    return _check(stage_spec(stage), ballots)[1]


def cast_paper_ballots(workshop_id: int, stage_key: str, group: object, ballots: object) -> dict[str, int]:
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
    normalized, errors = _check(stage_spec(stage), ballots)
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

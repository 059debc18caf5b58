"""Casting ballots: from phones (one current ballot each) and from paper.

Integrity rests on the database, not only on this code:
- ``uq_ballot_stage_participant`` keeps one current ballot per participant and
  stage; a later ballot replaces it through an atomic upsert;
- ``uq_receipt_participant_ballot`` stores each client ``ballot_id`` once, in the
  same transaction as the ballot, so a retried or duplicated ballot is never
  counted twice and gets the acknowledgement of the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from flask import Flask, current_app, has_app_context
from sqlalchemy import select

from ..domain import schedule
from ..domain.definition import StageDefinition
from ..domain.methods import BallotRejected, check_item_costs, validate_ballot
from ..domain.problems import Problem
from ..models import Ballot, Participant, Stage, Workshop
from ..models._types import utcnow
from ..storage import changes, db
from ..storage.ballot_writer import BallotWriter, Batch, WriterBusy, ballot_batch, writer_of
from ..storage.ballot_writer import install as install_ballot_writer
from ..storage.sqlite_ballots import store_of as sqlite_store_of
from . import tallies
from .errors import BallotRefused, Conflict, Invalid, TooLarge
from .notify import notifier
from .workshops import definition_of, get_stage, get_workshop, stage_spec, stage_spec_at

MAX_PAPER_BATCH = 1000
MAX_BALLOT_ID = 64


class Voter(Protocol):
    """Who casts a phone ballot: a Participant row, or the socket's Identity of one.

    Read-only: the token hash is what the participant held when it was looked up;
    each batch checks it again (erasure or a new token voids the ballot).
    """

    @property
    def id(self) -> int: ...

    @property
    def workshop_id(self) -> int: ...

    @property
    def group_key(self) -> str: ...

    @property
    def token_hash(self) -> str: ...

    @property
    def assisted(self) -> bool: ...


def _find_stage(workshop: Workshop, key: object) -> Stage:
    if isinstance(key, str):
        for stage in workshop.stages:
            if stage.key == key:
                return stage
    raise BallotRefused(f"unknown stage {key!r}", code="unknown_stage")


@dataclass(frozen=True)
class BallotRequest:
    """One phone ballot waiting to be stored (see store_batch and storage.ballot_writer)."""

    voter: Voter
    stage_key: object
    choices: object
    ballot_id: object = None


Outcome = tuple[str, int] | BallotRefused


def _precheck(request: BallotRequest) -> BallotRefused | None:
    ballot_id = request.ballot_id
    if ballot_id is not None and (not isinstance(ballot_id, str) or not 0 < len(ballot_id) <= MAX_BALLOT_ID):
        return BallotRefused(f"ballot_id must be a string of 1-{MAX_BALLOT_ID} characters")
    if not isinstance(request.stage_key, str):
        return BallotRefused(f"unknown stage {request.stage_key!r}", code="unknown_stage")
    return None


@dataclass(frozen=True)
class StoredBallot:
    """A phone ballot as the COMMIT stored it (what :func:`ballots_stored` is told)."""

    workshop_id: int
    stage_key: str
    stage_id: int
    participant_id: int
    group_key: str
    choices: dict[str, Any]
    version: int
    #: where it was cast (hall | online | kiosk)
    channel: str


def ballots_stored(stored: list[StoredBallot], memory: tallies.BallotMemory | None = None) -> None:
    """After COMMIT: these phone ballots are stored, in order (a later one of the same
    participant and stage replaces the earlier). The one place that learns it.

    ``memory``: the memory results are computed from (services.tallies), when the ballot
    writer stored them: it gets exactly these rows. Stored anywhere else, the memory is
    told to read the database again.
    """
    if memory is not None:
        memory.stored(stored)
    elif stored:
        tallies.changed_elsewhere()
    for workshop_id, key in sorted({(b.workshop_id, b.stage_key) for b in stored}):
        notifier().results_changed(workshop_id, key)


def store_batch(requests: Sequence[BallotRequest],
                batch_of: Callable[[], AbstractContextManager[Batch]] = ballot_batch, *,
                remember: bool = False) -> list[Outcome]:
    """Store many phone ballots in ONE transaction (group commit); an outcome each.

    The same rules as one ballot at a time, in order: a refused ballot gets its
    BallotRefused and stores nothing; a ballot_id already stored (before, or
    earlier in this batch) gets the first acknowledgement again. A workshop's
    stages and its checked voters are kept per revision (one cheap query per
    batch tells whether they still hold). A batch costs one lookup of tokens not
    yet checked, one of ballot_ids already stored, the upserts (one round trip on
    PostgreSQL), one insert of receipts, and one commit. ``batch_of``: the
    transaction (a session's by default; the SQLite writer's own connection, which
    answers most of these lookups from memory). ``remember``: the app's ballot writer,
    the only one storing phone ballots, whose rows keep the memory results are
    computed from (:func:`ballots_stored`).
    """
    outcomes: list[Outcome | int | None] = [_precheck(r) for r in requests]
    live = [i for i, outcome in enumerate(outcomes) if outcome is None]
    if not live:
        return [o for o in outcomes if isinstance(o, BallotRefused)]
    memory = tallies.memory() if remember else None
    # the writer's own statements are not changes made elsewhere (storage.changes)
    with changes.quiet() if memory is not None else nullcontext(), batch_of() as batch:
        views = {w: batch.workshop(w) for w in sorted({requests[i].voter.workshop_id for i in live})}
        # Two lookups for the whole batch: voters not yet checked, ballot_ids already stored.
        unchecked = sorted({
            r.voter.id for r in (requests[i] for i in live)
            if (view := views[r.voter.workshop_id]) is not None
            and view.verified.get(r.voter.id) != r.voter.token_hash
        })
        tokens = batch.token_hashes(unchecked)
        stored = batch.receipts({(requests[i].voter.id, str(requests[i].ballot_id))
                                 for i in live if requests[i].ballot_id})
        now = utcnow()
        upserts: list[dict[str, Any]] = []  # in order; outcomes[i] = its index until run
        planned: dict[tuple[int, str], int] = {}  # this batch's ballot_ids -> upsert index
        planned_keys: list[tuple[str, object]] = []  # each upsert's stage key and ballot_id
        for i in live:
            request, voter = requests[i], requests[i].voter
            key = str(request.stage_key)
            view = views[voter.workshop_id]
            if view is not None and tokens.get(voter.id) == voter.token_hash:
                view.verified[voter.id] = voter.token_hash  # checked in this batch's lookup
            if view is None or view.verified.get(voter.id) != voter.token_hash:
                outcomes[i] = BallotRefused("this phone's participation has ended", code="not_allowed")
                continue
            found = view.stages.get(key)
            if found is None:
                outcomes[i] = BallotRefused(f"unknown stage {key!r}", code="unknown_stage")
                continue
            stage_id, state = found
            mine = (voter.id, str(request.ballot_id)) if request.ballot_id else None
            if mine is not None and mine in stored:
                outcomes[i] = (key, stored[mine])
                continue
            if mine is not None and mine in planned:
                outcomes[i] = planned[mine]  # the same ballot twice in one batch: its first version
                continue
            if state != "open":
                outcomes[i] = BallotRefused(f"stage '{key}' is not open", code="stage_closed")
                continue
            try:
                spec = stage_spec_at(stage_id, view.revision, view.identity)
                normalized = validate_ballot(spec, request.choices)
                check_item_costs(spec, normalized)
            except BallotRejected as exc:
                outcomes[i] = BallotRefused(exc.message, code="invalid", problems=[exc.problem])
                continue
            if mine is not None:
                planned[mine] = len(upserts)
            outcomes[i] = len(upserts)
            upserts.append({"stage_id": stage_id, "participant_id": voter.id, "group_key": voter.group_key,
                            "choices": normalized, "now": now,
                            "channel": schedule.channel_of(view.opened_by.get(key), voter.assisted)})
            planned_keys.append((key, request.ballot_id))
        versions = batch.upsert(upserts)
        batch.add_receipts([
            {"participant_id": row["participant_id"], "stage_id": row["stage_id"], "ballot_id": ballot_id,
             "version": version, "now": now}
            for row, (_key, ballot_id), version in zip(upserts, planned_keys, versions, strict=True)
            if ballot_id
        ])
    ballots_stored([
        StoredBallot(requests[i].voter.workshop_id, planned_keys[o][0], upserts[o]["stage_id"],
                     upserts[o]["participant_id"], upserts[o]["group_key"], upserts[o]["choices"],
                     versions[o], upserts[o]["channel"])
        for i, o in _first_stores(outcomes)
    ], memory)
    return [
        (planned_keys[o][0], versions[o]) if isinstance(o, int) else o
        for o in outcomes if o is not None
    ]


def _first_stores(outcomes: list[Outcome | int | None]) -> list[tuple[int, int]]:
    """(request index, upsert index) of each upsert, once (a same-batch duplicate points
    at its first's upsert too)."""
    seen: set[int] = set()
    found = []
    for i, o in enumerate(outcomes):
        if isinstance(o, int) and o not in seen:
            seen.add(o)
            found.append((i, o))
    return found


def install_writer(app: Flask) -> None:
    """The app's group-commit writer, storing with :func:`store_batch` (WORKSHOP_BALLOT_BATCH=0: none),
    and the memory of ballots it keeps up to date for results (services.tallies).

    On SQLite it stores on a connection of its own (``storage.sqlite_ballots``):
    lookups answered from memory, the writes and COMMIT off the event loop,
    checkpoints in quiet moments.
    """
    batch = int(app.config.get("BALLOT_BATCH", 256))
    if batch <= 0:
        return
    own = sqlite_store_of(db.engine)
    if own is None:
        install_ballot_writer(app, BallotWriter(app, partial(store_batch, remember=True), max_batch=batch))
    else:
        install_ballot_writer(app, BallotWriter(app, partial(store_batch, batch_of=own.batch, remember=True),
                                                max_batch=batch, housekeeping=own.checkpoints))
    tallies.install(app)


def cast_ballot(
    voter: Voter, stage_key: object, choices: object, ballot_id: object = None
) -> tuple[str, int]:
    """Store a phone ballot, through the app's group-commit writer when it has one."""
    request = BallotRequest(voter, stage_key, choices, ballot_id)
    writer = writer_of(current_app) if has_app_context() else None
    # A caller inside a transaction may hold SQLite's write lock, which the writer
    # would wait for while the caller waits for the writer: store it right here.
    if writer is None or (db.session.registry.has() and db.session().in_transaction()):
        outcome = store_batch([request])[0]
        if isinstance(outcome, BallotRefused):
            raise outcome
        return outcome
    try:
        stored: tuple[str, int] = writer.cast(request)
    except WriterBusy:
        raise BallotRefused(
            "the server is too busy to store this ballot now; send it again", code="rate_limited"
        ) from None
    return stored


def _check(spec: StageDefinition, ballots: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Normalized choices, and each refused ballot: ``{"loc", "index", "message"}`` (English,
    the API's details) with its ``problem`` (code and parameters) beside them."""
    normalized, errors = [], []
    for index, choices in enumerate(ballots):
        try:
            normalized.append(validate_ballot(spec, choices))
        except BallotRejected as exc:
            loc = f"ballots[{index}]"
            errors.append({"loc": loc, "index": index, "message": exc.message,
                           "problem": Problem(exc.problem.code, exc.problem.params, loc)})
    return normalized, errors


def check_paper_ballots(workshop_id: int, stage_key: str, ballots: list[Any]) -> list[dict[str, Any]]:
    """The ballot rules' verdict on a batch, storing nothing (a preview for the console)."""
    stage = get_stage(get_workshop(workshop_id), stage_key)
    return _check(stage_spec(stage), ballots)[1]


def cast_paper_ballots(workshop_id: int, stage_key: str, group: object, ballots: object, *,
                       confirm: object = False, user_id: int | None = None) -> dict[str, Any]:
    """Count a batch of paper ballots for one group: all of them, or none.

    The batch is kept (services.paper). A batch identical to one of the last
    ``paper.DUPLICATE_WINDOW`` (same stage, group and ballots, not voided) is
    refused with ``DuplicateBatch`` unless ``confirm`` is true.
    """
    from . import paper  # paper builds on this module

    workshop = get_workshop(workshop_id)
    stage = get_stage(workshop, stage_key)
    groups = definition_of(workshop).group_keys
    if not isinstance(group, str) or group not in groups:
        raise Invalid(f"group: must be one of {', '.join(groups)}")
    if not isinstance(ballots, list) or not ballots:
        raise Invalid("ballots: must be a non-empty list of choices")
    if len(ballots) > MAX_PAPER_BATCH:
        raise TooLarge(f"ballots: at most {MAX_PAPER_BATCH} in one request")
    if confirm is not None and not isinstance(confirm, bool):
        raise Invalid("confirm: must be true or false")
    if stage.state == "draft":
        raise Conflict(f"stage '{stage.key}' has not been opened yet")
    normalized, errors = _check(stage_spec(stage), ballots)
    if errors:
        first = errors[0]
        raise Invalid(f"{first['loc']}: {first['message']}", problems=[e["problem"] for e in errors],
                      details=[{k: v for k, v in e.items() if k != "problem"} for e in errors])
    batch = paper.record_batch(stage, group, normalized, user_id=user_id, confirm=bool(confirm))
    session = db.session()
    session.add_all(
        Ballot(stage_id=stage.id, participant_id=None, group_key=group, choices=c, source="paper",
               channel="paper", batch_id=batch.id)
        for c in normalized
    )
    session.commit()
    notifier().results_changed(workshop.id, stage.key)
    return {"stored": len(normalized), "batch_id": batch.id, "batch": paper.batch_dict(batch, stage.key)}


def ballots_of(participant: Participant) -> dict[str, dict[str, Any]]:
    """This participant's current ballots by stage key (for `sync`)."""
    rows = db.session.execute(
        select(Stage.key, Ballot.choices, Ballot.version)
        .join(Ballot, Ballot.stage_id == Stage.id)
        .where(Ballot.participant_id == participant.id)
    ).all()
    return {key: {"choices": choices, "version": version} for key, choices, version in rows}

"""Casting ballots: from phones (one current ballot each) and from paper.

Integrity rests on the database, not only on this code:
- ``uq_ballot_stage_participant`` keeps one current ballot per participant and
  stage; a later ballot replaces it through an atomic upsert;
- ``uq_receipt_participant_ballot`` stores each client ``ballot_id`` once, in the
  same transaction as the ballot, so a retried or duplicated ballot is never
  counted twice and gets the acknowledgement of the first.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from flask import Flask, current_app, has_app_context
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.methods import BallotRejected, check_item_costs, validate_ballot
from ..models import Ballot, BallotReceipt, Participant, Stage, Workshop
from ..models._types import utcnow
from ..storage import db
from .errors import BallotRefused, Conflict, Invalid, TooLarge
from .notify import notifier
from .workshops import get_stage, get_workshop, stage_spec, stage_spec_at

log = logging.getLogger(__name__)
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
        # Simple equality lookups only: their compiled form is cached, unlike IN (...) lists.
        self.revision = select(Workshop.revision).where(Workshop.id == b("workshop_id"))
        self.stages_of = select(Stage.key, Stage.id, Stage.state).where(Stage.workshop_id == b("workshop_id"))
        self.add_receipts = (
            insert(BallotReceipt)
            .values(
                participant_id=b("participant_id"),
                stage_id=b("stage_id"),
                ballot_id=b("ballot_id"),
                version=b("version"),
                created_at=b("now", type_=BallotReceipt.__table__.c.created_at.type),
            )
            .on_conflict_do_nothing(index_elements=["participant_id", "ballot_id"])
        )


@lru_cache(maxsize=4)
def _statements(dialect: str) -> _Statements:
    return _Statements(dialect)


class _DriverSQL:
    """A Core statement compiled once into the driver's own SQL, run on the DB-API cursor.

    A burst runs the same three statements thousands of times; SQLAlchemy's
    execution machinery (parameter building, result objects, events) costs
    several times the statement itself. The statement is still defined with
    SQLAlchemy above, compiled for this dialect (with its casts and value
    processors), and runs inside the session's own transaction.
    """

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.order: list[str] | None = list(compiled.positiontup) if compiled.positiontup else None
        binds = compiled.binds
        self.defaults = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        self.processors = [
            (name, proc) for name, bind in binds.items()
            if (proc := bind.type.dialect_impl(dialect).bind_processor(dialect))
        ]

    def args(self, params: dict[str, Any]) -> Any:
        values = {**self.defaults, **params}
        for name, proc in self.processors:
            values[name] = proc(values[name])
        return values if self.order is None else tuple(values[name] for name in self.order)

    def one(self, cursor: Any, params: dict[str, Any]) -> Any:
        """The first column of the first row, or None."""
        cursor.execute(self.sql, self.args(params))
        row = cursor.fetchone()
        return None if row is None else row[0]

    def many(self, cursor: Any, rows: list[dict[str, Any]]) -> None:
        cursor.executemany(self.sql, [self.args(params) for params in rows])


class _Hot:
    """The hot statements of store_batch, as driver SQL for one dialect."""

    def __init__(self, sql: _Statements, dialect: Any) -> None:
        self.upsert = _DriverSQL(sql.upsert, dialect)
        self.add_receipts = _DriverSQL(sql.add_receipts, dialect)


_HOT: dict[str, _Hot] = {}


def _hot(conn: Any) -> _Hot:
    name = conn.dialect.name
    found = _HOT.get(name)
    if found is None:
        found = _HOT[name] = _Hot(_statements(name), conn.dialect)
    return found


def _views() -> dict[int, _WorkshopView]:
    """This app's workshop views (one database per app: ids never mean another database's rows)."""
    views: dict[int, _WorkshopView] = current_app.extensions.setdefault("ruamkit.workshop_views", {})
    return views


@dataclass
class _WorkshopView:
    """What the writer knows of a workshop at one revision: its stages and the
    voters already checked. Every state change, item change or erasure bumps the
    revision, and a new revision means a fresh view, so nothing stale is used."""

    revision: int
    stages: dict[str, tuple[int, str]]
    verified: dict[int, str]


def _view(conn: Any, sql: _Statements, workshop_id: int) -> _WorkshopView | None:
    views = _views()
    revision = conn.execute(sql.revision, {"workshop_id": workshop_id}).scalar()
    if revision is None:
        views.pop(workshop_id, None)
        return None
    view = views.get(workshop_id)
    if view is None or view.revision != revision:
        rows = conn.execute(sql.stages_of, {"workshop_id": workshop_id}).all()
        view = _WorkshopView(revision, {key: (stage_id, state) for key, stage_id, state in rows}, {})
        if len(views) > 200:
            views.clear()
        views[workshop_id] = view
    return view


def _in_list(dialect: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`` = ANY(%s)`` with one array on PostgreSQL (one prepared statement for every
    batch size), ``IN (?, ?, ...)`` on SQLite: the SQL and its parameters."""
    if dialect == "postgresql":
        return " = ANY(%s)", [list(values)]
    return f" IN ({', '.join('?' * len(values))})", list(values)


def _tokens(cursor: Any, dialect: str, ids: Sequence[int]) -> dict[int, str]:
    """Participant id -> token hash, for these ids: one query."""
    where, args = _in_list(dialect, ids)
    # only placeholders and our own table name are put into the SQL; values are parameters
    cursor.execute(f"SELECT id, token_hash FROM {Participant.__tablename__} WHERE id{where}", args)  # noqa: S608
    return {int(pid): token for pid, token in cursor.fetchall()}


def _receipts(cursor: Any, dialect: str, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(participant id, ballot_id) -> version, for the pairs already stored: one query."""
    if not pairs:
        return {}
    people_sql, people = _in_list(dialect, sorted({p for p, _ in pairs}))
    ids_sql, ids = _in_list(dialect, sorted({b for _, b in pairs}))
    cursor.execute(
        f"SELECT participant_id, ballot_id, version FROM {BallotReceipt.__tablename__}"  # noqa: S608 (as above)
        f" WHERE participant_id{people_sql} AND ballot_id{ids_sql}",
        [*people, *ids],
    )
    found = {(int(pid), str(bid)): int(version) for pid, bid, version in cursor.fetchall()}
    return {pair: version for pair, version in found.items() if pair in pairs}


def _upsert_all(cursor: Any, dialect: str, hot: _Hot, rows: list[dict[str, Any]]) -> list[int]:
    """Every upsert in order, and the version each one gave.

    PostgreSQL gets them in one round trip (psycopg's pipelined executemany with
    RETURNING); SQLite runs in this process, where a statement costs microseconds.
    """
    if not rows:
        return []
    if dialect == "postgresql":
        cursor.executemany(hot.upsert.sql, [hot.upsert.args(row) for row in rows], returning=True)
        versions = []
        for result in cursor.results():
            versions.append(int(result.fetchone()[0]))
        return versions
    return [int(hot.upsert.one(cursor, row)) for row in rows]


@dataclass(frozen=True)
class BallotRequest:
    """One phone ballot waiting to be stored (see store_batch and BallotWriter)."""

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


def store_batch(requests: Sequence[BallotRequest]) -> list[Outcome]:
    """Store many phone ballots in ONE transaction (group commit); an outcome each.

    The same rules as one ballot at a time, in order: a refused ballot gets its
    BallotRefused and stores nothing; a ballot_id already stored (before, or
    earlier in this batch) gets the first acknowledgement again. A workshop's
    stages and its checked voters are kept per revision (one cheap query per
    batch tells whether they still hold). A batch costs one lookup of tokens not
    yet checked, one of ballot_ids already stored, the upserts (one round trip on
    PostgreSQL), one insert of receipts, and one commit.
    """
    outcomes: list[Outcome | int | None] = [_precheck(r) for r in requests]
    live = [i for i, outcome in enumerate(outcomes) if outcome is None]
    if not live:
        return [o for o in outcomes if isinstance(o, BallotRefused)]
    session = db.session()
    conn = session.connection()
    dialect = conn.dialect.name
    sql = _statements(dialect)
    hot = _hot(conn)
    touched: set[tuple[int, str]] = set()
    try:
        views = {w: _view(conn, sql, w) for w in sorted({requests[i].voter.workshop_id for i in live})}
        cursor = conn.connection.cursor()  # the DB-API cursor, in the session's transaction
        # Two lookups for the whole batch: voters not yet checked, ballot_ids already stored.
        unchecked = sorted({
            r.voter.id for r in (requests[i] for i in live)
            if (view := views[r.voter.workshop_id]) is not None
            and view.verified.get(r.voter.id) != r.voter.token_hash
        })
        tokens = _tokens(cursor, dialect, unchecked) if unchecked else {}
        stored = _receipts(cursor, dialect, {(requests[i].voter.id, str(requests[i].ballot_id))
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
                spec = stage_spec_at(stage_id, view.revision)
                normalized = validate_ballot(spec, request.choices)
                check_item_costs(spec, normalized)
            except BallotRejected as exc:
                outcomes[i] = BallotRefused(exc.message, code="invalid")
                continue
            if mine is not None:
                planned[mine] = len(upserts)
            outcomes[i] = len(upserts)
            upserts.append({"stage_id": stage_id, "participant_id": voter.id, "group_key": voter.group_key,
                            "choices": normalized, "now": now})
            planned_keys.append((key, request.ballot_id))
            touched.add((voter.workshop_id, key))
        versions = _upsert_all(cursor, dialect, hot, upserts)
        new_receipts = [
            {"participant_id": row["participant_id"], "stage_id": row["stage_id"], "ballot_id": ballot_id,
             "version": version, "now": now}
            for row, (_key, ballot_id), version in zip(upserts, planned_keys, versions, strict=True)
            if ballot_id
        ]
        if new_receipts:
            hot.add_receipts.many(cursor, new_receipts)
        cursor.close()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    for workshop_id, key in sorted(touched):
        notifier().results_changed(workshop_id, key)
    return [
        (planned_keys[o][0], versions[o]) if isinstance(o, int) else o  # type: ignore[misc]
        for o in outcomes if o is not None
    ]


class BallotWriter:
    """Group commit for phone ballots: one writer stores whatever is queued together.

    Each socket handler queues its ballot and waits; the writer takes everything
    waiting (up to ``max_batch``), stores it in one transaction on one
    connection, then wakes the handlers, which acknowledge. So an
    acknowledgement still means "committed", a burst costs one commit per batch
    instead of one per ballot, and a thousand phones never need a thousand
    database connections. Plain ``threading`` objects: under the gevent server
    they are greenlets (run.py patches the standard library first).
    """

    #: a ballot this soon (seconds) after the previous batch means a busy spell
    BUSY_GAP = 0.05

    def __init__(
        self, app: Flask, max_batch: int = 256, timeout: float = 60.0, linger: float = 0.002
    ) -> None:
        self.app = app
        self.max_batch = max_batch
        self.timeout = timeout
        #: how long the writer lets ballots gather after the first one of a busy spell
        self.linger = linger
        self._queue: queue.SimpleQueue[
            tuple[BallotRequest, threading.Event, list[Outcome | BaseException]]
        ] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def cast(self, request: BallotRequest) -> tuple[str, int]:
        self._ensure_running()
        done, box = threading.Event(), []  # type: list[Outcome | BaseException]
        self._queue.put((request, done, box))
        if not done.wait(self.timeout):
            raise BallotRefused(
                "the server is too busy to store this ballot now; send it again", code="rate_limited"
            )
        outcome = box[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ballot-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        last = float("-inf")  # when the previous batch was stored
        while True:
            batch = [self._queue.get()]
            if self.linger > 0 and time.monotonic() - last < self.BUSY_GAP:
                # Ballots are arriving close together (a burst): a moment's wait lets
                # the ones on their way join this commit instead of each paying one.
                time.sleep(self.linger)
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            outcomes = self._store([request for request, _, _ in batch])
            last = time.monotonic()
            for (_, done, box), outcome in zip(batch, outcomes, strict=True):
                box.append(outcome)
                done.set()

    def _store(self, requests: list[BallotRequest]) -> list[Outcome | BaseException]:
        with self.app.app_context():
            try:
                return list(store_batch(requests))
            except Exception:
                log.exception("storing a batch of %d ballots failed; storing them one by one", len(requests))
                db.session.remove()
                return [self._store_one(request) for request in requests]
            finally:
                db.session.remove()

    def _store_one(self, request: BallotRequest) -> Outcome | BaseException:
        try:
            return store_batch([request])[0]
        except Exception as exc:  # this ballot alone fails: its phone is told
            db.session.remove()
            return exc


WRITER_KEY = "ruamkit.ballot_writer"


def install_writer(app: Flask) -> None:
    batch = int(app.config.get("BALLOT_BATCH", 256))
    if batch > 0:
        app.extensions[WRITER_KEY] = BallotWriter(app, max_batch=batch)


def cast_ballot(
    voter: Voter, stage_key: object, choices: object, ballot_id: object = None
) -> tuple[str, int]:
    """Store a phone ballot, through the app's group-commit writer when it has one."""
    request = BallotRequest(voter, stage_key, choices, ballot_id)
    writer: BallotWriter | None = current_app.extensions.get(WRITER_KEY) if has_app_context() else None
    # A caller inside a transaction may hold SQLite's write lock, which the writer
    # would wait for while the caller waits for the writer: store it right here.
    if writer is None or (db.session.registry.has() and db.session().in_transaction()):
        outcome = store_batch([request])[0]
        if isinstance(outcome, BallotRefused):
            raise outcome
        return outcome
    return writer.cast(request)


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
    groups = [g["key"] for g in workshop.definition["groups"]]
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
        raise Invalid(f"{first['loc']}: {first['message']}", details=errors)
    batch = paper.record_batch(stage, group, normalized, user_id=user_id, confirm=bool(confirm))
    session = db.session()
    session.add_all(
        Ballot(stage_id=stage.id, participant_id=None, group_key=group, choices=c, source="paper",
               batch_id=batch.id)
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

"""The ballot writer: phone ballots stored in batches, one transaction per batch.

Two parts, both about storing, neither about the rules:

- :class:`BallotWriter`, the batching greenlet: socket handlers queue a ballot
  and wait; one writer stores whatever is queued with the store function it was
  given (``services.ballots.store_batch``), then wakes them.
- :class:`BallotBatch`, one transaction on the session's connection, and the
  hot statements compiled once into the driver's own SQL: the lookups and writes
  ``store_batch`` needs, nothing else. On SQLite the writer uses
  ``sqlite_ballots.SqliteBatch`` instead (its own connection, what it knows kept
  in memory, the writes and COMMIT off the event loop): the same :class:`Batch`.

Who may vote, which stage is open and what a valid ballot is are decided by the
service; this module only knows tables, statements and transactions.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from flask import Flask, current_app

from ..models import BallotReceipt, Participant
from .ballot_sql import DriverSQL, Statements, in_list, statements
from .changes import changes_of
from .database import db

log = logging.getLogger(__name__)

RequestT = TypeVar("RequestT")
OutcomeT = TypeVar("OutcomeT")
WRITER_KEY = "ruamkit.ballot_writer"
VIEWS_KEY = "ruamkit.workshop_views"


class WriterBusy(Exception):
    """The writer did not store this request within its timeout."""


class BallotWriter(Generic[RequestT, OutcomeT]):
    """Group commit for phone ballots: one writer stores whatever is queued together.

    Each socket handler queues its ballot and waits; the writer takes everything
    waiting (up to ``max_batch``), stores it in one transaction on one
    connection, then wakes the handlers, which acknowledge. So an
    acknowledgement still means "committed", a burst costs one commit per batch
    instead of one per ballot, and a thousand phones never need a thousand
    database connections. Plain ``threading`` objects: under the gevent server
    they are greenlets (run.py patches the standard library first).

    ``store`` turns a batch of requests into one outcome each; an outcome that is
    an exception is raised to its caller, whose request alone it concerns.
    """

    #: a ballot this soon (seconds) after the previous batch means a busy spell
    BUSY_GAP = 0.05
    #: no ballot for this long (seconds) is a quiet moment, for ``housekeeping``
    QUIET = 0.25

    def __init__(
        self,
        app: Flask,
        store: Callable[[list[RequestT]], Sequence[OutcomeT | BaseException]],
        max_batch: int = 256,
        timeout: float = 60.0,
        linger: float = 0.002,
        housekeeping: Housekeeping | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.max_batch = max_batch
        self.timeout = timeout
        #: how long the writer lets ballots gather after the first one of a busy spell
        self.linger = linger
        #: work for quiet moments (the SQLite writer's checkpoints), if any
        self.housekeeping = housekeeping
        self._queue: queue.SimpleQueue[
            tuple[RequestT, threading.Event, list[OutcomeT | BaseException]]
        ] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def cast(self, request: RequestT) -> OutcomeT:
        """Queue ``request``, wait for its batch's commit, and return (or raise) its outcome."""
        self._ensure_running()
        done = threading.Event()
        box: list[OutcomeT | BaseException] = []
        self._queue.put((request, done, box))
        if not done.wait(self.timeout):
            raise WriterBusy(f"not stored within {self.timeout} s")
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
            chores = self.housekeeping
            try:
                first = self._queue.get(timeout=self.QUIET) if chores and chores.due() else self._queue.get()
            except queue.Empty:
                self._chores()
                continue
            batch = [first]
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

    def _chores(self) -> None:
        if self.housekeeping is None:
            return
        try:
            self.housekeeping.run()
        except Exception:  # the next quiet moment tries again; ballots go on meanwhile
            log.exception("the ballot writer's housekeeping failed")

    def _store(self, requests: list[RequestT]) -> list[OutcomeT | BaseException]:
        with self.app.app_context():
            try:
                return list(self.store(requests))
            except Exception:
                log.exception("storing a batch of %d ballots failed; storing them one by one", len(requests))
                db.session.remove()
                # It may have failed after its COMMIT (its ballots stored, memory not told):
                # whatever memory kept of ballots is read again from the database.
                if db.engine is not None:
                    changes_of(db.engine).bump()
                return [self._store_one(request) for request in requests]
            finally:
                db.session.remove()

    def _store_one(self, request: RequestT) -> OutcomeT | BaseException:
        try:
            return self.store([request])[0]
        except Exception as exc:  # this ballot alone fails: its phone is told
            db.session.remove()
            return exc


class Housekeeping(Protocol):
    """Work the writer does when no ballot came for a moment (``run``), when ``due``."""

    def due(self) -> bool: ...

    def run(self) -> None: ...


def install(app: Flask, writer: BallotWriter[Any, Any]) -> None:
    app.extensions[WRITER_KEY] = writer


def writer_of(app: Flask) -> BallotWriter[Any, Any] | None:
    found: BallotWriter[Any, Any] | None = app.extensions.get(WRITER_KEY)
    return found


class _Hot:
    """The hot statements of a batch, as driver SQL for one dialect."""

    def __init__(self, sql: Statements, dialect: Any) -> None:
        self.upsert = DriverSQL(sql.upsert, dialect)
        self.add_receipts = DriverSQL(sql.add_receipts, dialect)


_HOT: dict[str, _Hot] = {}


def _hot(conn: Any) -> _Hot:
    name = conn.dialect.name
    found = _HOT.get(name)
    if found is None:
        found = _HOT[name] = _Hot(statements(name), conn.dialect)
    return found


@dataclass
class WorkshopView:
    """What the writer knows of a workshop at one revision: its stages (key ->
    id, state) and the voters already checked (participant id -> token hash).
    Every state change, item change or erasure bumps the revision, and a new
    revision means a fresh view, so nothing stale is used. ``identity`` (the
    workshop's projector key: random, never changed) tells a workshop from a
    later one given the same id, which SQLite does when the newest row was
    deleted, and which may reach the same revision."""

    revision: int
    identity: str
    stages: dict[str, tuple[int, str]]
    verified: dict[int, str]
    #: stage key -> who opened it (hall | schedule), for the ballots' channel
    opened_by: dict[str, str] = field(default_factory=dict)


def _views() -> dict[int, WorkshopView]:
    """This app's workshop views (one database per app: ids never mean another database's rows)."""
    views: dict[int, WorkshopView] = current_app.extensions.setdefault(VIEWS_KEY, {})
    return views


class Batch(Protocol):
    """What ``store_batch`` asks of one transaction: :class:`BallotBatch` (a session's
    connection, any database) or ``sqlite_ballots.SqliteBatch`` (the SQLite writer's own)."""

    def workshop(self, workshop_id: int) -> WorkshopView | None: ...

    def token_hashes(self, ids: Sequence[int]) -> dict[int, str]: ...

    def receipts(self, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]: ...

    def upsert(self, rows: list[dict[str, Any]]) -> list[int]: ...

    def add_receipts(self, rows: list[dict[str, Any]]) -> None: ...


class BallotBatch:
    """One transaction for a batch of phone ballots: the reads and writes it needs.

    Reads go through the session's connection (small, cached statements); the
    hot writes run as driver SQL on the DB-API cursor of the same transaction.
    """

    def __init__(self) -> None:
        self.session = db.session()
        self.conn = self.session.connection()
        self.dialect: str = self.conn.dialect.name
        self._sql = statements(self.dialect)
        self._hot = _hot(self.conn)
        self._cursor: Any = None

    @property
    def cursor(self) -> Any:
        """The DB-API cursor, in the session's transaction."""
        if self._cursor is None:
            self._cursor = self.conn.connection.cursor()
        return self._cursor

    def workshop(self, workshop_id: int) -> WorkshopView | None:
        """The workshop's view at its current revision (None when it is gone): one cheap
        query while the revision holds, its stages again when it moved on."""
        views = _views()
        found = self.conn.execute(self._sql.revision, {"workshop_id": workshop_id}).first()
        if found is None:
            views.pop(workshop_id, None)
            return None
        revision, identity = found
        view = views.get(workshop_id)
        if view is None or view.revision != revision or view.identity != identity:
            rows = self.conn.execute(self._sql.stages_of, {"workshop_id": workshop_id}).all()
            view = WorkshopView(revision, identity,
                                {key: (stage_id, state) for key, stage_id, state, _by in rows}, {},
                                {key: by for key, _id, _state, by in rows})
            if len(views) > 200:
                views.clear()
            views[workshop_id] = view
        return view

    def token_hashes(self, ids: Sequence[int]) -> dict[int, str]:
        """Participant id -> token hash, for these ids: one query."""
        if not ids:
            return {}
        where, args = in_list(self.dialect, ids)
        # only placeholders and our own table name are put into the SQL; values are parameters
        self.cursor.execute(
            f"SELECT id, token_hash FROM {Participant.__tablename__} WHERE id{where}", args)  # noqa: S608
        return {int(pid): token for pid, token in self.cursor.fetchall()}

    def receipts(self, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
        """(participant id, ballot_id) -> version, for the pairs already stored: one query."""
        if not pairs:
            return {}
        people_sql, people = in_list(self.dialect, sorted({p for p, _ in pairs}))
        ids_sql, ids = in_list(self.dialect, sorted({b for _, b in pairs}))
        self.cursor.execute(
            f"SELECT participant_id, ballot_id, version FROM {BallotReceipt.__tablename__}"  # noqa: S608 (as above)
            f" WHERE participant_id{people_sql} AND ballot_id{ids_sql}",
            [*people, *ids],
        )
        found = {(int(pid), str(bid)): int(version) for pid, bid, version in self.cursor.fetchall()}
        return {pair: version for pair, version in found.items() if pair in pairs}

    def upsert(self, rows: list[dict[str, Any]]) -> list[int]:
        """Every ballot upsert in order (stage_id, participant_id, group_key, choices,
        now), and the version each one gave.

        PostgreSQL gets them in one round trip (psycopg's pipelined executemany with
        RETURNING); SQLite runs in this process, where a statement costs microseconds.
        """
        if not rows:
            return []
        hot = self._hot.upsert
        if self.dialect == "postgresql":
            self.cursor.executemany(hot.sql, [hot.args(row) for row in rows], returning=True)
            return [int(result.fetchone()[0]) for result in self.cursor.results()]
        return [int(hot.one(self.cursor, row)) for row in rows]

    def add_receipts(self, rows: list[dict[str, Any]]) -> None:
        """Receipts (participant_id, stage_id, ballot_id, version, now); one already
        stored for the same participant and ballot_id is kept."""
        if rows:
            self._hot.add_receipts.many(self.cursor, rows)

    def commit(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None
        self.session.commit()


@contextmanager
def ballot_batch() -> Iterator[BallotBatch]:
    """One transaction: committed when the block ends, rolled back on any error."""
    batch = BallotBatch()
    try:
        yield batch
        batch.commit()
    except BaseException:
        batch.session.rollback()
        raise

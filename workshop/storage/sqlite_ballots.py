"""The ballot writer's own SQLite connection, and what it knows between batches.

On SQLite the group-commit writer (``ballot_writer.BallotWriter``) stores its
batches on one connection of its own instead of a session per batch:

- **what it needs to know is kept in memory** and read from the database only on
  a miss: each workshop's view (stages, checked voters, as in ``WorkshopView``),
  and, per participant seen, the version of each current ballot and every stored
  ``ballot_id``. Versions are therefore known before the upsert, which runs as one
  ``executemany`` without ``RETURNING``, as do the receipts.
- **invalidation costs one pragma**: ``PRAGMA data_version``, read inside the
  batch's ``BEGIN IMMEDIATE``, changes exactly when another connection (a request
  of this process, another process, the command line) committed something since
  this connection last looked. Unchanged, nothing the writer knows can be stale
  (nobody else can write while it holds the write lock); changed, each workshop's
  revision (with its projector key, as a reused id may reach the same revision)
  is read again before its view is used, and the per-participant
  knowledge is dropped and read again on a miss.
- **the writes and the COMMIT run in one OS thread** (a gevent thread pool of one),
  not on the event loop: ``sqlite3`` releases the GIL inside ``sqlite3_step``, so the
  loop serves sockets meanwhile. The connection's automatic checkpoints are off
  (one landing inside a COMMIT took tens of milliseconds); the writer runs PASSIVE
  checkpoints from the same thread instead, in a quiet moment, or after
  ``CHECKPOINT_FORCE`` commits at the latest, so the write-ahead log stays bounded.
  The connection is used by one thread at a time: the writer's greenlet waits for
  the thread's job before it touches the connection again.

The rules (who may vote, which stage is open, what a valid ballot is) stay in
``services.ballots.store_batch``; this module only knows tables, statements,
transactions and what they said last time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from ..models import Ballot, BallotReceipt, Participant
from .ballot_sql import DriverSQL, in_list, statements, upsert
from .ballot_writer import WorkshopView
from .database import db, under_gevent

log = logging.getLogger(__name__)
T = TypeVar("T")

#: after this many commits since the last checkpoint (about 10 pages each for 20 ballots),
#: one runs when the writer is idle for a moment (``BallotWriter.QUIET``)
CHECKPOINT_QUIET = 50
#: ... and after this many, right after the next COMMIT whatever the queue holds: the log
#: stays well under the pool's own automatic checkpoint (database.WAL_AUTOCHECKPOINT)
CHECKPOINT_FORCE = 200
#: per-participant knowledge kept for at most this many participants (then read again)
MAX_KNOWN = 100_000


class _OneThread:
    """One OS thread for the writer's connection under gevent (a gevent ThreadPool of
    one, made at first use: its job runs off the loop and only the waiting greenlet
    waits); the calling thread itself otherwise (tests, the command line), where it
    blocks nobody."""

    def __init__(self) -> None:
        self._pool: Any = None

    def run(self, fn: Callable[[], T]) -> T:
        if self._pool is None:
            if not under_gevent():
                return fn()
            from gevent.threadpool import ThreadPool

            self._pool = ThreadPool(1)

        def job() -> tuple[bool, Any]:
            try:
                return True, fn()
            except BaseException as exc:  # raised in the caller, not printed by the pool
                return False, exc

        done, value = self._pool.apply(job)
        if not done:
            raise value
        result: T = value
        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.kill()
            self._pool = None


#: receipts kept in memory per participant (the latest); older ones are read on a miss
RECENT_RECEIPTS = 16


class _Known:
    """One participant's stored ballots (stage id -> version) and latest receipts (ballot_id ->
    version). A phone re-sends only its latest ballots, so the latest :data:`RECENT_RECEIPTS`
    answer almost every retry from memory; ``complete`` says they are all the participant has
    (a ballot_id not among them is new), otherwise one not among them is looked up. So memory
    does not grow with the ballots a participant casts (every ballot has its own ballot_id)."""

    __slots__ = ("complete", "receipts", "versions")

    def __init__(self) -> None:
        self.versions: dict[int, int] = {}
        self.receipts: dict[str, int] = {}
        self.complete = True

    def remember(self, ballot_id: str, version: int) -> None:
        receipts = self.receipts
        receipts.pop(ballot_id, None)
        receipts[ballot_id] = version
        if len(receipts) > RECENT_RECEIPTS:
            del receipts[next(iter(receipts))]
            self.complete = False


class SqliteBallotStore:
    """The writer's connection and memory; :meth:`batch` is one transaction on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None
        self.thread = _OneThread()
        #: the connection's ``data_version`` when it last looked (None: never)
        self.data_version: int | None = None
        self.views: dict[int, WorkshopView] = {}
        #: workshop id -> the data_version at which its view was last confirmed
        self.confirmed: dict[int, int] = {}
        self.known: dict[int, _Known] = {}
        self.commits_since_checkpoint = 0
        #: transactions and checkpoints run, and the largest WAL a checkpoint met (frames)
        self.commits = 0
        self.checkpoints_run = 0
        self.wal_frames_max = 0
        self._upsert = DriverSQL(upsert("sqlite", version_given=True), sqlite.dialect())
        self._receipt = DriverSQL(statements("sqlite").add_receipts, sqlite.dialect())
        self._lock = threading.Lock()  # one batch at a time (the writer's greenlet)

    def _connection(self) -> Connection:
        if self.conn is None or self.conn.closed or self.conn.invalidated:
            self.conn = self.engine.connect()
            raw = self.raw(self.conn)
            # this connection checkpoints off the loop itself (see checkpoint)
            raw.execute("PRAGMA wal_autocheckpoint=0")
            self.forget()  # data_version is per connection: a new one confirms everything again
        return self.conn

    @staticmethod
    def raw(conn: Connection) -> Any:
        return conn.connection.driver_connection

    def forget(self) -> None:
        """Drop everything known (after a failed batch, or when told to)."""
        self.data_version = None
        self.views.clear()
        self.confirmed.clear()
        self.known.clear()

    @contextmanager
    def batch(self) -> Iterator[SqliteBatch]:
        """One transaction (BEGIN IMMEDIATE on the loop, waiting cooperatively for the
        lock; the writes and COMMIT in the writer's thread); rolled back on any error."""
        with self._lock:
            conn = self._connection()
            trans = conn.begin()
            try:
                batch = SqliteBatch(self, conn)
                with _session_on(conn):
                    yield batch
                batch.finish(trans)
            except BaseException:
                if trans.is_active:
                    try:
                        trans.rollback()
                    except Exception:  # the connection is broken: a fresh one next time
                        log.exception("rolling back the writer's transaction failed")
                        conn.invalidate()
                self.forget()
                raise

    def checkpoint(self) -> None:
        """A PASSIVE checkpoint in the writer's thread (moves what it can of the WAL into
        the database file without waiting for readers or writers)."""
        if self.commits_since_checkpoint == 0 or self.conn is None:
            return
        with self._lock:
            raw = self.raw(self._connection())
            self.thread.run(lambda: self._checkpoint(raw))

    @property
    def checkpoints(self) -> QuietCheckpoints:
        """The writer's housekeeping (``ballot_writer.Housekeeping``): checkpoints when quiet."""
        return QuietCheckpoints(self)

    def _checkpoint(self, raw: Any) -> None:
        _busy, frames, _done = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints_run += 1
        self.commits_since_checkpoint = 0
        self.wal_frames_max = max(self.wal_frames_max, int(frames))

    def close(self) -> None:
        with self._lock:
            if self.conn is not None and not self.conn.closed:
                self.conn.invalidate()  # its pragmas are the writer's: not back into the pool
                self.conn.close()
            self.conn = None
            self.thread.close()
            self.forget()


class QuietCheckpoints:
    """A checkpoint is due after ``CHECKPOINT_QUIET`` commits; the writer runs it when no
    ballot came for a moment (ballots arriving meanwhile wait for it, the loop does not)."""

    def __init__(self, store: SqliteBallotStore) -> None:
        self.store = store

    def due(self) -> bool:
        return self.store.commits_since_checkpoint >= CHECKPOINT_QUIET

    def run(self) -> None:
        self.store.checkpoint()


@contextmanager
def _session_on(conn: Connection) -> Iterator[None]:
    """``db.session`` on the writer's connection and transaction for the batch, so that
    a service reading a row (a stage spec missing from its cache) reads inside it
    instead of waiting for the write lock this transaction holds."""
    registry = db.session.registry
    before = registry() if registry.has() else None
    session = Session(bind=conn, expire_on_commit=False, autoflush=False)
    registry.set(session)
    try:
        yield
    finally:
        session.close()  # leaves the connection's transaction alone (it joined it)
        if before is None:
            registry.clear()
        else:
            registry.set(before)


class SqliteBatch:
    """One transaction on the writer's connection: ``ballot_writer.BallotBatch``'s
    methods, answered from memory where it holds, the writes run at :meth:`finish`."""

    def __init__(self, store: SqliteBallotStore, conn: Connection) -> None:
        self.store = store
        self.conn = conn
        self.raw = store.raw(conn)
        self.dialect = "sqlite"
        version = int(self.raw.execute("PRAGMA data_version").fetchone()[0])
        if version != store.data_version:
            # another connection committed since: views are confirmed again, the rest read again
            store.known.clear()
            store.data_version = version
        self._versions: dict[tuple[int, int], int] = {}  # this batch's (participant, stage) -> version
        self._receipts: dict[tuple[int, str], int] = {}
        self._upserts: list[dict[str, Any]] = []
        self._receipt_rows: list[dict[str, Any]] = []
        self._now_seen: tuple[Any, dict[str, Any]] | None = None

    def _now(self, now: Any) -> dict[str, Any]:
        """The batch's ``now`` as the driver stores it, formatted once (it is one value per batch)."""
        if self._now_seen is None or self._now_seen[0] is not now:
            self._now_seen = (now, {"now": self.store._upsert.process("now", now)})
        return self._now_seen[1]

    def workshop(self, workshop_id: int) -> WorkshopView | None:
        store = self.store
        view = store.views.get(workshop_id)
        if view is not None and store.confirmed.get(workshop_id) == store.data_version:
            return view
        sql = statements("sqlite")
        found = self.conn.execute(sql.revision, {"workshop_id": workshop_id}).first()
        if found is None:
            store.views.pop(workshop_id, None)
            store.confirmed.pop(workshop_id, None)
            return None
        revision, identity = found
        if view is None or view.revision != revision or view.identity != identity:
            rows = self.conn.execute(sql.stages_of, {"workshop_id": workshop_id}).all()
            view = WorkshopView(revision, identity,
                                {key: (stage_id, state) for key, stage_id, state, _by in rows}, {},
                                {key: by for key, _id, _state, by in rows})
            if len(store.views) > 200:
                store.views.clear()
                store.confirmed.clear()
            store.views[workshop_id] = view
        assert store.data_version is not None
        store.confirmed[workshop_id] = store.data_version
        return view

    def token_hashes(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        where, args = in_list("sqlite", ids)
        rows = self.raw.execute(
            f"SELECT id, token_hash FROM {Participant.__tablename__} WHERE id{where}", args).fetchall()  # noqa: S608
        return {int(pid): token for pid, token in rows}

    def _know(self, people: set[int]) -> None:
        """Read the stored versions and receipts of the participants not known yet."""
        known = self.store.known
        missing = sorted(p for p in people if p not in known)
        if not missing:
            return
        if len(known) + len(missing) > MAX_KNOWN:
            known.clear()
            missing = sorted(people)  # those known a moment ago are this batch's too: read again
        where, args = in_list("sqlite", missing)
        found = {pid: _Known() for pid in missing}
        for pid, stage_id, version in self.raw.execute(
                f"SELECT participant_id, stage_id, version FROM {Ballot.__tablename__}"  # noqa: S608
                f" WHERE participant_id{where}", args):
            found[pid].versions[stage_id] = version
        for pid, ballot_id, version in self.raw.execute(
                f"SELECT participant_id, ballot_id, version FROM {BallotReceipt.__tablename__}"  # noqa: S608
                f" WHERE participant_id{where} ORDER BY id", args):
            found[pid].remember(ballot_id, version)
        known.update(found)

    def receipts(self, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
        if not pairs:
            return {}
        self._know({p for p, _ in pairs})
        known = self.store.known
        found: dict[tuple[int, str], int] = {}
        unsure: list[tuple[int, str]] = []
        for p, b in pairs:
            v = known[p].receipts.get(b)
            if v is not None:
                found[(p, b)] = v
            elif not known[p].complete:
                unsure.append((p, b))
        if unsure:  # older than the receipts kept: the database (its unique index) answers
            people, people_args = in_list("sqlite", sorted({p for p, _ in unsure}))
            ids, id_args = in_list("sqlite", sorted({b for _, b in unsure}))
            wanted = set(unsure)
            for pid, ballot_id, version in self.raw.execute(
                    f"SELECT participant_id, ballot_id, version FROM {BallotReceipt.__tablename__}"  # noqa: S608
                    f" WHERE participant_id{people} AND ballot_id{ids}", [*people_args, *id_args]):
                if (pid, ballot_id) in wanted:
                    found[(pid, ballot_id)] = version
        return found

    def upsert(self, rows: list[dict[str, Any]]) -> list[int]:
        """Each ballot's version (the stored one + 1, in order); the rows are written at finish."""
        if not rows:
            return []
        self._know({row["participant_id"] for row in rows})
        known = self.store.known
        versions = []
        for row in rows:
            key = (row["participant_id"], row["stage_id"])
            version = self._versions.get(key) or known[key[0]].versions.get(key[1], 0)
            version += 1
            self._versions[key] = version
            versions.append(version)
            self._upserts.append(self.store._upsert.args({**row, "version": version}, self._now(row["now"])))
        return versions

    def add_receipts(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._receipts[(row["participant_id"], row["ballot_id"])] = row["version"]
            self._receipt_rows.append(self.store._receipt.args(row, self._now(row["now"])))

    def finish(self, trans: Any) -> None:
        """The writes and the COMMIT in the writer's thread; then memory says what was stored."""
        store = self.store
        upserts, receipts, raw = self._upserts, self._receipt_rows, self.raw
        upsert_sql, receipt_sql = store._upsert.sql, store._receipt.sql

        def write_and_commit() -> None:
            if upserts:
                raw.executemany(upsert_sql, upserts)
            if receipts:
                raw.executemany(receipt_sql, receipts)
            trans.commit()
            # Committed: from here nothing may fail the batch (its ballots are stored, and
            # memory must be told so below). A failed checkpoint is tried again later.
            store.commits += 1
            store.commits_since_checkpoint += 1
            if store.commits_since_checkpoint >= CHECKPOINT_FORCE:
                try:
                    store._checkpoint(raw)
                except Exception:
                    log.exception("a checkpoint after the ballot writer's COMMIT failed; tried again later")

        if upserts or receipts:
            store.thread.run(write_and_commit)
        else:
            trans.commit()  # nothing written: no lock worth a thread
        known = store.known
        for (pid, stage_id), version in self._versions.items():
            known[pid].versions[stage_id] = version
        for (pid, ballot_id), version in self._receipts.items():
            known[pid].remember(ballot_id, version)


def store_of(engine: Engine | None) -> SqliteBallotStore | None:
    """A writer store for this engine when it is SQLite (None for other databases)."""
    if engine is None or engine.dialect.name != "sqlite":
        return None
    return SqliteBallotStore(engine)

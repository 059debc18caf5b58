"""The current ballots of each stage, kept in memory for its results (one process).

Every results push used to read every ballot row of its stage back from the
database. Instead, one process keeps per stage its current ballots (participant
-> group, decoded choices, channel; in the order cast, i.e. ballot row id order,
as the database gives them), read from the database on first use, then updated
by the ballot writer right after each COMMIT with exactly the rows that COMMIT
stored (services.ballots.store_batch). The tallies are still computed by
domain.results.stage_results, from these rows instead of the database's.

Exact, or not used:

- Every other change to ballots (paper ballots, voided batches, erasure, deleted
  participants, stages or workshops, edits, scripts) is seen by its SQL
  (storage.changes), and once its transaction has ended, everything kept is
  dropped and read again on next use. So is a phone ballot stored outside the
  writer (store_batch without ``remember``).
- A read that overlapped a change is used for that one answer and not kept,
  unless the only changes were the writer's, which are applied to it again.
- Only when this process stores every ballot: not with a message queue (several
  processes share the database), not without the writer (WORKSHOP_BALLOT_BATCH=0),
  and not with WORKSHOP_RESULTS_MEMORY=0. Then results are read from the database
  every time, as before.
- Bounded: at most MAX_STAGES stages and WORKSHOP_RESULTS_MEMORY ballots (default
  50,000); the stages least recently used are dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app

from ..storage import db
from ..storage.changes import BallotChanges, changes_of

KEY = "ruamkit.ballot_memory"
#: stages kept at most (each one's ballots; the least recently used go first)
MAX_STAGES = 64
#: ballots kept at most, all stages together (WORKSHOP_RESULTS_MEMORY)
DEFAULT_BALLOTS = 50_000

#: (group, decoded choices, channel): what results are computed from
Row = tuple[str | None, Any, str]
#: a ballot as read from the database: (row id, participant id or None, version, group, choices, channel)
LoadedRow = tuple[int, int | None, int, str | None, Any, str]


class StoredRow(Protocol):
    """One phone ballot a writer's COMMIT stored (an upsert: a new ballot or a replacement):
    services.ballots.StoredBallot."""

    @property
    def stage_id(self) -> int: ...

    @property
    def participant_id(self) -> int: ...

    @property
    def group_key(self) -> str | None: ...

    @property
    def choices(self) -> Any: ...

    @property
    def channel(self) -> str: ...

    @property
    def version(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Stored:
    """A StoredRow of its own (tests, tools)."""

    stage_id: int
    participant_id: int
    group_key: str | None
    choices: Any
    channel: str
    version: int


class _StageBallots:
    """One stage's current ballots, by participant (paper ballots: by minus their row id)."""

    __slots__ = ("rows", "versions")

    def __init__(self, loaded: Sequence[LoadedRow]) -> None:
        self.rows: dict[int, Row] = {}
        self.versions: dict[int, int] = {}
        for row_id, participant_id, version, group, choices, channel in loaded:
            key = -row_id if participant_id is None else participant_id
            self.rows[key] = (group, choices, channel)
            self.versions[key] = version

    def apply(self, stored: StoredRow) -> bool:
        """Apply one stored ballot; idempotent (a version already here is skipped). False
        when it cannot be placed (a replacement of a ballot not here: read again)."""
        known = self.versions.get(stored.participant_id)
        if known is None and stored.version != 1:
            return False
        if known is not None and known >= stored.version:
            return True
        # a new ballot comes after every other (its row id is the largest); a replacement
        # keeps its place and its group (the upsert keeps the row and sets neither)
        group = stored.group_key if known is None else self.rows[stored.participant_id][0]
        self.rows[stored.participant_id] = (group, stored.choices, stored.channel)
        self.versions[stored.participant_id] = stored.version
        return True


class BallotMemory:
    """Each stage's current ballots, for one app on one engine (see the module's doc)."""

    def __init__(self, changes: BallotChanges, *, max_ballots: int = DEFAULT_BALLOTS,
                 max_stages: int = MAX_STAGES) -> None:
        self.changes = changes
        self.max_ballots = max_ballots
        self.max_stages = max_stages
        self._lock = threading.Lock()
        self._stages: OrderedDict[int, _StageBallots] = OrderedDict()
        self._generation = changes.generation
        self._count = 0  # ballots kept, all stages
        self._seq = 0  # writer COMMITs applied
        self._loading = 0  # reads from the database under way
        #: the COMMITs applied while reads were under way
        self._log: deque[tuple[int, Sequence[StoredRow]]] = deque()
        #: how many answers came from memory, and how many reads went to the database
        self.hits = 0
        self.reads = 0

    def rows(self, stage_id: int, load: Callable[[int], Sequence[LoadedRow]]) -> list[Row]:
        """The stage's current ballots in the order cast: from memory, or ``load``-ed and kept."""
        with self._lock:
            self._check_generation()
            found = self._stages.get(stage_id)
            if found is not None:
                self._stages.move_to_end(stage_id)
                self.hits += 1
                return list(found.rows.values())
            generation, seq = self._generation, self._seq
            self._loading += 1
            self.reads += 1
        try:
            loaded = load(stage_id)
        except BaseException:
            with self._lock:
                self._done_loading()
            raise
        entry = _StageBallots(loaded)
        with self._lock:
            try:
                if self.changes.generation != generation:
                    return _plain(loaded)  # a change overlapped this read: use it, keep nothing
                # the writer's COMMITs during the read: in it or not, applied again (idempotent)
                missed = [batch for n, batch in self._log if n > seq]
                if len(missed) != self._seq - seq or not all(
                        entry.apply(stored) for batch in missed for stored in batch
                        if stored.stage_id == stage_id):
                    return _plain(loaded)
                self._stages[stage_id] = entry
                self._count += len(entry.rows)
                self._evict()
                return list(entry.rows.values())
            finally:
                self._done_loading()

    def stored(self, batch: Sequence[StoredRow]) -> None:
        """Right after a writer's COMMIT: exactly the ballots it stored, in the order stored."""
        with self._lock:
            self._check_generation()
            self._seq += 1
            if self._loading:
                self._log.append((self._seq, batch))
            for stored in batch:
                entry = self._stages.get(stored.stage_id)
                if entry is None:
                    continue
                before = len(entry.rows)
                if entry.apply(stored):
                    self._count += len(entry.rows) - before
                else:
                    self._drop(stored.stage_id)
            self._evict()

    def kept(self) -> dict[int, int]:
        """Stage id -> ballots kept (tests, diagnostics)."""
        with self._lock:
            self._check_generation()
            return {stage_id: len(entry.rows) for stage_id, entry in self._stages.items()}

    # -- under the lock ----------------------------------------------------
    def _check_generation(self) -> None:
        if self.changes.generation != self._generation:
            self._stages.clear()
            self._count = 0
            self._generation = self.changes.generation

    def _done_loading(self) -> None:
        self._loading -= 1
        if not self._loading:
            self._log.clear()

    def _drop(self, stage_id: int) -> None:
        entry = self._stages.pop(stage_id, None)
        if entry is not None:
            self._count -= len(entry.rows)

    def _evict(self) -> None:
        """The least recently used stages go first (a stage alone above the ceiling too)."""
        while self._stages and (len(self._stages) > self.max_stages or self._count > self.max_ballots):
            self._drop(next(iter(self._stages)))

def _plain(loaded: Sequence[LoadedRow]) -> list[Row]:
    return [(group, choices, channel) for _id, _pid, _version, group, choices, channel in loaded]


def install(app: Flask) -> None:
    """Keep ballots in memory for this app when it stores every ballot (see the module's doc)."""
    limit = int(app.config.get("RESULTS_MEMORY", DEFAULT_BALLOTS))
    if limit <= 0 or app.config.get("MESSAGE_QUEUE") or int(app.config.get("BALLOT_BATCH", 256)) <= 0:
        return
    assert db.engine is not None
    changes = changes_of(db.engine)
    memory = BallotMemory(changes, max_ballots=limit)
    changes.owner = memory  # the engine's memory: the one its writer keeps up to date
    app.extensions[KEY] = memory


def memory() -> BallotMemory | None:
    """The app's memory, when it is the one kept up to date on the database in use."""
    found: BallotMemory | None = current_app.extensions.get(KEY)
    if found is None or db.engine is None or changes_of(db.engine).owner is not found:
        return None
    return found


def changed_elsewhere() -> None:
    """Ballots were stored outside what the memory is told (after that COMMIT): read again."""
    if db.engine is not None:
        changes_of(db.engine).bump()

"""Which transactions on an engine may have changed ballots: seen by their SQL.

The results of a stage are computed from its ballots, which one process may keep
in memory (services.tallies). The ballot writer tells that memory exactly what
each of its COMMITs stored; every other change to ballots must make the memory
read them again. Rather than a call in each service that changes ballots (paper
ballots and batches, erasure, deleting a workshop or a stage, edits, imports,
scripts, migrations), any of which could be forgotten, this watches the SQL the
engine runs: ORM flushes, bulk UPDATE and DELETE, ``text()``, DDL alike.

A statement that writes ``ballots``, or deletes rows whose deletion reaches
ballots through ``ON DELETE`` (stages, participants, paper batches, workshops:
:func:`cascading_tables` reads them from the models), marks its connection.
When a marked connection goes back to the pool, which is after its COMMIT or
ROLLBACK, the engine's :class:`BallotChanges` generation moves on, and memory
kept from an older generation is dropped. Statements run inside :func:`quiet`
(the ballot writer's own batch, whose rows are applied to the memory after its
COMMIT) are not marked.
"""

from __future__ import annotations

import itertools
import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, MetaData, event

#: a marked connection's flag, in its pool record's ``info`` (cleared when it is checked in)
FLAG = "ruamkit.ballots_written"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_WRITES = frozenset({"insert", "update", "delete", "replace", "truncate", "drop", "alter", "merge", "copy"})
_REMOVES = frozenset({"delete", "replace", "truncate", "drop", "alter", "merge"})
_local = threading.local()  # a greenlet's own under gevent (run.py patches threading first)


class BallotChanges:
    """One engine's count of transactions that may have changed ballots.

    ``generation`` moves on after each such transaction has ended; ``owner`` is
    the one memory of this process that the ballot writer keeps up to date (the
    app that created the engine), if any.
    """

    def __init__(self) -> None:
        self.generation = 0
        # next() on a count is atomic: no lock, so that a connection checked in from any
        # thread (the SQLite writer commits in an OS thread) can bump it safely
        self._counter = itertools.count(1)
        self._owner: weakref.ReferenceType[Any] | None = None

    def bump(self) -> None:
        self.generation = next(self._counter)

    @property
    def owner(self) -> Any:
        return None if self._owner is None else self._owner()

    @owner.setter
    def owner(self, value: Any) -> None:
        self._owner = None if value is None else weakref.ref(value)


_ENGINES: weakref.WeakKeyDictionary[Engine, BallotChanges] = weakref.WeakKeyDictionary()


def changes_of(engine: Engine) -> BallotChanges:
    """The engine's BallotChanges (an engine not watched gets one that never moves: watch it)."""
    found = _ENGINES.get(engine)
    if found is None:
        found = _ENGINES[engine] = BallotChanges()
    return found


def cascading_tables(metadata: MetaData, target: str = "ballots") -> tuple[frozenset[str], frozenset[str]]:
    """Tables whose deletion, or whose key update, reaches ``target``'s rows through
    foreign keys (ON DELETE / ON UPDATE CASCADE, SET NULL, SET DEFAULT), directly or
    through other cascades: (on delete, on update)."""

    def closure(action: str) -> frozenset[str]:
        found = {target}
        grew = True
        while grew:
            grew = False
            for table in metadata.tables.values():
                if table.name not in found:
                    continue
                for fk in table.foreign_keys:
                    rule = (getattr(fk, action) or "").upper()
                    # SET NULL changes target's rows only when target holds the key
                    reaches = rule == "CASCADE" or (
                        rule in ("SET NULL", "SET DEFAULT") and table.name == target)
                    parent = fk.column.table.name
                    if reaches and parent not in found:
                        found.add(parent)
                        grew = True
        return frozenset(found - {target})

    return closure("ondelete"), closure("onupdate")


class _Classifier:
    """Whether a statement may change ``ballots`` (cached per statement text)."""

    def __init__(self, removed: frozenset[str], rekeyed: frozenset[str]) -> None:
        self.removed = removed
        self.rekeyed = rekeyed
        self._seen: dict[str, bool] = {}

    def __call__(self, statement: str) -> bool:
        found = self._seen.get(statement)
        if found is None:
            if len(self._seen) > 4000:  # IN lists of many lengths: keep it bounded
                self._seen.clear()
            found = self._seen[statement] = self._classify(statement)
        return found

    def _classify(self, statement: str) -> bool:
        head = statement.lstrip()[:8].upper()
        if head.startswith(("SELECT", "PRAGMA", "SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK",
                            "SHOW", "EXPLAIN")):
            return False
        words = {word.lower() for word in _WORD.findall(statement)}
        if not words & _WRITES:
            return False
        if "ballots" in words:
            return True
        if words & _REMOVES and words & self.removed:
            return True
        return "update" in words and bool(words & self.rekeyed)


def writes_ballots(statement: str) -> bool:
    """Whether ``statement`` may change rows of ``ballots`` (for tests and tools)."""
    return _classifier()(statement)


_CLASSIFIER: list[_Classifier] = []


def _classifier() -> _Classifier:
    if not _CLASSIFIER:
        from ..models import Base

        _CLASSIFIER.append(_Classifier(*cascading_tables(Base.metadata)))
    return _CLASSIFIER[0]


@contextmanager
def quiet() -> Iterator[None]:
    """This greenlet's statements are not marked: the ballot writer's batch, whose
    stored rows the memory is told about after its COMMIT."""
    before = getattr(_local, "quiet", False)
    _local.quiet = True
    try:
        yield
    finally:
        _local.quiet = before


def watch(engine: Engine) -> BallotChanges:
    """Watch ``engine``'s statements (make_engine calls this for every engine)."""
    changes = changes_of(engine)
    classify = _classifier()

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        if classify(statement) and not getattr(_local, "quiet", False):
            conn.info[FLAG] = True

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        if record.info.pop(FLAG, False):
            changes.bump()

    return changes

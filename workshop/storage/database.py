"""The database: one engine and a scoped session per app, SQLite tuned for WAL.

Plain SQLAlchemy 2.x (no Flask-SQLAlchemy): services use ``db.session``; the
session is removed at the end of every request and socket event.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from . import changes

#: SQLite: how long a transaction waits for the write lock before "database is locked"
LOCK_WAIT = 30.0
#: SQLite's own busy wait, in milliseconds, outside gevent (the command line, tests):
#: longer waits are the retry loop's. Under gevent it is none (see busy_ms)
BUSY_MS = 50
#: SQLite: the pool's connections checkpoint inside a COMMIT (on the event loop) only once
#: the write-ahead log holds this many pages (16 MB at 4 KB; SQLite's default is 1,000):
#: a backstop, as the ballot writer checkpoints off the loop long before (storage.sqlite_ballots)
WAL_AUTOCHECKPOINT = 4000


def under_gevent() -> bool:
    """Whether gevent has patched threading (run.py does, first): one OS thread for every greenlet."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return bool(monkey.is_module_patched("threading"))


def busy_ms() -> int:
    """SQLite's own busy wait for the pool's connections, in milliseconds.

    It waits inside C, holding the whole OS thread: under gevent, the event loop and
    every socket of the process, while the holder of the lock (a request, or the
    ballot writer's COMMIT in its own thread) finishes. So under gevent SQLite does
    not wait at all: every path that takes the write lock (``begin_immediate``, each
    transaction's BEGIN; ``checkpoint_wal``) retries with a cooperative sleep. Outside
    gevent (the command line, tests) a short wait in C blocks nobody else.
    """
    return 0 if under_gevent() else BUSY_MS


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def begin_immediate(dbapi_conn: Any, wait: float = LOCK_WAIT) -> None:
    """BEGIN IMMEDIATE on a sqlite3 connection, waiting for the write lock by sleeping.

    SQLite's busy handler waits inside C: under gevent that freezes every greenlet
    of the process, the one holding the lock included. Here SQLite waits at most
    ``busy_ms()`` (none under gevent), and between attempts ``time.sleep`` (a
    cooperative sleep once gevent has patched it) lets the holder finish.
    """
    deadline = time.monotonic() + wait
    delay = 0.002
    while True:
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def checkpoint_wal(dbapi_conn: Any, mode: str = "TRUNCATE", wait: float = 5.0) -> bool:
    """``PRAGMA wal_checkpoint(mode)``, retried with a cooperative sleep while another
    connection keeps it from completing (it would wait in SQLite's busy handler
    otherwise). True when it completed; False when still busy at ``wait``."""
    deadline = time.monotonic() + wait
    delay = 0.002
    while True:
        try:
            busy = dbapi_conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
            busy = 1
        if not busy:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def make_engine(url: str, *, sqlite_synchronous: str = "NORMAL", read_only: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a cooperative wait for the lock and foreign keys.

    ``read_only`` (an export's own process): every statement that would write fails, and a
    SQLite transaction is a plain deferred one, a snapshot that never holds the write lock,
    so that phones' ballots are stored while the export reads.

    Every engine's statements are watched for changes to ballots (storage.changes)."""
    engine = _engine(url, sqlite_synchronous, read_only)
    changes.watch(engine)
    return engine


def _engine(url: str, sqlite_synchronous: str, read_only: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_MS / 1000},
            pool_size=8,
            max_overflow=8,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so that transactions are real.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            # deleted and replaced content is overwritten, not left in free space (erase, PDPA)
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute(f"PRAGMA busy_timeout={busy_ms()}")  # none under gevent: the waits are cooperative
            cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
            if read_only:
                cur.execute("PRAGMA query_only=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if read_only:
                conn.connection.driver_connection.execute("BEGIN")
                return
            # IMMEDIATE: writers queue on the lock at BEGIN instead of failing later.
            begin_immediate(conn.connection.driver_connection)

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if read_only:
        return create_engine(url, pool_pre_ping=True, pool_size=1, max_overflow=0,
                             connect_args={"options": "-c default_transaction_read_only=on"})
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """Holds the engine and the scoped session of one app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory: sessionmaker[Session] | None = None
        # scoped_session takes any session factory; a method lets the engine be bound later
        self.session: scoped_session[Session] = scoped_session(self._make_session)  # type: ignore[arg-type]

    def _make_session(self) -> Session:
        if self._factory is None:
            raise RuntimeError("Database is not bound to an app yet")
        return self._factory()

    def init_app(self, app: Any) -> None:
        self.bind(make_engine(app.config["DATABASE_URL"],
                              sqlite_synchronous=app.config.get("SQLITE_SYNCHRONOUS", "NORMAL")))
        app.teardown_appcontext(self._teardown)

    def _teardown(self, _exc: BaseException | None) -> None:
        """End of an app context: the session it opened, if it opened one, is removed (every
        socket event has its own context: most ask nothing of the database before its writer)."""
        if self.session.registry.has():
            self.session.remove()

    def bind(self, engine: Engine) -> None:
        if self.engine is not None and self.engine is not engine:
            self.session.remove()
            self.engine.dispose()
        self.engine = engine
        self._factory = sessionmaker(bind=engine, expire_on_commit=False)


#: the app's database (bound in create_app); services use ``db.session``
db = Database()

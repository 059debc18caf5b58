"""SQLite under gevent: waiting for the write lock never freezes the process.

SQLite's own busy handler waits inside C. Under gevent every greenlet shares one
thread, so a greenlet waiting there also stops the greenlet that holds the lock,
and the whole server (every phone's socket) stands still until the timeout, then
fails with "database is locked". workshop.storage.database makes SQLite not wait
at all under gevent (briefly elsewhere) and sleeps cooperatively between attempts.
The scenario runs in its own process: gevent must patch the standard library before anything else is imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, sys.argv[1])
    from gevent import monkey; monkey.patch_all()
    import gevent
    from sqlalchemy import text
    from workshop.storage.database import make_engine

    engine = make_engine("sqlite:///" + sys.argv[2])
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    beats, found = [], {}

    def ticker():  # another phone's greenlet: how long does it go unserved?
        for _ in range(30):
            beats.append(time.monotonic())
            gevent.sleep(0.05)

    def holder():  # holds the write lock across a yield (e.g. waiting for the network)
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (1)"))
            gevent.sleep(0.5)

    def waiter():
        gevent.sleep(0.05)
        start = time.monotonic()
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (2)"))
        found["waited"] = time.monotonic() - start

    gevent.joinall([gevent.spawn(f) for f in (ticker, holder, waiter)], timeout=60)
    with engine.connect() as c:
        found["rows"] = c.execute(text("SELECT count(*) FROM t")).scalar()
    found["stall"] = max(b - a for a, b in zip(beats, beats[1:]))
    print(json.dumps(found))
""")


@pytest.mark.slow
def test_a_greenlet_waiting_for_the_lock_does_not_freeze_the_others(tmp_path: Path) -> None:
    script = tmp_path / "scenario.py"
    script.write_text(SCENARIO)
    done = subprocess.run([sys.executable, str(script), str(ROOT), str(tmp_path / "t.db")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["rows"] == 2  # both transactions committed
    assert 0.3 < found["waited"] < 5  # it waited for the holder, then went ahead
    assert found["stall"] < 0.4, found  # the loop kept serving (SQLite's own wait: 30 s)


THREAD_SCENARIO = textwrap.dedent("""
    import json, sqlite3, sys, time
    sys.path.insert(0, sys.argv[1])
    from gevent import monkey; monkey.patch_all()
    import gevent
    from gevent.monkey import get_original
    real_sleep = get_original("time", "sleep")
    from sqlalchemy import text
    from workshop.storage import database
    from workshop.storage.database import begin_immediate, checkpoint_wal, make_engine

    path = sys.argv[2]
    engine = make_engine("sqlite:///" + path)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    found = {"busy_timeout": engine.raw_connection().driver_connection.execute(
        "PRAGMA busy_timeout").fetchone()[0]}
    held = []

    def commit_in_a_thread():  # the ballot writer's COMMIT in its OS thread, on a slow disk
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (1)")
        held.append(1)
        real_sleep(0.3)
        conn.execute("COMMIT")
        conn.close()

    class Timed:  # each BEGIN attempt's own time: SQLite waiting in C would show here
        def __init__(self, conn):
            self.conn, self.times = conn, []
        def execute(self, sql):
            start = time.perf_counter()
            try:
                return self.conn.execute(sql)
            finally:
                self.times.append(time.perf_counter() - start)

    sleeps = []
    real_gevent_sleep = database.time.sleep
    def counted(seconds):
        sleeps.append(seconds)
        real_gevent_sleep(seconds)
    database.time.sleep = counted

    beats = []
    def ticker():
        while True:
            beats.append(time.monotonic())
            gevent.sleep(0.005)
    gevent.spawn(ticker)
    job = gevent.get_hub().threadpool.spawn(commit_in_a_thread)
    while not held:
        gevent.sleep(0.001)
    raw = engine.raw_connection()
    timed = Timed(raw.driver_connection)
    start = time.monotonic()
    begin_immediate(timed)
    found["waited"] = time.monotonic() - start
    raw.driver_connection.execute("INSERT INTO t VALUES (2)")
    raw.driver_connection.execute("COMMIT")
    job.get()
    found["attempts"], found["slowest_attempt"] = len(timed.times), max(timed.times)
    found["cooperative_sleeps"] = len(sleeps)
    during = [b for b in beats if start <= b <= start + found["waited"]]
    found["beats_during"] = len(during)
    # a WAL checkpoint meeting a reader's snapshot: retried cooperatively too, then done
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()
    with engine.begin() as c:
        c.execute(text("INSERT INTO t VALUES (3)"))
    gevent.spawn_later(0.2, lambda: reader.execute("COMMIT"))
    sleeps.clear()
    found["checkpointed"] = checkpoint_wal(raw.driver_connection, "TRUNCATE", wait=5)
    found["checkpoint_sleeps"] = len(sleeps)
    raw.close()
    with engine.connect() as c:
        found["rows"] = c.execute(text("SELECT count(*) FROM t")).scalar()
    print(json.dumps(found))
""")


def test_under_gevent_sqlite_never_waits_in_c_for_a_commit_in_another_thread(tmp_path: Path) -> None:
    """The ballot writer commits in an OS thread: a BEGIN on the loop meanwhile must not wait in
    SQLite's busy handler (the loop frozen up to its timeout each attempt) but fail at once and
    sleep cooperatively; so must a checkpoint. Checked by structure, not by the loop's timing."""
    script = tmp_path / "scenario.py"
    script.write_text(THREAD_SCENARIO)
    done = subprocess.run([sys.executable, str(script), str(ROOT), str(tmp_path / "t.db")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["busy_timeout"] == 0, found
    assert found["rows"] == 3
    assert 0.15 < found["waited"] < 5, found  # it waited for the thread's COMMIT, then went ahead
    assert found["attempts"] >= 3 and found["cooperative_sleeps"] == found["attempts"] - 1, found
    assert found["slowest_attempt"] < 0.03, found  # each attempt returned at once (SQLite's wait: 50 ms)
    assert found["beats_during"] >= 3, found  # the loop served others meanwhile
    assert found["checkpointed"] and found["checkpoint_sleeps"] >= 1, found


def test_outside_gevent_sqlite_keeps_its_own_short_wait(tmp_path: Path) -> None:
    """The command line and tests (no gevent): a short wait in C blocks nobody else."""
    from workshop.storage.database import BUSY_MS, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    raw = engine.raw_connection()
    try:
        assert raw.driver_connection.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_MS > 0
    finally:
        raw.close()
        engine.dispose()

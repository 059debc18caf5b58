"""SQLite under gevent: waiting for the write lock never freezes the process.

SQLite's own busy handler waits inside C. Under gevent every greenlet shares one
thread, so a greenlet waiting there also stops the greenlet that holds the lock,
and the whole server (every phone's socket) stands still until the timeout, then
fails with "database is locked". workshop.storage.database makes SQLite wait only briefly and
sleeps cooperatively between attempts instead. The scenario runs in its own
process: gevent must patch the standard library before anything else is imported.
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

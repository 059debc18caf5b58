"""The SQLite writer's own connection (storage.sqlite_ballots): the same outcomes as a
session's batch, what it keeps in memory never used stale, its COMMIT off the loop."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.factories import Api, stage_entry
from tests.integration.test_ballot_batch import Phone, reused_ids_scenario, voters
from workshop.services.ballots import BallotRequest, store_batch
from workshop.services.errors import BallotRefused
from workshop.storage.sqlite_ballots import SqliteBallotStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the writer's own connection exists on SQLite only


@pytest.fixture
def own(api: Api) -> Iterator[SqliteBallotStore]:
    from workshop.extensions import db

    assert db.engine is not None
    store = SqliteBallotStore(db.engine)
    yield store
    store.close()


def lean(api: Api, own: SqliteBallotStore, requests: list[BallotRequest]) -> list[Any]:
    with api.app.app_context():
        outcomes = store_batch(requests, batch_of=own.batch)
    return [o.code if isinstance(o, BallotRefused) else o for o in outcomes]


def through_a_session(api: Api, requests: list[BallotRequest]) -> list[Any]:
    with api.app.app_context():
        outcomes = store_batch(requests)
    return [o.code if isinstance(o, BallotRefused) else o for o in outcomes]


def test_the_writers_connection_gives_a_sessions_outcomes(api: Api, own: SqliteBallotStore) -> None:
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    a, b, c = voters(api, created["code"], 3)
    gone = Phone(c.id, c.workshop_id, c.group_key, "not-its-token")
    assert lean(api, own, [
        BallotRequest(a, "vision", {"items": ["v1"]}, "a-1"),
        BallotRequest(a, "vision", {"items": ["v2"]}, "a-2"),  # replaces a-1: version 2
        BallotRequest(a, "vision", {"items": ["v1"]}, "a-1"),  # duplicate in the batch: its first ack
        BallotRequest(b, "vision", {"items": ["v9"]}),  # invalid
        BallotRequest(b, "goals", {"dots": {"g1": 1}}),  # stage_closed
        BallotRequest(b, "nope", {"items": ["v1"]}),  # unknown_stage
        BallotRequest(gone, "vision", {"items": ["v3"]}),  # token no longer valid
        BallotRequest(b, "vision", {"items": ["v3"]}, "b-1"),
        BallotRequest(b, "vision", {"items": ["v2"]}),  # no ballot_id: replaces b-1
    ]) == [("vision", 1), ("vision", 2), ("vision", 1), "invalid", "stage_closed", "unknown_stage",
           "not_allowed", ("vision", 1), ("vision", 2)]
    # a later batch: retries answered from memory, versions counted on
    assert lean(api, own, [
        BallotRequest(b, "vision", {"items": ["v1"]}, "b-1"),  # retry: its first version
        BallotRequest(a, "vision", {"items": ["v3"]}, "a-3"),
        BallotRequest(c, "vision", {"items": ["v1"]}, "c-1"),
    ]) == [("vision", 1), ("vision", 3), ("vision", 1)]
    entry = stage_entry(api.results(created["id"]), "vision")
    assert entry["ballots"] == 3
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 1, "v2": 1, "v3": 1}
    # the database says what memory says: a session's batch continues from it
    assert through_a_session(api, [BallotRequest(a, "vision", {"items": ["v1"]}, "a-4"),
                                   BallotRequest(a, "vision", {"items": ["v2"]}, "a-3")]) == [
        ("vision", 4), ("vision", 3)]
    # and stores what a session stores, in the same form (times formatted once per batch)
    from workshop.extensions import db

    assert db.engine is not None
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        forms = {len(t) for (t,) in raw.execute(
            "SELECT created_at FROM ballots UNION ALL SELECT updated_at FROM ballots"
            " UNION ALL SELECT created_at FROM ballot_receipts")}
        assert len(forms) == 1
        assert raw.execute("SELECT count(DISTINCT choices) FROM ballots").fetchone()[0] == 2  # v1, v2


def test_what_the_writer_knows_follows_other_connections(api: Api, own: SqliteBallotStore) -> None:
    """Stages, ballots, receipts and tokens changed by another connection: never used stale."""
    created = api.create_workshop()
    wid = created["id"]
    api.stage(wid, "vision", "open")
    a, b = voters(api, created["code"], 2)
    assert lean(api, own, [BallotRequest(a, "vision", {"items": ["v1"]}, "a-1")]) == [("vision", 1)]
    assert lean(api, own, [BallotRequest(a, "goals", {"dots": {"g1": 1}}, "a-g")]) == ["stage_closed"]

    # ballots stored by another connection (a caller inside its own transaction)
    assert through_a_session(api, [BallotRequest(a, "vision", {"items": ["v2"]}, "a-2"),
                                   BallotRequest(b, "vision", {"items": ["v2"]}, "b-1")]) == [
        ("vision", 2), ("vision", 1)]
    assert lean(api, own, [
        BallotRequest(a, "vision", {"items": ["v2"]}, "a-2"),  # its receipt came from the other connection
        BallotRequest(a, "vision", {"items": ["v3"]}, "a-3"),  # counts on from version 2
        BallotRequest(b, "vision", {"items": ["v1"]}, "b-1"),
    ]) == [("vision", 2), ("vision", 3), ("vision", 1)]

    # stages opened and closed by a request
    api.stage(wid, "vision", "close")
    api.stage(wid, "goals", "open")
    assert lean(api, own, [
        BallotRequest(a, "vision", {"items": ["v1"]}, "a-4"),
        BallotRequest(a, "vision", {"items": ["v3"]}, "a-3"),  # stored before the close: its ack again
        BallotRequest(a, "goals", {"dots": {"g1": 1}}, "a-g"),
    ]) == ["stage_closed", ("vision", 3), ("goals", 1)]

    # erased: every token void, every receipt gone
    assert api.post(f"/api/v1/workshops/{wid}/erase").status_code == 200
    assert lean(api, own, [BallotRequest(b, "goals", {"dots": {"g1": 1}}, "b-g"),
                           BallotRequest(a, "goals", {"dots": {"g1": 1}}, "a-g")]) == ["not_allowed"] * 2

    # the workshop deleted: nobody of it votes
    (c,) = voters(api, api.create_workshop()["code"], 1)
    assert api.delete(f"/api/v1/workshops/{wid}").status_code in (200, 204)
    assert lean(api, own, [BallotRequest(a, "goals", {"dots": {"g1": 1}})]) == ["not_allowed"]
    assert lean(api, own, [BallotRequest(c, "vision", {"items": ["v1"]})]) == ["stage_closed"]


def test_a_workshop_given_a_deleted_ones_id_is_not_taken_for_it(api: Api, own: SqliteBallotStore) -> None:
    """The writer's views are checked after another connection wrote (the delete): by
    revision and projector key, since the new workshop has the old one's id and revision."""
    reused_ids_scenario(api, partial(lean, api, own))


def test_a_failed_write_leaves_memory_as_the_database(api: Api, own: SqliteBallotStore) -> None:
    """A batch that fails at COMMIT time stores nothing and teaches the writer nothing."""
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    (a,) = voters(api, created["code"], 1)
    assert lean(api, own, [BallotRequest(a, "vision", {"items": ["v1"]}, "a-1")]) == [("vision", 1)]
    real = own._upsert.sql
    own._upsert.sql = "INSERT INTO no_such_table VALUES (?)"
    try:
        with pytest.raises(Exception, match="no_such_table"):
            lean(api, own, [BallotRequest(a, "vision", {"items": ["v2"]}, "a-2")])
    finally:
        own._upsert.sql = real
    assert lean(api, own, [BallotRequest(a, "vision", {"items": ["v2"]}, "a-2")]) == [("vision", 2)]
    entry = stage_entry(api.results(created["id"]), "vision")
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 0, "v2": 1, "v3": 0}


def test_a_stage_spec_not_cached_is_read_inside_the_batch(api: Api, own: SqliteBallotStore) -> None:
    """The writer holds the write lock: a service reading a row must read on its connection."""
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    (a,) = voters(api, created["code"], 1)
    api.app.extensions.pop("ruamkit.stage_specs", None)
    assert lean(api, own, [BallotRequest(a, "vision", {"items": ["v1"]}, "a-1")]) == [("vision", 1)]


GEVENT_SCENARIO = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, sys.argv[1])
    from gevent import monkey; monkey.patch_all()
    import gevent
    from gevent.monkey import get_original
    os_thread = get_original("threading", "get_ident")
    real_sleep = get_original("time", "sleep")
    from workshop import create_app
    from workshop.config import TestConfig
    from workshop.services import participants, workshops
    from workshop.services.ballots import BallotRequest, cast_ballot
    from workshop.storage.ballot_writer import writer_of
    from workshop.storage import sqlite_ballots

    app = create_app(TestConfig("sqlite:///" + sys.argv[2], instance=sys.argv[3], ASYNC_MODE="gevent",
                                RUN_MIGRATIONS=True))
    with app.app_context():
        from tests.factories import workshop_object
        from workshop.services import stages
        w = workshops.create_workshop(workshops.parse_definition(workshop_object()))
        stages.open_stage(w.id, "vision")
        people = [participants.join(w.code, "civil")[0] for _ in range(50)]
    loop_thread = os_thread()
    seen = {"commit_threads": set(), "loop_beats_during_commit": 0}
    store = writer_of(app).housekeeping.store
    during = []

    real = store.thread.run
    def spy(fn):
        def wrapped():
            seen["commit_threads"].add(os_thread())
            real_sleep(0.2)  # a slow disk: the loop must go on meanwhile
            return fn()
        start = len(beats)
        out = real(wrapped)
        during.append(len(beats) - start)
        return out
    store.thread.run = spy

    beats = []
    def ticker():
        while True:
            beats.append(time.monotonic())
            gevent.sleep(0.01)
    gevent.spawn(ticker)

    def vote(p, i):
        with app.app_context():
            return cast_ballot(p, "vision", {"items": ["v1"]}, f"id-{i}")
    jobs = [gevent.spawn(vote, p, i) for i, p in enumerate(people)]
    gevent.joinall(jobs, timeout=30)
    print(json.dumps({"loop_thread": loop_thread, "commit_threads": sorted(seen["commit_threads"]),
                      "acks": [j.value for j in jobs], "beats_during": during}))
""")


def test_under_gevent_the_commit_runs_off_the_loop(tmp_path: Path) -> None:
    """The writes and COMMIT run in another OS thread while the loop serves other greenlets."""
    if not (ROOT / "tests" / "factories.py").exists():
        pytest.skip("run from the repository")
    run = subprocess.run([sys.executable, "-c", GEVENT_SCENARIO, str(ROOT), str(tmp_path / "w.db"),
                          str(tmp_path / "instance")], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["acks"] == [["vision", 1]] * 50, found
    assert found["commit_threads"] and found["loop_thread"] not in found["commit_threads"]
    # the loop went on while each batch's COMMIT (held 0.2 s here) ran: up to 20 beats each
    # (fewer on a busy machine); on the loop it would have stood still: none
    assert found["beats_during"] and min(found["beats_during"]) >= 1


def test_checkpoints_run_in_quiet_moments_and_at_the_latest_after_a_bound(
        api: Api, own: SqliteBallotStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer's connection never checkpoints inside a COMMIT by itself; the writer does,
    when no ballot came for a moment or after CHECKPOINT_FORCE commits, so the log stays bounded."""
    import time

    from workshop.storage import sqlite_ballots
    from workshop.storage.ballot_writer import BallotWriter

    monkeypatch.setattr(sqlite_ballots, "CHECKPOINT_QUIET", 3)
    monkeypatch.setattr(sqlite_ballots, "CHECKPOINT_FORCE", 8)
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    phones = voters(api, created["code"], 12)
    writer = BallotWriter(api.app, partial(store_batch, batch_of=own.batch), housekeeping=own.checkpoints)
    writer.QUIET = 0.05
    for i, phone in enumerate(phones[:4]):  # one commit each
        assert writer.cast(BallotRequest(phone, "vision", {"items": ["v1"]}, f"q-{i}")) == ("vision", 1)
    assert own.raw(own._connection()).execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    deadline = time.monotonic() + 5
    while own.checkpoints_run == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert own.checkpoints_run == 1 and own.commits_since_checkpoint == 0  # the quiet one
    assert own.wal_frames_max > 0

    writer.QUIET = 60.0  # never quiet now: only the bound checkpoints
    for i, phone in enumerate(phones):
        writer.cast(BallotRequest(phone, "vision", {"items": ["v2"]}, f"f-{i}"))
    assert own.checkpoints_run == 2 and own.commits_since_checkpoint == 4  # at the 8th commit, then 4 more
    entry = stage_entry(api.results(created["id"]), "vision")
    assert entry["ballots"] == 12
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 0, "v2": 12, "v3": 0}


def stored_in_the_database(api: Api) -> int:
    from workshop.extensions import db

    assert db.engine is not None
    with db.engine.connect() as conn:
        return int(conn.connection.driver_connection.execute("SELECT count(*) FROM ballots").fetchone()[0])


def test_a_checkpoint_failing_after_the_commit_fails_no_batch(
        api: Api, own: SqliteBallotStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once COMMIT returned the ballots are stored: a checkpoint failing right after it (a full
    disk) is logged, the batch's acks and memory stand, and results are the database's."""
    import sqlite3

    from workshop.storage import sqlite_ballots
    from workshop.storage.ballot_writer import BallotWriter

    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    a, b = voters(api, created["code"], 2)
    assert stage_entry(api.results(created["id"]), "vision")["ballots"] == 0  # memory primed

    def disk_full(_raw: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sqlite_ballots, "CHECKPOINT_FORCE", 1)
    monkeypatch.setattr(own, "_checkpoint", disk_full)
    tried: list[int] = []

    def store(requests: list[BallotRequest]) -> list[Any]:
        tried.append(len(requests))
        return store_batch(requests, batch_of=own.batch, remember=True)

    writer = BallotWriter(api.app, store)
    assert writer._store([BallotRequest(a, "vision", {"items": ["v1"]}, "a-1"),
                          BallotRequest(b, "vision", {"items": ["v2"]}, "b-1")]) == [("vision", 1)] * 2
    assert tried == [2]  # one batch, no retry one by one
    assert own.commits_since_checkpoint == 1  # the checkpoint is still due
    assert stored_in_the_database(api) == 2
    entry = stage_entry(api.results(created["id"]), "vision")
    assert entry["ballots"] == 2
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 1, "v2": 1, "v3": 0}


def test_a_batch_failing_after_its_commit_makes_memory_read_again(
        api: Api, own: SqliteBallotStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever fails a batch after its COMMIT, the retry one by one finds the receipts and acks;
    memory, never told of those ballots, reads the database again."""
    from workshop.storage.ballot_writer import BallotWriter

    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    a, b = voters(api, created["code"], 2)
    assert stage_entry(api.results(created["id"]), "vision")["ballots"] == 0  # memory primed
    run = own.thread.run
    failures = [RuntimeError("failed after the COMMIT")]

    def then_fail(fn: Any) -> Any:
        result = run(fn)
        if failures:
            raise failures.pop()
        return result

    monkeypatch.setattr(own.thread, "run", then_fail)
    writer = BallotWriter(api.app, partial(store_batch, batch_of=own.batch, remember=True))
    assert writer._store([BallotRequest(a, "vision", {"items": ["v1"]}, "a-1"),
                          BallotRequest(b, "vision", {"items": ["v2"]}, "b-1")]) == [("vision", 1)] * 2
    assert not failures
    assert stored_in_the_database(api) == 2
    entry = stage_entry(api.results(created["id"]), "vision")
    assert entry["ballots"] == 2
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 1, "v2": 1, "v3": 0}


def test_knowledge_dropped_at_its_cap_is_read_again_for_the_batch(
        api: Api, own: SqliteBallotStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """At MAX_KNOWN the writer forgets everyone: those of the batch it knew a moment before
    are read again with the new ones, and the batch is stored as one."""
    from workshop.storage import sqlite_ballots

    monkeypatch.setattr(sqlite_ballots, "MAX_KNOWN", 2)
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    a, b, c = voters(api, created["code"], 3)
    assert lean(api, own, [BallotRequest(a, "vision", {"items": ["v1"]}, "a-1")]) == [("vision", 1)]
    assert set(own.known) == {a.id}
    assert lean(api, own, [
        BallotRequest(a, "vision", {"items": ["v2"]}, "a-2"),  # known: counts on from version 1
        BallotRequest(b, "vision", {"items": ["v2"]}, "b-1"),
        BallotRequest(c, "vision", {"items": ["v3"]}, "c-1"),
        BallotRequest(a, "vision", {"items": ["v1"]}, "a-1"),  # its receipt, read again: the first ack
    ]) == [("vision", 2), ("vision", 1), ("vision", 1), ("vision", 1)]
    assert stored_in_the_database(api) == 3
    entry = stage_entry(api.results(created["id"]), "vision")
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 0, "v2": 2, "v3": 1}


def test_memory_keeps_a_participants_latest_receipts_and_asks_the_database_for_older(
        api: Api, own: SqliteBallotStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ballot has its own ballot_id, so keeping them all would grow with the ballots
    cast (the 30-minute soak: +54 MB). Memory keeps each participant's latest few; a retry of
    an older one is answered from the database with its first version, and a new one is new,
    also after the writer forgot the participant and read them again."""
    from workshop.storage import sqlite_ballots

    monkeypatch.setattr(sqlite_ballots, "RECENT_RECEIPTS", 3)
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    (a,) = voters(api, created["code"], 1)
    for n in range(1, 7):
        assert lean(api, own, [BallotRequest(a, "vision", {"items": ["v1"]}, f"a-{n}")]) == [("vision", n)]
    assert list(own.known[a.id].receipts) == ["a-4", "a-5", "a-6"] and not own.known[a.id].complete
    assert lean(api, own, [
        BallotRequest(a, "vision", {"items": ["v2"]}, "a-1"),  # older than memory: the database's answer
        BallotRequest(a, "vision", {"items": ["v2"]}, "a-5"),  # in memory
        BallotRequest(a, "vision", {"items": ["v2"]}, "a-7"),  # new
    ]) == [("vision", 1), ("vision", 5), ("vision", 7)]
    own.forget()
    assert lean(api, own, [
        BallotRequest(a, "vision", {"items": ["v1"]}, "a-2"),
        BallotRequest(a, "vision", {"items": ["v3"]}, "a-8"),
    ]) == [("vision", 2), ("vision", 8)]
    assert len(own.known[a.id].receipts) == 3
    assert stored_in_the_database(api) == 1
    entry = stage_entry(api.results(created["id"]), "vision")
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 0, "v2": 0, "v3": 1}

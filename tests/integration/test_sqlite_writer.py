"""The SQLite writer's own connection (storage.sqlite_ballots): the same outcomes as a
session's batch, and what it keeps in memory never used stale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import Api, stage_entry
from tests.integration.test_ballot_batch import Phone, voters
from workshop.services.ballots import BallotRequest, store_batch
from workshop.services.errors import BallotRefused
from workshop.storage.sqlite_ballots import SqliteBallotStore


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

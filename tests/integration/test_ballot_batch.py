"""Group commit: many phone ballots in one transaction, each with its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tests.factories import Api, stage_entry, workshop_object
from workshop.services import participants
from workshop.services.ballots import BallotRequest, Voter, store_batch
from workshop.services.errors import BallotRefused
from workshop.storage.ballot_writer import BallotWriter


@dataclass(frozen=True)
class Phone:
    """What a socket remembers of its participant: any object with these fields is a Voter."""

    id: int
    workshop_id: int
    group_key: str
    token_hash: str
    assisted: bool = False


def voters(api: Api, code: str, n: int) -> list[Voter]:
    with api.app.app_context():
        found = [participants.join(code, "civil")[0] for _ in range(n)]
        return [Phone(p.id, p.workshop_id, p.group_key, p.token_hash) for p in found]


def reused_ids_scenario(api: Api, store: Callable[[list[BallotRequest]], Sequence[Any]]) -> None:
    """The newest workshop deleted, another made that reaches its revision: on SQLite it
    gets the deleted one's id (and stage ids), so caches checked by (id, revision) alone
    would see the old workshop. Its ballot must be acknowledged and stored on its stage."""
    from workshop.extensions import db
    from workshop.models import Ballot, Stage, Workshop
    from workshop.services.workshops import definition_of

    reordered = workshop_object()
    reordered["stages"] = [reordered["stages"][1], reordered["stages"][0], *reordered["stages"][2:]]
    old = api.create_workshop(reordered)  # goals, vision, ...
    api.stage(old["id"], "vision", "open")
    (a,) = voters(api, old["code"], 1)
    assert store([BallotRequest(a, "vision", {"items": ["v2"]}, "a-1")]) == [("vision", 1)]
    assert stage_entry(api.results(old["id"]), "vision")["ballots"] == 1  # the results' caches too
    with api.app.app_context():
        old_revision = db.session.get(Workshop, old["id"]).revision
        old_vision = db.session.scalar(
            select(Stage.id).where(Stage.workshop_id == old["id"], Stage.key == "vision"))
    assert api.delete(f"/api/v1/workshops/{old['id']}").status_code in (200, 204)

    new = api.create_workshop()  # vision, goals, ...: its goals may get the old vision's id
    api.stage(new["id"], "vision", "open")
    with api.app.app_context():
        assert db.session.get(Workshop, new["id"]).revision == old_revision
        ids = dict(db.session.execute(
            select(Stage.key, Stage.id).where(Stage.workshop_id == new["id"])).all())
        if db.engine.dialect.name == "sqlite":  # what makes this test bite (PostgreSQL never reuses ids)
            assert new["id"] == old["id"] and ids["goals"] == old_vision
        keys = [stage.key for stage in definition_of(db.session.get(Workshop, new["id"])).stages]
    assert keys == ["vision", "goals", "projects", "words"]
    (b,) = voters(api, new["code"], 1)
    assert store([BallotRequest(b, "vision", {"items": ["v1"]}, "b-1")]) == [("vision", 1)]
    with api.app.app_context():
        stored = db.session.execute(select(Ballot.stage_id, Ballot.participant_id)).all()
    assert stored == [(ids["vision"], b.id)]
    results = api.results(new["id"])
    vision = stage_entry(results, "vision")
    assert {i["key"]: i["value"] for i in vision["items"]} == {"v1": 1, "v2": 0, "v3": 0}
    assert stage_entry(results, "goals")["ballots"] == 0


def test_a_workshop_given_a_deleted_ones_id_gets_its_own_ballots(api: Api) -> None:
    def through_a_session(requests: list[BallotRequest]) -> list[Any]:
        with api.app.app_context():
            outcomes = store_batch(requests)
        return [o.code if isinstance(o, BallotRefused) else o for o in outcomes]

    reused_ids_scenario(api, through_a_session)


def test_one_batch_mixes_outcomes_like_one_by_one(api: Api) -> None:
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    a, b, c = voters(api, created["code"], 3)
    gone = Phone(c.id, c.workshop_id, c.group_key, "not-its-token")
    requests = [
        BallotRequest(a, "vision", {"items": ["v1"]}, "a-1"),
        BallotRequest(a, "vision", {"items": ["v2"]}, "a-2"),  # replaces a-1: version 2
        BallotRequest(a, "vision", {"items": ["v1"]}, "a-1"),  # retry of a-1: first ack again
        BallotRequest(b, "vision", {"items": ["v9"]}),  # invalid
        BallotRequest(b, "goals", {"dots": {"g1": 1}}),  # stage_closed
        BallotRequest(b, "nope", {"items": ["v1"]}),  # unknown_stage
        BallotRequest(b, 7, {"items": ["v1"]}),  # unknown_stage (not a key)
        BallotRequest(b, "vision", {"items": ["v3"]}, 12),  # bad ballot_id
        BallotRequest(gone, "vision", {"items": ["v3"]}),  # token no longer valid
        BallotRequest(b, "vision", {"items": ["v3"]}, "b-1"),
    ]
    with api.app.app_context():
        outcomes = store_batch(requests)
    codes = [o.code if isinstance(o, BallotRefused) else o for o in outcomes]
    assert codes == [("vision", 1), ("vision", 2), ("vision", 1), "invalid", "stage_closed", "unknown_stage",
                     "unknown_stage", "invalid", "not_allowed", ("vision", 1)]
    entry = stage_entry(api.results(created["id"]), "vision")
    assert entry["ballots"] == 2
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 0, "v2": 1, "v3": 1}

    # a later batch: retries of ballots stored before get their first acknowledgement
    later = [
        BallotRequest(b, "vision", {"items": ["v1"]}, "b-1"),  # retry (stored in the first batch)
        BallotRequest(a, "vision", {"items": ["v3"]}, "a-3"),  # a's third ballot
        BallotRequest(a, "vision", {"items": ["v2"]}, "a-2"),  # retry of a-2
        BallotRequest(c, "vision", {"items": ["v1"]}, "c-1"),  # c's own token this time
    ]
    with api.app.app_context():
        outcomes = store_batch(later)
    assert outcomes == [("vision", 1), ("vision", 3), ("vision", 2), ("vision", 1)]
    entry = stage_entry(api.results(created["id"]), "vision")
    assert entry["ballots"] == 3
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 1, "v2": 0, "v3": 2}


def test_writer_batches_concurrent_ballots_and_acks_each(api: Api) -> None:
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    phones = voters(api, created["code"], 40)
    writer = BallotWriter(api.app, store_batch, max_batch=16)
    sizes: list[int] = []
    original = writer._store

    def spy(requests: list[Any]) -> Any:
        sizes.append(len(requests))
        return original(requests)

    writer._store = spy  # type: ignore[method-assign]
    outcomes: list[Any] = [None] * len(phones)
    start = threading.Barrier(len(phones))

    def vote(i: int) -> None:
        start.wait(timeout=10)
        outcomes[i] = writer.cast(BallotRequest(phones[i], "vision", {"items": [f"v{1 + i % 3}"]}, f"id-{i}"))

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(len(phones))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == [("vision", 1)] * len(phones)
    assert sum(sizes) == len(phones) and max(sizes) <= 16
    assert len(sizes) < len(phones)  # some ballots shared a transaction
    assert stage_entry(api.results(created["id"]), "vision")["ballots"] == len(phones)


def test_a_failing_batch_is_stored_one_by_one(api: Api) -> None:
    """A database error in a batch does not cost the other phones their ballots."""
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    good, bad = voters(api, created["code"], 2)
    real = store_batch

    def flaky(requests: Any) -> Any:
        if any(r.voter.id == bad.id for r in requests):
            raise RuntimeError("disk full")
        return real(requests)

    writer = BallotWriter(api.app, flaky)
    outcomes = writer._store([BallotRequest(good, "vision", {"items": ["v1"]}),
                              BallotRequest(bad, "vision", {"items": ["v2"]})])
    assert outcomes[0] == ("vision", 1)
    assert isinstance(outcomes[1], RuntimeError)
    assert stage_entry(api.results(created["id"]), "vision")["ballots"] == 1


def test_a_caller_inside_a_transaction_does_not_wait_for_the_writer(api: Api) -> None:
    """A script that read something first (an open transaction) still casts at once."""
    from workshop.extensions import db
    from workshop.services import ballots, workshops

    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    (voter,) = voters(api, created["code"], 1)
    with api.app.app_context():
        workshops.get_workshop(created["id"])  # opens a transaction, as scripts do
        assert db.session().in_transaction()
        assert ballots.cast_ballot(voter, "vision", {"items": ["v1"]}) == ("vision", 1)


def test_a_writer_too_busy_to_store_in_time_refuses_with_rate_limited(api: Api) -> None:
    """The writer's timeout (storage) reaches the phone as `rate_limited` (the service's code)."""
    from workshop.services import ballots
    from workshop.storage import ballot_writer

    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    (voter,) = voters(api, created["code"], 1)
    release = threading.Event()

    def stuck(requests: list[Any]) -> list[Any]:
        release.wait(timeout=10)
        return store_batch(requests)

    writer = BallotWriter(api.app, stuck, timeout=0.2)
    ballot_writer.install(api.app, writer)
    try:
        with api.app.app_context():
            try:
                ballots.cast_ballot(voter, "vision", {"items": ["v1"]})
            except BallotRefused as exc:
                assert exc.code == "rate_limited"
            else:
                raise AssertionError("a ballot the writer did not store was acknowledged")
    finally:
        release.set()
    # the late batch is stored all the same; the next ballot waits for it (and its session's end)
    writer.timeout = 30
    assert writer.cast(BallotRequest(voter, "vision", {"items": ["v2"]})) == ("vision", 2)

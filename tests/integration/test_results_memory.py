"""Results from memory (services.tallies) are the results the database gives, always.

The property test drives random sequences of every way ballots change (phone
ballots through the writer and outside it, paper ballots and voided batches,
group changes, stage reopen and reset, word merges, edits, erasure, deleted
participants and workshops, plain SQL) and after each step compares, stage by
stage for all seven methods, the rows and the results computed from memory with
those read from the database. Then: reads that overlap a writer COMMIT or another
change, the memory's ceiling, and the cases where it must not be used at all.
"""

from __future__ import annotations

import copy
import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update

from tests.conftest import make_app, require
from tests.factories import GROUPS, workshop_object
from workshop.models import Ballot, Participant, Stage
from workshop.services import ballots, editing, merges, paper, participants, privacy, results, stages, tallies
from workshop.services.errors import BallotRefused
from workshop.services.workshops import create_workshop, get_workshop, parse_definition
from workshop.storage import db
from workshop.storage.changes import BallotChanges, changes_of, writes_ballots

GROUP_KEYS = [g["key"] for g in GROUPS]
WORDS = ["Park", "park", "PARK", "river", "River", "clean city", "green", "Green market", "trees"]


def seven_methods() -> dict[str, Any]:
    """A workshop with one stage of each method, all shown live."""
    def items() -> list[dict[str, Any]]:
        return [{"key": f"i{n}", "title": f"Item {n}"} for n in range(1, 5)]

    common = {"show_results": "live"}
    return workshop_object(stages=[
        {"key": "single", "kind": "other", "title": "Single", "method": "single", "items": items(), **common},
        {"key": "approval", "kind": "vision", "title": "Approval", "method": "approval", "max_choices": 2,
         "items": items(), **common},
        {"key": "dots", "kind": "goals", "title": "Dots", "method": "dots", "dots": 5, "max_per_item": 3,
         "items": items(), **common},
        {"key": "rank", "kind": "other", "title": "Rank", "method": "rank", "items": items(), **common},
        {"key": "score", "kind": "projects", "title": "Score", "method": "score",
         "criteria": [{"key": "importance", "label": "Importance", "weight": 2},
                      {"key": "feasibility", "label": "Feasibility", "weight": 1}],
         "items": items(), **common},
        {"key": "budget", "kind": "projects", "title": "Budget", "method": "budget", "budget": 10000,
         "items": [{**item, "budget": 2500} for item in items()], **common},
        {"key": "words", "kind": "other", "title": "Words", "method": "words", "max_words": 3, **common},
    ])


def random_choices(rnd: random.Random, key: str, item_keys: list[str]) -> dict[str, Any]:
    if key == "single":
        return {"item": rnd.choice(item_keys)}
    if key == "approval":
        return {"items": rnd.sample(item_keys, rnd.randint(1, 2))}
    if key == "dots":
        first, second = rnd.sample(item_keys, 2)
        return {"dots": {first: rnd.randint(1, 3), second: rnd.randint(0, 2)}}
    if key == "rank":
        return {"order": rnd.sample(item_keys, rnd.randint(1, len(item_keys)))}
    if key == "score":
        return {"scores": {k: {c: rnd.randint(1, 5) for c in rnd.sample(["importance", "feasibility"],
                                                                          rnd.randint(1, 2))}
                           for k in rnd.sample(item_keys, rnd.randint(1, len(item_keys)))}}
    if key == "budget":
        return {"budget": {k: rnd.choice([500, 1000, 2500]) for k in rnd.sample(item_keys, 3)}}
    return {"words": rnd.sample(WORDS, rnd.randint(1, 3))}


@dataclass(frozen=True)
class Phone:
    id: int
    workshop_id: int
    group_key: str
    token_hash: str
    assisted: bool = False


@contextmanager
def from_database(app: Any) -> Iterator[None]:
    """This app without its memory: results read from the database, as with several processes."""
    kept = app.extensions.pop(tallies.KEY)
    try:
        yield
    finally:
        app.extensions[tallies.KEY] = kept


def compare(app: Any, workshop_ids: list[int]) -> int:
    """Rows and results of every stage, from memory and from the database: equal. Stages compared."""
    compared = 0
    for workshop_id in workshop_ids:
        workshop = get_workshop(workshop_id)
        for stage in workshop.stages:
            remembered = results._ballot_rows(stage.id)
            entry = results.stage_entry(workshop, stage)
            with from_database(app):
                stored = results._ballot_rows(stage.id)
                expected = results.stage_entry(workshop, stage)
            assert remembered == stored, (workshop_id, stage.key)
            assert entry == expected, (workshop_id, stage.key)
            compared += 1
    db.session.remove()
    return compared


class Session:
    """The state a random sequence works on: two workshops, their phones, batches and merges."""

    def __init__(self, app: Any, rnd: random.Random) -> None:
        self.app = app
        self.rnd = rnd
        self.obj = seven_methods()
        self.workshops: list[int] = []
        self.phones: dict[int, list[Phone]] = {}
        self.batches: dict[int, list[tuple[str, int]]] = {}
        self.merges: dict[int, list[int]] = {}
        self.extra_items = 0
        for _ in range(2):
            self.new_workshop()

    def new_workshop(self) -> None:
        workshop = create_workshop(parse_definition(copy.deepcopy(self.obj)))
        workshop_id, code = workshop.id, workshop.code
        for stage in workshop.stages:
            stages.open_stage(workshop_id, stage.key)
        self.workshops.append(workshop_id)
        self.phones[workshop_id] = []
        self.batches[workshop_id] = []
        self.merges[workshop_id] = []
        self.join(workshop_id, code, 8)
        db.session.remove()

    def join(self, workshop_id: int, code: str, n: int) -> None:
        for _ in range(n):
            found, _token = participants.join(code, self.rnd.choice(GROUP_KEYS))
            self.phones[workshop_id].append(
                Phone(found.id, found.workshop_id, found.group_key, found.token_hash))

    def item_keys(self, workshop_id: int, key: str) -> list[str]:
        workshop = get_workshop(workshop_id)
        stage = next(s for s in workshop.stages if s.key == key)
        return [item.key for item in stage.items] if key != "words" else []

    def requests(self, n: int) -> list[ballots.BallotRequest]:
        made = []
        for _ in range(n):
            workshop_id = self.rnd.choice(self.workshops)
            if not self.phones[workshop_id]:
                continue
            phone = self.rnd.choice(self.phones[workshop_id])
            key = self.rnd.choice(["single", "approval", "dots", "rank", "score", "budget", "words"])
            keys = ["i1", "i2", "i3", "i4"]
            ballot_id = self.rnd.choice([None, uuid.uuid4().hex, f"{phone.id}-{key}"])  # some retried
            made.append(ballots.BallotRequest(phone, key, random_choices(self.rnd, key, keys), ballot_id))
        return made

    # -- the steps --------------------------------------------------------
    def phone_writer(self) -> None:
        """Phone ballots through the app's writer, from several threads at once (batched)."""
        requests = self.requests(self.rnd.randint(1, 12))
        errors: list[BaseException] = []

        def cast(request: ballots.BallotRequest) -> None:
            with self.app.app_context():
                try:
                    ballots.cast_ballot(request.voter, request.stage_key, request.choices, request.ballot_id)
                except BallotRefused:
                    pass
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)

        threads = [threading.Thread(target=cast, args=(r,)) for r in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors

    def phone_batch(self) -> None:
        """One batch as the writer stores it (the same participant twice in it, often)."""
        ballots.store_batch(self.requests(self.rnd.randint(1, 30)), remember=True)

    def phone_elsewhere(self) -> None:
        """Phone ballots stored outside the writer (a caller inside a transaction)."""
        ballots.store_batch(self.requests(self.rnd.randint(1, 5)))

    def paper_ballots(self) -> None:
        workshop_id = self.rnd.choice(self.workshops)
        key = self.rnd.choice(["single", "approval", "score", "words", "budget"])
        keys = self.item_keys(workshop_id, key) or ["i1"]
        sent = [random_choices(self.rnd, key, keys[:4]) for _ in range(self.rnd.randint(1, 4))]
        stored = ballots.cast_paper_ballots(workshop_id, key, self.rnd.choice(GROUP_KEYS), sent, confirm=True)
        self.batches[workshop_id].append((key, stored["batch_id"]))

    def void_batch(self) -> None:
        workshop_id = self.rnd.choice(self.workshops)
        if self.batches[workshop_id]:
            key, batch_id = self.batches[workshop_id].pop(self.rnd.randrange(len(self.batches[workshop_id])))
            paper.void_batch(workshop_id, batch_id, stage_key=key)

    def group_change(self) -> None:
        """A participant's ballots counted for another group: through the ORM, or one UPDATE."""
        session = db.session()
        row = session.scalar(select(Ballot).where(Ballot.participant_id.is_not(None)).order_by(Ballot.id)
                             .offset(self.rnd.randrange(4)).limit(1))
        if row is None:
            return
        group = self.rnd.choice(GROUP_KEYS)
        if self.rnd.random() < 0.5:
            row.group_key = group
            participant = session.get(Participant, row.participant_id)
            assert participant is not None
            participant.group_key = group
        else:
            session.execute(update(Ballot).where(Ballot.participant_id == row.participant_id)
                            .values(group_key=group))
        session.commit()

    def reopen(self) -> None:
        workshop_id = self.rnd.choice(self.workshops)
        key = self.rnd.choice(["single", "score", "words"])
        stages.close_stage(workshop_id, key)
        stages.open_stage(workshop_id, key)

    def reset_stage(self) -> None:
        """A stage's ballots removed by a script: ORM bulk DELETE, or plain SQL."""
        workshop_id = self.rnd.choice(self.workshops)
        stage_id = db.session.scalar(select(Stage.id).where(
            Stage.workshop_id == workshop_id, Stage.key == self.rnd.choice(["approval", "rank", "words"])))
        if self.rnd.random() < 0.5:
            db.session.execute(delete(Ballot).where(Ballot.stage_id == stage_id))
        else:
            db.session.execute(text("DELETE FROM ballots WHERE stage_id = :stage"), {"stage": stage_id})
        db.session.commit()

    def merge(self) -> None:
        workshop_id = self.rnd.choice(self.workshops)
        if self.merges[workshop_id] and self.rnd.random() < 0.4:
            merges.undo_merge(workshop_id, "words", self.merges[workshop_id].pop())
            return
        sources = self.rnd.sample(WORDS, 2)
        made = merges.merge_entries(workshop_id, "words", sources, self.rnd.choice(WORDS))
        self.merges[workshop_id].append(made["id"])

    def delete_participant(self) -> None:
        workshop_id = self.rnd.choice(self.workshops)
        if self.phones[workshop_id]:
            phone = self.phones[workshop_id].pop(self.rnd.randrange(len(self.phones[workshop_id])))
            found = db.session.get(Participant, phone.id)
            if found is not None:
                db.session.delete(found)
                db.session.commit()

    def edit(self) -> None:
        """PUT of the workshop: items reordered and renamed (how ties rank, what results say),
        and one more stage."""
        workshop_id = self.rnd.choice(self.workshops)
        workshop = get_workshop(workshop_id)
        self.extra_items += 1
        for stage in self.obj["stages"]:
            if stage["key"] in ("single", "rank", "score"):
                stage["items"].reverse()
                stage["items"][0]["title"] = f"Renamed {self.extra_items}"
        obj = copy.deepcopy(self.obj)
        obj["stages"].append({"key": f"extra{self.extra_items}", "kind": "other", "title": "Extra",
                              "method": "approval", "items": [{"key": "e1", "title": "E1"}]})
        editing.edit_workshop(workshop_id, obj, workshop.revision)

    def erase(self) -> None:
        privacy.erase_personal_data(self.workshops[-1])
        self.phones[self.workshops[-1]] = []  # their tokens are gone

    def delete_workshop(self) -> None:
        privacy.delete_workshop(self.workshops.pop())
        self.new_workshop()  # on SQLite it gets the deleted one's id, and its stages the deleted stages' ids

    def join_more(self) -> None:
        workshop_id = self.workshops[0]
        self.join(workshop_id, get_workshop(workshop_id).code, 3)


STEPS = ["phone_writer"] * 6 + ["phone_batch"] * 4 + [
    "phone_elsewhere", "paper_ballots", "paper_ballots", "void_batch", "group_change", "reopen",
    "reset_stage", "merge", "delete_participant", "edit", "erase", "delete_workshop", "join_more"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_results_from_memory_equal_results_from_the_database(app: Any, backend: str, seed: int) -> None:
    if backend == "postgres" and seed != 1:
        pytest.skip("one sequence on PostgreSQL is enough; the three run on SQLite")
    rnd = random.Random(seed)
    with app.app_context():
        memory = tallies.memory()
        assert memory is not None, "one process, no message queue, a writer: results come from memory"
        state = Session(app, rnd)
        compare(app, state.workshops)
        done: dict[str, int] = {}
        kept_through_writer = 0
        for _ in range(45):
            step = rnd.choice(STEPS)
            before = set(memory.kept())
            reads = memory.reads
            getattr(state, step)()
            db.session.remove()
            if step in ("phone_writer", "phone_batch"):
                # the writer's own ballots are applied, not read again
                assert before <= set(memory.kept()), step
                kept_through_writer += 1
            compared = compare(app, state.workshops)
            if step in ("phone_writer", "phone_batch"):
                assert memory.reads == reads, "after the writer's ballots every stage came from memory"
            assert compared >= 14
            done[step] = done.get(step, 0) + 1
        assert memory.hits > 0 and kept_through_writer > 0
        assert len(done) >= 10, done  # most kinds of change met


def test_stored_rows_keep_their_place_and_version() -> None:
    """The writer's rows in the order of row ids: a replacement keeps its place, a new ballot comes
    last; a version already applied (a read that saw the COMMIT) is not applied twice."""
    changes = BallotChanges()
    memory = tallies.BallotMemory(changes)
    loaded = [(1, 10, 1, "civil", {"items": ["a"]}, "hall"), (2, None, 1, "civil", {"items": ["b"]}, "paper"),
              (3, 11, 2, "resident", {"items": ["c"]}, "hall")]
    assert memory.rows(7, lambda _sid: loaded) == [row[3:] for row in loaded]
    memory.stored([tallies.Stored(7, 10, "civil", {"items": ["d"]}, "online", 2),
                   tallies.Stored(7, 12, "private", {"items": ["e"]}, "hall", 1),
                   tallies.Stored(7, 11, "resident", {"items": ["old"]}, "hall", 2),  # already there
                   tallies.Stored(8, 10, "civil", {"items": ["x"]}, "hall", 1)])  # a stage not kept
    assert memory.rows(7, lambda _sid: pytest.fail("read again")) == [
        ("civil", {"items": ["d"]}, "online"), ("civil", {"items": ["b"]}, "paper"),
        ("resident", {"items": ["c"]}, "hall"), ("private", {"items": ["e"]}, "hall")]
    assert memory.kept() == {7: 4}
    # a replacement of a ballot it never saw: it cannot place it, so the stage is read again
    memory.stored([tallies.Stored(7, 13, "civil", {"items": ["f"]}, "hall", 3)])
    assert memory.kept() == {}


def test_a_read_overlapping_commits() -> None:
    """The writer COMMITs during a read: applied to what was read, whether the read saw it or not.
    Any other change during a read: what was read is the answer, and nothing is kept."""
    changes = BallotChanges()
    memory = tallies.BallotMemory(changes)
    first = tallies.Stored(1, 20, "civil", {"items": ["a"]}, "hall", 1)
    second = tallies.Stored(1, 21, "civil", {"items": ["b"]}, "hall", 1)

    def saw_first(_stage_id: int) -> list[tallies.LoadedRow]:
        memory.stored([first])
        memory.stored([second])  # committed after the read's snapshot: not in what it returns
        return [(5, 20, 1, "civil", {"items": ["a"]}, "hall")]

    assert memory.rows(1, saw_first) == [("civil", {"items": ["a"]}, "hall"),
                                         ("civil", {"items": ["b"]}, "hall")]
    assert memory.kept() == {1: 2}

    def changed_meanwhile(_stage_id: int) -> list[tallies.LoadedRow]:
        changes.bump()  # e.g. a paper batch voided while this was read
        return [(9, None, 1, "civil", {"items": ["p"]}, "paper")]

    assert memory.rows(2, changed_meanwhile) == [("civil", {"items": ["p"]}, "paper")]
    assert memory.kept() == {}  # the bump dropped stage 1 too, and stage 2 was not kept


def test_memory_is_bounded() -> None:
    memory = tallies.BallotMemory(BallotChanges(), max_ballots=5, max_stages=2)

    def rows_of(n: int) -> Any:
        return lambda _sid: [(i, i, 1, "civil", {"items": ["a"]}, "hall") for i in range(1, n + 1)]

    memory.rows(1, rows_of(2))
    memory.rows(2, rows_of(2))
    memory.rows(1, rows_of(2))  # 1 used last
    memory.rows(3, rows_of(2))  # three stages: 2, the least recently used, goes
    assert memory.kept() == {1: 2, 3: 2}
    memory.rows(4, rows_of(4))  # 8 ballots > 5: the oldest go until it fits
    assert memory.kept() == {4: 4}
    memory.rows(5, rows_of(6))  # above the ceiling alone: answered, not kept
    assert memory.kept() == {}


def test_which_statements_change_ballots() -> None:
    changing = [
        "INSERT INTO ballots (stage_id, participant_id) VALUES (?, ?)",
        "UPDATE ballots SET group_key=? WHERE ballots.participant_id = ?",
        "DELETE FROM ballots WHERE ballots.batch_id = ?",
        "DELETE FROM stages WHERE stages.id = ?",
        "DELETE FROM participants WHERE participants.id = ?",
        "DELETE FROM paper_batches WHERE paper_batches.id = ?",
        "DELETE FROM workshops WHERE workshops.id = ?",
        '  delete from "workshops" where id = 1',
        "WITH gone AS (DELETE FROM ballots WHERE stage_id = 1 RETURNING id) SELECT count(*) FROM gone",
        "TRUNCATE stages, ballots CASCADE",
        "DROP TABLE ballots",
        "ALTER TABLE ballots ADD COLUMN weight INTEGER",
    ]
    unchanged = [
        "SELECT ballots.id FROM ballots WHERE ballots.stage_id = ?",
        "SELECT workshops.id FROM workshops WHERE workshops.id = ? FOR UPDATE",
        "INSERT INTO participants (workshop_id, token_hash) VALUES (?, ?)",
        "INSERT INTO ballot_receipts (participant_id, ballot_id) VALUES (?, ?)",
        "UPDATE stages SET state=?, opened_at=? WHERE stages.id = ?",
        "UPDATE workshops SET revision=(workshops.revision + ?) WHERE workshops.id = ?",
        "UPDATE participants SET token_hash=? WHERE participants.id = ?",
        "DELETE FROM join_tokens WHERE join_tokens.workshop_id = ?",
        "DELETE FROM comments WHERE comments.workshop_id = ?",
        "PRAGMA wal_checkpoint(TRUNCATE)",
    ]
    assert [s for s in changing if not writes_ballots(s)] == []
    assert [s for s in unchanged if writes_ballots(s)] == []


def test_a_change_made_elsewhere_is_read_once_its_transaction_ends(app: Any) -> None:
    """A paper ballot added in one session while another reads: not seen before its COMMIT,
    seen right after (the memory drops what it kept when the transaction ends)."""
    with app.app_context():
        workshop = create_workshop(parse_definition(seven_methods()))
        workshop_id = workshop.id
        stages.open_stage(workshop_id, "single")
        stage_id = next(s.id for s in get_workshop(workshop_id).stages if s.key == "single")
        db.session.remove()
        memory = tallies.memory()
        assert memory is not None
        assert memory.rows(stage_id, results._stored_ballots) == []
        generation = changes_of(db.engine).generation
        session = db.session()
        session.add(Ballot(stage_id=stage_id, participant_id=None, group_key="civil",
                           choices={"item": "i1"}, source="paper", channel="paper"))
        session.flush()
        assert changes_of(db.engine).generation == generation  # not before the transaction ends
        session.commit()
        assert changes_of(db.engine).generation > generation
        assert results._ballot_rows(stage_id) == [("civil", {"item": "i1"}, "paper")]
        db.session.remove()


def _behind_the_back(app: Any, stage_id: int) -> None:
    """A ballot stored by another process: a connection this process does not watch."""
    from sqlalchemy import create_engine

    url = app.config["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    other = create_engine(url)
    with other.begin() as conn:
        conn.execute(text(
            "INSERT INTO ballots (stage_id, participant_id, group_key, choices, source, channel, version,"
            " created_at, updated_at) VALUES (:stage, NULL, 'civil', :choices, 'paper', 'paper', 1,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                     {"stage": stage_id, "choices": '{"item": "i2"}'})
    other.dispose()


def _one_ballot_then_another_process(app: Any) -> tuple[int, int]:
    """Ballots through the app, results read (and kept, when there is a memory), then one ballot
    stored by another process: (stage id, ballots the app's results count now)."""
    with app.app_context():
        workshop = create_workshop(parse_definition(seven_methods()))
        stages.open_stage(workshop.id, "single")
        phone, _token = participants.join(workshop.code, "civil")
        voter = Phone(phone.id, phone.workshop_id, phone.group_key, phone.token_hash)
        workshop_id = workshop.id
        db.session.remove()
        ballots.cast_ballot(voter, "single", {"item": "i1"}, "b-1")
        workshop = get_workshop(workshop_id)
        stage = next(s for s in workshop.stages if s.key == "single")
        assert results.stage_entry(workshop, stage)["ballots"] == 1
        stage_id = stage.id
        db.session.remove()
    _behind_the_back(app, stage_id)
    with app.app_context():
        workshop = get_workshop(workshop_id)
        stage = next(s for s in workshop.stages if s.key == "single")
        counted = results.stage_entry(workshop, stage)["ballots"]
        db.session.remove()
    return stage_id, counted


def test_one_process_keeps_what_it_read(app: Any) -> None:
    """The counterpart of the next two tests: on one process the memory is used (so a ballot
    written behind its back, which one process never has, is not seen)."""
    with app.app_context():
        assert tallies.memory() is not None
    _stage_id, counted = _one_ballot_then_another_process(app)
    assert counted == 1


def test_with_a_message_queue_results_are_read_from_the_database(database_url: str, tmp_path: Path) -> None:
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2).ping()
    except redis.RedisError:
        require(False, "Redis is not reachable at 127.0.0.1:6379")
    app = make_app(database_url, tmp_path / "instance", MESSAGE_QUEUE="redis://127.0.0.1:6379/0",
                   MESSAGE_QUEUE_CHANNEL=f"ruamkit-test-{uuid.uuid4().hex[:8]}")
    try:
        with app.app_context():
            assert tallies.memory() is None
            assert tallies.KEY not in app.extensions
        _stage_id, counted = _one_ballot_then_another_process(app)
        assert counted == 2  # the other process's ballot counts at once
    finally:
        db.session.remove()
        if db.engine is not None:
            db.engine.dispose()


def test_without_the_writer_results_are_read_from_the_database(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path / "instance", BALLOT_BATCH=0)
    try:
        with app.app_context():
            assert tallies.memory() is None
        assert _one_ballot_then_another_process(app)[1] == 2
    finally:
        db.session.remove()
        if db.engine is not None:
            db.engine.dispose()


def test_results_memory_off(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path / "instance", RESULTS_MEMORY=0)
    try:
        assert _one_ballot_then_another_process(app)[1] == 2
    finally:
        db.session.remove()
        if db.engine is not None:
            db.engine.dispose()

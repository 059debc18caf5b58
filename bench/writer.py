"""The ballot writer alone: what one batch costs, without sockets (issue 17, items 2b and 2c).

    python -m bench.writer                          # 2,000 participants, batches of 32, SQLite
    python -m bench.writer --participants 4000 --batch 64
    python -m bench.writer --database postgresql://postgres@127.0.0.1:5432/postgres

A fresh database (a SQLite file in a temporary directory, or a fresh PostgreSQL database
created and dropped on the server of an admin URL), the load workshop
(`bench/load/scenarios/workshop.yaml`), its approval stage open, and `--participants`
joined. Then three rounds: every participant's first ballot, then two replacements, each
round in batches of `--batch`, each batch given to the installed writer's `_store` as the
writer greenlet gives it (app context, store_batch, COMMIT). One process, no gevent, no
sockets: CPU time is the process's own, so the figures hold up better than latencies on
a busy machine. Per round: CPU ms per ballot; wall ms per batch (p50 / p95 / max); on
SQLite the share of each batch spent in the writes and the COMMIT, the part that runs in
the writer's own OS thread under gevent (off the event loop). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORKSHOP = ROOT / "bench" / "load" / "scenarios" / "workshop.yaml"


@dataclass(frozen=True)
class Phone:
    """What a socket remembers of its participant (a services.ballots.Voter)."""

    id: int
    workshop_id: int
    group_key: str
    token_hash: str
    assisted: bool = False


def _database(url: str | None, tmp: Path) -> tuple[str, Any]:
    """The database URL to use, and how to drop it afterwards."""
    if not url:
        return f"sqlite:///{tmp / 'writer.db'}", lambda: None
    from sqlalchemy import create_engine, text

    name = f"bench_writer_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        from workshop.extensions import db

        if db.engine is not None:
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.rsplit("/", 1)[0] + "/" + name, drop


def run(participants: int, batch: int, database: str | None) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from workshop import create_app
    from workshop.config import TestConfig
    from workshop.services import participants as joining
    from workshop.services import stages, workshops
    from workshop.services.ballots import BallotRequest
    from workshop.storage import ballot_writer

    try:  # the SQLite writer's thread, when there is one: the writes and COMMIT it runs
        from workshop.storage import sqlite_ballots

        thread_run = sqlite_ballots._OneThread.run
    except (ImportError, AttributeError):
        sqlite_ballots, thread_run = None, None
    in_thread = [0.0]
    if sqlite_ballots is not None and thread_run is not None:
        def timed(self: Any, fn: Any) -> Any:
            start = time.perf_counter()
            try:
                return thread_run(self, fn)
            finally:
                in_thread[0] += time.perf_counter() - start

        sqlite_ballots._OneThread.run = timed  # type: ignore[method-assign]

    with tempfile.TemporaryDirectory(prefix="bench-writer-") as tmp_name:
        tmp = Path(tmp_name)
        url, drop = _database(database, tmp)
        try:
            app = create_app(TestConfig(url, instance=tmp / "instance", ASYNC_MODE="threading",
                                        RUN_MIGRATIONS=True))
            with app.app_context():
                definition = workshops.parse_definition_text(WORKSHOP.read_text(), WORKSHOP.name)
                created = workshops.create_workshop(definition)
                stages.open_stage(created.id, "vision")
                phones = [Phone(p.id, p.workshop_id, p.group_key, p.token_hash)
                          for p in (joining.join(created.code, "civil")[0] for _ in range(participants))]
            writer = ballot_writer.writer_of(app)
            assert writer is not None, "WORKSHOP_BALLOT_BATCH=0: no writer to measure"
            rounds = []
            for round_no in range(3):
                walls: list[float] = []
                in_thread[0] = 0.0
                cpu = time.process_time()
                for start in range(0, participants, batch):
                    requests = [
                        BallotRequest(phone, "vision", {"items": [f"v{1 + (start + i + round_no) % 5}"]},
                                      f"r{round_no}-{start + i}")
                        for i, phone in enumerate(phones[start:start + batch])
                    ]
                    began = time.perf_counter()
                    outcomes = writer._store(requests)
                    walls.append(time.perf_counter() - began)
                    if not all(isinstance(o, tuple) and o[1] == round_no + 1 for o in outcomes):
                        raise SystemExit(f"unexpected outcomes in round {round_no}: {outcomes[:3]}")
                cpu = time.process_time() - cpu
                walls.sort()
                rounds.append({
                    "round": round_no,
                    "cpu_ms_per_ballot": round(1000 * cpu / participants, 4),
                    "batch_wall_ms": [round(1000 * walls[len(walls) // 2], 2),
                                      round(1000 * walls[int(0.95 * len(walls))], 2),
                                      round(1000 * walls[-1], 2)],
                    "writes_and_commit_share": round(in_thread[0] / sum(walls), 3) if in_thread[0] else None,
                })
        finally:
            drop()
    return {"database": url.split(":", 1)[0], "participants": participants, "batch": batch, "rounds": rounds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--database", help="a PostgreSQL admin URL (a fresh database is made there); "
                                           "default: a SQLite file")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.participants, args.batch, args.database)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

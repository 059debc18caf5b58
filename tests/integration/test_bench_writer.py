"""The writer benchmark runs (bench/writer.py, tiny sizes): every round stores every ballot
with the version it should have. Speed is measured by the benchmark, never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_writer_benchmark_runs_at_tiny_size(backend: str, postgres_database: str | None) -> None:
    if backend == "postgres" and postgres_database is None:
        pytest.skip("PostgreSQL is not reachable")
    args = ["--participants", "40", "--batch", "8"]
    if backend == "postgres":
        args += ["--database", PG_ADMIN_URL]
    done = subprocess.run([sys.executable, "-m", "bench.writer", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["participants"] == 40 and len(result["rounds"]) == 3
    for r in result["rounds"]:
        assert r["cpu_ms_per_ballot"] > 0 and len(r["batch_wall_ms"]) == 3
        # the SQLite writer's writes and COMMIT go through its thread; PostgreSQL's writer has none
        assert (r["writes_and_commit_share"] is not None) == (backend == "sqlite")

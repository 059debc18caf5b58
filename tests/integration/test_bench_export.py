"""bench.export runs end to end at a tiny size (it broke once unnoticed when stage
definitions became typed: `make bench` then stopped after the load scenarios)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_export_benchmark_runs_and_writes_its_results(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.export", "--items", "6", "--participants", "30",
         "--comments", "10", "--runs", "1", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads((tmp_path / "export.json").read_text(encoding="utf-8"))
    assert result["workshop"]["items"] >= 6
    assert result["workshop"]["participants"] == 30
    assert result["workshop"]["ballots"] > 0
    assert result["pdf"]["runs"] and (tmp_path / "export.md").read_text(encoding="utf-8").startswith("#")

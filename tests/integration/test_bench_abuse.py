"""The abuse benchmark's scenarios run (bench/abuse, `--quick`: tiny sizes, a real server).

Speed is measured by the benchmark, never asserted here: this checks that every scenario
ran its honest phones and its attack, and that each attack met the server's answer the
finding's fix promises (5 sockets per participant, 408 for half-sent headers, 400 for
deep bodies, `invalid` for deep packets, 429 for the second export, ...)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_abuse_scenario_runs_at_tiny_size(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bench.abuse", "--quick", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads((tmp_path / "abuse.json").read_text())
    got = {r["key"]: r for r in result["scenarios"]}
    assert list(got) == ["words", "signin", "body", "halfsent", "sockets", "deep", "flood", "export"]
    for r in got.values():
        for phase in ("without", "with"):
            assert r[phase]["acked"] > 0 and r[phase]["errors"] == 0, (r["key"], phase, r[phase])
        assert r["p95_ratio"] is not None
    attack = {k: r["attack"] for k, r in got.items()}
    assert attack["words"]["answers"] == {"ok": attack["words"]["ballots_sent"]} != {}
    assert got["words"]["with"]["watcher_bytes_per_min"] > 0
    assert got["words"]["with"]["watcher_largest_message"] < 16 * 1024 + 16  # the budget, + the event name
    assert set(attack["signin"]["statuses"]) <= {"401", "429"} and attack["signin"]["requests"] > 0
    assert set(attack["body"]["statuses"]) == {"422"}
    assert attack["halfsent"]["closed_by_server"] > 0
    assert set(attack["halfsent"]["answers"]) <= {"408", "closed"}
    sockets = attack["sockets"]
    assert sockets["accepted"] == 5 and sockets["refused"] == sockets["attempts"] - 5
    assert set(attack["deep"]["socket_answers"]) == {"invalid"}
    assert set(attack["deep"]["http_statuses"]) == {"400"}
    assert attack["deep"]["socket_still_connected"]
    assert attack["flood"]["answers"].get("rate_limited", 0) > 0 and attack["flood"]["still_connected"]
    assert attack["export"]["status"] == 200 and attack["export"]["second_export"]["status"] == 429
    report = (tmp_path / "abuse.md").read_text()
    assert report.count("| pass |") + report.count("| FAIL |") == 8

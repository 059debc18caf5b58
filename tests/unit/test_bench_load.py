"""The load benchmark's own arithmetic (bench/load): the soak's memory figures, its compact
records and receipts check, and the judging of targets. No server: made-up inputs whose
answers are known."""

from __future__ import annotations

import array
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from bench.load import audit, report, soak
from bench.load.ballots import bits, compact_id, parse_compact_id
from bench.load.phones import Compact

PREFIX = 0x0123456789ABCDEF


def test_compact_ids_carry_worker_and_sequence_and_are_version_4_uuids() -> None:
    for worker, seq in [(0, 0), (1, 539_999), (65_535, 2**32 - 1)]:
        bid = compact_id(PREFIX, worker, seq)
        assert uuid.UUID(bid).version == 4
        assert parse_compact_id(bid, PREFIX) == (worker, seq)
        assert parse_compact_id(bid, PREFIX + 1) is None  # another phase's prefix
    assert parse_compact_id(str(uuid.uuid4()), PREFIX) is None
    assert parse_compact_id("not a uuid", PREFIX) is None
    with pytest.raises(ValueError):
        compact_id(PREFIX, 2**16, 0)


def test_compact_tally_keeps_counts_current_ballot_and_first_records_only() -> None:
    tally = Compact(total=10)
    # phone 1's first ballot on "a", retried: both copies version 1
    tally.add(1, "a", "b0", {"items": ["x"]}, 0, "retry", 10.0,
              [(10.0, 10.004, True, 1, None), (10.01, 10.012, True, 1, None)], first=True)
    # its second ballot, a duplicate answered with two versions: a mismatch
    tally.add(1, "a", "b1", {"items": ["y"]}, 1, "duplicate", 11.0,
              [(11.0, 11.005, True, 2, None), (11.0, 11.006, True, 3, None)], first=False)
    # phone 2: refused
    tally.add(2, "a", "b2", {"items": ["z"]}, 2, "normal", 12.0,
              [(12.0, 12.1, False, None, "rate_limited")], first=True)
    s = tally.summary()
    assert (s["sent"], s["copies"], s["acked"]) == (3, 2, 2)
    assert s["errors"] == {"rate_limited": 1} and s["timeouts"] == 0
    assert s["mismatch"] == {"retry": 0, "duplicate": 1}
    assert bits(s["acked_bits"]) == 2 and s["acked_bits"][0] == 0b011
    assert [(p, st, v, b) for p, st, v, b, _c, _t in s["current"]] == [(1, "a", 3, "b1")]
    assert [r[2] for r in s["first_records"]] == ["b0", "b0", "b2"]  # every copy of a first ballot
    lat = array.array("f")
    lat.frombytes(s["latency_ms"])
    assert len(lat) == 4 and lat[0] == pytest.approx(4.0, abs=0.01)
    assert s["t_first_send"] == 10.0 and s["t_last_ack"] == 11.006


def samples(rss: list[float], t0: float = 1000.0, every: float = 0.25) -> list[tuple[float, float, float]]:
    return [(t0 + i * every, 50.0, r) for i, r in enumerate(rss)]


def test_soak_marks_scale_with_the_run() -> None:
    assert soak.marks(1800) == (300, 60)  # the 5 minutes, RSS every minute
    assert soak.marks(120) == (20, 4)  # a shortened soak reads the same way


def test_rss_at_is_the_median_of_the_last_seconds_and_the_ratio_end_over_baseline() -> None:
    # 100 MB for 10 s, then one 500 MB spike, then 110 MB
    data = samples([100.0] * 40 + [500.0] + [110.0] * 40)
    assert soak.rss_at(data, 1009.9) == 100.0
    assert soak.rss_at(data, 1020.0) == 110.0  # the spike is one reading of twenty
    assert soak.rss_at(data, 999.0) is None  # before the first sample
    assert soak.ratio(110.0, 100.0) == 1.1
    assert soak.ratio(None, 100.0) is None and soak.ratio(110.0, 0.0) is None


def test_soak_figures_take_the_baseline_at_5_minutes_of_30() -> None:
    t0 = 1000.0
    # server RSS grows 0.1 MB a second: 230 MB at 300 s, 380 MB at 1,800 s
    server = [(t0 + t, 40.0, 200.0 + 0.1 * t) for t in range(0, 1801)]
    generator = [(t0 + t, 20.0, 130.0) for t in range(0, 1801)]
    t_send = array.array("d", [t0 + t for t in range(0, 1800)])
    latency = array.array("f", [5.0 if t < 1500 else 50.0 for t in range(0, 1800)])
    summary = {"t_send": t_send.tobytes(), "latency_ms": latency.tobytes()}
    got = soak.figures([summary], server, generator, t0, t0 + 1800.0, 1800,
                       gc_log=[(t0 - 5, 80.0, 10), (t0 + 60, 20.0, 5), (t0 + 120, 30.0, 0)])
    assert got["baseline_s"] == 300 and got["step_s"] == 60
    assert got["server_rss_baseline_mb"] == pytest.approx(229.8, abs=0.3)
    assert got["server_rss_end_mb"] == pytest.approx(379.8, abs=0.3)
    assert got["server_rss_ratio"] == pytest.approx(379.8 / 229.8, abs=0.005)
    assert got["generator_rss_ratio"] == 1.0
    assert len(got["server_rss_mb"]) == 31 and got["server_rss_mb"][0][0] == 0
    assert got["server_rss_mb"][-1][0] == 1800
    assert [w["from_s"] for w in got["ack_windows"]] == [0, 300, 600, 900, 1200, 1500]
    assert [w["n"] for w in got["ack_windows"]] == [300] * 6
    assert got["ack_windows"][0]["p95"] == 5.0 and got["ack_windows"][-1]["p95"] == 50.0
    assert got["gc"]["full_collections"] == 2  # the one at start-up is outside the run
    assert got["gc"]["ms"]["max"] == 30.0


def run_with_soak(ratio: float | None) -> dict[str, Any]:
    phase = {"name": "soak", "ack_ms": {"p95": 10.0}, "final_tally_lag_ms": 200.0,
             "soak": {"server_rss_ratio": ratio, "baseline_s": 300.0}}
    return {"scenario": "soak", "errors": 0, "phases": [phase],
            "audit": {"lost": 0, "double_counted": 0, "ok": True},
            "config": {"targets": {"ack_p95_ms": 100, "rss_growth_max": 1.2}}}


@pytest.mark.parametrize(("ratio", "passed"), [(1.05, True), (1.2, True), (1.21, False), (None, False)])
def test_the_soak_is_judged_on_its_rss_ratio(ratio: float | None, passed: bool) -> None:
    check = next(c for c in report.judge(run_with_soak(ratio)) if c["check"].startswith("server RSS"))
    assert check["pass"] is passed and check["kind"] == "target"
    assert check["target"] == "<= 1.2"


def test_compact_receipts_find_duplicates_missing_and_unexplained(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE stages (id INTEGER PRIMARY KEY, workshop_id INTEGER);"
                       "CREATE TABLE ballot_receipts (stage_id INTEGER, ballot_id TEXT);"
                       "INSERT INTO stages VALUES (1, 7), (2, 8);")
    # worker 0 acknowledged 0, 1, 2; worker 1 acknowledged 0
    acked = [[bytes([0b0111]), bytes([0b0001])]]
    rows = [compact_id(PREFIX, 0, 0), compact_id(PREFIX, 0, 1), compact_id(PREFIX, 0, 1),  # 1 twice
            compact_id(PREFIX, 1, 0), compact_id(PREFIX, 0, 3),  # 3 was never acknowledged
            str(uuid.uuid4())]  # not ours
    conn.executemany("INSERT INTO ballot_receipts VALUES (1, ?)", [(r,) for r in rows])
    conn.execute("INSERT INTO ballot_receipts VALUES (2, ?)", (compact_id(PREFIX, 0, 2),))  # other workshop
    conn.commit()
    conn.close()
    got = audit.compact_receipts(f"sqlite:///{db}", 7, [PREFIX], acked)
    assert got == {"receipt_duplicates": 1, "acked_without_receipt": 1, "unexplained_receipts": 2}
    result = {"ok": True, "double_counted": 0, "retry_version_mismatch": 0,
              "duplicate_version_mismatch": 0, "client_timeouts": 0}
    audit.merge_compact(result, got, {"retry": 0, "duplicate": 0, "timeouts": 0})
    assert result["double_counted"] == 1 and result["ok"] is False


# -- issue 17's interleaved rounds against the durable reference ----------------------------
def burst_run(target: str, rnd: int, acks: dict[str, tuple[float, float, float]],
              invocation: str = "2026-12-05T08:00:00+00:00") -> dict[str, Any]:
    phases = [{"name": name, "ack_ms": dict(zip(("p50", "p95", "p99"), q)),
               "machine": {"others_cpu_avg": 0.0}} for name, q in acks.items()]
    return {"scenario": "burst" if target == "ruamkit" else "durable", "target": target, "round": rnd,
            "rounds": 3, "invocation": invocation, "started": f"{invocation}#{rnd}", "phases": phases,
            "durable_writer": {"ballots_per_commit": 1.5}}


def test_durable_rounds_take_the_median_of_each_side_and_the_ratio_of_medians() -> None:
    own = {1: (5, 20, 80), 2: (4, 60, 140), 3: (6, 30, 100)}  # medians 5 / 30 / 100
    ref = {1: (1, 10, 90), 2: (2, 25, 50), 3: (1, 40, 70)}  # medians 1 / 25 / 70
    runs = {}
    for k in (1, 2, 3):
        a = burst_run("ruamkit", k, {"approval": own[k], "score": (5, 10, 10)})
        b = burst_run("durable", k, {"approval": ref[k], "score": (5, 10, 10)})
        runs[report.run_key(a)], runs[report.run_key(b)] = a, b
    assert sorted(runs) == ["burst", "burst#2", "burst#3", "durable", "durable#2", "durable#3"]
    got = report.durable_rounds(runs)
    assert got is not None and got["same_run"] and got["rounds"] == 3
    approval = got["phases"][0]
    assert approval["ruamkit_median"] == {"p50": 5, "p95": 30, "p99": 100}
    assert approval["durable_median"] == {"p50": 1, "p95": 25, "p99": 70}
    assert approval["ratio"] == {"p50": 5.0, "p95": 1.2, "p99": 1.43}
    assert approval["pass"] == {"p95": True, "p99": True} and approval["passed"]
    assert [r["round"] for r in approval["rounds"]] == [1, 2, 3]
    assert got["phases"][1]["ratio"]["p95"] == 1.0 and got["judged"] and got["passed"]
    # one phase over 1.5 at p99 fails the comparison
    runs["burst#3"]["phases"][0]["ack_ms"]["p99"] = 200  # RuamKit p99s 80, 140, 200: median 140
    failed = report.durable_rounds(runs)
    assert failed is not None and failed["phases"][0]["ratio"]["p99"] == 2.0
    assert failed["phases"][0]["pass"] == {"p95": True, "p99": False} and not failed["passed"]
    md = "\n".join(report.durable_markdown(failed))
    assert "FAIL (p99)" in md and "3 interleaved rounds in the same" in md


def test_durable_rounds_of_different_runs_compare_the_latest_of_each_and_say_so() -> None:
    a = burst_run("ruamkit", 1, {"approval": (5, 20, 40)}, invocation="2026-12-05T07:00:00+00:00")
    b = burst_run("durable", 1, {"approval": (1, 10, 20)}, invocation="2026-12-05T08:00:00+00:00")
    got = report.durable_rounds({"burst": a, "durable": b})
    assert got is not None and not got["same_run"] and got["rounds"] == 1
    assert got["phases"][0]["ratio"] == {"p50": 5.0, "p95": 2.0, "p99": 2.0}
    assert "NOT from the same" in "\n".join(report.durable_markdown(got))
    assert not got["judged"] and not got["passed"]
    assert report.durable_rounds({"burst": a}) is None


def test_fewer_than_three_rounds_are_shown_but_not_judged() -> None:
    a = burst_run("ruamkit", 1, {"approval": (5, 20, 40)})
    b = burst_run("durable", 1, {"approval": (1, 20, 40)})
    got = report.durable_rounds({"burst": a, "durable": b})
    assert got is not None and got["same_run"] and not got["judged"]
    assert got["phases"][0]["passed"] and not got["passed"]  # within 1.5, but one round settles nothing
    md = "\n".join(report.durable_markdown(got))
    assert "not judged (pass in 1 round;" in md and "| PASS |" not in md


def test_a_new_run_retires_the_older_rounds(tmp_path: Path) -> None:
    old = [burst_run(t, k, {"approval": (1, 2, 3)}, invocation="2026-12-05T07:00:00+00:00")
           for k in (1, 2, 3) for t in ("ruamkit", "durable")]
    for r in old:
        r.update(errors=0, audit={"ok": True, "lost": 0, "double_counted": 0}, config={}, phones=2000,
                 servers=1, database="sqlite", phases=[])  # what is kept, not the figures
    report.write(tmp_path, old)
    new = dict(old[0], invocation="2026-12-05T09:00:00+00:00")
    new.pop("round")
    report.write(tmp_path, [new])
    import json

    doc = json.loads((tmp_path / "load.json").read_text())
    # burst's rounds 2 and 3 of the older run are gone; durable's wait for its own new run
    assert sorted(doc["runs"]) == ["burst", "durable", "durable#2", "durable#3"]
    assert doc["runs"]["burst"]["invocation"] == "2026-12-05T09:00:00+00:00"


def test_burst_and_durable_interleave_where_burst_stood() -> None:
    from bench.__main__ import interleave

    class Sc:
        def __init__(self, name: str) -> None:
            self.name = name

    todo = [Sc(n) for n in ("burst", "steady", "reference", "durable", "scaleout")]
    order = [(sc.name, k) for sc, k in interleave(todo, 3)]
    assert order == [("burst", 1), ("durable", 1), ("burst", 2), ("durable", 2), ("burst", 3),
                     ("durable", 3), ("steady", None), ("reference", None), ("scaleout", None)]
    assert [k for _sc, k in interleave(todo, 1)] == [None] * 5
    assert [sc.name for sc, _k in interleave(todo[:3], 3)] == ["burst", "steady", "reference"]

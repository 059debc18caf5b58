"""bench/results/load.json and load.md: every scenario's figures, targets, pass or fail."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil


def machine() -> dict[str, Any]:
    node = shutil.which("node")
    node_version = None
    if node:
        try:
            node_version = subprocess.run([node, "--version"], capture_output=True, text=True,
                                          timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            node_version = None
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "node": node_version,
        "os": f"{platform.system()} {platform.release()}",
    }


def git_state() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "workshop", "run.py"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"commit": head, "server_files_changed": len(dirty)}


def run_key(run: dict[str, Any]) -> str:
    if run.get("config", {}).get("sizes"):
        return f"{run['scenario']}@{run['phones']}"
    return str(run["scenario"])


def judge(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets of a run, each with its measured value and pass/fail."""
    targets = run.get("config", {}).get("targets", {})
    checks: list[dict[str, Any]] = []
    phases = run.get("phases", [])

    def add(name: str, target: str, value: Any, passed: bool, kind: str = "correctness") -> None:
        checks.append({"check": name, "target": target, "value": value, "pass": bool(passed),
                       "kind": kind})

    add("runs to the end", "no failure", run.get("failure", "ok"), "failure" not in run)
    add("errors (join, connect, ballot)", "0", run.get("errors"), run.get("errors") == 0)
    audit = run.get("audit", {})
    add("lost ballots", "0", audit.get("lost"), audit.get("lost") == 0)
    add("double-counted ballots", "0", audit.get("double_counted"), audit.get("double_counted") == 0)
    add("audit: database, results API, projector agree with the acks", "agree",
        "agree" if audit.get("ok") else "; ".join(
            (audit.get("results_api_problems") or []) + (audit.get("projector_problems") or [])
            + (audit.get("examples") or []))[:300] or "disagree",
        bool(audit.get("ok")))
    if "ack_p95_ms" in targets:
        worst = max((p["ack_ms"]["p95"] for p in phases if p["ack_ms"]["p95"] is not None), default=None)
        add("ack p95 (worst phase)", f"< {targets['ack_p95_ms']:g} ms", worst,
            worst is not None and worst < targets["ack_p95_ms"], "target")
    if "final_tally_lag_ms" in targets:
        lags = [p.get("final_tally_lag_ms") for p in phases]
        worst = None if not lags or any(v is None for v in lags) else max(lags)
        add("projector shows the final tally after the last ack (worst phase)",
            f"<= {targets['final_tally_lag_ms']:g} ms", worst if worst is not None else "never",
            worst is not None and worst <= targets["final_tally_lag_ms"], "target")
    return checks


def _f(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    runs: dict[str, Any] = doc["runs"]
    out = [
        "# RuamKit load benchmark: last results",
        "",
        f"Written by `make bench` (`python -m bench`) on {doc['date']}, server code at commit "
        f"{doc.get('git', {}).get('commit', '?')}"
        + (f" with {doc['git']['server_files_changed']} uncommitted file(s) in workshop/"
           if doc.get("git", {}).get("server_files_changed") else "") + ". "
        f"Machine: {m['cores']} cores, {m['ram_gb']} GB RAM, {m['cpu']}, {m['os']}, "
        f"Python {m['python']}, Node.js {m.get('node') or 'absent'}. The generator and the "
        "server(s) share this machine. See bench/README.md for what each figure means.",
        "",
        "## Summary",
        "",
        "| run | target | phones | servers | pass | errors | lost | double | ack p95 ms (worst) "
        "| final tally lag ms (worst) | server CPU avg % | server peak RSS MB | date |",
        "|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for key, run in runs.items():
        checks = judge(run)
        phases = run.get("phases", [])
        p95 = max((p["ack_ms"]["p95"] for p in phases if p["ack_ms"]["p95"] is not None), default=None)
        lags = [p.get("final_tally_lag_ms") for p in phases]
        lag = None if not lags or any(v is None for v in lags) else max(lags)
        cpus = [p["server"]["cpu_avg"] for p in phases if p.get("server", {}).get("cpu_avg") is not None]
        audit = run.get("audit", {})
        servers = f"{run['servers']} × {run['database']}" + (" + redis" if run.get("message_queue") else "")
        out.append(
            f"| {key} | {run['target']} | {_f(run['phones'])} | {servers} | "
            f"{'PASS' if all(c['pass'] for c in checks) else 'FAIL'} | {_f(run.get('errors'))} | "
            f"{_f(audit.get('lost'))} | {_f(audit.get('double_counted'))} | {_f(p95, 1)} | "
            f"{_f(lag, 1)} | {_f(max(cpus) if cpus else None, 0)} | "
            f"{_f(run.get('resources', {}).get('server_peak_rss_mb'), 0)} | {run.get('started', '')[:10]} |")
    out += ["", "## Phases", "",
            "| run | phase | sent | acked | errors | ack p50 / p95 / p99 / max ms | ballots/s "
            "| projector lag p50 / p95 / p99 ms | final tally lag ms | state fan-out p95 ms "
            "| server CPU avg / max % | generator CPU avg % | generator loop lag p99 ms "
            "| other processes CPU avg % |",
            "|---|---|---:|---:|---:|---|---:|---|---|---:|---|---:|---:|---:|"]
    for key, run in runs.items():
        for p in run.get("phases", []):
            a, pl = p["ack_ms"], p["projector_lag_ms"]
            errs = _f(p["errors"]) + (f" ({', '.join(f'{k}: {v}' for k, v in p['errors_by_code'].items())})"
                                      if p["errors"] else "")
            out.append(
                f"| {key} | {p['name']} ({', '.join(p['stages'])}) | {_f(p['sent'])} | {_f(p['acked'])} | "
                f"{errs} | {_f(a['p50'], 0)} / {_f(a['p95'], 0)} / {_f(a['p99'], 0)} / {_f(a['max'], 0)} | "
                f"{_f(p['ballots_per_s'], 0)} | "
                f"{_f(pl['p50'], 0)} / {_f(pl['p95'], 0)} / {_f(pl['p99'], 0)} | "
                f"{_f(p['final_tally_lag_ms'], 0)} | {_f(p['state_fanout_ms']['p95'], 0)} | "
                f"{_f(p['server']['cpu_avg'], 0)} / {_f(p['server']['cpu_max'], 0)} | "
                f"{_f(p['generator']['cpu_avg'], 0)} | {_f(p['generator_loop_lag_ms']['p99'], 0)} | "
                f"{_f(p.get('machine', {}).get('others_cpu_avg'), 0)} |")
    busy = [(key, p["name"], p["machine"]["others_cpu_avg"]) for key, run in runs.items()
            for p in run.get("phases", []) if ((p.get("machine") or {}).get("others_cpu_avg") or 0) > 25]
    if busy:
        out += ["", "**Warning: the machine was not quiet.** Processes outside the benchmark used CPU "
                "during " + ", ".join(f"{k}/{n} ({c:.0f} % of a core)" for k, n, c in busy)
                + "; latencies of those phases are inflated. Re-run on a quiet machine."]
    out += ["", "## Joining", "",
            "| run | phones | joined | connected | join errors | connect errors | over s "
            "| join p95 ms | connect p95 ms | server CPU avg % |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, run in runs.items():
        j = run.get("join")
        if j:
            out.append(f"| {key} | {_f(j['phones'])} | {_f(j['joined'])} | {_f(j['connected'])} | "
                       f"{_f(j['join_errors'])} | {_f(j['connect_errors'])} | {_f(j['seconds'], 1)} | "
                       f"{_f(j['join_ms']['p95'], 0)} | {_f(j['connect_ms']['p95'], 0)} | "
                       f"{_f(j['server']['cpu_avg'], 0)} |")

    ref, own = runs.get("reference"), runs.get("burst")
    if ref and own and ref.get("phases") and own.get("phases"):
        out += ["", "## RuamKit against the reference (bench/reference, Node.js socket.io, in memory)", "",
                "Same generator, same burst scenario. Throughput ratio = RuamKit / reference "
                "(aim: >= 0.5); latency ratio = RuamKit / reference (lower is better).", "",
                "| phase | RuamKit ballots/s | reference ballots/s | throughput ratio "
                "| RuamKit ack p95 ms | reference ack p95 ms | latency ratio (p95) | aim met |",
                "|---|---:|---:|---:|---:|---:|---:|---|"]
        for po, pr in zip(own["phases"], ref["phases"]):
            tr = po["ballots_per_s"] / pr["ballots_per_s"] if pr["ballots_per_s"] else None
            lr = (po["ack_ms"]["p95"] / pr["ack_ms"]["p95"]
                  if po["ack_ms"]["p95"] and pr["ack_ms"]["p95"] else None)
            out.append(f"| {po['name']} | {_f(po['ballots_per_s'], 0)} | {_f(pr['ballots_per_s'], 0)} | "
                       f"{_f(tr, 2)} | {_f(po['ack_ms']['p95'], 0)} | {_f(pr['ack_ms']['p95'], 0)} | "
                       f"{_f(lr, 1)} | {'yes' if tr is not None and tr >= 0.5 else 'no'} |")
        out += ["", "A burst schedules every ballot within the spread, so when both servers keep up "
                "the throughput ratio is about 1 and the latency ratio tells the difference."]

    scale = [(k, r) for k, r in runs.items() if r.get("message_queue") and r.get("phases")]
    if scale:
        out += ["", "## Scale-out: Redis traffic against audience size", "",
                "Messages counted by a pattern subscriber on Redis during the voting window "
                "(stage open to the projector's final tally); commands = `INFO stats` "
                "total_commands_processed delta over the voting window.", "",
                "| run | phones | servers | phase | acked | ballots/s | Redis messages | messages/s "
                "| messages per ballot | Redis commands | projector (on the last process) final lag ms "
                "| server CPU avg % (both) | PostgreSQL + Redis CPU avg % |",
                "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for key, run in scale:
            for p in run["phases"]:
                r = p.get("redis", {})
                out.append(f"| {key} | {_f(run['phones'])} | {run['servers']} | {p['name']} | "
                           f"{_f(p['acked'])} | {_f(p['ballots_per_s'], 0)} | {_f(r.get('messages'))} | "
                           f"{_f(r.get('messages_per_s'), 1)} | {_f(r.get('messages_per_ballot'), 3)} | "
                           f"{_f(r.get('commands_processed'))} | {_f(p['final_tally_lag_ms'], 0)} | "
                           f"{_f(p['server']['cpu_avg'], 0)} | "
                           f"{_f((p.get('services') or {}).get('cpu_avg'), 0)} |")

    out += ["", "## Targets", ""]
    for key, run in runs.items():
        out += [f"### {key}", "", "| check | target | measured | result |", "|---|---|---|---|"]
        for c in judge(run):
            value = c["value"] if not isinstance(c["value"], float) else f"{c['value']:.1f}"
            out.append(f"| {c['check']} | {c['target']} | {value} | {'pass' if c['pass'] else 'FAIL'} |")
        if run.get("failure"):
            out.append(f"\nFailure: `{run['failure']}`")
        audit = run.get("audit", {})
        if audit:
            out.append(
                f"\nAudit: {_f(audit.get('acknowledged_current'))} current acknowledged ballots; "
                f"database {_f(audit.get('db_phone_ballots'))} phone ballots; "
                f"unacknowledged stored {_f(audit.get('unacknowledged_stored'))}; "
                f"retry / duplicate version mismatches {_f(audit.get('retry_version_mismatch'))} / "
                f"{_f(audit.get('duplicate_version_mismatch'))}; "
                f"receipt duplicates {_f(audit.get('receipt_duplicates'))}.")
        out.append("")
    return "\n".join(out) + "\n"


def write(out_dir: Path, runs: list[dict[str, Any]]) -> tuple[Path, Path]:
    """Merge these runs into load.json (a run replaces the older run of the same key)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "load.json", out_dir / "load.md"
    doc: dict[str, Any] = {"runs": {}}
    if json_path.exists():
        try:
            doc = json.loads(json_path.read_text())
        except ValueError:
            doc = {"runs": {}}
    doc["machine"] = machine()
    doc["git"] = git_state()
    doc["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    for run in runs:
        run["checks"] = judge(run)
        run["pass"] = all(c["pass"] for c in run["checks"])
        doc.setdefault("runs", {})[run_key(run)] = run
    order = ["burst", "steady", "reference"]
    doc["runs"] = dict(sorted(doc["runs"].items(), key=lambda kv: (
        order.index(kv[0]) if kv[0] in order else 9, kv[1].get("scenario", ""), kv[1].get("phones", 0))))
    json_path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    md_path.write_text(markdown(doc))
    return json_path, md_path

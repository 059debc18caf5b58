"""Runs one scenario end to end: servers, phones, projectors, phases, audit, teardown.

The harness process holds the projector clients (python-socketio AsyncClient, auth
``{"projector": KEY}``) and drives the generator processes (bench.load.phones)
through pipes. Every wait is bounded; the scenario has an overall deadline after which
everything it started is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import random
import shutil
import sys
import time
import uuid
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import audit as audit_mod
from . import soak as soak_mod
from .ballots import bits, random_choices
from .phones import ACK_TIMEOUT, raise_nofile, worker_main
from .scenario import WORKSHOP_FILE, Phase, Scenario, workshop_definition
from .servers import Durable, Installed, RedisCounter, Reference, RuamKit, Sampler, Target, service_pids
from .stats import ms, percentiles

ROOT = Path(__file__).resolve().parents[2]
TMP = ROOT / "bench" / "results" / "tmp"


def log(msg: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


# -- projectors ------------------------------------------------------------------------
class Projector:
    """A projector client: keeps (time, stage, ballots, item values) of every `results`."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.key = key
        self.events: list[tuple[float, str, int, dict[str, Any]]] = []
        self.last: dict[str, dict[str, Any]] = {}
        self.sio: Any = None
        self.disconnects = 0

    async def connect(self) -> None:
        import socketio

        self.sio = socketio.AsyncClient(reconnection=True, reconnection_attempts=20, reconnection_delay=0.5,
                                         reconnection_delay_max=2, handle_sigint=False)

        @self.sio.on("results")
        def _results(data: Any) -> None:
            t = time.monotonic()
            if isinstance(data, dict) and "key" in data:
                values = {i["key"]: i.get("value") for i in data.get("items", [])}
                self.events.append((t, data["key"], int(data.get("ballots", 0)), values))
                self.last[data["key"]] = data

        @self.sio.event
        def disconnect(*_a: Any) -> None:
            self.disconnects += 1

        await asyncio.wait_for(self.sio.connect(self.url, auth={"projector": self.key},
                                                transports=["websocket"], wait_timeout=30), 40)

    def count(self, stage: str) -> int:
        return max((b for _t, s, b, _v in self.events if s == stage), default=0)

    async def close(self) -> None:
        if self.sio is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.sio.disconnect(), 5)


# -- generator processes ---------------------------------------------------------------
class Workers:
    def __init__(self, count: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conns = []
        self.procs = []
        for wid in range(count):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child, wid), daemon=True,
                               name=f"bench-phones-{wid}")
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def send_each(self, kind: str, bodies: list[Any]) -> None:
        for conn, body in zip(self.conns, bodies):
            conn.send((kind, body))

    def send_all(self, kind: str, body: Any) -> None:
        self.send_each(kind, [body] * len(self.conns))

    async def receive_all(self, expect: str, timeout: float) -> list[Any]:
        loop = asyncio.get_running_loop()

        async def one(conn: Any) -> Any:
            kind, body = await loop.run_in_executor(None, conn.recv)
            if kind != expect:
                raise RuntimeError(f"generator sent {kind}, expected {expect}")
            return body

        return list(await asyncio.wait_for(asyncio.gather(*(one(c) for c in self.conns)), timeout))

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.send_all("stop", None)
            await self.receive_all("stopped", 30)
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        for conn in self.conns:
            conn.close()


# -- ballots the phones will send --------------------------------------------------------
def make_plan(phase: Phase, phones: list[int], stages: dict[str, Any], sc: Scenario,
              rng: random.Random) -> list[tuple[Any, ...]]:
    """(phone, offset s, stage, choices, ballot_id, mode) for every ballot of the phase."""

    def mode() -> str:
        r = rng.random()
        if r < sc.duplicate_fraction:
            return "duplicate"
        return "retry" if r < sc.duplicate_fraction + sc.retry_fraction else "normal"

    def ballot_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    plan = []
    if phase.kind == "burst":
        for key in phase.stages:
            for phone in phones:
                plan.append((phone, rng.uniform(0, phase.spread), key,
                             random_choices(stages[key], rng), ballot_id(), mode()))
    else:
        for i in range(int(phase.rate * phase.duration)):
            key = rng.choice(phase.stages)
            plan.append((rng.choice(phones), i / phase.rate, key, random_choices(stages[key], rng),
                         ballot_id(), mode()))
    return plan


# -- figures of a phase --------------------------------------------------------------------
def projector_lags(records: list[tuple[Any, ...]], first_ids: set[str], stage: str, baseline: int,
                   events: list[tuple[float, str, int, dict[str, Any]]]) -> list[tuple[int, float]]:
    """For each ballot that adds a voter, ack -> first `results` whose count includes it (s).

    Ballot k (k-th such acknowledgement of the stage, in ack order) is included in an
    event whose ``ballots`` >= baseline + k. A value < 0 means the projector had it
    before the phone got its acknowledgement.
    """
    acks = sorted((r[6], r[0]) for r in records
                  if r[1] == stage and r[3] == "normal" and r[7] and r[2] in first_ids)
    evs = sorted((t, b) for t, s, b, _v in events if s == stage)
    lags = []
    j = 0
    running: list[tuple[float, int]] = []
    top = 0
    for t, b in evs:
        top = max(top, b)
        running.append((t, top))
    for k, (t_ack, phone) in enumerate(acks, start=1):
        while j < len(running) and running[j][1] < baseline + k:
            j += 1
        if j == len(running):
            break  # never shown: counted as missing by the caller
        lags.append((phone, running[j][0] - t_ack))
    return lags


def final_tally_lag(events: list[tuple[float, str, int, dict[str, Any]]], stage: str, count: int,
                    values: dict[str, Any], t_last_ack: float) -> float | None:
    """Last acknowledgement -> first `results` event showing exactly the final tally (s)."""
    for t, s, b, got in sorted(events, key=lambda e: e[0]):
        if s == stage and b == count and all(audit_mod._close(got.get(k), v) for k, v in values.items()):
            return t - t_last_ack
    return None


# -- one run ---------------------------------------------------------------------------
def start_profiler(pid: int, out: Path, seconds: float) -> Any:
    """py-spy (if installed) records a server process during a phase: collapsed stacks, idle included."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        log("--profile: py-spy is not installed (pip install py-spy): no profile")
        return None
    import subprocess

    return subprocess.Popen([spy, "record", "--pid", str(pid), "--idle", "--nonblocking", "--rate", "200",
                             "--format", "raw", "--duration", str(max(1, round(seconds))), "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarize_profile(path: Path, top: int = 25) -> list[tuple[str, float]]:
    """Share of samples in which each function is on the stack (inclusive), from collapsed stacks."""
    total = 0
    inclusive: Counter[str] = Counter()
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        for frame in set(stack.split(";")):
            inclusive[frame] += n
    return [(frame, round(100.0 * n / total, 1)) for frame, n in inclusive.most_common(top)] if total else []


async def wait_quiet(max_wait: float, limit: float = 50.0) -> dict[str, Any]:
    """Wait (at most max_wait s) until other processes use < limit % of a core."""
    import psutil

    cores = psutil.cpu_count() or 1
    t0 = time.monotonic()
    psutil.cpu_percent(None)
    busy = 0.0
    while True:
        await asyncio.sleep(2.0)
        busy = psutil.cpu_percent(None) * cores
        waited = time.monotonic() - t0
        if busy < limit or waited >= max_wait:
            break
        if waited < 2.5:
            log(f"the machine is busy ({busy:.0f} % of a core used by other processes): "
                f"waiting up to {max_wait:.0f} s for it to calm down")
    return {"others_cpu_at_start": round(busy, 1), "waited_s": round(time.monotonic() - t0, 1),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


async def run_once(sc: Scenario, phones_n: int, *, keep: bool = False, profile: bool = False,
                   quiet_wait: float = 0.0) -> dict[str, Any]:
    raise_nofile()
    quiet = await wait_quiet(quiet_wait) if quiet_wait > 0 else None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = TMP / f"{sc.name}-{phones_n}-{stamp}-{os.getpid()}"
    definition = workshop_definition()
    stages = {s["key"]: s for s in definition["stages"]}
    cores = os.cpu_count() or 2
    n_workers = sc.workers or max(2, min(4, cores))
    rng = random.Random(sc.seed * 1_000_003 + phones_n)
    result: dict[str, Any] = {
        "scenario": sc.name, "description": sc.description, "target": sc.target, "phones": phones_n,
        "servers": sc.servers,
        "database": {"reference": "memory", "durable": "sqlite"}.get(sc.target, sc.database),
        "message_queue": sc.message_queue, "generator_processes": n_workers,
        "started": datetime.now(UTC).isoformat(timespec="seconds"), "config": asdict(sc),
        "machine_at_start": quiet,
    }
    loop = asyncio.get_running_loop()
    log(f"{sc.name}: starting {sc.target} ({sc.servers} process(es), {result['database']})")
    target: Target
    if sc.target == "reference":
        target = await loop.run_in_executor(None, lambda: Reference.start(workdir, definition))
    elif sc.target == "durable":
        target = await loop.run_in_executor(None, lambda: Durable.start(workdir, definition))
    elif sc.target == "deploy":
        target = await loop.run_in_executor(None, lambda: Installed.start(
            workdir, WORKSHOP_FILE, servers=sc.servers, phones=phones_n, settings=sc.settings))
        assert isinstance(target, Installed)
        result["deploy"] = {"install_seconds": target.install_seconds,
                            "nginx_worker_connections": target.worker_connections,
                            "processes": sc.servers, "settings_added": sc.settings}
    else:
        target = await loop.run_in_executor(None, lambda: RuamKit.start(
            workdir, WORKSHOP_FILE, servers=sc.servers, database=sc.database,
            message_queue=sc.message_queue, gc_log=workdir / "gc.log" if sc.soak else None))
    assert target.workshop is not None
    redis = RedisCounter() if sc.message_queue == "redis" else None
    if redis:
        redis.start()
    workers = Workers(n_workers)
    measured = {"server": target.pids(), "generator": workers.pids(), "harness": [os.getpid()]}
    if sc.database == "postgresql" or sc.message_queue:
        measured["services"] = service_pids()  # PostgreSQL (with its backends) and Redis
    if isinstance(target, Installed):
        measured["nginx"] = target.proxy_pids()  # the master and its workers
    sampler = Sampler(measured)
    sampler.start()
    projectors = [Projector(target.urls[-1], target.workshop.projector_key) for _ in range(sc.projectors)]
    records: list[tuple[Any, ...]] = []
    #: a soak: each compact phase's ballot id prefix and, per generator, its acknowledged bits
    compact_prefixes: list[int] = []
    compact_acked: list[list[bytes]] = []
    compact_checks = {"retry": 0, "duplicate": 0, "timeouts": 0}
    tokens: dict[int, str] = {}
    plan_choices: dict[str, Any] = {}
    ok = False
    try:
        for p in projectors:
            await p.connect()
        # -- join -----------------------------------------------------------------
        groups = [g["key"] for g in definition["groups"]]
        assignment: list[list[tuple[int, str, str, float]]] = [[] for _ in range(n_workers)]
        for i in range(phones_n):
            assignment[i % n_workers].append(
                (i, target.urls[i % len(target.urls)], groups[i % len(groups)],
                 i * sc.join_seconds / phones_n))
        log(f"{sc.name}: {phones_n} phones join over {sc.join_seconds:g} s "
            f"({n_workers} generator processes)")
        t0 = time.monotonic() + 0.5
        budget = sc.join_seconds + sum(ph.spread if ph.kind == "burst" else ph.duration
                                       for ph in sc.phases) + 600
        budget += sum(ph.pause + (ph.restart if ph.kill is not None else 0) for ph in sc.phases)
        workers.send_each("join", [{"t0": t0, "code": target.workshop.code, "phones": a,
                                    "deadline": time.monotonic() + budget, "reconnect": sc.reconnect}
                                   for a in assignment])
        joined = await workers.receive_all("joined", sc.join_seconds + 120)
        t_joined = time.monotonic()
        join_ms = [x for j in joined for x in j["join_ms"]]
        connect_ms = [x for j in joined for x in j["connect_ms"]]
        join_errors = [e for j in joined for e in j["join_errors"]]
        connect_errors = [e for j in joined for e in j["connect_errors"]]
        for j in joined:
            tokens.update({int(k): v for k, v in j["tokens"].items()})
        failed_connect = len(connect_errors)
        voters = sorted(i for j in joined for i in j["connected"])
        result["join"] = {
            "phones": phones_n, "joined": len(tokens), "connected": len(connect_ms),
            "join_errors": len(join_errors), "connect_errors": failed_connect,
            "error_examples": (join_errors + connect_errors)[:5],
            "join_ms": percentiles(join_ms), "connect_ms": percentiles(connect_ms),
            "seconds": round(t_joined - t0, 2),
            "server": sampler.window("server", t0, t_joined),
            "machine": sampler.others(t0, t_joined),
            "generator_loop_lag_ms": percentiles(ms([x for j in joined for x in j["loop_lag"]])),
        }
        if redis:
            result["join"]["redis"] = redis.window(t0, t_joined)
        log(f"{sc.name}: joined {len(tokens)}, connected {len(connect_ms)}, "
            f"errors {len(join_errors)}+{failed_connect}")

        # -- phases -----------------------------------------------------------------
        result["phases"] = []
        first_seen: set[tuple[int, str]] = set()
        for phase in sc.phases:
            if phase.pause:
                log(f"{sc.name}/{phase.name}: waiting {phase.pause:g} s first")
                await asyncio.sleep(phase.pause)
            compact = sc.soak and phase.kind == "steady"
            first_ids: set[str] = set()
            if compact:
                # a soak: each generator makes its share of the ballots as it goes (bench.load.phones)
                prefix = rng.getrandbits(64)
                compact_prefixes.append(prefix)
                plan = []
                workers.send_each("steady", [{
                    "rate": phase.rate / n_workers, "duration": phase.duration, "offset": w / phase.rate,
                    "phones": [i for i in voters if i % n_workers == w],
                    "stages": {k: stages[k] for k in phase.stages}, "seed": rng.getrandbits(32),
                    "prefix": prefix, "retry_fraction": sc.retry_fraction,
                    "duplicate_fraction": sc.duplicate_fraction,
                    "seen": [[i, k] for i, k in first_seen if i % n_workers == w]}
                    for w in range(n_workers)])
            else:
                plan = make_plan(phase, voters, stages, sc, rng)
                for phone, _off, key, choices, bid, _mode in sorted(plan, key=lambda e: e[1]):
                    plan_choices[bid] = choices
                    if (phone, key) not in first_seen:
                        first_seen.add((phone, key))
                        first_ids.add(bid)
                per_worker: list[list[tuple[Any, ...]]] = [[] for _ in range(n_workers)]
                for entry in plan:
                    per_worker[entry[0] % n_workers].append(entry)
                workers.send_each("plan", per_worker)
            baselines = {k: projectors[0].count(k) if projectors else 0 for k in phase.stages}
            await asyncio.sleep(0.5)  # let the plans arrive before the stage opens
            cmd0 = redis.commands() if redis else 0
            span = phase.spread if phase.kind == "burst" else phase.duration
            spies = [(start_profiler(pid, workdir / f"profile-{phase.name}-server{n}.txt", span + 4),
                      workdir / f"profile-{phase.name}-server{n}.txt")
                     for n, pid in enumerate(target.pids())] if profile else []
            t_open0 = time.monotonic()
            for key in phase.stages:
                await loop.run_in_executor(None, target.api, "POST",
                                           f"/api/v1/workshops/{target.workshop.id}/stages/{key}/open")
            t_open = time.monotonic()
            how = (f"within {phase.spread:g} s" if phase.kind == "burst"
                   else f"{phase.rate:g}/s for {phase.duration:g} s")
            log(f"{sc.name}/{phase.name}: {len(plan) or int(phase.rate * phase.duration)} ballots "
                f"({phase.kind}, {how})")
            workers.send_all("go", (t_open0, t_open))
            killer = (asyncio.create_task(_kill_and_restart(target, phase, t_open, measured["server"]))
                      if phase.kill is not None else None)
            voted = await workers.receive_all("voted", span + 2 * ACK_TIMEOUT + 60
                                              + (phase.restart + 120 if sc.reconnect else 0))
            killed = await asyncio.wait_for(killer, 120) if killer is not None else None
            cmd1 = redis.commands() if redis else 0
            summaries = [v["compact"] for v in voted if "compact" in v]
            if compact:
                # the first ballot of each (phone, stage) in full (projector lag); of the rest,
                # the current ballot of each pair (the audit and the final tally)
                recs = [tuple(r) for c in summaries for r in c["first_records"]]
                first_ids = {r[2] for r in recs if r[3] == "normal"}
                first_seen.update((r[0], r[1]) for r in recs)
                current = [c for s in summaries for c in s["current"]]
                for phone, key, version, bid, choices, t_ack in current:
                    plan_choices[bid] = choices
                    records.append((phone, key, bid, "normal", t_ack, t_ack, t_ack, True, version, None))
                compact_acked.append([s["acked_bits"] for s in summaries])
                t_end = max((s["t_last_ack"] for s in summaries if s["t_last_ack"] is not None),
                            default=time.monotonic())
            else:
                recs = [r for v in voted for r in v["records"]]
                records.extend(recs)
                ok_recs = [r for r in recs if r[7]]
                t_end = max((r[6] for r in ok_recs), default=time.monotonic())
            # the final tally of each stage, as acknowledged so far
            expected = _expected(records, tokens, plan_choices, stages)
            # wait (bounded) for the projector to show it
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if all(projectors[0].count(k) >= expected[k][0] for k in phase.stages) and \
                        time.monotonic() > t_end + 1.0:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.3)
            t_quiet = time.monotonic()
            entry = _phase_figures(phase, recs, first_ids, baselines, expected, projectors, voted,
                                   t_open0, t_open, t_end, len(target.urls))
            if compact:
                entry.update(soak_mod.phase_counts(summaries, t_end))
                entry["soak"] = soak_mod.figures(
                    summaries, sampler.samples.get("server", []), sampler.samples.get("generator", []),
                    t_open0, t_end, phase.duration,
                    gc_log=soak_mod.read_gc_log(workdir / "gc.log") if sc.soak else None)
                compact_checks["retry"] += sum(s["mismatch"]["retry"] for s in summaries)
                compact_checks["duplicate"] += sum(s["mismatch"]["duplicate"] for s in summaries)
                compact_checks["timeouts"] += sum(s["timeouts"] for s in summaries)
                del summaries  # the latency arrays: what was needed of them is in entry["soak"]
            entry["server"] = sampler.window("server", t_open0, t_end)
            entry["generator"] = sampler.window("generator", t_open0, t_end)
            entry["harness"] = sampler.window("harness", t_open0, t_end)
            if "services" in measured:
                entry["services"] = sampler.window("services", t_open0, t_end)
            if "nginx" in measured:
                entry["nginx"] = sampler.window("nginx", t_open0, t_end)
            entry["machine"] = sampler.others(t_open0, t_end)
            if redis:
                # the voting window: stage opened -> last ack + two coalescing intervals
                entry["redis"] = redis.window(t_open0, min(t_quiet, t_end + 0.5))
                entry["redis"]["commands_processed"] = cmd1 - cmd0
                entry["redis"]["messages_per_ballot"] = round(
                    entry["redis"]["messages"] / max(1, entry["acked"]), 4)
            if sc.reconnect:
                entry.update(_outage_figures(voted, killed))
            for spy, path in spies:
                if spy is not None:
                    await loop.run_in_executor(None, spy.wait, 60)
                    entry.setdefault("profile", {})[path.name] = summarize_profile(path)
                    keep = True
            result["phases"].append(entry)
            log(f"{sc.name}/{phase.name}: acked {entry['acked']}/{entry['sent']}, "
                f"p95 {entry['ack_ms']['p95']} ms, {entry['ballots_per_s']} ballots/s, "
                f"final tally lag {entry['final_tally_lag_ms']} ms, errors {entry['errors']}")
            for key in phase.stages:
                await loop.run_in_executor(None, target.api, "POST",
                                           f"/api/v1/workshops/{target.workshop.id}/stages/{key}/close")
        await asyncio.sleep(1.0)  # the closing broadcasts

        # -- audit ------------------------------------------------------------------
        log(f"{sc.name}: audit")
        api_results = await loop.run_in_executor(
            None, target.api, "GET", f"/api/v1/workshops/{target.workshop.id}/results")
        if sc.target in ("reference", "durable"):  # durable: read from its SQLite file
            dump = await loop.run_in_executor(
                None, target.api, "GET", f"/api/v1/workshops/{target.workshop.id}/ballots")
            stored = audit_mod.reference_ballots(dump)
        else:
            assert target.database_url is not None
            stored = await loop.run_in_executor(
                None, lambda: audit_mod.db_ballots(target.database_url or "", target.workshop.id,
                                                   receipts=not compact_prefixes))
        result["audit"] = audit_mod.audit(records, tokens, definition, plan_choices, stored,
                                          api_results, projectors[0].last if projectors else {},
                                          len(tokens))
        if compact_prefixes and sc.target == "ruamkit" and target.database_url:
            # a soak's receipts: read back one row at a time into the acknowledged bitmaps
            receipts = await loop.run_in_executor(None, lambda: audit_mod.compact_receipts(
                target.database_url or "", target.workshop.id, compact_prefixes, compact_acked))
            audit_mod.merge_compact(result["audit"], receipts, compact_checks)
            result["audit"]["acknowledged_ballots"] = sum(bits(b) for ph in compact_acked for b in ph)
        if isinstance(target, Durable):
            health = await loop.run_in_executor(None, target.api, "GET", "/healthz")
            commits, stored_n = health["commits"], health["ballots_stored"]
            result["durable_writer"] = {"commits": commits, "ballots_stored": stored_n,
                                        "ballots_per_commit": round(stored_n / max(1, commits), 1)}
        if isinstance(target, Installed):
            result["deploy"]["tracebacks_in_logs"] = target.tracebacks()
        result["audit"]["projector_events"] = [len(p.events) for p in projectors]
        result["audit"]["projector_disconnects"] = sum(p.disconnects for p in projectors)
        result["resources"] = {
            "server_peak_rss_mb": sampler.peak_rss("server"),
            "generator_peak_rss_mb": sampler.peak_rss("generator"),
            "server_pids": target.pids(),
        }
        ok = True
    except BaseException as exc:
        result["failure"] = f"{type(exc).__name__}: {exc}"
        log(f"{sc.name}: FAILED {result['failure']}")
        if not isinstance(exc, Exception):
            raise
    finally:
        # every step on its own: one failing never leaves a server or a generator running
        for p in projectors:
            with contextlib.suppress(Exception):
                await p.close()
        with contextlib.suppress(Exception):
            await workers.stop()
        with contextlib.suppress(Exception):
            sampler.stop()
        if redis:
            with contextlib.suppress(Exception):
                redis.stop()
        if not ok or not result.get("audit", {}).get("ok", False):
            with contextlib.suppress(Exception):
                result["server_log_tail"] = target.logs(30)
        target.stop()
        if ok and result.get("audit", {}).get("ok") and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            result["workdir"] = str(workdir)
    result["errors"] = _error_total(result)
    return result


def _expected(records: list[tuple[Any, ...]], tokens: dict[int, str], plan_choices: dict[str, Any],
              stages: dict[str, Any]) -> dict[str, tuple[int, dict[str, Any], float]]:
    """Per stage: (current ballots, item values, time of the last acknowledgement)."""
    current, _checks, _timeouts = audit_mod.acknowledged(records)
    last_ack: dict[str, float] = {}
    for _phone, stage, _bid, _kind, _ts, _tsend, t_ack, ok, _version, _code in records:
        if ok:
            last_ack[stage] = max(last_ack.get(stage, 0.0), t_ack)
    out = {}
    for key, stage in stages.items():
        ballots = [plan_choices[bid] for (_p, s), (_v, bid) in current.items() if s == key]
        out[key] = (len(ballots), audit_mod.expected_values(stage, ballots), last_ack.get(key, 0.0))
    return out


def _phase_figures(phase: Phase, recs: list[tuple[Any, ...]], first_ids: set[str],
                   baselines: dict[str, int], expected: dict[str, Any], projectors: list[Projector],
                   voted: list[dict[str, Any]], t_open0: float, t_open: float, t_end: float,
                   n_servers: int = 1) -> dict[str, Any]:
    normal = [r for r in recs if r[3] == "normal"]
    ok_recs = [r for r in recs if r[7]]
    acked_normal = [r for r in normal if r[7]]
    errors = Counter(r[9] for r in recs if not r[7])
    t_first = min((r[5] for r in recs if r[5] is not None), default=t_open)
    span = max(t_end - t_first, 1e-9)
    entry: dict[str, Any] = {
        "name": phase.name, "kind": phase.kind, "stages": phase.stages,
        "sent": len(normal), "copies_sent": len(recs) - len(normal), "acked": len(acked_normal),
        "errors": sum(errors.values()), "errors_by_code": dict(errors),
        "ack_ms": percentiles(ms([r[6] - r[5] for r in ok_recs])),
        "ballots_per_s": round(len(acked_normal) / span, 1),
        "voting_seconds": round(span, 3),
        "schedule_lag_ms": percentiles(ms([r[5] - r[4] for r in recs if r[5] is not None])),
        "open_request_ms": round((t_open - t_open0) * 1000, 1),
        "state_fanout_ms": percentiles(ms([t - t_open0 for v in voted for t in v["state_at"]])),
        "state_received": sum(len(v["state_at"]) for v in voted),
        "phone_disconnects": sum(v.get("disconnects", 0) for v in voted),
        "generator_loop_lag_ms": percentiles(ms([x for v in voted for x in v["loop_lag"]])),
        "generator_gc_max_ms": max((v["gc"]["max_ms"] for v in voted), default=None),
    }
    lags: list[tuple[int, float]] = []
    missing = 0
    final: dict[str, float | None] = {}
    for key in phase.stages:
        n_first = sum(1 for r in recs if r[1] == key and r[3] == "normal" and r[7] and r[2] in first_ids)
        for p in projectors:
            got = projector_lags(recs, first_ids, key, baselines[key], p.events)
            lags += got
            missing += n_first - len(got)
            count, values, t_last = expected[key]
            lag = final_tally_lag(p.events, key, count, values, t_last)
            final[key] = None if lag is None else max(final.get(key) or -1e9, lag)
    entry["projector_lag_ms"] = percentiles(ms([max(0.0, x) for _p, x in lags]))
    entry["projector_lag_ms"]["before_ack"] = sum(1 for _p, x in lags if x < 0)
    if n_servers > 1:
        # phone i talks to process i mod n; the projector is on the last process
        entry["projector_lag_by_process_ms"] = {
            f"via process {k}": percentiles(ms([max(0.0, x) for p, x in lags if p % n_servers == k]))
            for k in range(n_servers)}
    entry["projector_never_showed"] = missing
    entry["final_tally_lag_by_stage_ms"] = {k: None if v is None else round(v * 1000, 1)
                                            for k, v in final.items()}
    finals = list(entry["final_tally_lag_by_stage_ms"].values())
    entry["final_tally_lag_ms"] = None if any(v is None for v in finals) else max(finals)
    return entry


async def _kill_and_restart(target: Target, phase: Phase, t_open: float,
                            server_pids: list[int]) -> dict[str, Any]:
    """SIGKILL the first process ``phase.kill`` s after the stage opened; start it again
    ``phase.restart`` s later and wait until it answers. Times (monotonic) of each step."""
    assert isinstance(target, Installed) and phase.kill is not None
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, t_open + phase.kill - time.monotonic()))
    t_kill = time.monotonic()
    port = await loop.run_in_executor(None, target.kill, 0)
    log(f"killed the process on port {port} (SIGKILL)")
    await asyncio.sleep(phase.restart)
    t_restart = time.monotonic()
    pid = await loop.run_in_executor(None, target.restart, 0)
    server_pids.append(pid)  # the sampler measures it from now on
    t_healthy = time.monotonic()
    log(f"the process on port {port} is back ({t_healthy - t_restart:.1f} s to answer)")
    return {"port": port, "t_open": t_open, "t_kill": t_kill, "t_restart": t_restart, "t_healthy": t_healthy}


def _outage_figures(voted: list[dict[str, Any]], killed: dict[str, Any] | None) -> dict[str, Any]:
    """Phones whose socket ended during the phase: by the kill (ended between the kill and
    the restart), or moved by the balance check (afterwards); how soon they were back."""
    outages = [tuple(o) for v in voted for o in v.get("outages", [])]
    processes: Counter[str] = Counter()
    for v in voted:
        processes.update(v.get("processes", {}))
    out: dict[str, Any] = {"sockets_by_process": dict(sorted(processes.items())),
                           "resent": sum(v.get("resent", 0) for v in voted)}
    if killed is None:
        out["moved"] = len(outages)
        return out
    t_kill, t_restart = killed["t_kill"], killed["t_restart"]
    by_kill = [(d, u) for d, u in outages if t_kill <= d < t_restart]
    back = [u - t_kill for d, u in by_kill if u is not None]
    out["moved"] = len(outages) - len(by_kill)
    out["kill"] = {
        "port": killed["port"], "at_s": round(t_kill - killed["t_open"], 3),
        "phones_dropped": len(by_kill), "phones_back": len(back), "never_back": len(by_kill) - len(back),
        "back_ms": percentiles(ms(back)),
        "restart_to_healthy_s": round(killed["t_healthy"] - t_restart, 2),
    }
    return out


def _error_total(result: dict[str, Any]) -> int:
    total = 0
    join = result.get("join") or {}
    total += join.get("join_errors", 0) + join.get("connect_errors", 0)
    for phase in result.get("phases", []):
        total += phase.get("errors", 0)
        total += phase.get("kill", {}).get("never_back", 0)
    if "failure" in result:
        total += 1
    return total


async def run(sc: Scenario, *, keep: bool = False, profile: bool = False,
              quiet_wait: float = 0.0) -> list[dict[str, Any]]:
    sizes = sc.sizes or [sc.phones]
    out = []
    for size in sizes:
        out.append(await run_once(sc, size, keep=keep, profile=profile, quiet_wait=quiet_wait))
    return out

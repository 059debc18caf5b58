"""Abuse benchmark: one socket sends 1,000 events a second while other phones vote.

`python -m bench.abuse [--phones 200] [--rate 150] [--seconds 20] [--flood 1000]`

Two phases on one fresh server (SQLite): normal phones vote steadily (each phone a
ballot now and then, `--rate` ballots a second in all), first alone, then while one
more socket fires `--flood` ballots a second without waiting for answers. It reports
the normal phones' acknowledgement latency in both phases (target: p95 under 100 ms
in both, as the steady load benchmark), and what happened to the flood (acknowledged,
refused as rate_limited). Writes bench/results/abuse.json and abuse.md. All traffic
stays on 127.0.0.1; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
import socketio

from bench.load.servers import ROOT, RuamKit, Sampler
from bench.load.stats import percentile

RESULTS = ROOT / "bench" / "results"
WORKSHOP = ROOT / "bench" / "load" / "scenarios" / "workshop.yaml"
TARGET_P95_MS = 100.0


async def join(session: aiohttp.ClientSession, url: str, code: str) -> str:
    async with session.post(f"{url}/api/v1/join", json={"code": code, "group": "resident"}) as resp:
        body = await resp.json()
        return str(body["participant"])


async def connect(url: str, token: str) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, auth={"participant": token}, transports=["websocket"], wait_timeout=20)
    return client


async def steady(
    phones: list[socketio.AsyncClient],
    rate: float,
    seconds: float,
    items: list[str],
    latencies: list[float],
    errors: list[str],
) -> None:
    """`rate` ballots a second, round-robin over the phones, for `seconds`."""
    start = time.monotonic()
    pending: set[asyncio.Task[None]] = set()
    n = 0

    async def one(phone: socketio.AsyncClient, choice: str) -> None:
        t0 = time.monotonic()
        try:
            ack = await phone.call(
                "ballot",
                {"stage": "vision", "choices": {"items": [choice]}, "ballot_id": uuid.uuid4().hex},
                timeout=30,
            )
        except Exception as exc:  # timeouts and disconnects are reported, not raised
            errors.append(type(exc).__name__)
            return
        if ack and ack.get("ok"):
            latencies.append((time.monotonic() - t0) * 1000)
        else:
            errors.append((ack or {}).get("error", {}).get("code", "no ack"))

    while (elapsed := time.monotonic() - start) < seconds:
        due = int(elapsed * rate)
        while n < due:
            task = asyncio.create_task(one(phones[n % len(phones)], random.choice(items)))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
        await asyncio.sleep(0.005)
    if pending:
        await asyncio.wait(pending, timeout=35)


async def flood(url: str, token: str, rate: int, seconds: float, tally: dict[str, int]) -> None:
    """One socket firing `rate` ballots a second, never waiting for an answer."""
    client = await connect(url, token)

    def counted(ack: Any) -> None:
        key = "ok" if ack and ack.get("ok") else (ack or {}).get("error", {}).get("code", "none")
        tally[key] = tally.get(key, 0) + 1

    start = time.monotonic()
    sent = 0
    while (elapsed := time.monotonic() - start) < seconds:
        due = int(elapsed * rate)
        while sent < due and client.connected:
            await client.emit("ballot", {"stage": "vision", "choices": {"items": ["v1"]}}, callback=counted)
            sent += 1
        await asyncio.sleep(0.002)
    tally["sent"] = sent
    tally["still_connected"] = int(client.connected)
    await asyncio.sleep(2)
    await client.disconnect()


def summary(latencies: list[float], errors: list[str]) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "acked": len(ordered),
        "errors": len(errors),
        "error_kinds": {e: errors.count(e) for e in sorted(set(errors))},
        "p50_ms": percentile(ordered, 50),
        "p95_ms": percentile(ordered, 95),
        "p99_ms": percentile(ordered, 99),
    }


async def run(args: argparse.Namespace, target: RuamKit) -> dict[str, Any]:
    assert target.workshop is not None
    url, code = target.urls[0], target.workshop.code
    target.api("POST", f"/api/v1/workshops/{target.workshop.id}/stages/vision/open")
    items = [
        i["key"]
        for s in target.api("GET", f"/api/v1/workshops/{target.workshop.id}")["stages"]
        if s["key"] == "vision"
        for i in s["items"]
    ]
    async with aiohttp.ClientSession() as session:
        tokens = [await join(session, url, code) for _ in range(args.phones + 1)]
    phones = [await connect(url, t) for t in tokens[:-1]]
    quiet_lat: list[float] = []
    quiet_err: list[str] = []
    await steady(phones, args.rate, args.seconds, items, quiet_lat, quiet_err)
    flood_lat: list[float] = []
    flood_err: list[str] = []
    tally: dict[str, int] = {}
    await asyncio.gather(
        steady(phones, args.rate, args.seconds, items, flood_lat, flood_err),
        flood(url, tokens[-1], args.flood, args.seconds, tally),
    )
    for phone in phones:
        await phone.disconnect()
    return {
        "without_flood": summary(quiet_lat, quiet_err),
        "with_flood": summary(flood_lat, flood_err),
        "flood": tally,
    }


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "abuse.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = []
    for phase in ("without_flood", "with_flood"):
        r = result[phase]
        ok = r["errors"] == 0 and r["p95_ms"] is not None and r["p95_ms"] < TARGET_P95_MS
        rows.append(
            f"| {phase.replace('_', ' ')} | {r['acked']:,} | {r['errors']} | {r['p50_ms']:.1f} / "
            f"{r['p95_ms']:.1f} / {r['p99_ms']:.1f} | {'pass' if ok else 'FAIL'} |"
        )
    f = result["flood"]
    md = [
        "# Abuse benchmark: one socket sending 1,000 events a second",
        "",
        f"Run {result['date']} on {result['machine']}; {result['phones']} phones voting "
        f"{result['rate']:g} ballots/s for {result['seconds']:g} s per phase; server CPU avg "
        f"{result['server_cpu_avg']}%, other processes {result['other_cpu']}% of a core.",
        "",
        "| normal phones | acked | errors | ack p50 / p95 / p99 ms | p95 < 100 ms |",
        "|---|---:|---:|---|---|",
        *rows,
        "",
        f"The flooding socket sent {f.get('sent', 0):,} ballots: {f.get('ok', 0):,} acknowledged, "
        f"{f.get('rate_limited', 0):,} refused as rate_limited, still connected at the end: "
        f"{'yes' if f.get('still_connected') else 'no'}.",
        "",
    ]
    (RESULTS / "abuse.md").write_text("\n".join(md))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.abuse", description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--rate", type=float, default=150.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--flood", type=int, default=1000)
    args = parser.parse_args(argv)
    workdir = RESULTS / "tmp" / f"abuse-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    target = RuamKit.start(workdir, WORKSHOP)
    sampler = Sampler({"server": target.pids()})
    sampler.start()
    t0 = time.monotonic()
    try:
        result = asyncio.run(run(args, target))
    finally:
        t1 = time.monotonic()
        sampler.stop()
        target.stop()
    cpu = sampler.window("server", t0, t1)
    result.update(
        {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, Python {platform.python_version()}",
            "phones": args.phones,
            "rate": args.rate,
            "seconds": args.seconds,
            "flood_rate": args.flood,
            "server_cpu_avg": round(cpu.get("cpu_avg") or 0),
            "other_cpu": sampler.others(t0, t1).get("others_cpu_avg"),
        }
    )
    write(result)
    print((RESULTS / "abuse.md").read_text())
    return 0 if result["with_flood"]["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

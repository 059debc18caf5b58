"""Abuse benchmark (issue 14): honest phones vote while one attacker does what a review found.

    python -m bench.abuse                     # every scenario, about 5 minutes on 2 cores
    python -m bench.abuse --only words,export # some of them
    python -m bench.abuse --quick             # a smoke run at tiny sizes (under a minute)

One fresh server (SQLite, `bench/abuse/workshop.yaml`), `--phones` honest phones voting
`--rate` ballots a second in all (each acknowledged). For each scenario the honest phones
vote `--baseline` seconds alone, then `--seconds` seconds during the abuse (the export:
as long as it renders), on the same server in the same run. The figure is the honest
phones' ack p95 during the abuse over their p95 just before it (target: at most 2x),
with p50 and p99 beside it and what happened to the attack. Scenarios (the findings of
the review, each by an attacker with only a join code unless said):

  words     a live words stage, the honest phones answering it; one phone re-sends
            ballots of 10 new 40-character answers within its allowance (2 a second);
            bytes received per watching phone per minute, without and with
  signin    sign-ins with made-up user names over /api/v1/auth/token, 10 a second from
            8 loopback addresses (each address has its own allowance)
  export    (a facilitator) the PDF plan draft of a workshop at the file limits (50
            stages x 200 items), and a second export asked meanwhile (429 expected)
  body      (a facilitator) a workshop body with 16,000 unknown fields POSTed back to back
  halfsent  300 connections sending their headers slowly, opened again when closed
  sockets   500 socket connections with one participant token (5 allowed)
  deep      5,000-deep JSON and 4,300-digit integers over a socket and in HTTP bodies
  flood     one socket firing 1,000 ballots a second without waiting for answers

Writes bench/results/abuse.json and abuse.md. All traffic stays on loopback; every loop
is bounded in time. Exit status 1 if an honest ballot failed (with --strict also when a
ratio is over 2).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.load.servers import ROOT, RuamKit, Sampler

from . import attacks
from .attacks import Honest, Room, Watcher

RESULTS = ROOT / "bench" / "results"
WORKSHOP = Path(__file__).resolve().parent / "workshop.yaml"
TARGET_RATIO = 2.0
BUSY = 25.0  # other processes' CPU (% of a core) above which a phase is marked busy
GROUPS = ("resident", "government", "private", "civil")


@dataclass
class Scenario:
    key: str
    finding: str
    abuse: str


SCENARIOS = [
    Scenario("words", "Word cloud re-sender", "1 phone re-sending 10 new 40-character answers 2x a second"),
    Scenario("signin", "Sign-in flood", "made-up user names on /api/v1/auth/token"),
    Scenario("body", "Quadratic validation",
             "16,000 unknown fields POSTed to /api/v1/workshops back to back"),
    Scenario("halfsent", "Half-sent requests", "connections sending headers slowly, reopened when closed"),
    Scenario("sockets", "Sockets per participant", "socket connections with one participant token"),
    Scenario("deep", "Deep JSON", "5,000-deep JSON and 4,300-digit integers, socket and HTTP"),
    Scenario("flood", "Ballot flood", "1 socket firing ballots without waiting"),
    Scenario("export", "Max-size export", "PDF of 50 stages x 200 items, then a second export"),
]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.abuse", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--phones", type=int, default=100, help="honest phones (default 100)")
    p.add_argument("--rate", type=float, default=50.0, help="honest ballots a second in all (default 50)")
    p.add_argument("--baseline", type=float, default=10.0, help="seconds without abuse (default 10)")
    p.add_argument("--seconds", type=float, default=12.0,
                   help="seconds of abuse (default 12, over the 10 s header timeout)")
    p.add_argument("--flood", type=int, default=1000, help="flood: ballots a second (default 1000)")
    p.add_argument("--connections", type=int, default=300, help="halfsent: connections (default 300)")
    p.add_argument("--attempts", type=int, default=500, help="sockets: connections tried (default 500)")
    p.add_argument("--signins", type=float, default=10.0, help="signin: sign-ins a second (default 10)")
    p.add_argument("--only", help="comma-separated scenario keys (default: all, in the order above)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 20 phones, 10 ballots/s, 2 + 3 s per scenario, small attacks, "
                        "a 3 x 20 export, a 2 s header timeout")
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory (default bench/results)")
    p.add_argument("--strict", action="store_true", help="exit 1 also when a ratio is over 2")
    return p


def quick(args: argparse.Namespace, given: set[str]) -> None:
    """The smoke run's sizes, for the options not given on the command line."""
    tiny = {"phones": 20, "rate": 10.0, "baseline": 2.0, "seconds": 3.0, "flood": 200, "connections": 30,
            "attempts": 30, "signins": 5.0}
    for name, value in tiny.items():
        if name not in given:
            setattr(args, name, value)


def max_size_workshop(small: bool) -> dict[str, Any]:
    from tests.security.test_trust import max_size_workshop as factory  # the tests' file limits

    definition = factory()
    if small:
        definition["stages"] = [{**s, "items": s["items"][:20]} for s in definition["stages"][:3]]
    return definition


class Run:
    """The server, the honest phones and the measures of one benchmark run."""

    def __init__(self, args: argparse.Namespace, target: RuamKit, sampler: Sampler) -> None:
        assert target.workshop is not None
        self.args, self.target, self.sampler = args, target, sampler
        self.room = Room(target.urls[0], target.workshop.code, target.workshop.id, target.token)
        self.tokens: list[str] = []
        self.phones: list[Any] = []
        self.watchers: list[Watcher] = []

    async def start(self) -> None:
        self.target.api("POST", f"/api/v1/workshops/{self.room.workshop_id}/stages/vision/open")
        async with aiohttp.ClientSession() as session:
            self.tokens = [await attacks.join(session, self.room.url, self.room.code, GROUPS[n % 4])
                           for n in range(self.args.phones + 2 + 8)]
        self.phones = [await attacks.connect(self.room.url, t) for t in self.tokens[:self.args.phones]]
        self.watchers = [Watcher(await attacks.connect(self.room.url, t))
                         for t in self.tokens[self.args.phones:self.args.phones + 2]]
        self.spare = iter(self.tokens[self.args.phones + 2:])

    async def stop(self) -> None:
        for client in [*self.phones, *(w.client for w in self.watchers)]:
            await client.disconnect()

    def window(self, t0: float, t1: float) -> dict[str, Any]:
        server = self.sampler.window("server", t0, t1)
        generator = self.sampler.window("generator", t0, t1)
        others = self.sampler.others(t0, t1)
        return {"seconds": round(t1 - t0, 1), "server_cpu_avg": server["cpu_avg"],
                "server_rss_peak_mb": server["rss_peak_mb"],
                "generator_cpu_avg": generator["cpu_avg"], "others_cpu_avg": others["others_cpu_avg"],
                "load_avg_1m": others["load_avg_1m"]}

    async def phase(self, stage: str, seconds: float, attack: Awaitable[dict[str, Any]] | None = None,
                    until: asyncio.Event | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        honest = Honest(self.phones, self.args.rate, stage)
        for w in self.watchers:
            w.reset()
        t0 = time.monotonic()
        if attack is None:
            await honest.run(seconds)
            details: dict[str, Any] = {}
        else:
            _, details = await asyncio.gather(honest.run(seconds, until), attack)
        t1 = time.monotonic()
        measured = {**honest.summary(), **self.window(t0, t1)}
        if stage == "cloud":
            minutes = (t1 - t0) / 60
            measured["watcher_bytes_per_min"] = round(sum(w.bytes for w in self.watchers)
                                                      / len(self.watchers) / minutes)
            measured["watcher_largest_message"] = max(w.largest for w in self.watchers)
            measured["watcher_messages_per_min"] = round(sum(w.messages for w in self.watchers)
                                                         / len(self.watchers) / minutes)
        return measured, details

    async def scenario(self, sc: Scenario) -> dict[str, Any]:
        a, room, wid = self.args, self.room, self.room.workshop_id
        stage = "vision"
        until: asyncio.Event | None = None
        limit = a.seconds
        setup: dict[str, Any] = {}
        make: Callable[[], Awaitable[dict[str, Any]]]
        if sc.key == "words":
            stage = "cloud"
            self.target.api("POST", f"/api/v1/workshops/{wid}/stages/cloud/open")
            make = lambda: attacks.words_resender(room, a.seconds, next(self.spare))  # noqa: E731
        elif sc.key == "signin":
            make = lambda: attacks.signin_flood(room, a.seconds, a.signins)  # noqa: E731
        elif sc.key == "body":
            make = lambda: attacks.unknown_fields_posts(room, a.seconds)  # noqa: E731
        elif sc.key == "halfsent":
            make = lambda: attacks.half_sent(room, a.seconds, a.connections)  # noqa: E731
        elif sc.key == "sockets":
            make = lambda: attacks.many_sockets(room, a.seconds, next(self.spare), a.attempts)  # noqa: E731
        elif sc.key == "deep":
            make = lambda: attacks.deep_json(room, a.seconds, next(self.spare))  # noqa: E731
        elif sc.key == "flood":
            make = lambda: attacks.ballot_flood(room, a.seconds, next(self.spare), a.flood)  # noqa: E731
        elif sc.key == "export":
            t0 = time.monotonic()
            big = self.target.api("POST", "/api/v1/workshops", max_size_workshop(a.quick))
            setup = {"workshop_created_s": round(time.monotonic() - t0, 1)}
            until, limit = asyncio.Event(), 240.0
            event = until
            make = lambda: attacks.max_size_export(room, a.seconds, big["id"], event, limit)  # noqa: E731
        else:
            raise ValueError(sc.key)
        print(f"[abuse] {sc.key}: {a.baseline:g} s without, then with: {sc.abuse}", flush=True)
        without, _ = await self.phase(stage, a.baseline)
        with_, details = await self.phase(stage, limit, make(), until)
        if sc.key == "words":
            self.target.api("POST", f"/api/v1/workshops/{wid}/stages/cloud/close")
            details["cloud_entries"] = self.cloud_entries()
        ratio = (round(with_["p95_ms"] / without["p95_ms"], 2)
                 if with_["p95_ms"] and without["p95_ms"] else None)
        return {"key": sc.key, "finding": sc.finding, "abuse": sc.abuse, "without": without, "with": with_,
                "p95_ratio": ratio, "pass": ratio is not None and ratio <= TARGET_RATIO
                and with_["errors"] == 0, "attack": {**setup, **details}}

    def cloud_entries(self) -> int | None:
        got = self.target.api("GET", f"/api/v1/workshops/{self.room.workshop_id}/results")
        return next((len(s["items"]) for s in got["stages"] if s["key"] == "cloud"), None)


async def run(args: argparse.Namespace, target: RuamKit, sampler: Sampler,
              chosen: list[Scenario]) -> list[dict[str, Any]]:
    r = Run(args, target, sampler)
    await r.start()
    results = []
    try:
        for sc in chosen:
            results.append(await r.scenario(sc))
            write_partial(args, results)
    finally:
        await r.stop()
    return results


def write_partial(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "abuse.partial.json").write_text(json.dumps(results, indent=2) + "\n")


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def _busy(phase: dict[str, Any]) -> bool:
    return (phase.get("others_cpu_avg") or 0) > BUSY


def details_line(r: dict[str, Any]) -> str:
    at, k = r["attack"], r["key"]
    if k == "words":
        w, x = r["without"], r["with"]
        return (f"re-sender: {at['ballots_sent']} ballots ({at['answers_sent']:,} answers), answered "
                f"{at['answers']}; {at.get('cloud_entries')} entries in the cloud at the end. Each watching "
                f"phone received {w['watcher_bytes_per_min']:,} bytes/min without and "
                f"{x['watcher_bytes_per_min']:,} with ({w['watcher_messages_per_min']} and "
                f"{x['watcher_messages_per_min']} messages/min; largest message "
                f"{w['watcher_largest_message']:,} and {x['watcher_largest_message']:,} bytes)")
    if k == "signin":
        return (f"{at['requests']} sign-ins ({at['rate']:g}/s from {at['addresses']} addresses): statuses "
                f"{at['statuses']}; answered in p50 {_ms(at['answer_ms']['p50'])} ms, max "
                f"{_ms(at['answer_ms']['max'])} ms")
    if k == "body":
        return (f"{sum(at['statuses'].values())} bodies of {at['body_kb']} KB ({at['fields']:,} unknown "
                f"fields): "
                f"statuses {at['statuses']}; each answered in p50 {_ms(at['answer_ms']['p50'])} ms, max "
                f"{_ms(at['answer_ms']['max'])} ms")
    if k == "halfsent":
        h = at["held_s"]
        return (f"{at['connections']} slots, {at['opened']} connections opened, "
                f"{at['closed_by_server']} closed by the server (answers {at['answers']}), "
                f"held p50 {h['p50']} s, max {h['max']} s")
    if k == "sockets":
        return (f"{at['attempts']} connections tried: {at['accepted']} accepted, {at['refused']} refused; "
                f"{at['connected_at_end']} still connected at the end")
    if k == "deep":
        return (f"{at['socket_packets']} socket packets answered {at['socket_answers']}; {at['http_bodies']} "
                f"HTTP bodies answered {at['http_statuses']}; the socket still connected: "
                f"{'yes' if at['socket_still_connected'] else 'no'}")
    if k == "flood":
        return (f"{at['sent']:,} ballots sent at {at['rate']}/s, answered {at['answers']}; still connected: "
                f"{'yes' if at['still_connected'] else 'no'}")
    if k == "export":
        s = at.get("second_export", {})
        return (f"workshop created in {at['workshop_created_s']} s; PDF: HTTP {at.get('status')}, "
                f"{at.get('pages', '?')} pages, {at.get('bytes', 0) / 2**20:.1f} MB, {at.get('seconds')} s; "
                f"the second export: HTTP {s.get('status')} {s.get('code', '')} Retry-After "
                f"{s.get('retry_after')}; server memory peak {r['with']['server_rss_peak_mb']} MB "
                f"(before: {r['without']['server_rss_peak_mb']} MB)")
    return json.dumps(at)


def write(out: Path, result: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "abuse.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "abuse.partial.json").unlink(missing_ok=True)
    rows, notes = [], []
    for r in result["scenarios"]:
        w, x = r["without"], r["with"]
        mark = " (busy)" if _busy(w) or _busy(x) else ""
        lat = [f"{_ms(p['p50_ms'])} / {_ms(p['p95_ms'])} / {_ms(p['p99_ms'])}" for p in (w, x)]
        rows.append(
            f"| {r['key']} | {r['finding']} | {w['acked']:,} / {w['errors']} | {lat[0]} | "
            f"{x['acked']:,} / {x['errors']} | {lat[1]} | {r['p95_ratio']} | "
            f"{'pass' if r['pass'] else 'FAIL'} | "
            f"{w['others_cpu_avg']} / {x['others_cpu_avg']}{mark} |")
        notes.append(f"- **{r['key']}** ({r['abuse']}): {details_line(r)}.")
    busy = [r["key"] for r in result["scenarios"] if _busy(r["without"]) or _busy(r["with"])]
    md = [
        "# Abuse benchmark: honest phones' acknowledgements during each attack (issue 14)",
        "",
        f"Run {result['date']} on {result['machine']}, {result['cores']} cores; one server (SQLite); "
        f"{result['phones']} honest phones voting {result['rate']:g} ballots/s in all, "
        f"{result['baseline']:g} s without the abuse then {result['seconds']:g} s with it (the export: "
        f"as long as it renders), per "
        f"scenario, in one run of {result['total_s']:.0f} s. Target: ack p95 with the abuse at most "
        f"{TARGET_RATIO:g}x the p95 without it, and no honest ballot refused or lost.",
        "",
        "| scenario | finding | without: acked / errors | p50 / p95 / p99 ms | with: acked / errors | "
        "p50 / p95 / p99 ms | p95 ratio | <= 2x | other processes' CPU, % of a core (without / with) |",
        "|---|---|---:|---|---:|---|---:|---|---|",
        *rows,
        "",
        *notes,
        "",
        ("**The machine was busy** (other processes above 25 % of a core) during: " + ", ".join(busy)
         + f". Load average at the end: {result['load_avg_end']}. Figures taken then are not comparable "
           "with a quiet machine's." if busy else
         "The machine was quiet (other processes under 25 % of a core) in every phase."),
        "",
        "`python -m bench.abuse` (also run by `make bench`); `--help` for the sizes.",
        "",
    ]
    (out / "abuse.md").write_text("\n".join(md))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.quick:
        quick(args, {a[2:].split("=")[0].replace("-", "_") for a in argv if a.startswith("--")})
    keys = [k.strip() for k in (args.only or "").split(",") if k.strip()]
    unknown = set(keys) - {s.key for s in SCENARIOS}
    if unknown:
        print(f"error: unknown scenario(s) {', '.join(sorted(unknown))}")
        return 2
    chosen = [s for s in SCENARIOS if not keys or s.key in keys]
    workdir = RESULTS / "tmp" / f"abuse-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    env = {"WORKSHOP_HEADER_TIMEOUT": "2"} if args.quick else {}
    target = RuamKit.start(workdir, WORKSHOP, extra_env=env)
    sampler = Sampler({"server": target.pids(), "generator": [os.getpid()]})
    sampler.start()
    t0 = time.monotonic()
    try:
        scenarios = asyncio.run(run(args, target, sampler, chosen))
    finally:
        sampler.stop()
        target.stop()
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "cores": os.cpu_count(), "phones": args.phones, "rate": args.rate, "baseline": args.baseline,
        "seconds": args.seconds, "quick": args.quick, "total_s": round(time.monotonic() - t0, 1),
        "load_avg_end": round(os.getloadavg()[0], 2), "target_ratio": TARGET_RATIO,
        "scenarios": scenarios,
    }
    write(args.out, result)
    print((args.out / "abuse.md").read_text(), flush=True)
    failed = any(r["with"]["errors"] or r["without"]["errors"] for r in scenarios)
    missed = not all(r["pass"] for r in scenarios)
    return 1 if failed or (args.strict and missed) else 0

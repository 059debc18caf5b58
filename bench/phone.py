"""Cheap phone benchmark: the resident page's weight over the wire and its time to be ready to vote.

`python -m bench.phone [--runs 3] [--out bench/results]`

One fresh server (SQLite) with the demo workshop (sessions/ranong-livable-city.yaml, its
first stage open) and Debian's headless Chromium (/usr/bin/chromium) throttled as a cheap
phone on a crowded hall Wi-Fi through the DevTools protocol: CPU 4x slower
(Emulation.setCPUThrottlingRate) and a 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency
network (Network.emulateNetworkConditions). The browser cache starts empty every run.

Measured, per run:
- bytes over the wire (Network.loadingFinished encodedDataLength: compressed bodies plus
  headers) of the join page, of the resident page (the live room) loaded with an empty
  cache, and of a whole first visit (join page, then the room with what the join page
  cached), and the Socket.IO messages until ready (their size before the WebSocket's
  permessage-deflate, which Chromium's DevTools do not show; the extension negotiated is
  reported);
- time to ready to vote: from opening the join link to the join form answering, and from
  pressing Join (and from opening the room with an empty cache) to the open stage's choices
  drawn with the live connection up (`#conn[data-state=online]`).

Writes bench/results/phone.md and phone.json. Bytes are deterministic and checked against
the 60 KB budget (issue 15); times are reported, not asserted (they depend on the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load.servers import ROOT, RuamKit

RESULTS = ROOT / "bench" / "results"
WORKSHOP = ROOT / "sessions" / "ranong-livable-city.yaml"
CHROMIUM = "/usr/bin/chromium"
#: the issue's budget for the resident page's first load, in bytes over the wire
BUDGET = 60 * 1024
#: the issue's target for ready to vote on the throttled phone, in seconds (reported)
READY_TARGET = 3.0
CPU_SLOWDOWN = 4
NETWORK = {"offline": False, "latency": 150,
           "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
#: the open stage's choices drawn and the socket up
READY = "#conn[data-state=online]"


class Wire:
    """Bytes of every finished request and of Socket.IO frames, as Chromium counts them."""

    def __init__(self, cdp: Any) -> None:
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.frames = 0
        self.extensions = ""
        cdp.on("Network.webSocketHandshakeResponseReceived", self._handshake)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.on("Network.webSocketFrameSent", self._frame)

    def _handshake(self, event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in event["response"].get("headers", {}).items()}
        self.extensions = headers.get("sec-websocket-extensions", "") or "none"

    def _sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event: dict[str, Any]) -> None:
        self.sizes[event["requestId"]] = int(event["encodedDataLength"])

    def _frame(self, event: dict[str, Any]) -> None:
        self.frames += len(event["response"]["payloadData"].encode()) + 2  # + the frame header

    def reset(self) -> None:
        self.urls.clear()
        self.sizes.clear()
        self.frames = 0

    def taken(self) -> dict[str, Any]:
        by_url = {self.urls.get(rid, rid).split("?")[0].rsplit("/", 1)[-1] or "/": size
                  for rid, size in self.sizes.items()}
        return {"http": sum(self.sizes.values()), "socket": self.frames, "extensions": self.extensions,
                "requests": dict(sorted(by_url.items(), key=lambda kv: -kv[1]))}


def throttled_page(browser: Any) -> tuple[Any, Any, Wire]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="th-TH",
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    context.set_default_timeout(60_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    wire = Wire(cdp)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.emulateNetworkConditions", NETWORK)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return context, page, wire


def one_run(browser: Any, base: str, code: str, stage: str) -> dict[str, Any]:
    ready = READY
    choices = f"#st-{stage} input, #st-{stage} button"
    context, page, wire = throttled_page(browser)
    try:
        t0 = time.perf_counter()
        page.goto(f"{base}/j/{code}", wait_until="load")
        page.locator("form.join-form button[type=submit]").wait_for(state="visible")
        join_ready = time.perf_counter() - t0
        page.wait_for_load_state("networkidle")
        join = wire.taken()
        wire.reset()
        page.locator("input[name=group]").first.check()
        t1 = time.perf_counter()
        page.locator("form.join-form button[type=submit]").click()
        page.wait_for_selector(ready)
        page.locator(choices).first.wait_for(state="visible")
        room_ready = time.perf_counter() - t1
        page.wait_for_load_state("networkidle")
        room_after_join = wire.taken()
        # the same resident opens the room again with an empty cache (a phone that cleared it,
        # or the worst case of a first load of the resident page)
        context.new_cdp_session(page).send("Network.clearBrowserCache")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        wire.reset()
        t2 = time.perf_counter()
        page.goto(f"{base}/j/{code}", wait_until="commit")
        page.wait_for_selector(ready)
        page.locator(choices).first.wait_for(state="visible")
        cold_ready = time.perf_counter() - t2
        page.wait_for_load_state("networkidle")
        room_cold = wire.taken()
    finally:
        context.close()
    return {"join_ready_s": join_ready, "room_ready_after_join_s": room_ready,
            "room_ready_cold_s": cold_ready, "first_visit_ready_s": join_ready + room_ready,
            "join": join, "room_after_join": room_after_join, "room_cold": room_cold,
            "first_visit_bytes": join["http"] + room_after_join["http"]}


def measure(base: str, code: str, stage: str, runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            one_run(browser, base, code, stage)  # warm the server (its first requests compile templates)
            done = [one_run(browser, base, code, stage) for _ in range(runs)]
        finally:
            browser.close()
    return {"runs": done}


def _kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def report(result: dict[str, Any]) -> str:
    runs = result["runs"]
    last = runs[-1]

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    cold = last["room_cold"]["http"]
    visit = last["first_visit_bytes"]
    rows = "\n".join(f"| `{name}` | {size:,} |" for name, size in last["room_cold"]["requests"].items())
    join_rows = "\n".join(f"| `{name}` | {size:,} |" for name, size in last["join"]["requests"].items())
    lines = [
        "# Cheap phone: the resident page over a slow hall Wi-Fi",
        "",
        f"Run {result['date']} on {result['machine']}; Chromium {result['chromium']} throttled to "
        f"{CPU_SLOWDOWN}x CPU slowdown and 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency (DevTools "
        f"protocol); the demo workshop `{WORKSHOP.name}`, its first stage `{result['stage']}` open; "
        f"{len(runs)} runs after one warm-up, medians; load average {result['load_average']} on the "
        f"machine at the end. `python -m bench.phone` (part of `make bench`).",
        "",
        "| measure | result | target |",
        "|---|---:|---|",
        f"| resident page, first load with an empty cache (over the wire) | {_kb(cold)} ({cold:,} B) | "
        f"<= 60 KB: {'pass' if cold <= BUDGET else 'FAIL'} |",
        f"| whole first visit: join page, then the room (over the wire) | {_kb(visit)} ({visit:,} B) | "
        f"<= 60 KB: {'pass' if visit <= BUDGET else 'FAIL'} |",
        f"| join page alone | {_kb(last['join']['http'])} | |",
        f"| Socket.IO messages until ready, both ways, before WebSocket compression "
        f"(`{last['room_cold']['extensions'] or 'none'}`) | {_kb(last['room_cold']['socket'])} | |",
        f"| join link opened -> join form ready | {med('join_ready_s'):.2f} s | |",
        f"| Join pressed -> ready to vote | {med('room_ready_after_join_s'):.2f} s | |",
        f"| join link opened -> ready to vote (no time for the resident's choice) | "
        f"{med('first_visit_ready_s'):.2f} s | <= {READY_TARGET:g} s: "
        f"{'met' if med('first_visit_ready_s') <= READY_TARGET else 'missed'} |",
        f"| resident page with an empty cache -> ready to vote | {med('room_ready_cold_s'):.2f} s | "
        f"<= {READY_TARGET:g} s: {'met' if med('room_ready_cold_s') <= READY_TARGET else 'missed'} |",
        "",
        "Ready to vote: the live connection up (`#conn[data-state=online]`) and the open stage's "
        "choices drawn. Bytes are compressed bodies plus HTTP headers, as Chromium's "
        "`Network.loadingFinished` counts them.",
        "",
        "The resident page with an empty cache, by request:",
        "",
        "| request | bytes |",
        "|---|---:|",
        rows,
        "",
        "The join page, by request:",
        "",
        "| request | bytes |",
        "|---|---:|",
        join_rows,
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.phone", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"[bench] {CHROMIUM} is not installed: the phone benchmark is skipped", flush=True)
        return 0
    workdir = RESULTS / "tmp" / f"phone-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    target = RuamKit.start(workdir, WORKSHOP)
    try:
        assert target.workshop is not None
        wid, code = target.workshop.id, target.workshop.code
        stage = target.api("GET", f"/api/v1/workshops/{wid}")["stages"][0]["key"]
        target.api("POST", f"/api/v1/workshops/{wid}/stages/{stage}/open")
        result = measure(target.urls[0], code, stage, args.runs)
    finally:
        target.stop()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        version = browser.version
        browser.close()
    result.update({"date": datetime.now(UTC).isoformat(timespec="seconds"), "stage": stage,
                   "load_average": round(os.getloadavg()[0], 1),
                   "machine": f"{platform.machine()}, Python {platform.python_version()}",
                   "chromium": version, "budget_bytes": BUDGET})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "phone.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "phone.md").write_text(report(result))
    print((args.out / "phone.md").read_text())
    last = result["runs"][-1]
    return 0 if last["room_cold"]["http"] <= BUDGET and last["first_visit_bytes"] <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Export benchmark: time the plan draft PDF of a big workshop (``python -m bench.export``).

A workshop of 60 items, 2,000 participants and 1,000 comments is built in a
fresh SQLite database (bench/export/dataset.py, bulk inserts), then the PDF
is rendered ``--runs`` times the way the API's export process makes it
(render_export with EXPORT_RENDERER=thread runs render_export_here in this
process, which is what the child runs: data from the database, results,
report context, template, WeasyPrint; the child's start, about a second more
per export, is not included).
The target is the median within 6 s on a 2-core machine. CSV and JSON are
timed once. Results: bench/results/export.json and export.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_SECONDS = 6.0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--items", type=int, default=60)
    p.add_argument("--participants", type=int, default=2000)
    p.add_argument("--comments", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3, help="PDF renders to time (default 3)")
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory (default bench/results)")
    p.add_argument("--keep-pdf", type=Path, help="also write the last PDF here")
    return p


def _pages(pdf: bytes) -> int | None:
    try:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in info.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:  # pragma: no cover - not on every platform
        return "unknown"
    return f"{one:.2f} / {five:.2f}"


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from workshop import create_app
    from workshop.config import TestConfig
    from workshop.export import render_export

    from .dataset import build

    with tempfile.TemporaryDirectory(prefix="ruamkit-bench-export-") as tmp:
        app = create_app(
            TestConfig(
                f"sqlite:///{tmp}/bench.db",
                instance=Path(tmp) / "instance",
                ASYNC_MODE="threading",
                RESULTS_INTERVAL=0,
            )
        )
        with app.app_context():
            started = time.perf_counter()
            wid = build(args.items, args.participants, args.comments)
            build_seconds = time.perf_counter() - started
            timings, cpu = [], []
            pdf = b""
            for _ in range(max(1, args.runs)):
                wall0, cpu0 = time.perf_counter(), time.process_time()
                pdf, _mimetype, _name = render_export(wid, "pdf")
                timings.append(time.perf_counter() - wall0)
                cpu.append(time.process_time() - cpu0)
            others = {}
            for fmt in ("csv", "json"):
                wall0 = time.perf_counter()
                data, _mimetype, _name = render_export(wid, fmt)
                others[fmt] = {"seconds": round(time.perf_counter() - wall0, 3), "bytes": len(data)}
            from workshop.export.data import collect

            sample = collect(wid, with_ballots=True)
        if args.keep_pdf:
            args.keep_pdf.write_bytes(pdf)
    median = statistics.median(timings)
    return {
        "benchmark": "export",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_1m_5m": _load(),
        },
        "workshop": {
            "items": sum(len(s.items) for s in sample.definition.stages),
            "participants": sample.counts["participants"]["total"],
            "ballots": len(sample.ballots),
            "comments": len(sample.comments),
            "published_comments": sum(c["status"] == "published" for c in sample.comments),
            "build_seconds": round(build_seconds, 2),
        },
        "pdf": {
            "runs": [round(t, 3) for t in timings],
            "cpu_seconds": [round(t, 3) for t in cpu],
            "median_seconds": round(median, 3),
            "best_seconds": round(min(timings), 3),
            "bytes": len(pdf),
            "pages": _pages(pdf),
            "target_seconds": TARGET_SECONDS,
            "pass": median <= TARGET_SECONDS,
        },
        **others,
    }


def markdown(result: dict[str, Any]) -> str:
    w, pdf = result["workshop"], result["pdf"]
    verdict = "PASS" if pdf["pass"] else "FAIL"
    lines = [
        "# Export benchmark",
        "",
        f"Run {result['when']} on {result['machine']['cpus']} CPUs, Python {result['machine']['python']}, "
        f"load average (1 min / 5 min) {result['machine']['load_average_1m_5m']}.",
        "",
        f"Workshop: {w['items']} items, {w['participants']:,} participants, {w['ballots']:,} ballots, "
        f"{w['comments']:,} comments ({w['published_comments']:,} published); "
        f"built in {w['build_seconds']} s.",
        "",
        "| export | time | size | note |",
        "|---|---|---|---|",
        f"| plan draft PDF | median {pdf['median_seconds']} s (best {pdf['best_seconds']} s; "
        f"runs {', '.join(str(t) for t in pdf['runs'])}) | {pdf['bytes']:,} bytes, {pdf['pages']} pages | "
        f"target {pdf['target_seconds']} s: **{verdict}** |",
        f"| CSV (zip) | {result['csv']['seconds']} s | {result['csv']['bytes']:,} bytes | |",
        f"| JSON | {result['json']['seconds']} s | {result['json']['bytes']:,} bytes | |",
        "",
        f"CPU time of the PDF renders: {', '.join(str(t) for t in pdf['cpu_seconds'])} s.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv if argv is not None else [])
    result = measure(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "export.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "export.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0 if result["pdf"]["pass"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

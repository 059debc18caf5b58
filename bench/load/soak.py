"""A soak's figures: server memory over a long steady run, latency per window, full
garbage collections (issue 17: "RSS after a 30-minute steady run within 20 % of its
value after 5 minutes").

The marks scale with the run so that a shortened soak (``--duration 120``) reads the
same way: the baseline is taken at min(300 s, duration / 6) after the stages open (5
minutes of a 30-minute run), latency windows are that long, and RSS is listed every
min(60 s, duration / 30). An RSS value at a moment is the median of the sampler's
readings (every 0.25 s) in the few seconds up to it.
"""

from __future__ import annotations

import array
from pathlib import Path
from statistics import median
from typing import Any

from .stats import percentiles

#: the issue's figures for a 30-minute run
BASELINE_S = 300.0
STEP_S = 60.0


def marks(duration: float) -> tuple[float, float]:
    """(baseline and window length, RSS step) in seconds for a run of this duration."""
    return min(BASELINE_S, duration / 6), min(STEP_S, duration / 30)


def rss_at(samples: list[tuple[float, float, float]], t: float, span: float = 5.0) -> float | None:
    """Median RSS (MB) of the samples (time, cpu, rss MB) in [t - span, t]; the last one
    before t if none falls in it; None before the first."""
    got = [r for ts, _c, r in samples if t - span <= ts <= t]
    if got:
        return round(median(got), 1)
    before = [r for ts, _c, r in samples if ts <= t]
    return round(before[-1], 1) if before else None


def ratio(end: float | None, baseline: float | None) -> float | None:
    return round(end / baseline, 3) if end is not None and baseline else None


def timeline(samples: list[tuple[float, float, float]], t0: float, t1: float, step: float) -> list[Any]:
    """[seconds after t0, RSS MB] every ``step`` s from t0 to t1, and at t1."""
    out = []
    n = int((t1 - t0) // step) if step > 0 else 0
    for k in range(n + 1):
        out.append([round(k * step), rss_at(samples, t0 + k * step, min(5.0, step))])
    if not out or t1 - (t0 + n * step) >= 1.0:
        out.append([round(t1 - t0), rss_at(samples, t1, min(5.0, step))])
    return out


def windows(t_send: list[float] | array.array[float], latency_ms: list[float] | array.array[float],
            t0: float, t1: float, length: float) -> list[dict[str, Any]]:
    """Ack latency percentiles of the copies sent in each window of ``length`` s from t0."""
    # the last window takes the moments after the last whole one (the tail of acknowledgements)
    n = max(1, round((t1 - t0) / length)) if length > 0 else 1
    buckets: list[list[float]] = [[] for _ in range(n)]
    for ts, lat in zip(t_send, latency_ms):
        k = min(n - 1, max(0, int((ts - t0) // length))) if length > 0 else 0
        buckets[k].append(lat)
    return [{"from_s": round(k * length), "to_s": round((k + 1) * length if k < n - 1 else t1 - t0),
             **percentiles(b)} for k, b in enumerate(buckets)]


def read_gc_log(path: Path) -> list[tuple[float, float, int]]:
    """(monotonic start, ms, objects collected) of each full collection bench/load/gcwatch.py logged."""
    out = []
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        parts = line.split()
        if len(parts) == 3:
            try:
                out.append((float(parts[0]), float(parts[1]), int(parts[2])))
            except ValueError:
                continue
    return out


def gc_figures(log: list[tuple[float, float, int]], t0: float, t1: float) -> dict[str, Any]:
    got = [(t, d, n) for t, d, n in log if t0 <= t <= t1]
    pauses = [d for _t, d, _n in got]
    span_min = max((t1 - t0) / 60, 1e-9)
    return {"full_collections": len(got), "per_minute": round(len(got) / span_min, 2),
            "ms": percentiles(pauses), "total_ms": round(sum(pauses), 1),
            "collected": sum(n for _t, _d, n in got),
            # when (s after the stages opened) and how long, the first 60
            "first": [[round(t - t0, 1), round(d, 1)] for t, d, _n in got[:60]]}


def _floats(raw: bytes, code: str) -> array.array[float]:
    a: array.array[float] = array.array(code)
    a.frombytes(raw)
    return a


def phase_counts(summaries: list[dict[str, Any]], t_end: float) -> dict[str, Any]:
    """The usual phase figures (bench/load/harness.py) from the generators' compact summaries."""
    latencies: list[float] = []
    lags: list[float] = []
    errors: dict[str, int] = {}
    for s in summaries:
        latencies.extend(_floats(s["latency_ms"], "f"))
        lags.extend(_floats(s["schedule_lag_ms"], "f"))
        for code, n in s["errors"].items():
            errors[code] = errors.get(code, 0) + n
    firsts = [s["t_first_send"] for s in summaries if s["t_first_send"] is not None]
    acked = sum(s["acked"] for s in summaries)
    span = max(t_end - min(firsts), 1e-9) if firsts else 1e-9
    return {"sent": sum(s["sent"] for s in summaries), "copies_sent": sum(s["copies"] for s in summaries),
            "acked": acked, "errors": sum(errors.values()), "errors_by_code": errors,
            "ack_ms": percentiles(latencies), "ballots_per_s": round(acked / span, 1),
            "voting_seconds": round(span, 3), "schedule_lag_ms": percentiles(lags)}


def figures(summaries: list[dict[str, Any]], server: list[tuple[float, float, float]],
            generator: list[tuple[float, float, float]], t0: float, t_end: float, duration: float,
            gc_log: list[tuple[float, float, int]] | None = None) -> dict[str, Any]:
    baseline_s, step = marks(duration)
    t_send: array.array[float] = array.array("d")
    latency: array.array[float] = array.array("f")
    for s in summaries:
        t_send.extend(_floats(s["t_send"], "d"))
        latency.extend(_floats(s["latency_ms"], "f"))
    rss_base, rss_end = rss_at(server, t0 + baseline_s), rss_at(server, t_end)
    gen_base, gen_end = rss_at(generator, t0 + baseline_s), rss_at(generator, t_end)
    return {
        "duration_s": round(t_end - t0, 1), "baseline_s": round(baseline_s, 1), "step_s": round(step, 1),
        "server_rss_baseline_mb": rss_base, "server_rss_end_mb": rss_end,
        "server_rss_ratio": ratio(rss_end, rss_base),
        "server_rss_peak_mb": max((round(r, 1) for ts, _c, r in server if t0 <= ts <= t_end), default=None),
        "generator_rss_baseline_mb": gen_base, "generator_rss_end_mb": gen_end,
        "generator_rss_ratio": ratio(gen_end, gen_base),
        "server_rss_mb": timeline(server, t0, t_end, step),
        "generator_rss_mb": timeline(generator, t0, t_end, step),
        "ack_windows": windows(t_send, latency, t0, t_end, baseline_s),
        "gc": gc_figures(gc_log, t0, t_end) if gc_log is not None else None,
    }

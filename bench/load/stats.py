"""Percentiles without numpy."""

from __future__ import annotations

from collections.abc import Iterable


def ms(seconds: Iterable[float]) -> list[float]:
    return [s * 1000.0 for s in seconds]


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        raise ValueError("no values")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def percentiles(values: Iterable[float]) -> dict[str, float | int | None]:
    got = sorted(values)
    if not got:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    return {"n": len(got), "p50": round(percentile(got, 50), 1), "p95": round(percentile(got, 95), 1),
            "p99": round(percentile(got, 99), 1), "max": round(got[-1], 1)}

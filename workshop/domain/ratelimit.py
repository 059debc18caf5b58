"""Token buckets: a burst allowance refilled at a steady rate. Clock injected."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """``burst`` events at once, then ``per_second`` on average."""

    burst: int
    per_second: float


class RateLimiter:
    """Per-key token buckets, bounded in memory (least recently used keys dropped)."""

    def __init__(self, rate: Rate, clock: Callable[[], float], max_keys: int = 100_000) -> None:
        self.rate = rate
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()

    def allow(self, key: Hashable, cost: float = 1.0) -> bool:
        now = self.clock()
        tokens, stamp = self._buckets.pop(key, (float(self.rate.burst), now))
        tokens = min(float(self.rate.burst), tokens + (now - stamp) * self.rate.per_second)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

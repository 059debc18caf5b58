"""Rate limits: one table of rates, and where each kind is counted.

- Over HTTP (joining, signing in, CSP reports) limits are counted by
  Flask-Limiter's strategy (the ``limits`` library, moving windows) in
  Redis when ``WORKSHOP_MESSAGE_QUEUE`` is set, so they hold across every server
  process, and in memory otherwise. Should Redis fail, this process counts in
  memory until it answers again: a limit never turns into a 500.
- Over a socket (ballot, comment, idea, sync) limits are token buckets in the
  process that holds the socket: a socket lives in one process, and the hot path
  of a ballot never waits for Redis.

Per network address limits stay far above what a venue reaches: thousands of
phones can share one public address behind the venue's router. They only stop
scripts: join floods and password guessing.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from limits.strategies import RateLimiter as Strategy

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
HTTP_KEY = "ruamkit.http_limiter"
SOCKET_KEY = "ruamkit.socket_limiters"


@dataclass(frozen=True)
class Rate:
    """``burst`` events at once, then ``per_second`` on average."""

    burst: int
    per_second: float

    def item(self) -> RateLimitItem:
        """As a moving window: ``burst`` in any ``burst / per_second`` seconds (the same
        average; a spent burst comes back as its oldest requests leave the window)."""
        return RateLimitItemPerSecond(self.burst, max(1, round(self.burst / self.per_second)))


#: THE table of rates (README, "Rate limits", says the same in words).
#: HTTP, counted per network address (and per user name where named):
HTTP_RATES = {
    # a whole town hall behind one router joins at once
    "join": Rate(burst=5000, per_second=50.0),
    # password guessing against one account: per address and user name
    "login": Rate(burst=10, per_second=1 / 6),
    # made-up user names from one address (each costs a password hash): per address
    "login_address": Rate(burst=30, per_second=0.5),
    "csp_report": Rate(burst=100, per_second=5.0),
}
#: HTTP, counted per account (whatever the address): large workshop bodies (those checked in a
#: worker process, services.bodies) that passed their checks, POSTed or PUT over the API or
#: uploaded in the console, 20 at once then one every 5 s. The console's builder sends small
#: forms (one per press of a button) and never counts here.
ACCOUNT_RATES = {
    "workshop_write": Rate(burst=20, per_second=0.2),
}
#: sockets, counted per resident (or per socket) and event: generous for people, tight for scripts
SOCKET_RATES = {
    "ballot": Rate(burst=20, per_second=2.0),
    "comment": Rate(burst=5, per_second=0.2),
    "idea": Rate(burst=5, per_second=0.1),
    "sync": Rate(burst=20, per_second=2.0),
    "stage": Rate(burst=20, per_second=2.0),
    "comments": Rate(burst=20, per_second=2.0),
}


class Exceeded(Exception):
    """Over the rate; ``retry_after`` is the wait in whole seconds before a retry may pass."""

    def __init__(self, name: str, retry_after: int) -> None:
        super().__init__(f"{name}: over its rate, retry after {retry_after} s")
        self.name = name
        self.retry_after = retry_after


# ---------------------------------------------------------------------------
# HTTP


class HttpLimits:
    """This app's HTTP limits: a Flask-Limiter over Redis (or memory), and a memory fallback."""

    def __init__(self, app: Flask) -> None:
        url = app.config.get("MESSAGE_QUEUE")
        # the channel keeps apart several deployments (and test runs) sharing one Redis
        prefix = f"{app.config.get('MESSAGE_QUEUE_CHANNEL', 'ruamkit')}:limits"
        self.limiter = Limiter(
            key_func=lambda: request.remote_addr or "",
            storage_uri=url or "memory://",
            strategy="moving-window",  # exact: never more than the allowance in any window
            key_prefix=prefix,
            headers_enabled=False,  # Retry-After is set where the 429 is answered
            enabled=bool(app.config.get("RATE_LIMITS", True)),
        )
        self.limiter.init_app(app)
        self.prefix = prefix
        self.shared = bool(url)
        self._fallback: Strategy | None = None

    def _strategy(self) -> Strategy:
        return self.limiter.limiter

    def _memory(self) -> Strategy:
        if self._fallback is None:
            self._fallback = MovingWindowRateLimiter(MemoryStorage())
        return self._fallback

    def hit(self, name: str, *parts: str) -> None:
        """Count one event of ``name`` for ``parts``; raise Exceeded when over the rate."""
        item = (HTTP_RATES.get(name) or ACCOUNT_RATES[name]).item()
        keys = (self.prefix, name, *parts)
        try:
            strategy = self._strategy()
            allowed = strategy.hit(item, *keys)
        except Exception:  # Redis down: this process counts alone until it is back
            if not self.shared:
                raise
            log.warning("rate-limit storage unavailable; counting %s in this process", name, exc_info=True)
            strategy = self._memory()
            allowed = strategy.hit(item, *keys)
        if not allowed:
            raise Exceeded(name, _retry_after(strategy, item, keys))


def _retry_after(strategy: Strategy, item: RateLimitItem, keys: tuple[str, ...]) -> int:
    try:
        reset = strategy.get_window_stats(item, *keys).reset_time
    except Exception:  # the window's end is a courtesy; the refusal stands without it
        return 1
    return max(1, math.ceil(reset - time.time()))


def init_app(app: Flask) -> None:
    app.extensions[HTTP_KEY] = HttpLimits(app)
    app.extensions[SOCKET_KEY] = {
        name: RateLimiter(rate, time.monotonic) for name, rate in SOCKET_RATES.items()
    }


def enabled() -> bool:
    return bool(current_app.config.get("RATE_LIMITS", True))


def check(name: str, *parts: object) -> None:
    """Count one HTTP request of ``name`` from this address (and ``parts``, e.g. a user
    name); raise Exceeded when it is over its rate."""
    if not enabled():
        return
    limits: HttpLimits = current_app.extensions[HTTP_KEY]
    limits.hit(name, request.remote_addr or "", *(str(part) for part in parts))


def check_account(name: str, account: object) -> None:
    """Count one request of ``name`` (ACCOUNT_RATES) for an account, from any address; raise
    Exceeded when it is over its rate."""
    if not enabled():
        return
    limits: HttpLimits = current_app.extensions[HTTP_KEY]
    limits.hit(name, "account", str(account))


def limited(name: str) -> Callable[[F], F]:
    """A view counted against ``name`` per address before it runs."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check(name)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


# ---------------------------------------------------------------------------
# Sockets


class RateLimiter:
    """Per-key token buckets, bounded in memory (least recently used keys dropped). Clock injected."""

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


def socket_allowed(name: str, key: Any) -> bool:
    """Whether a socket event ``name`` from ``key`` (resident or socket) is within its rate."""
    return SocketLimits(current_app._get_current_object()).allowed(name, key)  # type: ignore[attr-defined]


class SocketLimits:
    """One app's socket limiters, found once (the event path holds one: no proxy lookups)."""

    __slots__ = ("config", "limiters")

    def __init__(self, app: Flask) -> None:
        self.config = app.config
        self.limiters: dict[str, RateLimiter] = app.extensions[SOCKET_KEY]

    def allowed(self, name: str, key: Any) -> bool:
        """Whether a socket event ``name`` from ``key`` (resident or socket) is within its rate
        (always, while the app's ``RATE_LIMITS`` is off: read at every event, as before)."""
        if not self.config.get("RATE_LIMITS", True):
            return True
        limiter = self.limiters.get(name)
        return limiter is None or limiter.allow(key)

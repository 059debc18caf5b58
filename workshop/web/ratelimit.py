"""HTTP rate limits (sockets have their own, per participant, in realtime.handlers).

Per network address limits stay far above what a venue reaches: thousands of
phones can share one public address behind the venue's router. They only stop
scripts: join floods and password guessing.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request

from ..domain.ratelimit import Rate, RateLimiter
from ..services.errors import RateLimited

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION_KEY = "ruamkit.http_limiters"

#: name -> rate. Joining: 5,000 at once, then 50 a second, per address.
#: Sign-in: 10 tries, then one every 6 seconds, per address and user name.
RATES = {
    "join": Rate(burst=5000, per_second=50.0),
    "login": Rate(burst=10, per_second=1 / 6),
    "csp_report": Rate(burst=100, per_second=5.0),
}


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = {name: RateLimiter(rate, time.monotonic) for name, rate in RATES.items()}


def check(name: str, *parts: object) -> None:
    """Raise RateLimited (429) when ``name`` is over its rate for this address and ``parts``."""
    if not current_app.config.get("RATE_LIMITS", True):
        return
    limiter: RateLimiter = current_app.extensions[EXTENSION_KEY][name]
    if not limiter.allow((request.remote_addr, *parts)):
        raise RateLimited("too many requests from this network: wait a moment and try again")


def limited(name: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check(name)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate

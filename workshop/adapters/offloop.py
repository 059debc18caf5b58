"""CPU-heavy work off the event loop: a small, fixed pool of OS threads.

Under the gevent server every greenlet of a process shares one OS thread, so a password
hash (~90 ms) or the reading of a large workshop file (~1 s at the file limits) computed
there would stall every socket of the process. :func:`off_loop` runs such work in a pool
of ``POOL_SIZE`` OS threads and only the greenlet that asked waits: scrypt releases the
GIL, and Python code hands it back to the loop every switch interval (5 ms). Work that
holds the GIL throughout (pydantic's checks) gains nothing here: the loop would wait for
the GIL at every turn. Without gevent (the threaded test server, the command line) the
calling thread does the work, as it blocks nobody else.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
#: jobs at once per process; more wait their turn (rate limits and sizes bound the queue)
POOL_SIZE = 2

_pool: Any = None
_pool_pid: int | None = None
_pool_lock = threading.Lock()


def _under_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return bool(monkey.is_module_patched("threading"))


def _threadpool() -> Any:
    """This process's pool (a forked child makes its own)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            from gevent.threadpool import ThreadPool

            _pool, _pool_pid = ThreadPool(POOL_SIZE), os.getpid()
        return _pool


def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the pool under gevent, here otherwise; what it raises is raised here
    (and not also printed by the pool as a failed task: an invalid workshop is no crash)."""
    if not _under_gevent():
        return fn(*args)

    def run() -> tuple[bool, Any]:
        try:
            return True, fn(*args)
        except Exception as exc:  # handed to the caller's greenlet
            return False, exc

    done, value = _threadpool().apply(run)
    if not done:
        raise value
    result: T = value
    return result

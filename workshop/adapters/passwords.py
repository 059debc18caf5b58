"""Password hashes (werkzeug's scrypt, ~90 ms each), computed off the event loop.

Under the gevent server every greenlet of a process shares one OS thread: a hash
computed there stalls every socket of the process for its ~90 ms, so a flood of
sign-ins with made-up user names would hold up ballots. Here each hash runs in a
small, fixed-size pool of OS threads (``POOL_SIZE``; scrypt releases the GIL),
and only the greenlet that asked waits. Without gevent (the threaded test
server, the command line) the calling thread hashes, as it blocks nobody else.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

T = TypeVar("T")
#: hashes computed at once per process; more sign-ins wait their turn (rate limits bound the queue)
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
    """This process's hashing pool (a forked child makes its own)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            from gevent.threadpool import ThreadPool

            _pool, _pool_pid = ThreadPool(POOL_SIZE), os.getpid()
        return _pool


def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the hashing pool under gevent, here otherwise."""
    if not _under_gevent():
        return fn(*args)
    result: T = _threadpool().apply(fn, args)
    return result


def hash_password(password: str) -> str:
    """werkzeug's scrypt, or the app's PASSWORD_HASH_METHOD (a cheap one in TestConfig only)."""
    method = "scrypt"
    if has_app_context():
        method = str(current_app.config.get("PASSWORD_HASH_METHOD") or method)
    return off_loop(generate_password_hash, password, method)


def check_password(stored_hash: str, password: str) -> bool:
    return bool(off_loop(check_password_hash, stored_hash, password))

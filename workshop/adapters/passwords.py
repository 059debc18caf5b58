"""Password hashes (werkzeug's scrypt, ~90 ms each), computed off the event loop.

Under the gevent server a hash computed on the loop would stall every socket of the
process for its ~90 ms, so a flood of sign-ins with made-up user names would hold up
ballots: each hash runs in the pool of :mod:`.offloop` (scrypt releases the GIL), and
only the greenlet that asked waits.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

from .offloop import off_loop


def hash_password(password: str) -> str:
    """werkzeug's scrypt, or the app's PASSWORD_HASH_METHOD (a cheap one in TestConfig only)."""
    method = "scrypt"
    if has_app_context():
        method = str(current_app.config.get("PASSWORD_HASH_METHOD") or method)
    return off_loop(generate_password_hash, password, method)


def check_password(stored_hash: str, password: str) -> bool:
    return bool(off_loop(check_password_hash, stored_hash, password))

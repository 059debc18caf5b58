"""Secrets: random tokens and their stored hashes."""

from __future__ import annotations

import hashlib
import secrets

#: join codes avoid look-alikes (0/O, 1/I/L) so they can be read off a projector
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def new_code(length: int = 6) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def token_hash(token: str) -> str:
    """sha256 hex: tokens are long random strings, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()

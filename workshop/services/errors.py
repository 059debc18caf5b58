"""Errors a use case raises; every front end maps them to its own shape.

The HTTP API renders ``{"error": {"code", "message", "details"?}}`` with
``status``; sockets acknowledge ``{"ok": false, "error": {"code", "message"}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..domain.problems import Problem


class ServiceError(Exception):
    """``message`` and ``details`` are English (the API's); ``problems``, when the error
    comes from a workshop file or the ballot rules, are the same as codes with
    parameters (domain.problems), for pages to say in their own language."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None, *, code: str | None = None,
                 problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.problems = list(problems)
        if code is not None:
            self.code = code

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


class Invalid(ServiceError):
    status = 422
    code = "invalid"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"


class BallotRefused(ServiceError):
    """A phone ballot refused with one of the contract's codes:
    invalid, stage_closed, unknown_stage, not_allowed, rate_limited."""

    status = 422
    code = "invalid"


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached right now.

    Connection-level failures only (a server gone, a connection refused or cut): a broken
    rule or a bug is not hidden behind "try again".
    """
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import InterfaceError as SAInterfaceError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (OperationalError, SAInterfaceError)):
            return not _sqlite_rule(current)
        name = type(current).__module__.split(".")[0]
        if name == "psycopg" and type(current).__name__ in {"OperationalError", "InterfaceError"}:
            return True
        current = current.__cause__ or current.__context__
    return False


def _sqlite_rule(exc: BaseException) -> bool:
    """SQLite's OperationalError also means "no such table" and the like: not an outage."""
    text = str(exc).lower()
    return "sqlite" in text and "locked" not in text and "unable to open" not in text

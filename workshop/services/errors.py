"""Errors a use case raises; every front end maps them to its own shape.

The HTTP API renders ``{"error": {"code", "message", "details"?}}`` with
``status``; sockets acknowledge ``{"ok": false, "error": {"code", "message"}}``.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
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

"""Every error under /api is ``{"error": {"code", "message", "details"?}}``."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ...adapters.ratelimit import Exceeded
from ...services.errors import RateLimited, ServiceError
from . import bp
from .schemas import Error, ErrorBody


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    """The body is the document's ``Error`` model (``details`` only when there are some)."""
    error = ErrorBody(code=code, message=message) if details is None else ErrorBody(
        code=code, message=message, details=details)
    response = jsonify(Error(error=error).model_dump(mode="json", exclude_unset=True))
    response.status_code = status
    return response


@bp.app_errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Response:
    response = error_response(exc.status, exc.code, exc.message, exc.details)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


#: what a 429 says, by the limit it met (ratelimit's names); others: the network's
LIMIT_MESSAGES = {
    "workshop_write": "too many large workshop bodies from this account: wait before sending the next",
}


@bp.app_errorhandler(Exceeded)
def _rate_limited(exc: Exceeded) -> Response:
    """429 rate_limited, with Retry-After: when the window lets the next request through."""
    message = LIMIT_MESSAGES.get(exc.name, "too many requests from this network: wait a moment and try again")
    response = _service_error(RateLimited(message))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 422: "invalid", 429: "rate_limited"}


def api_http_error(exc: HTTPException) -> Response | HTTPException:
    """JSON bodies for HTTP errors on API paths; HTML pages keep Flask's own."""
    if not request.path.startswith(("/api/", "/healthz")):
        return exc
    status = exc.code or 500
    return error_response(status, HTTP_CODES.get(status, "error"), exc.description or exc.name)


bp.record_once(lambda state: state.app.register_error_handler(HTTPException, api_http_error))

"""Content-Security-Policy violation reports: logged, and kept for tests.

Browsers POST a report when a page tries something the policy forbids (an
injected inline script, a foreign resource). Nothing in RuamKit should ever
trigger one, so each report is logged as a warning.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

from ..adapters import ratelimit

log = logging.getLogger(__name__)
bp = Blueprint("security", __name__)
EXTENSION_KEY = "ruamkit.csp_reports"
MAX_REPORT = 16 * 1024


def reports(app: Flask | None = None) -> deque[dict[str, Any]]:
    found: deque[dict[str, Any]] = (app or current_app).extensions[EXTENSION_KEY]
    return found


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, Secure whenever the request came over HTTPS (COOKIE_SECURE)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = str(app.config.get("COOKIE_SECURE", "auto")).strip().lower()
        if setting in ("1", "true", "yes", "always"):
            return True
        if setting in ("0", "false", "no", "never"):
            return False
        # ProxyFix has applied X-Forwarded-Proto only when WORKSHOP_TRUSTED_PROXIES trusts a proxy
        return has_request_context() and request.is_secure


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = deque(maxlen=200)
    app.session_interface = SessionInterface()

    @app.after_request
    def _no_store_pages(response: Any) -> Any:
        # console, projector and resident pages hold live state and tokens: never cached
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


@bp.post("/csp-report")
def csp_report() -> tuple[str, int]:
    ratelimit.check("csp_report")
    raw = request.get_data(cache=False)[:MAX_REPORT]
    try:
        body = json.loads(raw or b"null")
    except (ValueError, RecursionError):  # 5,000 levels deep was a 500
        return "", 400
    entries = body if isinstance(body, list) else [body]
    for entry in entries:
        report = entry.get("csp-report") or entry.get("body") if isinstance(entry, dict) else None
        if isinstance(report, dict):
            reports().append(report)
            directive = report.get("violated-directive") or report.get("effectiveDirective")
            blocked = report.get("blocked-uri") or report.get("blockedURL")
            page = report.get("document-uri") or report.get("documentURL")
            log.warning("CSP violation: %s blocked %s on %s",
                        _loggable(directive), _loggable(blocked), _loggable(page))
    return "", 204


def _loggable(value: Any, limit: int = 300) -> str:
    """A report field as a short piece of one log line.

    Anyone can POST a report, so a field is cut short and anything that is not
    printable (line breaks, terminal escapes, bidi controls) is written as \\uXXXX:
    a report cannot forge further log lines or hide what it says.
    """
    text = str(value)[:limit]
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


def asked_by_own_page() -> bool:
    """Whether this request comes from one of our own pages (so it may set a cookie).

    A valid CSRF token (``X-CSRFToken`` header or ``csrf_token`` field) says so; else
    the browser's ``Sec-Fetch-Site`` must be ``same-origin``; else its ``Origin`` must be
    this host, WORKSHOP_PUBLIC_URL or one of WORKSHOP_CORS_ORIGINS. A request with none
    of these (a script, curl) is not a page: it gets its token in the body, no cookie.
    Issue 14: a form on another site posting text/plain to /api/v1/join replaced a
    resident's remembered participant.
    """
    from flask_wtf.csrf import CSRFError, validate_csrf
    from wtforms import ValidationError

    token = request.headers.get("X-CSRFToken") or request.form.get("csrf_token")
    if token:
        try:
            validate_csrf(token)
            return True
        except (CSRFError, ValidationError):
            return False
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return False
    allowed = {o.rstrip("/") for o in current_app.config.get("CORS_ORIGINS") or [] if o != "*"}
    if current_app.config.get("PUBLIC_URL"):
        allowed.add(str(current_app.config["PUBLIC_URL"]).rstrip("/"))
    return origin.rstrip("/") in allowed or urlsplit(origin).netloc == request.host

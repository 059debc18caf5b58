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

from flask import Blueprint, Flask, current_app, request

from ..adapters import ratelimit

log = logging.getLogger(__name__)
bp = Blueprint("security", __name__)
EXTENSION_KEY = "ruamkit.csp_reports"
MAX_REPORT = 16 * 1024


def reports(app: Flask | None = None) -> deque[dict[str, Any]]:
    found: deque[dict[str, Any]] = (app or current_app).extensions[EXTENSION_KEY]
    return found


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = deque(maxlen=200)


@bp.post("/csp-report")
def csp_report() -> tuple[str, int]:
    ratelimit.check("csp_report")
    raw = request.get_data(cache=False)[:MAX_REPORT]
    try:
        body = json.loads(raw or b"null")
    except ValueError:
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

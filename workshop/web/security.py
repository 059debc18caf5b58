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

from . import ratelimit

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
            log.warning("CSP violation: %s blocked %s on %s", report.get("violated-directive")
                        or report.get("effectiveDirective"), report.get("blocked-uri")
                        or report.get("blockedURL"), report.get("document-uri") or report.get("documentURL"))
    return "", 204

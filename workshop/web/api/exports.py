"""Exports over HTTP: the plan draft and raw data, and the printable join cards.

    GET /api/v1/workshops/{id}/export?format=pdf|csv|json[&lang=th|en]
    GET /api/v1/workshops/{id}/tokens.pdf[?group=KEY][&lang=th|en]

Both answer with the file as an attachment. A facilitator's bearer token is
the API's way in; the console's signed-in session works too, so that its
download links (templates/export/_download_buttons.html) are plain links.

Every export (reading the workshop included) is made by a child process
(export/process.py), so the server's event loop only waits on its pipe. At most
EXPORTS_AT_ONCE exports run at once in a process (default 1 on SQLite, 2 otherwise);
another request meanwhile gets 429 ``export_busy`` with Retry-After. A PDF or DOCX that
breaks the child's memory or time ceiling gets 413 ``export_too_large`` (the CSV and JSON
exports hold everything: they have the time ceiling only).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, request

from ...export import check_format, render_export, render_join_cards
from ...export.process import RenderFailed
from . import bp
from .errors import error_response
from .routes import PREFIX, allowed, bearer_token, facilitator_required


def facilitator_or_console(action: str) -> Any:
    """``facilitator_required``, or a facilitator signed in to the console (downloads are GETs);
    either way a member whose role allows ``action`` (services.access)."""
    return lambda view: _facilitator_or_console(allowed(action)(view))


def _facilitator_or_console(view: Any) -> Any:
    api_view = facilitator_required(view)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if bearer_token() is None:
            from ..facilitator.auth import current_user

            if current_user() is not None:
                return view(*args, **kwargs)
        return api_view(*args, **kwargs)

    return wrapper


def attachment(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


SLOTS_KEY = "ruamkit.export_slots"
#: seconds a refused export is told to wait (a render of a large workshop takes about that)
RETRY_AFTER = 15


def exports_at_once(app: Flask) -> int:
    wanted = int(app.config.get("EXPORTS_AT_ONCE") or 0)
    if wanted > 0:
        return wanted
    return 1 if str(app.config.get("DATABASE_URL", "")).startswith("sqlite") else 2


def _slots() -> threading.BoundedSemaphore:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    slots = app.extensions.get(SLOTS_KEY)
    if slots is None:  # no yield between the check and the set: one semaphore per app
        slots = app.extensions[SLOTS_KEY] = threading.BoundedSemaphore(exports_at_once(app))
    return slots


def rendered(render: Callable[[], tuple[bytes, str, str]]) -> Response:
    """``render()`` in one of the export slots, as an attachment; 429 when all are taken."""
    slots = _slots()
    if not slots.acquire(blocking=False):
        response = error_response(429, "export_busy",
                                  "another export is being prepared: try again in a few seconds")
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    try:
        return attachment(*render())
    except RenderFailed as exc:
        hint = "; the CSV and JSON exports hold everything" if exc.draft else ""
        return error_response(413, "export_too_large",
                              f"the file could not be made within the server's limits ({exc}){hint}")
    finally:
        slots.release()


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/export")
@facilitator_or_console("read")
def export_workshop(workshop_id: int) -> Response:
    fmt = check_format(request.args.get("format"))
    lang = request.args.get("lang") or None
    return rendered(lambda: render_export(workshop_id, fmt, lang))


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/tokens.pdf")
@facilitator_or_console("run")
def join_cards(workshop_id: int) -> Response:
    group, lang = request.args.get("group") or None, request.args.get("lang") or None
    return rendered(lambda: render_join_cards(workshop_id, group, lang))

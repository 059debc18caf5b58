"""Exports over HTTP: the plan draft and raw data, and the printable join cards.

    GET /api/v1/workshops/{id}/export?format=pdf|csv|json[&lang=th|en]
    GET /api/v1/workshops/{id}/tokens.pdf[?group=KEY][&lang=th|en]

Both answer with the file as an attachment. A facilitator's bearer token is
the API's way in; the console's signed-in session works too, so that its
download links (templates/export/_download_buttons.html) are plain links.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Response, request

from ...export import check_format, render_export, render_join_cards
from . import bp
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


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/export")
@facilitator_or_console("read")
def export_workshop(workshop_id: int) -> Response:
    fmt = check_format(request.args.get("format"))
    return attachment(*render_export(workshop_id, fmt, request.args.get("lang") or None))


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/tokens.pdf")
@facilitator_or_console("run")
def join_cards(workshop_id: int) -> Response:
    return attachment(
        *render_join_cards(workshop_id, request.args.get("group") or None, request.args.get("lang") or None)
    )

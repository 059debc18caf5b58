"""Exports of a workshop: the plan draft (PDF, DOCX), the raw data (CSV in a ZIP, JSON), join cards (PDF).

``render_export(workshop_id, fmt)`` is what the API, the console and the CLI
(`python run.py export`) call; it needs an app context, not a request. With
``EXPORT_RENDERER = "process"`` (the default) the whole export, reading included, is made
by a child process (``process``), so that nothing of it runs on the server's event loop;
otherwise (tests) here, by ``render_export_here``.
``context`` builds the report from plain dicts (no app); ``pdf``, ``csv_zip``,
``json_dump`` and ``cards`` are the adapters; the PDF layout lives in
``templates/export/`` and ``static/css/export.css``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..domain.formats import DEFAULT_TIMEZONE
from ..services.errors import Invalid
from ..storage import db
from .data import ExportData, chosen_language, collect

FORMATS = ("pdf", "docx", "csv", "json")
MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "application/zip",
    "json": "application/json",
}
#: dates printed in exports (the workshop's own, and "generated on") are Thai local dates
LOCAL_TIME = ZoneInfo(DEFAULT_TIMEZONE)


def file_stem(data: ExportData) -> str:
    """ruamkit-12-2026-12-05: ASCII, sortable, the same for every format."""
    when = data.definition.date or ""
    return f"ruamkit-{data.workshop_id}" + (f"-{when}" if when else "")


def check_format(fmt: object) -> str:
    if fmt not in FORMATS:
        raise Invalid(f"format: must be one of {', '.join(FORMATS)}")
    return str(fmt)


def by_child() -> bool:
    """Whether exports are made by a child process (the setting EXPORT_RENDERER, "process" by
    default; never outside an app). It imports nothing: importing WeasyPrint runs ``ldconfig``,
    ``gcc`` and ``ld`` (ctypes' find_library), through gevent's cooperative subprocess in the
    server, so other greenlets ran meanwhile and waited for the request's SQLite write lock
    (the abuse benchmark's honest ack p95 went to 16 s). The server never imports it now."""
    from flask import current_app, has_app_context

    return has_app_context() and current_app.config.get("EXPORT_RENDERER", "process") == "process"


def render_export(workshop_id: int, fmt: str, lang: str | None = None) -> tuple[bytes, str, str]:
    """One export of a workshop: (content, mimetype, file name).

    ``fmt`` is pdf, docx, csv or json; ``lang`` (th or en) overrides the workshop's
    default language for the texts. Raises NotFound, or Invalid for a bad
    format or language; RenderFailed when the export's process breaks a ceiling.
    """
    fmt = check_format(fmt)
    if by_child():
        from . import process

        chosen_language("th", lang)  # a bad language is refused before any process starts
        return process.run("workshop", fmt, workshop_id=workshop_id, lang=lang)
    return render_export_here(workshop_id, fmt, lang)


def render_export_here(workshop_id: int, fmt: str, lang: str | None = None) -> tuple[bytes, str, str]:
    """``render_export`` in this process (the export's child, tests, EXPORT_RENDERER=thread)."""
    fmt = check_format(fmt)
    data = collect(workshop_id, lang, with_ballots=fmt not in ("pdf", "docx"))
    # Plain data from here on: end the read transaction, so that ballots (which need
    # SQLite's write lock) are stored while the file renders.
    db.session.rollback()
    stem = file_stem(data)
    if fmt == "pdf":
        from .pdf import plan_pdf

        content = plan_pdf(data, generated=datetime.now(LOCAL_TIME).date())
        return content, MIMETYPES[fmt], f"{stem}-plan-draft-{data.lang}.pdf"
    if fmt == "docx":
        from .docx import report_docx, workshop_report
        from .pdf import offload

        report = workshop_report(data, datetime.now(LOCAL_TIME).date())
        content = offload(lambda: report_docx(report))
        return content, MIMETYPES[fmt], f"{stem}-plan-draft-{data.lang}.docx"
    if fmt == "csv":
        from .csv_zip import build_zip

        return build_zip(data), MIMETYPES[fmt], f"{stem}-data.zip"
    from .json_dump import build_json

    return build_json(data), MIMETYPES[fmt], f"{stem}-data.json"


def render_join_cards(
    workshop_id: int, group: str | None = None, lang: str | None = None
) -> tuple[bytes, str, str]:
    """The workshop's join cards as printable A4 sheets: (content, mimetype, file name); made
    by a child process like the other exports (a QR code each: thousands of cards took the
    loop for seconds)."""
    if by_child():
        from . import process

        chosen_language("th", lang)
        return process.run("cards", "pdf", workshop_id=workshop_id, group=group, lang=lang)
    return render_join_cards_here(workshop_id, group, lang)


def render_join_cards_here(
    workshop_id: int, group: str | None = None, lang: str | None = None
) -> tuple[bytes, str, str]:
    """``render_join_cards`` in this process."""
    from .cards import cards_pdf

    return cards_pdf(workshop_id, group=group, lang=lang)


__all__ = ["FORMATS", "render_export", "render_export_here", "render_join_cards", "render_join_cards_here"]

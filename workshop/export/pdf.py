"""HTML to PDF with WeasyPrint, reading nothing but files under ``static/``.

Everything residents typed reaches the HTML escaped (Jinja autoescape), so
no markup of theirs exists; still, the renderer gets a URL fetcher that
serves only regular files inside ``static/`` (after resolving ``..`` and
symlinks) and refuses every other scheme: no ``http(s):``, no ``data:``, no
``file:`` elsewhere, so a rendering can neither read the server's files nor
reach the network. Redirects cannot happen: nothing is fetched over HTTP.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .context import build_report
from .data import ExportData

STATIC = Path(__file__).resolve().parent.parent.parent / "static"
T = TypeVar("T")
log = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


class FetchRefused(ValueError):
    """A resource the PDF may not load (WeasyPrint skips it and goes on)."""


class StaticFilesFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves regular files under one folder, nothing else."""

    def __init__(self, root: Path = STATIC) -> None:
        super().__init__(timeout=1, allowed_protocols=("file",), allow_redirects=False, fail_on_errors=False)
        self.root = root.resolve()

    def resolve(self, url: str) -> Path:
        """The file ``url`` names, or FetchRefused."""
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise FetchRefused(f"malformed URL {url[:80]!r}") from exc
        if parts.scheme.lower() != "file":
            raise FetchRefused(f"scheme {parts.scheme or '(none)'!r} is not served")
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"file URL on another host {parts.netloc!r}")
        raw = unquote(parts.path)
        if "\x00" in raw or ".." in raw.split("/"):
            raise FetchRefused("'..' in a file URL")
        try:
            path = Path(raw).resolve(strict=True)  # follows symlinks to their target
        except (OSError, RuntimeError) as exc:
            raise FetchRefused(f"no such file {raw!r}") from exc
        if not path.is_relative_to(self.root) or not path.is_file():
            raise FetchRefused(f"{raw!r} is outside {self.root}")
        return path

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        try:
            path = self.resolve(url)
        except FetchRefused as exc:
            log.warning("PDF export: refused to load %s: %s", url[:200], exc)
            raise
        content_type = CONTENT_TYPES.get(path.suffix.lower()) or (
            mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def offload(work: Callable[[], T]) -> T:
    """Run CPU-bound ``work`` on a real thread when gevent serves the app.

    A render takes seconds; on the gevent server it would otherwise stop every
    socket of a live workshop meanwhile. Elsewhere (tests, CLI) it runs here.
    """
    try:
        from gevent import get_hub, monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return work()
    if not monkey.is_module_patched("threading"):
        return work()
    result: T = get_hub().threadpool.apply(work)
    return result


def render_here(html: str, fetcher: StaticFilesFetcher | None = None) -> bytes:
    """WeasyPrint in this process (the export's child process, tests)."""
    document = HTML(string=html, base_url=str(STATIC) + "/", url_fetcher=fetcher or StaticFilesFetcher())
    data = document.write_pdf()
    assert data is not None
    return bytes(data)


def html_to_pdf(html: str, *, fetcher: StaticFilesFetcher | None = None) -> bytes:
    """Render ``html`` (relative URLs resolve inside static/) to PDF bytes: here, or on a
    thread when gevent serves the app (EXPORT_RENDERER=thread). With the default setting
    (EXPORT_RENDERER=process) this runs in the export's own process (``process``), with its
    memory and time ceiling, where nothing is patched."""
    return offload(lambda: render_here(html, fetcher))


def render_template_in(lang: str, template: str, **context: Any) -> str:
    """A template rendered with its fixed texts in ``lang`` (whatever the request's language)."""
    from flask import render_template
    from flask_babel import force_locale

    with force_locale(lang):
        return render_template(template, **context)


def plan_pdf(data: ExportData, generated: date | None = None) -> bytes:
    """The plan draft of ``data`` as PDF bytes."""
    report = build_report(
        definition=data.definition,
        results=data.results,
        comments=data.comments,
        ideas=data.ideas,
        counts=data.counts,
        lang=data.lang,
        generated=generated,
        sources=data.sources,
    )
    return html_to_pdf(render_template_in(data.lang, "export/plan.html", r=report))


def plan_book_pdf(report: dict[str, Any]) -> bytes:
    """The plan draft of a whole plan as PDF bytes: the plan DOCX's sections, from the same
    report (``plan_report.build_plan_report``) and the same sentences (``plan_text``)."""
    from flask_babel import force_locale

    from .plan_text import provenance_text, summary_sentences

    with force_locale(report["lang"]):
        sentences = summary_sentences(report)
        provenance = {
            p["plan_number"]: [provenance_text(v) for v in p["provenance"]] for p in report["projects"]
        }
    html = render_template_in(
        report["lang"], "export/plan_book.html", r=report, sentences=sentences, provenance=provenance
    )
    return html_to_pdf(html)
